package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestClientsAndAuditVerify: a portal client is made with its token shown
// once; audit verify passes on an intact chain and names the first broken
// entry of an edited one.
func TestClientsAndAuditVerify(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.Postgres(t)
	cfg := project(t, 500)
	env := func(out, errOut *bytes.Buffer) cli.Env {
		return cli.Env{Stdout: out, Stderr: errOut, Getenv: func(k string) string {
			if k == "LT_NATIONAL_DSN" {
				return dsn
			}
			return ""
		}}
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Main(ctx, append(args, "--config", cfg), env(&out, &errOut))
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("clients", "add", "--name", "portal", "--scope", "prefill", "--forms", "cap-lai-the-bhyt,tro-cap-xa-hoi")
	if code != 0 || !regexp.MustCompile(`^lt_[A-Za-z0-9_-]{43}\n$`).MatchString(out) || !strings.Contains(errOut, "shown only now") {
		t.Fatalf("clients add: exit %d\n%s\n%s", code, out, errOut)
	}
	token := strings.TrimSpace(out)
	code, out, _ = run("clients", "list")
	if code != 0 || !strings.Contains(out, "portal") || !strings.Contains(out, "cap-lai-the-bhyt,tro-cap-xa-hoi") || strings.Contains(out, token) {
		t.Errorf("clients list: exit %d\n%s", code, out)
	}
	if code, _, errOut = run("clients", "add", "--name", "x", "--scope", "everything"); code != 1 || !strings.Contains(errOut, `unknown scope "everything"`) {
		t.Errorf("clients add with a bad scope: exit %d %s", code, errOut)
	}

	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := audit.New(db)
	for range 5 {
		if _, err := log.Append(ctx, audit.Entry{Client: "portal", Subject: "042090001234", Form: "cap-lai-the-bhyt", Purpose: "p", Reference: "HS-1"}); err != nil {
			t.Fatal(err)
		}
	}
	log.Close()
	if code, out, errOut = run("audit", "verify"); code != 0 || !strings.Contains(out, "audit chain intact: 5 entries") {
		t.Fatalf("audit verify: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := db.ExecContext(ctx, `UPDATE audit_log SET client = 'someone' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = run("audit", "verify"); code != 1 || !strings.Contains(errOut, "audit chain broken at entry 3") {
		t.Errorf("audit verify after an edit: exit %d\n%s", code, errOut)
	}
}

// TestDemoServe: lienthong demo --serve prints the forms' address, and the
// page there is the form pre-filled for the demo citizen, read by the
// audited path.
func TestDemoServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"demo", "--dir", dir, "--records", "300", "--serve"}, cli.Env{Stdout: out, Stderr: errOut})
	}()
	formURL := regexp.MustCompile(`tro-cap-xa-hoi: (http://127\.0\.0\.1:\d+/forms/tro-cap-xa-hoi\?id_number=\d{12})`)
	var url string
	for url == "" {
		select {
		case code := <-done:
			t.Fatalf("demo ended with %d before serving:\n%s\n%s", code, out.String(), errOut.String())
		case <-time.After(100 * time.Millisecond):
		}
		if m := formURL.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != 200 || !strings.Contains(page, `class="prefilled"`) || !strings.Contains(page, "Nguồn: tu-phap") ||
		!strings.Contains(page, "Công dân tự điền") {
		t.Errorf("demo form: %d\n%s", resp.StatusCode, page)
	}
	var verify bytes.Buffer
	if code := cli.Main(context.Background(), []string{"audit", "verify", "--config", filepath.Join(dir, "lienthong.yaml")},
		cli.Env{Stdout: &verify, Stderr: &verify}); code != 0 || !strings.Contains(verify.String(), "1 entries") {
		t.Errorf("audit verify after one demo read: exit %d %s", code, verify.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("demo --serve stopped with %d:\n%s", code, errOut.String())
	}
}
