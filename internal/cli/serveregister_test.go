package cli_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestServeRegistration: lienthong serve starts with no department in its
// file and no stream at all; a department registered through the API (its
// source's password sealed, its mapping uploaded and activated) has its
// stream run when triggered, by the replica's scheduler, and nothing the
// process logged holds the password.
func TestServeRegistration(t *testing.T) {
	stateDSN := testdb.Postgres(t)
	deptDSN := testdb.Postgres(t)
	raw, err := sql.Open("postgres", deptDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := fixture.CreateKhaiSinh(raw); err != nil {
		t.Fatal(err)
	}
	if err := fixture.SeedKhaiSinh(raw, 1, 100, 1); err != nil {
		t.Fatal(err)
	}
	password := "mk-" + strings.Repeat("z8", 8)
	secretDSN := strings.Replace(deptDSN, "postgres@", "postgres:"+password+"@", 1)
	key, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.Repeat("a1", 20)
	cfg := filepath.Join(t.TempDir(), "lienthong.yaml")
	os.WriteFile(cfg, []byte("national:\n  dsn_env: LT_NATIONAL_DSN\nregistration:\n  allow_networks: [127.0.0.1/32]\n"), 0o644)
	r := startReplica(t, "a", cfg, []string{"LT_NATIONAL_DSN=" + stateDSN, "LIENTHONG_SECRET_KEYS=" + key, "LIENTHONG_ADMIN_TOKEN=" + admin,
		"LIENTHONG_PLAN_INTERVAL=1s", "LIENTHONG_POLL_INTERVAL=200ms"})
	var addr string
	waitFor(t, "serve to listen", time.Minute, func() bool {
		for _, l := range strings.Split(r.stderr.String(), "\n") {
			var line struct{ Msg, Listen string }
			if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "serving" {
				addr = line.Listen
			}
		}
		return addr != "" || !r.alive()
	})
	if addr == "" {
		t.Fatalf("serve exited:\n%s", r.stderr.String())
	}
	call := func(method, path, ctype string, body []byte, want int) []byte {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin)
		if body != nil {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		if strings.Contains(string(b), password) {
			t.Errorf("%s %s answered the password: %s", method, path, b)
		}
		return b
	}
	const j = "application/json"
	call("POST", "/v1/departments", j, []byte(`{"name": "tu-phap", "title": "Sở Tư pháp tỉnh Hà Tĩnh"}`), http.StatusCreated)
	call("POST", "/v1/departments/tu-phap/sources", j, fmt.Appendf(nil, `{"name": "ho-tich", "kind": "postgres", "secret": %q,
		"streams": [{"name": "khai-sinh", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}]}`, secretDSN), http.StatusCreated)
	mapping, _ := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	const stream = "/v1/departments/tu-phap/sources/ho-tich/streams/khai-sinh"
	call("POST", stream+"/mappings", "application/yaml", mapping, http.StatusCreated)
	var report struct {
		Summary struct{ Records, Mapped, Rejected int }
	}
	json.Unmarshal(call("POST", stream+"/mappings/1/test?limit=100", j, nil, http.StatusOK), &report)
	if report.Summary.Records != 100 || report.Summary.Mapped != 98 || report.Summary.Rejected != 2 {
		t.Errorf("mapping test: %+v", report.Summary)
	}
	call("POST", stream+"/mappings/1/activate", j, nil, http.StatusOK)
	var job struct {
		JobID int64 `json:"job_id"`
	}
	json.Unmarshal(call("POST", stream+"/runs", j, nil, http.StatusAccepted), &job)
	if job.JobID <= 0 {
		t.Fatalf("trigger: job %d", job.JobID)
	}
	var runs struct {
		Runs []struct {
			Status                   string
			Read, Inserted, Rejected int64
		}
	}
	waitFor(t, "the triggered run to succeed", 2*time.Minute, func() bool {
		json.Unmarshal(call("GET", "/v1/departments/tu-phap/runs?stream=khai-sinh", "", nil, http.StatusOK), &runs)
		return len(runs.Runs) > 0 && runs.Runs[0].Status == "succeeded"
	})
	if got := runs.Runs[0]; got.Read != 100 || got.Inserted != 98 || got.Rejected != 2 {
		t.Errorf("triggered run: %+v", got)
	}
	// A stream registered while serve runs has its series on the scrape
	// target from the next plan, as a configured stream has from the start.
	labels := `{department="tu-phap",source="ho-tich",stream="khai-sinh"}`
	waitFor(t, "the registered stream's series", time.Minute, func() bool {
		m := string(call("GET", "/metrics", "", nil, http.StatusOK))
		return strings.Contains(m, "lienthong_stream_rejects_outstanding"+labels+" 2") &&
			strings.Contains(m, "lienthong_runs_total"+labels+" 1")
	})
	stopReplica(t, r)
	if strings.Contains(r.stderr.String(), password) {
		t.Errorf("serve logged the password:\n%s", grepLines(r.stderr.String(), password))
	}
}
