// Package bench measures lienthong against hand-written SQL on one
// PostgreSQL server: it generates a department's birth registrations
// (deterministic by seed, a few percent bad), and runs, interleaved in one
// invocation, the reference paths (a raw COPY pipe, a DBA's SQL upsert into a
// typed table and into lienthong's own national_records shape) and
// lienthong's own paths (first sync, full refresh with nothing changed,
// incremental after 0.1% changed, the same rows as a CSV drop), each of
// lienthong's in a child process so that its peak memory and CPU time are its
// own.
//
// It creates its databases on the server and drops them when done. It must
// not be used against a server that holds real data: it needs the right to
// create databases, and nothing more, but it is a load test.
package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lib/pq"

	"github.com/lienthong/lienthong/examples"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/sync/state"
)

// Options configure a run of the benchmark.
type Options struct {
	// DSN is a postgres:// URL of the server; its database is only used to
	// create and drop the benchmark's own.
	DSN string
	// N is the number of department rows.
	N int64
	// Seed makes the rows; the same seed makes the same rows.
	Seed int64
	// Batch is lienthong's batch size (0: lienthong's default).
	Batch int
	// Rounds repeats every path this many times, interleaved; the table
	// holds each path's median.
	Rounds int
	// Binary is the lienthong executable the syncs run as.
	Binary string
	// Baseline, when set, is another lienthong executable (an earlier
	// build) whose syncs run too, interleaved with Binary's on fresh
	// national databases, their paths marked BaselineSuffix: a
	// before/after comparison made under the same load.
	Baseline string
	// ProfileDir, when set, makes each lienthong child write a CPU and an
	// allocation profile there (the binary must understand
	// "bench child", as lienthong does).
	ProfileDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Keep leaves the databases and files in place, for EXPLAIN and
	// pg_stat_statements after the run; their names go to Log.
	Keep bool
	// Groups, when not empty, runs only these groups of paths (see
	// Groups): a long run at a large N can leave out what it does not
	// need.
	Groups []string
}

// Groups are the groups of paths Options.Groups may name: the raw COPY
// pipe; the typed table's SQL, first load and nothing changed; the same
// SQL into national_records; lienthong's first sync, full refresh and
// incremental; its CSV drop and the floor after it.
var Groups = []string{"raw", "typed", "own", "sync", "csv"}

// runs says whether the options run group g.
func (o Options) runs(g string) bool {
	return len(o.Groups) == 0 || slices.Contains(o.Groups, g)
}

// Result is one path's measurement.
type Result struct {
	Path    string  `json:"path"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	// RowsPerSecond is Rows / Seconds.
	RowsPerSecond float64 `json:"rows_per_second"`
	// Ratio is Seconds over the typed SQL path's seconds of the same kind
	// (a first load against the first load, nothing changed against
	// nothing changed).
	Ratio float64 `json:"ratio"`
	// Written is how many rows an SQL upsert inserted or updated.
	Written int64 `json:"written,omitempty"`
	// PeakRSSMB and CPUSeconds are the lienthong child's (user + system);
	// zero for the reference paths, which run in PostgreSQL.
	PeakRSSMB  float64 `json:"peak_rss_mb,omitempty"`
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// NationalInserted and NationalUpdated are the row versions the path
	// wrote into national_records (PostgreSQL's pg_stat_user_tables, read
	// after the child exited): what "no national writes for unchanged
	// records" is checked against, free of timing noise.
	NationalInserted int64 `json:"national_inserted"`
	NationalUpdated  int64 `json:"national_updated"`
	// NationalMB is the size of national_records after the path, its
	// indexes included (pg_total_relation_size of its partitions): what
	// the store's physical design costs on disk, whatever the load.
	NationalMB float64 `json:"national_mb"`
	// WriteSeconds is how long the child's writer spent writing batches
	// (national store and state store), SourceWaitSeconds how long it
	// waited on its source, from its metrics (lienthong_batch_write_
	// duration_seconds and lienthong_source_read_duration_seconds): a run
	// whose WriteSeconds is most of Seconds is bound by the stores.
	WriteSeconds      float64 `json:"write_seconds,omitempty"`
	SourceWaitSeconds float64 `json:"source_wait_seconds,omitempty"`
	// Counts are the run's counts, for lienthong's paths.
	Counts *state.Counts `json:"counts,omitempty"`
	// Note says what the path is.
	Note string `json:"note,omitempty"`
}

// Report is the benchmark's outcome.
type Report struct {
	Started    time.Time `json:"started"`
	N          int64     `json:"n"`
	Seed       int64     `json:"seed"`
	Batch      int       `json:"batch,omitempty"`
	Rounds     int       `json:"rounds"`
	CPUs       int       `json:"cpus"`
	LoadBefore string    `json:"load_before"`
	LoadAfter  string    `json:"load_after"`
	Results    []Result  `json:"results"`
}

// The paths, in the order a round runs them.
const (
	PathRawCopy        = "raw COPY pipe (no index)"
	PathTypedFirst     = "SQL typed table, first load"
	PathTypedSame      = "SQL typed table, nothing changed"
	PathOwnFirst       = "SQL national_records, first load"
	PathOwnSame        = "SQL national_records, nothing changed (NOT EXISTS)"
	PathFirstSync      = "lienthong first sync"
	PathFullRefresh    = "lienthong full refresh, nothing changed"
	PathIncremental    = "lienthong incremental, 0.1% changed"
	PathCSVDrop        = "lienthong CSV drop"
	PathFloor          = "its national rows COPYed into national_records (floor)"
	mappingVersionName = "2025.2"
)

// ratioBase says which typed SQL path each path is compared with.
var ratioBase = map[string]string{
	PathRawCopy: PathTypedFirst, PathTypedFirst: PathTypedFirst, PathOwnFirst: PathTypedFirst,
	PathFirstSync: PathTypedFirst, PathCSVDrop: PathTypedFirst, PathFloor: PathTypedFirst,
	PathTypedSame: PathTypedSame, PathOwnSame: PathTypedSame, PathFullRefresh: PathTypedSame,
	PathIncremental: PathTypedSame,
}

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.N <= 0 {
		return Report{}, errors.New("bench: -n must be positive")
	}
	if o.Rounds <= 0 {
		o.Rounds = 1
	}
	for _, g := range o.Groups {
		if !slices.Contains(Groups, g) {
			return Report{}, fmt.Errorf("bench: unknown group of paths %q; the groups are %s", g, strings.Join(Groups, ", "))
		}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if _, err := exec.LookPath("psql"); err != nil {
		return Report{}, errors.New("bench: psql not found on PATH: the raw COPY pipe and the SQL paths run through it, as a DBA's would")
	}
	b := &bencher{o: o, gen: generator{seed: o.Seed}, runs: map[string][]Result{}}
	rep := Report{Started: time.Now().UTC(), N: o.N, Seed: o.Seed, Batch: o.Batch, Rounds: o.Rounds,
		CPUs: runtime.NumCPU(), LoadBefore: loadavg()}
	err := b.run(ctx)
	cleanupErr := b.cleanup()
	if err != nil {
		return Report{}, err
	}
	if cleanupErr != nil {
		return Report{}, cleanupErr
	}
	rep.LoadAfter = loadavg()
	rep.Results = b.medians()
	return rep, nil
}

type bencher struct {
	o      Options
	gen    generator
	dir    string
	srcDSN string
	dbs    []string
	runs   map[string][]Result
	// changes counts the changes made to the department table, so that
	// each changes other rows and moves them past every earlier cursor.
	changes int64
}

func (b *bencher) logf(format string, args ...any) {
	fmt.Fprintf(b.o.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// dsnFor returns the DSN of database name on the benchmark's server.
func (b *bencher) dsnFor(name string) (string, error) {
	u, err := url.Parse(b.o.DSN)
	if err != nil {
		return "", fmt.Errorf("bench: the DSN does not parse as a postgres:// URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// createDB creates a database dropped by cleanup and returns its DSN.
func (b *bencher) createDB(ctx context.Context, role string) (string, error) {
	name := fmt.Sprintf("lt_bench_%s_%d", role, time.Now().UnixNano())
	admin, err := sql.Open("postgres", b.o.DSN)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return "", fmt.Errorf("bench: create database %s: %w", name, err)
	}
	b.dbs = append(b.dbs, name)
	return b.dsnFor(name)
}

func (b *bencher) cleanup() error {
	if b.o.Keep {
		b.logf("kept databases %s and directory %s", strings.Join(b.dbs, ", "), b.dir)
		return nil
	}
	var errs []error
	admin, err := sql.Open("postgres", b.o.DSN)
	if err == nil {
		for _, name := range b.dbs {
			if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
				errs = append(errs, fmt.Errorf("bench: drop database %s: %w", name, err))
			}
		}
		admin.Close()
	} else {
		errs = append(errs, err)
	}
	if b.dir != "" {
		errs = append(errs, os.RemoveAll(b.dir))
	}
	return errors.Join(errs...)
}

func (b *bencher) run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "lienthong-bench-")
	if err != nil {
		return err
	}
	b.dir = dir
	if err := b.prepare(ctx); err != nil {
		return err
	}
	for round := 1; round <= b.o.Rounds; round++ {
		b.logf("round %d of %d", round, b.o.Rounds)
		if err := b.round(ctx, round); err != nil {
			return fmt.Errorf("bench: round %d: %w", round, err)
		}
	}
	return nil
}

// prepare makes the department database, the CSV drop and the
// configuration the children read.
func (b *bencher) prepare(ctx context.Context) error {
	var err error
	if b.srcDSN, err = b.createDB(ctx, "src"); err != nil {
		return err
	}
	t0 := time.Now()
	if err := b.seed(ctx); err != nil {
		return fmt.Errorf("bench: seed the department table: %w", err)
	}
	b.logf("seeded %d department rows in %.1fs", b.o.N, time.Since(t0).Seconds())
	drop := filepath.Join(b.dir, "drop")
	if err := os.MkdirAll(filepath.Join(b.dir, "mappings"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(drop, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(drop, "khai-sinh-1.csv"))
	if err != nil {
		return err
	}
	if err := b.gen.writeCSV(f, b.o.N); err != nil {
		f.Close()
		return fmt.Errorf("bench: write the CSV drop: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(drop, "khai-sinh-1.csv.done"), nil, 0o644); err != nil {
		return err
	}
	mapping, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.dir, "mappings", "khai-sinh.yaml"), mapping, 0o644); err != nil {
		return err
	}
	batch := ""
	if b.o.Batch > 0 {
		batch = fmt.Sprintf("batch: {size: %d}\n", b.o.Batch)
	}
	cfg := `national: {dsn_env: LIENTHONG_BENCH_NATIONAL}
` + batch + `departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: LIENTHONG_BENCH_SOURCE
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: mappings/khai-sinh.yaml
      - name: xuat-file
        kind: file
        options: {dir: drop, done_suffix: .done}
        streams:
          - name: khai-sinh
            table: "khai-sinh-*.csv"
            primary_key: [id]
            mode: incremental
            mapping: mappings/khai-sinh.yaml
`
	return os.WriteFile(filepath.Join(b.dir, "lienthong.yaml"), []byte(cfg), 0o600)
}

// seed copies the generated rows into the department table.
func (b *bencher) seed(ctx context.Context) error {
	db, err := sql.Open("postgres", b.srcDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, createSource); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn("khai_sinh", srcColumns...))
	if err != nil {
		return err
	}
	vals := make([]any, len(srcColumns))
	for i := int64(1); i <= b.o.N; i++ {
		for j, v := range b.gen.row(i) {
			vals[j] = v
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return err
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, q := range []string{createSourceIndex, `VACUUM ANALYZE khai_sinh`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// round runs every path once, in order.
func (b *bencher) round(ctx context.Context, round int) error {
	ref, err := b.createDB(ctx, "ref")
	if err != nil {
		return err
	}
	if err := b.prepareReference(ctx, ref); err != nil {
		return fmt.Errorf("prepare the reference database: %w", err)
	}
	for _, p := range []struct {
		path, group string
		sql         string
		into        string
	}{
		{PathRawCopy, "raw", "", "raw_copy"},
		{PathTypedFirst, "typed", typedUpsert, "stage"},
		{PathTypedSame, "typed", typedUpsert, "stage"},
		{PathOwnFirst, "own", ownUpsert, "stage"},
		{PathOwnSame, "own", ownPrefiltered, "stage"},
	} {
		if !b.o.runs(p.group) {
			continue
		}
		r, err := b.reference(ctx, ref, p.into, p.sql)
		if err != nil {
			return fmt.Errorf("%s: %w", p.path, err)
		}
		r.Path = p.path
		b.add(r)
	}
	bins := []string{b.o.Binary}
	if b.o.Baseline != "" {
		bins = []string{b.o.Baseline, b.o.Binary}
	}
	for _, bin := range bins {
		suffix := ""
		if bin == b.o.Baseline {
			suffix = BaselineSuffix
		}
		if err := b.syncs(ctx, bin, suffix); err != nil {
			return err
		}
	}
	return nil
}

// BaselineSuffix marks the paths run by Options.Baseline.
const BaselineSuffix = " (baseline)"

// syncs runs lienthong's paths with the executable bin.
func (b *bencher) syncs(ctx context.Context, bin, suffix string) error {
	if b.o.runs("sync") {
		if err := b.sourceSyncs(ctx, bin, suffix); err != nil {
			return err
		}
	}
	if !b.o.runs("csv") {
		return nil
	}
	return b.csvSyncs(ctx, bin, suffix)
}

// sourceSyncs runs the first sync, the full refresh and the incremental
// from the department table into one national database.
func (b *bencher) sourceSyncs(ctx context.Context, bin, suffix string) error {
	nat, err := b.createDB(ctx, "nat")
	if err != nil {
		return err
	}
	stream := "tu-phap/ho-tich/khai-sinh"
	for _, p := range []struct {
		path string
		args []string
	}{
		{PathFirstSync, nil},
		{PathFullRefresh, []string{"--full-refresh"}},
		{PathIncremental, nil},
	} {
		if p.path == PathIncremental {
			if err := b.change(ctx); err != nil {
				return fmt.Errorf("change 0.1%% of the rows: %w", err)
			}
		}
		r, err := b.sync(ctx, bin, nat, stream, p.path+suffix, p.args)
		if err != nil {
			return fmt.Errorf("%s: %w", p.path+suffix, err)
		}
		b.add(r)
	}
	return nil
}

// csvSyncs runs the CSV drop into a national database of its own, then,
// for the main binary, the floor.
func (b *bencher) csvSyncs(ctx context.Context, bin, suffix string) error {
	csvNat, err := b.createDB(ctx, "csv")
	if err != nil {
		return err
	}
	r, err := b.sync(ctx, bin, csvNat, "tu-phap/xuat-file/khai-sinh", PathCSVDrop+suffix, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", PathCSVDrop+suffix, err)
	}
	b.add(r)
	if suffix != "" {
		return nil
	}
	if r, err = b.floor(ctx, csvNat); err != nil {
		return fmt.Errorf("%s: %w", PathFloor, err)
	}
	b.add(r)
	return nil
}

func (b *bencher) add(r Result) {
	if r.Seconds > 0 {
		r.RowsPerSecond = float64(r.Rows) / r.Seconds
	}
	b.logf("%-52s %8.2fs %10.0f rows/s", r.Path, r.Seconds, r.RowsPerSecond)
	b.runs[r.Path] = append(b.runs[r.Path], r)
}

// change updates 0.1% of the department rows (at least one), moving their
// cursor past every other row's, as an officer's corrections would.
func (b *bencher) change(ctx context.Context) error {
	db, err := sql.Open("postgres", b.srcDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	b.changes++
	stride := max(b.o.N/max(b.o.N/1000, 1), 1)
	_, err = db.ExecContext(ctx, `UPDATE khai_sinh SET noi_sinh = noi_sinh || ' (sửa ' || $1::text || ')',
		ngay_cap_nhat = $2::timestamptz + (id * interval '1 millisecond')
		WHERE id % $3::bigint = $4::bigint`,
		b.changes, cursorBase.Add(time.Duration(b.o.N+b.changes*b.o.N)*time.Second).Format(time.RFC3339), stride, b.changes%stride)
	return err
}

// sync runs lienthong sync in a child process against the national
// database nat, and measures it.
func (b *bencher) sync(ctx context.Context, bin, nat, stream, path string, extra []string) (Result, error) {
	name := strings.NewReplacer(" ", "-", ",", "", "%", "pct", ".", "", "(", "", ")", "").Replace(path)
	metricsFile := filepath.Join(b.dir, name+".prom")
	args := []string{"sync", "--config", filepath.Join(b.dir, "lienthong.yaml"), "--stream", stream, "--json",
		"--metrics-file", metricsFile}
	args = append(args, extra...)
	if b.o.ProfileDir != "" && bin == b.o.Binary {
		args = append([]string{"bench", "child",
			"--cpuprofile", filepath.Join(b.o.ProfileDir, name+".cpu.pprof"),
			"--memprofile", filepath.Join(b.o.ProfileDir, name+".alloc.pprof")}, args...)
	}
	ins0, upd0, err := nationalWrites(ctx, nat)
	if err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "LIENTHONG_BENCH_NATIONAL="+nat, "LIENTHONG_BENCH_SOURCE="+b.srcDSN)
	t0 := time.Now()
	err = cmd.Run()
	secs := time.Since(t0).Seconds()
	if err != nil {
		return Result{}, fmt.Errorf("lienthong %s: %w: %s", strings.Join(args, " "), err, tail(stderr.String()))
	}
	var runs []state.Run
	if err := json.Unmarshal(stdout.Bytes(), &runs); err != nil || len(runs) != 1 {
		return Result{}, fmt.Errorf("lienthong sync printed no run (%v): %s", err, tail(stdout.String()))
	}
	run := runs[0]
	if run.Status != "succeeded" {
		return Result{}, fmt.Errorf("run %d ended %s: %s", run.ID, run.Status, run.Error)
	}
	c := run.Counts
	if !c.Conserved() {
		return Result{}, fmt.Errorf("run %d broke conservation: read %d, inserted %d + updated %d + unchanged %d + rejected %d + skipped %d",
			run.ID, c.Read, c.Inserted, c.Updated, c.Unchanged, c.Rejected, c.Skipped)
	}
	r := Result{Path: path, Rows: c.Read, Seconds: secs, Counts: &c}
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSSMB = float64(u.Maxrss) / 1024 // kilobytes on Linux
		r.CPUSeconds = tvSeconds(u.Utime) + tvSeconds(u.Stime)
	}
	// A backend reports its counts when its client has gone; give the
	// child's a moment.
	time.Sleep(1500 * time.Millisecond)
	ins1, upd1, err := nationalWrites(ctx, nat)
	if err != nil {
		return Result{}, err
	}
	r.NationalInserted, r.NationalUpdated = ins1-ins0, upd1-upd0
	if r.NationalMB, err = nationalSize(ctx, nat); err != nil {
		return Result{}, err
	}
	if r.WriteSeconds, r.SourceWaitSeconds, err = childTimes(metricsFile); err != nil {
		return Result{}, err
	}
	return r, nil
}

// childTimes reads from a sync's metrics file how long it spent writing
// batches and waiting on its source, over all its streams.
func childTimes(path string) (write, wait float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("the sync's metrics: %w", err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		return 0, 0, fmt.Errorf("the sync's metrics %s: %w", path, err)
	}
	sum := func(name string) float64 {
		var total float64
		if mf, ok := families[name]; ok {
			for _, m := range mf.GetMetric() {
				total += m.GetHistogram().GetSampleSum()
			}
		}
		return total
	}
	return sum("lienthong_batch_write_duration_seconds"), sum("lienthong_source_read_duration_seconds"), nil
}

// nationalStats runs a query of national_records' partitions' statistics.
func nationalStats(ctx context.Context, dsn, query string, dest ...any) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, query).Scan(dest...); err != nil {
		return fmt.Errorf("read national_records' statistics: %w", err)
	}
	return nil
}

// nationalWrites reads how many row versions national_records' partitions
// have had inserted and updated, from the server's statistics.
func nationalWrites(ctx context.Context, dsn string) (ins, upd int64, err error) {
	err = nationalStats(ctx, dsn, `SELECT COALESCE(sum(n_tup_ins), 0), COALESCE(sum(n_tup_upd), 0)
		FROM pg_stat_user_tables WHERE relname LIKE 'national\_records%'`, &ins, &upd)
	return ins, upd, err
}

// nationalSize reads the size of national_records' partitions and their
// indexes, in MB.
func nationalSize(ctx context.Context, dsn string) (mb float64, err error) {
	err = nationalStats(ctx, dsn, `SELECT COALESCE(sum(pg_total_relation_size(relid)), 0) / 1048576.0
		FROM pg_stat_user_tables WHERE relname LIKE 'national\_records%'`, &mb)
	return mb, err
}

func tvSeconds(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// medians returns each path's median over the rounds, with its ratio.
func (b *bencher) medians() []Result {
	order := []string{PathRawCopy, PathTypedFirst, PathTypedSame, PathOwnFirst, PathOwnSame}
	for _, p := range []string{PathFirstSync, PathFullRefresh, PathIncremental, PathCSVDrop} {
		if b.o.Baseline != "" {
			order = append(order, p+BaselineSuffix)
		}
		order = append(order, p)
	}
	order = append(order, PathFloor)
	med := map[string]Result{}
	for _, p := range order {
		rs := b.runs[p]
		if len(rs) == 0 {
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Seconds < rs[j].Seconds })
		med[p] = rs[len(rs)/2]
	}
	var out []Result
	for _, p := range order {
		r, ok := med[p]
		if !ok {
			continue
		}
		if base, ok := med[ratioBase[strings.TrimSuffix(p, BaselineSuffix)]]; ok && base.Seconds > 0 {
			r.Ratio = r.Seconds / base.Seconds
		}
		out = append(out, r)
	}
	return out
}

// WriteTable prints the report as a Markdown table.
func (r Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "N = %d rows, seed %d, batch %s, %d round(s) (medians), %d CPUs, load average %s → %s, %s\n\n",
		r.N, r.Seed, batchName(r.Batch), r.Rounds, r.CPUs, r.LoadBefore, r.LoadAfter, r.Started.Format("2006-01-02 15:04 UTC"))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| path\t| rows\t| seconds\t| rows/s\t| ratio to typed SQL\t| client peak RSS MB\t| client CPU s\t| writing s\t| source wait s\t| counts\t|")
	fmt.Fprintln(tw, "| ---\t| ---:\t| ---:\t| ---:\t| ---:\t| ---:\t| ---:\t| ---:\t| ---:\t| ---\t|")
	for _, x := range r.Results {
		rss, cpu, write, wait, counts := "", "", "", "", ""
		if x.Written > 0 {
			counts = fmt.Sprintf("%d written", x.Written)
		}
		if x.Counts != nil {
			rss, cpu = fmt.Sprintf("%.0f", x.PeakRSSMB), fmt.Sprintf("%.2f", x.CPUSeconds)
			write, wait = fmt.Sprintf("%.2f", x.WriteSeconds), fmt.Sprintf("%.2f", x.SourceWaitSeconds)
			c := x.Counts
			counts = fmt.Sprintf("%d ins, %d upd, %d same, %d rej, %d skip; national rows +%d ins, +%d upd; %.0f MB",
				c.Inserted, c.Updated, c.Unchanged, c.Rejected, c.Skipped, x.NationalInserted, x.NationalUpdated, x.NationalMB)
		}
		fmt.Fprintf(tw, "| %s\t| %d\t| %.2f\t| %.0f\t| %.2f\t| %s\t| %s\t| %s\t| %s\t| %s\t|\n",
			x.Path, x.Rows, x.Seconds, x.RowsPerSecond, x.Ratio, rss, cpu, write, wait, counts)
	}
	return tw.Flush()
}

func batchName(n int) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}

// loadavg is the 1, 5 and 15-minute load averages, as /proc/loadavg says.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// openStore opens a database through lienthong's own layer, to migrate
// the national store the SQL path writes into.
func openStore(ctx context.Context, dsn string) (*database.DB, error) {
	return database.Open(ctx, dsn)
}
