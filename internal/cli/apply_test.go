package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/registry"
)

// applyReport runs lienthong apply and decodes its JSON report.
func applyReport(t *testing.T, args ...string) registry.ApplyReport {
	t.Helper()
	code, out, errOut := run(t, append([]string{"apply", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("apply %v: exit %d\n%s\n%s", args, code, out, errOut)
	}
	var got struct {
		Report registry.ApplyReport `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("apply --json: %v\n%s", err, out)
	}
	return got.Report
}

// openRegistry opens the registry of a configuration's embedded state
// store, as the commands do.
func openRegistry(t *testing.T, cfg string) *registry.Store {
	t.Helper()
	db, err := database.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "lienthong-data", "lienthong.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return registry.New(db, nil)
}

// TestApply: lienthong apply writes the file's department, source, streams
// and mappings into the registry; applying it again changes nothing; a
// changed mapping becomes a new active version (a dry run says so and
// writes nothing); a stream no longer declared is removed; a mapping that
// does not compile is refused with its file and line, and nothing is
// written.
func TestApply(t *testing.T) {
	ctx := context.Background()
	cfg := sqliteDepartment(t, 10, func(int) bool { return false }, `          - {name: cong-dan, table: khai_sinh, primary_key: [id], cursor: ngay_cap_nhat, mapping: mappings/khai-sinh.yaml}
`)
	dir := filepath.Dir(cfg)
	// Two departments registered through the API first: the one the file
	// declares is taken over by it, the other is left alone.
	if code, out, errOut := run(t, "migrate", "--config", cfg); code != 0 {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errOut)
	}
	reg := openRegistry(t, cfg)
	for _, d := range []string{"tu-phap", "y-te"} {
		if _, err := reg.CreateDepartment(ctx, registry.Actor{Name: "admin"}, registry.Department{Name: d, Title: d}); err != nil {
			t.Fatal(err)
		}
	}
	rep := applyReport(t, "-f", cfg)
	for _, want := range []string{"tu-phap/ho-tich", "tu-phap/ho-tich/khai-sinh", "tu-phap/ho-tich/cong-dan"} {
		if !slices.Contains(rep.Created, want) {
			t.Errorf("first apply: %s not created: %+v", want, rep)
		}
	}
	if !slices.Equal(rep.TakenOver, []string{"tu-phap"}) {
		t.Errorf("first apply: taken over %v, want the file's department", rep.TakenOver)
	}
	if d, err := reg.Department(ctx, "y-te"); err != nil || d.Origin != registry.OriginAPI {
		t.Errorf("the API's other department after apply: %+v, %v", d, err)
	}
	st, err := reg.Stream(ctx, "tu-phap", "ho-tich", "khai-sinh")
	if err != nil || st.ActiveMapping != 1 || st.Origin != registry.OriginFile {
		t.Fatalf("stream after apply: %+v, %v", st, err)
	}

	rep = applyReport(t, "-f", cfg)
	if len(rep.Created)+len(rep.Updated)+len(rep.Removed)+len(rep.TakenOver) != 0 || len(rep.Unchanged) < 4 {
		t.Errorf("second apply changed something: %+v", rep)
	}
	// Every command applies its --config file first; one that changes
	// nothing leaves no entry in the change log.
	before, _ := reg.Changes(ctx, registry.ChangeFilter{Limit: 1000})
	if code, out, errOut := run(t, "runs", "--config", cfg); code != 0 {
		t.Fatalf("runs: exit %d\n%s\n%s", code, out, errOut)
	}
	if after, _ := reg.Changes(ctx, registry.ChangeFilter{Limit: 1000}); len(after) != len(before) {
		t.Errorf("an unchanged file applied by runs wrote %d change(s)", len(after)-len(before))
	}

	// A changed mapping: the dry run reports it and writes nothing.
	mappingFile := filepath.Join(dir, "mappings", "khai-sinh.yaml")
	body, _ := os.ReadFile(mappingFile)
	os.WriteFile(mappingFile, append([]byte("# sửa: tên khai sinh\n"), body...), 0o644)
	rep = applyReport(t, "-f", cfg, "--dry-run")
	if !slices.Contains(rep.Updated, "tu-phap/ho-tich/khai-sinh") {
		t.Errorf("dry run does not say the stream changes: %+v", rep)
	}
	if st, _ := reg.Stream(ctx, "tu-phap", "ho-tich", "khai-sinh"); st.ActiveMapping != 1 {
		t.Errorf("dry run wrote: active mapping %d", st.ActiveMapping)
	}
	rep = applyReport(t, "-f", cfg)
	if !slices.Contains(rep.Updated, "tu-phap/ho-tich/khai-sinh") {
		t.Errorf("changed mapping not reported: %+v", rep)
	}
	st, _ = reg.Stream(ctx, "tu-phap", "ho-tich", "khai-sinh")
	active, err := reg.Mapping(ctx, "tu-phap", "ho-tich", "khai-sinh", st.ActiveMapping)
	if err != nil || st.ActiveMapping != 2 || !strings.HasPrefix(active.Text, "# sửa: tên khai sinh\n") {
		t.Fatalf("active mapping after the change: version %d, %v", st.ActiveMapping, err)
	}
	versions, _ := reg.Mappings(ctx, "tu-phap", "ho-tich", "khai-sinh")
	if len(versions) != 2 {
		t.Errorf("want the old version kept to roll back to: %d versions", len(versions))
	}

	// A stream removed from the file is removed from the registry.
	text, _ := os.ReadFile(cfg)
	without := strings.Replace(string(text), "          - {name: cong-dan, table: khai_sinh, primary_key: [id], cursor: ngay_cap_nhat, mapping: mappings/khai-sinh.yaml}\n", "", 1)
	os.WriteFile(cfg, []byte(without), 0o644)
	rep = applyReport(t, "-f", cfg)
	if !slices.Contains(rep.Removed, "tu-phap/ho-tich/cong-dan") {
		t.Errorf("removed stream not reported: %+v", rep)
	}
	if _, err := reg.Stream(ctx, "tu-phap", "ho-tich", "cong-dan"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("removed stream still registered: %v", err)
	}

	// A mapping that does not compile: refused with file and line,
	// nothing written.
	changes, _ := reg.Changes(ctx, registry.ChangeFilter{Limit: 1000})
	broken := strings.Replace(string(body), "full_name:          name(ho_ten)", "full_name:          nam(ho_ten)", 1)
	os.WriteFile(mappingFile, []byte(broken), 0o644)
	code, out, errOut := run(t, "apply", "-f", cfg)
	if code == 0 || !strings.Contains(errOut, mappingFile+":") || !strings.Contains(errOut, "nam") {
		t.Errorf("broken mapping: exit %d\n%s\n%s", code, out, errOut)
	}
	after, _ := reg.Changes(ctx, registry.ChangeFilter{Limit: 1000})
	if len(after) != len(changes) {
		t.Errorf("a refused apply wrote %d change(s)", len(after)-len(changes))
	}
	if st, _ := reg.Stream(ctx, "tu-phap", "ho-tich", "khai-sinh"); st.ActiveMapping != 2 {
		t.Errorf("a refused apply changed the active mapping: %d", st.ActiveMapping)
	}
}
