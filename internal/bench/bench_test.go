package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lienthong/lienthong/internal/testdb"
)

// TestRun runs the whole benchmark at a small N against the real
// PostgreSQL server, with the lienthong binary built from this tree, and
// checks that every path ran on the same rows and that lienthong and the
// hand-written SQL agree on what is valid. It asserts nothing about time.
func TestRun(t *testing.T) {
	bin := lienthongBinary(t)
	const n = 3000
	var log bytes.Buffer
	rep, err := Run(context.Background(), Options{DSN: testdb.AdminDSN(), N: n, Seed: 7, Batch: 500, Binary: bin, Log: &log})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	got := map[string]Result{}
	for _, r := range rep.Results {
		got[r.Path] = r
	}
	for _, p := range []string{PathRawCopy, PathTypedFirst, PathTypedSame, PathOwnFirst, PathOwnSame,
		PathFirstSync, PathFullRefresh, PathIncremental, PathCSVDrop} {
		r, ok := got[p]
		if !ok {
			t.Fatalf("no result for %q; results: %+v", p, rep.Results)
		}
		if r.Seconds <= 0 {
			t.Errorf("%s: %v seconds", p, r.Seconds)
		}
		if p != PathIncremental && r.Rows != n {
			t.Errorf("%s: %d rows, want %d", p, r.Rows, n)
		}
		if r.Counts != nil && !r.Counts.Conserved() {
			t.Errorf("%s: counts not conserved: %+v", p, *r.Counts)
		}
	}
	if floor := got[PathFloor]; floor.Rows != got[PathCSVDrop].Counts.Inserted || floor.Seconds <= 0 {
		t.Errorf("the floor copied %d national rows in %v s; the CSV drop inserted %d", floor.Rows, floor.Seconds, got[PathCSVDrop].Counts.Inserted)
	}
	typed, first := got[PathTypedFirst], got[PathFirstSync].Counts
	if first == nil || first.Inserted != typed.Written {
		t.Errorf("lienthong's first sync inserted %+v, the typed SQL %d: the two must agree on the valid rows", first, typed.Written)
	}
	if bad := first.Rejected + first.Skipped; bad < n/100 || bad > n/10 {
		t.Errorf("%d rejected or skipped of %d: the generator should make a few percent bad", bad, n)
	}
	if w := got[PathTypedSame].Written + got[PathOwnSame].Written; w != 0 {
		t.Errorf("the SQL paths wrote %d rows with nothing changed", w)
	}
	if own := got[PathOwnFirst].Written; own != typed.Written {
		t.Errorf("the SQL into national_records wrote %d rows, into the typed table %d", own, typed.Written)
	}
	full := got[PathFullRefresh].Counts
	if full.Inserted+full.Updated != 0 || full.Unchanged != first.Inserted {
		t.Errorf("full refresh with nothing changed: %+v, want %d unchanged and nothing written", *full, first.Inserted)
	}
	if fr := got[PathFullRefresh]; fr.NationalInserted+fr.NationalUpdated != 0 {
		t.Errorf("full refresh with nothing changed wrote %d and updated %d national rows, want none", fr.NationalInserted, fr.NationalUpdated)
	}
	if fs := got[PathFirstSync]; fs.WriteSeconds <= 0 || fs.WriteSeconds > fs.Seconds || fs.SourceWaitSeconds <= 0 {
		t.Errorf("first sync: writing %.3f s, source wait %.3f s of %.3f s; want both from its metrics", fs.WriteSeconds, fs.SourceWaitSeconds, fs.Seconds)
	}
	if fs := got[PathFirstSync]; fs.NationalMB <= 0 {
		t.Errorf("first sync: national_records is %.2f MB, want its size", fs.NationalMB)
	}
	if fs := got[PathFirstSync]; fs.NationalInserted != first.Inserted {
		t.Errorf("first sync: %d national rows inserted, the run counted %d", fs.NationalInserted, first.Inserted)
	}
	inc := got[PathIncremental].Counts
	if inc.Read < n/1000 || inc.Read > n/100 || inc.Inserted != 0 {
		t.Errorf("incremental after 0.1%% changed: %+v", *inc)
	}
	if csv := got[PathCSVDrop].Counts; *csv != *first {
		t.Errorf("CSV drop counts %+v, first sync %+v: the same rows must give the same outcomes", *csv, *first)
	}
	for _, r := range rep.Results {
		if r.Counts != nil && (r.PeakRSSMB <= 0 || r.CPUSeconds <= 0) {
			t.Errorf("%s: peak RSS %.0f MB, CPU %.2f s: the child's rusage was not read", r.Path, r.PeakRSSMB, r.CPUSeconds)
		}
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{PathTypedFirst, PathFirstSync, PathCSVDrop} {
		if !strings.Contains(table.String(), "| "+p) {
			t.Errorf("table lacks %q:\n%s", p, table.String())
		}
	}
	t.Logf("\n%s", table.String())
}

// TestGroups runs only the groups asked for, and refuses one it does not
// know.
func TestGroups(t *testing.T) {
	bin := lienthongBinary(t)
	if _, err := Run(context.Background(), Options{DSN: testdb.AdminDSN(), N: 10, Binary: bin, Groups: []string{"typed", "sql"}}); err == nil || !strings.Contains(err.Error(), `"sql"`) {
		t.Fatalf("Run with an unknown group: %v, want it named", err)
	}
	rep, err := Run(context.Background(), Options{DSN: testdb.AdminDSN(), N: 500, Seed: 3, Binary: bin, Groups: []string{"typed", "csv"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Path)
	}
	if want := []string{PathTypedFirst, PathTypedSame, PathCSVDrop, PathFloor}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("paths %q, want %q", got, want)
	}
}

// TestInterruptDropsDatabases: lienthong bench interrupted in the middle
// of its paths (Ctrl-C) stops its children and still drops every
// database it made.
func TestInterruptDropsDatabases(t *testing.T) {
	bin := lienthongBinary(t)
	before := benchDatabases(t)
	cmd := exec.Command(bin, "bench", "--dsn", testdb.AdminDSN(), "-n", "2000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once the first sync is done, the full refresh's child is running.
	var seen []string
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.Contains(lines.Text(), PathFirstSync) {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stderr)
	if err := cmd.Wait(); err == nil {
		t.Fatalf("lienthong bench exited 0 although interrupted; its log:\n%s", strings.Join(seen, "\n"))
	}
	if len(seen) == 0 || !strings.Contains(seen[len(seen)-1], PathFirstSync) {
		t.Fatalf("the benchmark ended before its first sync:\n%s", strings.Join(seen, "\n"))
	}
	if left := slices.DeleteFunc(benchDatabases(t), func(d string) bool { return slices.Contains(before, d) }); len(left) > 0 {
		t.Errorf("databases left behind: %v", left)
	}
}

func benchDatabases(t *testing.T) []string {
	t.Helper()
	db, err := sql.Open("postgres", testdb.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT datname FROM pg_database WHERE datname LIKE 'lt\_bench\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

var built struct {
	once sync.Once
	bin  string
	err  error
}

// lienthongBinary builds the lienthong executable from this tree, once for
// the package's tests.
func lienthongBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "lienthong-bench-test-")
		if err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(dir, "lienthong")
		if out, err := exec.Command("go", "build", "-o", built.bin, "github.com/lienthong/lienthong/cmd/lienthong").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("build lienthong: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.bin != "" {
		os.RemoveAll(filepath.Dir(built.bin))
	}
	os.Exit(code)
}
