package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// registeredEnv is a service whose only department was registered through
// ops (no department in its configuration file): the state and national
// stores on a real PostgreSQL database, the department's system another,
// holding khai_sinh, reached with a DSN whose password is a secret.
type registeredEnv struct {
	cfg, keys, stateDSN string
	// secretDSN is the department database's DSN with a password (the
	// server trusts local connections, so it is not checked, but it is a
	// secret all the same).
	password, secretDSN string
	ref                 state.Ref
}

func (e *registeredEnv) getenv(keys string) func(string) string {
	return func(k string) string {
		switch k {
		case "LT_NATIONAL_DSN":
			return e.stateDSN
		case "LIENTHONG_SECRET_KEYS":
			return keys
		}
		return ""
	}
}

func (e *registeredEnv) main(t *testing.T, keys string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append(args, "--config", e.cfg), Env{Stdout: &out, Stderr: &errOut, Getenv: e.getenv(keys)})
	return code, out.String(), errOut.String()
}

// open opens the app as a command does.
func (e *registeredEnv) open(t *testing.T) *app {
	t.Helper()
	var errOut bytes.Buffer
	a, err := open(context.Background(), e.cfg, Env{Stdout: &bytes.Buffer{}, Stderr: &errOut, Getenv: e.getenv(e.keys)}, config.WithoutSourceSecrets())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	return a
}

// newRegisteredEnv registers department tu-phap, source ho-tich (60 rows,
// one rejected) and stream khai-sinh with an active mapping through
// ops.Service on the app, as the API does.
func newRegisteredEnv(t *testing.T) (*registeredEnv, *app, *ops.Service) {
	t.Helper()
	ctx := context.Background()
	e := &registeredEnv{stateDSN: testdb.Postgres(t), ref: state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}}
	line, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	e.keys = line
	deptDB := testdb.Postgres(t)
	raw, err := sql.Open("postgres", deptDB)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := fixture.CreateKhaiSinh(raw); err != nil {
		t.Fatal(err)
	}
	if err := fixture.SeedKhaiSinh(raw, 1, 60, 1); err != nil {
		t.Fatal(err)
	}
	e.password = "mk-" + strings.Repeat("q9", 8)
	e.secretDSN = strings.Replace(deptDB, "postgres@", "postgres:"+e.password+"@", 1)
	e.cfg = filepath.Join(t.TempDir(), "lienthong.yaml")
	if err := os.WriteFile(e.cfg, []byte("national:\n  dsn_env: LT_NATIONAL_DSN\nregistration:\n  allow_networks: [127.0.0.1/32]\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	a := e.open(t)
	svc, err := a.opsService()
	if err != nil {
		t.Fatal(err)
	}
	admin := ops.Caller{Admin: true}
	if _, err := svc.CreateDepartment(ctx, admin, registry.Department{Name: "tu-phap", Title: "Sở Tư pháp tỉnh Hà Tĩnh"}); err != nil {
		t.Fatal(err)
	}
	body := fmt.Appendf(nil, `{"name": "ho-tich", "kind": "postgres", "secret": %q, "streams": [
		{"name": "khai-sinh", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}]}`, e.secretDSN)
	if _, err := svc.CreateSource(ctx, admin, "tu-phap", body); err != nil {
		t.Fatalf("register source: %v", err)
	}
	text, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mv, err := svc.UploadMapping(ctx, admin, e.ref, text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ActivateMapping(ctx, admin, e.ref, mv.Version); err != nil {
		t.Fatal(err)
	}
	return e, a, svc
}

// TestSyncRegisteredSource: a source registered through ops (sealed
// secret, no line in the configuration file) syncs with lienthong sync,
// which reads it from the registry and opens its secret; nothing the
// command prints holds the secret.
func TestSyncRegisteredSource(t *testing.T) {
	e, _, _ := newRegisteredEnv(t)
	code, out, errOut := e.main(t, e.keys, "sync", "--json")
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	var runs []state.Run
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		t.Fatalf("sync --json: %v\n%s", err, out)
	}
	if len(runs) != 1 || runs[0].Ref != e.ref || runs[0].Status != state.StatusSucceeded || runs[0].Read != 60 ||
		runs[0].Inserted != 59 || runs[0].Rejected != 1 {
		t.Fatalf("runs: %s", out)
	}
	if strings.Contains(out+errOut, e.password) {
		t.Errorf("sync printed the source's password:\n%s\n%s", out, errOut)
	}
	// Without the key, the sealed secret does not open: a clear error.
	code, out, errOut = e.main(t, "", "sync")
	if code == 0 || !strings.Contains(out+errOut, "keyring") || strings.Contains(out+errOut, e.password) {
		t.Errorf("sync without the key: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestKeysRotate: keys rotate re-seals the registered secret under the new
// primary key; the source then syncs with the new key alone, and no
// longer with the old one alone.
func TestKeysRotate(t *testing.T) {
	e, _, _ := newRegisteredEnv(t)
	code, out, errOut := e.main(t, e.keys, "keys", "generate")
	if code != 0 {
		t.Fatalf("keys generate: exit %d %s", code, errOut)
	}
	newKey := strings.TrimSpace(out)
	if _, err := keyring.Parse(newKey); err != nil || strings.Contains(newKey, "\n") {
		t.Fatalf("keys generate printed %q: %v", out, err)
	}
	newID, _, _ := strings.Cut(newKey, ":")
	code, out, errOut = e.main(t, newKey+"\n"+e.keys, "keys", "rotate")
	if code != 0 || !strings.Contains(out, "re-sealed 1 secret(s) under key "+newID) {
		t.Fatalf("keys rotate: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = e.main(t, newKey+"\n"+e.keys, "keys", "rotate")
	if code != 0 || !strings.Contains(out, "re-sealed 0 secret(s)") {
		t.Errorf("second rotate: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut = e.main(t, newKey, "sync"); code != 0 {
		t.Errorf("sync with the new key alone: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = e.main(t, e.keys, "sync")
	if code == 0 || !strings.Contains(out+errOut, newID) {
		t.Errorf("sync with the old key alone: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestSystems: the app's Systems against real databases: Check passes the
// registered source and names what is wrong with a broken one (never its
// secret), Discover lists khai_sinh with its key and cursor, TestMapping
// maps live records, RetryRejects re-maps the rejects, Trigger enqueues a
// run on the scheduler and Cancel reaches the ledger.
func TestSystems(t *testing.T) {
	ctx := context.Background()
	e, a, _ := newRegisteredEnv(t)
	noSecret := func(what, text string) {
		t.Helper()
		if strings.Contains(text, e.password) {
			t.Errorf("%s holds the password: %s", what, text)
		}
	}

	src := config.Source{Name: "ho-tich", Kind: "postgres", Streams: []config.Stream{
		{Name: "khai-sinh", Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat"}}}
	rep, err := a.Check(ctx, "tu-phap", src)
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("check of the registered source (secret from the registry): %+v, %v", rep, err)
	}
	bad := src
	bad.Streams = []config.Stream{{Name: "sai", Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "ngay_sua"},
		{Name: "khong-co", Table: "khong_co_bang", PrimaryKey: []string{"id"}}}
	rep, err = a.Check(ctx, "tu-phap", bad)
	if err != nil || len(rep.Problems) != 2 || !strings.Contains(rep.Problems[0], "ngay_sua") || !strings.Contains(rep.Problems[1], "khong_co_bang") {
		t.Errorf("check of wrong streams: %+v, %v", rep, err)
	}
	for _, p := range rep.Problems {
		if strings.Count(p, "sai") > 1 || strings.Count(p, "khong-co") > 1 {
			t.Errorf("the problem names its stream more than once: %s", p)
		}
	}
	unreachable := config.Source{Name: "moi", Kind: "postgres",
		ResolvedDSN: "postgres://lt:" + e.password + "@127.0.0.1:1/hotich?sslmode=disable&connect_timeout=2"}
	rep, err = a.Check(ctx, "tu-phap", unreachable)
	if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "source tu-phap/moi") {
		t.Errorf("check of an unreachable source: %+v, %v", rep, err)
	}
	noSecret("check", fmt.Sprint(rep))

	// The same service without registration.allow_networks: a registered
	// source on this machine is refused at dial time, and the check says
	// what to change.
	allowed := e.cfg
	e.cfg = filepath.Join(t.TempDir(), "lienthong.yaml")
	os.WriteFile(e.cfg, []byte("national:\n  dsn_env: LT_NATIONAL_DSN\n"), 0o644)
	closed := e.open(t)
	e.cfg = allowed
	rep, err = closed.Check(ctx, "tu-phap", src)
	if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "registration.allow_networks") {
		t.Errorf("check of a registered source on a network not allowed: %+v, %v", rep, err)
	}
	noSecret("guarded check", fmt.Sprint(rep))

	infos, err := a.Discover(ctx, "tu-phap", src)
	if err != nil || len(infos) != 1 || infos[0].Name != "public.khai_sinh" || strings.Join(infos[0].SuggestedKey, ",") != "id" ||
		infos[0].SuggestedCursor != "ngay_cap_nhat" {
		t.Errorf("discover: %+v, %v", infos, err)
	}
	if _, err := a.Discover(ctx, "tu-phap", unreachable); err == nil {
		t.Error("discover of an unreachable source: no error")
	} else {
		noSecret("discover", err.Error())
	}

	text, _ := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	tr, err := a.TestMapping(ctx, e.ref, text, 60)
	if err != nil || tr.Kind != "birth_registration" || tr.Summary.Records != 60 || tr.Summary.Mapped != 59 || tr.Summary.Rejected != 1 {
		t.Fatalf("test mapping: %+v, %v", tr.Summary, err)
	}
	if _, err := a.TestMapping(ctx, e.ref, []byte("kind: birth_registration\nfields: {full_name: nam(ho_ten)}\n"), 5); err == nil ||
		!strings.Contains(err.Error(), "registry:tu-phap/ho-tich/khai-sinh:") {
		t.Errorf("test of a broken mapping: %v", err)
	}

	if code, out, errOut := e.main(t, e.keys, "sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	run, err := a.RetryRejects(ctx, e.ref, "")
	if err != nil || run.Mode != "retry" || run.Read != 1 || run.Rejected != 1 {
		t.Errorf("retry rejects: %+v, %v", run, err)
	}

	if _, err := a.Trigger(ctx, e.ref, "admin"); err == nil {
		t.Error("trigger without a scheduler: no error")
	}
	sched, err := a.scheduler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.sched = sched
	id, err := a.Trigger(ctx, e.ref, "admin")
	if err != nil || id <= 0 {
		t.Errorf("trigger: job %d, %v", id, err)
	}
	if _, err := a.Trigger(ctx, state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khong-co"}, "admin"); err == nil {
		t.Error("trigger of an unknown stream: no error")
	}
	if err := a.Cancel(ctx, run.ID, "admin"); !errors.Is(err, state.ErrNotRunning) {
		t.Errorf("cancel of an ended run: %v", err)
	}
	if err := a.Cancel(ctx, 999999, "admin"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("cancel of no run: %v", err)
	}
}
