package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
)

// serveRows is the number of source rows of each stream.
const serveRows = 3000

// serveStreams are the streams the replica tests schedule: each reads its
// own table of serveRows rows; two re-read everything on every slot, so a
// run is always under way to be killed.
var serveStreams = []struct{ name, mode string }{
	{"khai-sinh-0", "full_refresh"}, {"khai-sinh-1", "full_refresh"}, {"khai-sinh-2", "incremental"},
}

// serveSchedule is every few seconds, in seconds-first cron.
const (
	serveSchedule = "*/4 * * * * *"
	serveStep     = 4 * time.Second
)

// serveProject seeds three source tables and writes a configuration that
// schedules them, with the stores on natDSN (a PostgreSQL DSN or a SQLite
// path) and the source on a fresh PostgreSQL database.
func serveProject(t *testing.T, natDSN string) (cfg string, env []string) {
	t.Helper()
	srcDSN := testdb.Postgres(t)
	src, err := sql.Open("postgres", srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := fixture.CreateKhaiSinh(src); err != nil {
		t.Fatal(err)
	}
	if err := fixture.SeedKhaiSinh(src, 1, serveRows*len(serveStreams), 3); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "mappings"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mappings", "khai-sinh.yaml"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	var streams strings.Builder
	for i, s := range serveStreams {
		table := fmt.Sprintf("khai_sinh_%d", i)
		if _, err := src.Exec(fmt.Sprintf(`CREATE TABLE %s (LIKE khai_sinh INCLUDING ALL);
			INSERT INTO %[1]s SELECT * FROM khai_sinh WHERE (id - 1) / %d = %d`, table, serveRows, i)); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&streams, `          - name: %s
            table: %s
            primary_key: [id]
            cursor: ngay_cap_nhat
            mode: %s
            mapping: mappings/khai-sinh.yaml
            page_size: 500
            schedule: "%s"
            timeout: 30s
            max_runtime: 1m
`, s.name, table, s.mode, serveSchedule)
	}
	conf := `national:
  dsn_env: LT_NATIONAL_DSN
batch:
  size: 250
  period: 5s
serve:
  max_concurrent_runs: 2
  shutdown_grace: 10s
  retry:
    attempts: 3
    backoff: 1s
departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: LT_SOURCE_DSN
        streams:
` + streams.String()
	cfg = filepath.Join(dir, "lienthong.yaml")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, []string{"LT_NATIONAL_DSN=" + natDSN, "LT_SOURCE_DSN=" + srcDSN,
		// The scheduler's tuning, shortened to the test's few seconds.
		"LIENTHONG_PLAN_INTERVAL=1s", "LIENTHONG_POLL_INTERVAL=200ms", "LIENTHONG_BUSY_WAIT=500ms", "LIENTHONG_ORPHAN_AFTER=5s"}
}

// syncBuffer is a buffer a child process writes while the test reads.
type syncBuffer = testio.Buffer

// replica is one lienthong serve process.
type replica struct {
	name   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

func startReplica(t *testing.T, name, cfg string, env []string) *replica {
	t.Helper()
	r := &replica{name: name, stderr: &syncBuffer{}, exited: make(chan struct{})}
	r.cmd = child(t, env, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Reaped at once: a dead child left a zombie would still answer kill 0,
	// and the other replicas would think its run alive.
	go func() { r.err = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			r.cmd.Process.Kill()
			<-r.exited
		}
		if t.Failed() {
			t.Logf("replica %s stderr (tail):\n%s", r.name, tail(r.stderr.String(), 40))
		}
	})
	return r
}

func (r *replica) pid() int { return r.cmd.Process.Pid }

func (r *replica) alive() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
	}
}

// stopReplica sends SIGTERM and checks the replica exits 0.
func stopReplica(t *testing.T, r *replica) time.Duration {
	t.Helper()
	start := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
	case <-time.After(time.Minute):
		t.Fatalf("replica %s did not exit within a minute of SIGTERM", r.name)
	}
	if r.err != nil {
		t.Fatalf("replica %s exited with %v after SIGTERM; stderr:\n%s", r.name, r.err, tail(r.stderr.String(), 30))
	}
	return time.Since(start)
}

// TestServeReplicas runs three lienthong serve replicas against one
// PostgreSQL store, SIGKILLs one mid-run and SIGTERMs another mid-run, and
// checks from the ledger that no stream ran twice at once, that every
// scheduled slot ended once, and that every source row is in the national
// store or in the rejects exactly once. It measures the time from the
// killed replica's death to its stream's next run.
func TestServeReplicas(t *testing.T) {
	natDSN := testdb.Postgres(t)
	cfg, env := serveProject(t, natDSN)
	db, err := sql.Open("postgres", natDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// They start together: migrations and the first plans race.
	reps := []*replica{startReplica(t, "a", cfg, env), startReplica(t, "b", cfg, env), startReplica(t, "c", cfg, env)}

	// Every stream has ended a slot.
	waitFor(t, "a first slot of every stream", 90*time.Second, func() bool {
		var n int
		db.QueryRow(`SELECT count(DISTINCT stream) FROM schedule_slots`).Scan(&n)
		return n == len(serveStreams)
	})
	// The victim is the leader, which plans the slots and makes them due:
	// the worst death for the schedule.
	var leaderID string
	if err := db.QueryRow(`SELECT leader_id FROM river_leader`).Scan(&leaderID); err != nil {
		t.Fatalf("no leader: %v", err)
	}
	sort.Slice(reps, func(i, j int) bool {
		return strings.Contains(leaderID, fmt.Sprintf("-%d-", reps[i].pid())) && !strings.Contains(leaderID, fmt.Sprintf("-%d-", reps[j].pid()))
	})
	victim, stopped, survivor := reps[0], reps[1], reps[2]
	if !strings.Contains(leaderID, fmt.Sprintf("-%d-", victim.pid())) {
		t.Fatalf("leader %s is none of the replicas", leaderID)
	}

	// SIGKILL the victim in the middle of a run.
	var killedRun int64
	var killedStream string
	waitFor(t, "a run of the leader under way", 60*time.Second, func() bool {
		if !victim.alive() {
			t.Fatalf("replica %s exited early: %v\n%s", victim.name, victim.err, tail(victim.stderr.String(), 30))
		}
		err := db.QueryRow(`SELECT id, stream FROM runs WHERE status = 'running' AND pid = $1 AND read > 0`, victim.pid()).Scan(&killedRun, &killedStream)
		return err == nil
	})
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.exited
	killedAt := time.Now()
	t.Logf("SIGKILLed replica %s (pid %d, the leader) during run %d of %s", victim.name, victim.pid(), killedRun, killedStream)

	// SIGTERM another in the middle of a run: it lets the run end and exits 0.
	var termRun int64
	waitFor(t, "a run of a second replica under way", 60*time.Second, func() bool {
		return db.QueryRow(`SELECT id FROM runs WHERE status = 'running' AND pid = $1`, stopped.pid()).Scan(&termRun) == nil
	})
	took := stopReplica(t, stopped)
	t.Logf("SIGTERMed replica %s during run %d: exited 0 after %s", stopped.name, termRun, took.Round(time.Millisecond))
	var termStatus string
	if err := db.QueryRow(`SELECT status FROM runs WHERE id = $1`, termRun).Scan(&termStatus); err != nil {
		t.Fatal(err)
	}
	if termStatus != "succeeded" {
		t.Errorf("run %d, under way at SIGTERM, ended %s; the grace should have let it finish", termRun, termStatus)
	}

	// The killed run's stream runs again on a live replica.
	var nextStart time.Time
	var nextRun int64
	waitFor(t, "the killed stream's next run", 90*time.Second, func() bool {
		return db.QueryRow(`SELECT id, started_at FROM runs WHERE stream = $1 AND id > $2 ORDER BY id LIMIT 1`,
			killedStream, killedRun).Scan(&nextRun, &nextStart) == nil
	})
	t.Logf("MEASURED: replica death to its stream's next run (run %d): %s", nextRun, nextStart.Sub(killedAt).Round(time.Millisecond))

	// Every slot up to a few slots after the kill ends, then the last
	// replica stops.
	cutoff := killedAt.Add(3 * serveStep)
	waitFor(t, "every slot up to the cutoff to end", 3*time.Minute, func() bool {
		var pending int
		err := db.QueryRow(`SELECT count(*) FROM river_job j WHERE j.kind = 'lienthong_sync' AND NOT (j.args ? 'resume')
			AND (j.args->>'slot')::timestamptz <= $1 AND NOT EXISTS (SELECT 1 FROM schedule_slots s
			WHERE s.stream = j.args->>'stream' AND s.slot = (j.args->>'slot')::timestamptz)`, cutoff).Scan(&pending)
		return err == nil && pending == 0 && time.Now().After(cutoff)
	})
	stopReplica(t, survivor)

	var status string
	if err := db.QueryRow(`SELECT status FROM runs WHERE id = $1`, killedRun).Scan(&status); err != nil || status != "abandoned" {
		t.Errorf("killed run %d: status %q (%v), want abandoned", killedRun, status, err)
	}
	checkServeLedger(t, db, cutoff)
	for _, r := range reps {
		checkRunLogs(t, r)
	}
}

// TestServeSQLite runs one replica on the embedded SQLite store with the
// same schedules.
func TestServeSQLite(t *testing.T) {
	path := testdb.SQLite(t)
	cfg, env := serveProject(t, path)
	r := startReplica(t, "sqlite", cfg, env)
	var db *sql.DB
	waitFor(t, "the store file", 30*time.Second, func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The cutoff counts from each stream's first slot, not from the start:
	// how long the replica takes to migrate and plan is not what is tested.
	var cutoff time.Time
	waitFor(t, "every stream's first slot", 3*time.Minute, func() bool {
		if !r.alive() {
			t.Fatalf("replica exited: %v\n%s", r.err, tail(r.stderr.String(), 30))
		}
		first, err := firstSlots(db)
		if err != nil || len(first) < len(serveStreams) {
			return false
		}
		for _, f := range first {
			if f.After(cutoff) {
				cutoff = f
			}
		}
		cutoff = cutoff.Add(3 * serveStep)
		return true
	})
	// Every slot up to the cutoff, not only the cutoff's: a slot whose job
	// waited for its stream (a first run that overran its step on a loaded
	// machine) may end after later slots took the stream first.
	waitFor(t, "every slot up to the cutoff to end", 3*time.Minute, func() bool {
		if !r.alive() {
			t.Fatalf("replica exited: %v\n%s", r.err, tail(r.stderr.String(), 30))
		}
		ended, err := slotsUpTo(db, cutoff)
		return err == nil && len(ended) == len(serveStreams) && allContiguous(ended, cutoff)
	})
	checkHTTP(t, r)
	stopReplica(t, r)
	runs := readRuns(t, db, "SELECT id, stream, status, started_at, ended_at, read, inserted, updated, unchanged, rejected, skipped FROM runs")
	checkRuns(t, runs)
	slots := readSlots(t, db, `SELECT stream, slot, status FROM schedule_slots`)
	checkSlotSequence(t, slots, cutoff)
	checkRows(t, db, "SELECT count(*) FROM national_records WHERE stream = ? AND deleted_at IS NULL",
		"SELECT count(*) FROM rejects WHERE stream = ?",
		"SELECT count(*) FROM national_records n JOIN rejects r ON r.stream = n.stream AND r.source_key = n.source_key WHERE n.stream = ? AND n.deleted_at IS NULL")
	checkRunLogs(t, r)
}

// checkServeLedger checks the PostgreSQL store after the replica test.
func checkServeLedger(t *testing.T, db *sql.DB, cutoff time.Time) {
	t.Helper()
	runs := readRuns(t, db, "SELECT id, stream, status, started_at, ended_at, read, inserted, updated, unchanged, rejected, skipped FROM runs")
	checkRuns(t, runs)
	// Every planned slot up to the cutoff ended exactly once.
	var unended, doubled int
	if err := db.QueryRow(`SELECT count(*) FROM river_job j WHERE j.kind = 'lienthong_sync' AND NOT (j.args ? 'resume')
		AND (j.args->>'slot')::timestamptz <= $1 AND NOT EXISTS (SELECT 1 FROM schedule_slots s
		WHERE s.stream = j.args->>'stream' AND s.slot = (j.args->>'slot')::timestamptz)`, cutoff).Scan(&unended); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM schedule_slots GROUP BY stream, slot HAVING count(*) > 1) d`).Scan(&doubled); err != nil {
		t.Fatal(err)
	}
	if unended != 0 || doubled != 0 {
		t.Errorf("slots up to %s: %d planned but never ended, %d ended more than once", cutoff, unended, doubled)
	}
	var queued int
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM river_job WHERE kind = 'lienthong_sync' AND NOT (args ? 'resume')
		GROUP BY args->>'stream', args->>'slot' HAVING count(*) > 1) d`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 0 {
		t.Errorf("%d slots were enqueued more than once", queued)
	}
	slots := readSlots(t, db, `SELECT stream, slot, status FROM schedule_slots`)
	checkSlotSequence(t, slots, cutoff)
	checkRows(t, db, "SELECT count(*) FROM national_records WHERE stream = $1 AND deleted_at IS NULL",
		"SELECT count(*) FROM rejects WHERE stream = $1",
		"SELECT count(*) FROM national_records n JOIN rejects r ON r.stream = n.stream AND r.source_key = n.source_key WHERE n.stream = $1 AND n.deleted_at IS NULL")
}

type ledgerRun struct {
	id                                                    int64
	stream, status                                        string
	started                                               time.Time
	ended                                                 sql.NullTime
	read, inserted, updated, unchanged, rejected, skipped int64
}

func readRuns(t *testing.T, db *sql.DB, q string) []ledgerRun {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []ledgerRun
	for rows.Next() {
		var r ledgerRun
		if err := rows.Scan(&r.id, &r.stream, &r.status, &r.started, &r.ended, &r.read, &r.inserted, &r.updated, &r.unchanged, &r.rejected, &r.skipped); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// checkRuns: no two runs of a stream overlap, none is left running, and
// every run's counts add up.
func checkRuns(t *testing.T, runs []ledgerRun) {
	t.Helper()
	by := map[string][]ledgerRun{}
	for _, r := range runs {
		by[r.stream] = append(by[r.stream], r)
		if r.read != r.inserted+r.updated+r.unchanged+r.rejected+r.skipped {
			t.Errorf("run %d (%s): read %d is not the sum of its outcomes", r.id, r.status, r.read)
		}
		if r.status == "running" || !r.ended.Valid {
			t.Errorf("run %d of %s is still running after every replica stopped", r.id, r.stream)
		}
	}
	for stream, rs := range by {
		sort.Slice(rs, func(i, j int) bool { return rs[i].started.Before(rs[j].started) })
		for i := 1; i < len(rs); i++ {
			if prev := rs[i-1]; prev.ended.Valid && prev.ended.Time.After(rs[i].started) {
				t.Errorf("%s: run %d started at %s while run %d (%s, ended %s) was running", stream, rs[i].id,
					rs[i].started.Format(time.StampMilli), prev.id, prev.status, prev.ended.Time.Format(time.StampMilli))
			}
		}
	}
	if len(runs) < 2*len(serveStreams) {
		t.Errorf("%d runs in the ledger; the schedule should have made more", len(runs))
	}
}

type slotRow struct {
	stream, status string
	slot           time.Time
}

func readSlots(t *testing.T, db *sql.DB, q string) []slotRow {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []slotRow
	for rows.Next() {
		var s slotRow
		if err := rows.Scan(&s.stream, &s.slot, &s.status); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// firstSlots returns each stream's earliest recorded slot.
func firstSlots(db *sql.DB) (map[string]time.Time, error) {
	ended, err := slotsUpTo(db, time.Now().Add(time.Hour))
	first := map[string]time.Time{}
	for stream, slots := range ended {
		for _, s := range slots {
			if f, ok := first[stream]; !ok || s.Before(f) {
				first[stream] = s
			}
		}
	}
	return first, err
}

// slotsUpTo returns each stream's ended slots up to the cutoff.
func slotsUpTo(db *sql.DB, cutoff time.Time) (map[string][]time.Time, error) {
	rows, err := db.Query(`SELECT stream, slot FROM schedule_slots`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ended := map[string][]time.Time{}
	for rows.Next() {
		var stream string
		var slot time.Time
		if err := rows.Scan(&stream, &slot); err != nil {
			return nil, err
		}
		if !slot.After(cutoff) {
			ended[stream] = append(ended[stream], slot)
		}
	}
	return ended, rows.Err()
}

// allContiguous: every stream's ended slots run from its first one to the
// cutoff with none missing.
func allContiguous(ended map[string][]time.Time, cutoff time.Time) bool {
	for _, slots := range ended {
		first := slots[0]
		for _, s := range slots {
			if s.Before(first) {
				first = s
			}
		}
		if len(slots) != int(cutoff.Sub(first)/serveStep)+1 {
			return false
		}
	}
	return true
}

// checkSlotSequence: per stream, the slots that ended up to the cutoff
// follow each other one schedule step apart (none lost, none doubled) and
// succeeded.
func checkSlotSequence(t *testing.T, slots []slotRow, cutoff time.Time) {
	t.Helper()
	by := map[string][]slotRow{}
	for _, s := range slots {
		if !s.slot.After(cutoff) {
			by[s.stream] = append(by[s.stream], s)
		}
	}
	for _, st := range serveStreams {
		ss := by[st.name]
		sort.Slice(ss, func(i, j int) bool { return ss[i].slot.Before(ss[j].slot) })
		if len(ss) < 3 {
			t.Errorf("%s: %d slots ended up to the cutoff, want at least 3", st.name, len(ss))
			continue
		}
		for i, s := range ss {
			if s.status != "succeeded" {
				t.Errorf("%s slot %s ended %s", st.name, s.slot.UTC().Format(time.TimeOnly), s.status)
			}
			if i > 0 && !s.slot.Equal(ss[i-1].slot.Add(serveStep)) {
				t.Errorf("%s: slot %s follows %s: a slot was lost or doubled", st.name, s.slot.UTC().Format(time.TimeOnly), ss[i-1].slot.UTC().Format(time.TimeOnly))
			}
		}
		t.Logf("%s: %d slots ended once each, %s to %s", st.name, len(ss), ss[0].slot.UTC().Format(time.TimeOnly), ss[len(ss)-1].slot.UTC().Format(time.TimeOnly))
	}
}

// checkRows: each stream's source rows are in the national store or in the
// rejects, exactly once.
func checkRows(t *testing.T, db *sql.DB, live, rejects, both string) {
	t.Helper()
	for _, st := range serveStreams {
		var n, bad, dup int
		if err := db.QueryRow(live, st.name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(rejects, st.name).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(both, st.name).Scan(&dup); err != nil {
			t.Fatal(err)
		}
		if n+bad != serveRows || dup != 0 || bad != serveRows/fixture.BadEvery {
			t.Errorf("%s: %d national + %d rejects (%d in both); want %d rows exactly once", st.name, n, bad, dup, serveRows)
		}
	}
}

// checkRunLogs: the replica logs JSON, and every line of a run carries its
// run id, department, source and stream.
func checkRunLogs(t *testing.T, r *replica) {
	t.Helper()
	out := r.stderr.String()
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[:i] // a replica killed mid-line leaves half a line
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	runLines := 0
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("replica %s: log line is not JSON: %s", r.name, sc.Text())
			continue
		}
		if msg, _ := line["msg"].(string); msg == "run started" || msg == "run ended" {
			runLines++
			for _, k := range []string{"run", "department", "source", "stream"} {
				if _, ok := line[k]; !ok {
					t.Errorf("replica %s: run log line lacks %q: %s", r.name, k, sc.Text())
				}
			}
		}
	}
	if runLines == 0 {
		t.Errorf("replica %s logged no run", r.name)
	}
}

// checkHTTP: the replica's listener answers ready, and its metrics say it
// leads the scheduler (it is the only replica).
func checkHTTP(t *testing.T, r *replica) {
	t.Helper()
	var addr string
	for _, l := range strings.Split(r.stderr.String(), "\n") {
		var line struct{ Msg, Listen string }
		if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "serving" {
			addr = line.Listen
		}
	}
	if addr == "" {
		t.Fatal("the replica logged no listen address")
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	// serve wires the pre-fill routes: without a token, a read is refused.
	if code, body := get("/v1/prefill/042090001234?form=cap-lai-the-bhyt&purpose=p&reference=HS-1"); code != http.StatusUnauthorized {
		t.Errorf("/v1/prefill without a token: %d %s", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\nlienthong_scheduler_leader 1\n") {
		t.Errorf("/metrics does not say this replica leads:\n%s", grepLines(body, "lienthong_scheduler"))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMigrateJobQueue: lienthong migrate applies the job queue's
// migrations with the stores', once.
func TestMigrateJobQueue(t *testing.T) {
	path := testdb.SQLite(t)
	cfg, env := serveProject(t, path)
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	run := func() string {
		var out, errOut bytes.Buffer
		if code := cli.Main(context.Background(), []string{"migrate", "--config", cfg},
			cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}); code != 0 {
			t.Fatalf("migrate: exit %d: %s", code, errOut.String())
		}
		return out.String()
	}
	if out := run(); strings.HasPrefix(out, "applied 0 ") {
		t.Fatalf("first migrate: %s", out)
	}
	if out := run(); !strings.HasPrefix(out, "applied 0 ") {
		t.Errorf("second migrate: %s", out)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"river_job", "river_leader", "schedule_slots", "schedule_streams"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Errorf("table %s after migrate: %v", table, err)
		}
	}
}
