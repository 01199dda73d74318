package ingest_test

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/national/ingest/ingesttest"
)

// buildBinary builds cmd/lienthong once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lienthong")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/lienthong/lienthong/cmd/lienthong")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a lienthong child process and its standard error.
type proc struct {
	cmd *exec.Cmd
	out *testio.Buffer
	// done is closed when the process has ended.
	done chan struct{}
}

func startProc(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), out: &testio.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to end and returns its exit code.
func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("process did not end within %s:\n%s", within, p.out.String())
	}
	return -1
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// twoTier is a national ingest service and a province pushing to it, each
// its own lienthong process, on loopback.
type twoTier struct {
	t            *testing.T
	bin, dir     string
	pki          *ingesttest.PKI
	natDSN       string
	nat, state   *sql.DB
	src          *sql.DB
	ingestAddr   string
	national     *proc
	provinceEnv  []string
	nationalEnv  []string
	maxBatchByte int
}

func newTwoTier(t *testing.T) *twoTier {
	t.Helper()
	tt := &twoTier{t: t, bin: buildBinary(t), dir: t.TempDir(), pki: ingesttest.NewPKI(t), ingestAddr: freePort(t)}
	tt.natDSN = testdb.Postgres(t)
	stateDSN, srcDSN := testdb.Postgres(t), testdb.Postgres(t)
	open := func(dsn string) *sql.DB {
		db, err := sql.Open("postgres", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	tt.nat, tt.state, tt.src = open(tt.natDSN), open(stateDSN), open(srcDSN)
	if err := fixture.CreateKhaiSinh(tt.src); err != nil {
		t.Fatal(err)
	}
	tt.nationalEnv = []string{"LT_NAT_DSN=" + tt.natDSN}
	tt.provinceEnv = []string{"LT_STATE_DSN=" + stateDSN, "LT_SOURCE_DSN=" + srcDSN}
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tt.write("khai-sinh.yaml", string(body))
	tt.province("province.yaml", tt.pki.ClientCert, tt.pki.ClientKey, tt.pki.SignKeyFile)
	return tt
}

func (tt *twoTier) write(name, body string) string {
	tt.t.Helper()
	path := filepath.Join(tt.dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tt.t.Fatal(err)
	}
	return path
}

// province writes a province configuration pushing with the given
// certificate and signing key.
func (tt *twoTier) province(name, cert, key, signKey string) string {
	return tt.provinceOf(name, cert, key, signKey, "tu-phap", "LT_SOURCE_DSN")
}

// provinceOf writes a province configuration of one department whose
// source's DSN is in the variable srcEnv.
func (tt *twoTier) provinceOf(name, cert, key, signKey, dept, srcEnv string) string {
	return tt.write(name, fmt.Sprintf(`national:
  http:
    url: https://%s
    client_cert: %s
    client_key: %s
    ca: %s
    key_id: %s
    signing_key: %s
    allow_networks: [127.0.0.1/32]
    timeout: 2s
    retry_max: 8
    retry_wait_min: 50ms
    retry_wait_max: 1s
    breaker_failures: 3
    breaker_cooldown: 2s
state:
  dsn_env: LT_STATE_DSN
batch:
  size: 100
  period: 5s
departments:
  - name: %s
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: %s
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: khai-sinh.yaml
            page_size: 300
            retry_transient_for: 1m
`, tt.ingestAddr, cert, key, tt.pki.ServerCA.CAFile(), tt.pki.KeyID, signKey, dept, srcEnv))
}

// startNational starts (or restarts) the national ingest service.
// extra holds more keys of the ingest section, each line indented by two
// spaces.
func (tt *twoTier) startNational(extra string) {
	tt.t.Helper()
	cfg := tt.write("national.yaml", fmt.Sprintf(`national:
  dsn_env: LT_NAT_DSN
serve:
  listen: %s
ingest:
  listen: %s
  cert: %s
  key: %s
  client_ca: %s
%s  provinces:
    - id: ha-tinh
      keys:
        - id: %s
          public_key: %s
`, freePort(tt.t), tt.ingestAddr, tt.pki.ServerCert, tt.pki.ServerKey, tt.pki.ProvincesCA.CAFile(), extra, tt.pki.KeyID, tt.pki.PublicKey))
	tt.national = startProc(tt.t, tt.bin, tt.nationalEnv, "serve", "--config", cfg)
	tt.waitFor(tt.national, "national ingest serving")
}

func (tt *twoTier) waitFor(p *proc, text string) {
	tt.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(p.out.String(), text) {
		if time.Now().After(deadline) || p.ended() {
			tt.t.Fatalf("no %q from the process:\n%s", text, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sync starts a province sync of the department cfg declares. The
// province's files share one registry, so a sync without --stream would
// run every department applied so far, the other file's too.
func (tt *twoTier) sync(cfg string) *proc {
	dept := "tu-phap"
	if cfg == "second.yaml" {
		dept = "tu-phap-2"
	}
	return startProc(tt.t, tt.bin, tt.provinceEnv, "sync", "--config", filepath.Join(tt.dir, cfg), "--stream", dept+"/ho-tich/khai-sinh")
}

// batches counts the batches the national side applied.
func (tt *twoTier) batches() int {
	var n int
	if err := tt.nat.QueryRow(`SELECT count(*) FROM national_ingest_batches`).Scan(&n); err != nil {
		return 0
	}
	return n
}

func (tt *twoTier) waitBatches(n int, p *proc) {
	tt.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for tt.batches() < n {
		if time.Now().After(deadline) || p.ended() {
			tt.t.Fatalf("the national side applied %d batches, waited for %d:\n%s", tt.batches(), n, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkConserved checks every run of the ledger: read = inserted +
// updated + unchanged + rejected + skipped, killed runs included.
func (tt *twoTier) checkConserved() {
	tt.t.Helper()
	rows, err := tt.state.Query(`SELECT id, status, read, inserted + updated + unchanged + rejected + skipped FROM runs ORDER BY id`)
	if err != nil {
		tt.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, read, sum int64
		var status string
		if err := rows.Scan(&id, &status, &read, &sum); err != nil {
			tt.t.Fatal(err)
		}
		if read != sum {
			tt.t.Errorf("run %d (%s): read %d, outcomes %d", id, status, read, sum)
		}
	}
}

// checkEachOnce checks that source rows 1..rows are each live at the
// national side or rejected at the province, exactly once.
func (tt *twoTier) checkEachOnce(rows int) {
	tt.t.Helper()
	seen := map[string]int{}
	for _, q := range []struct {
		db *sql.DB
		q  string
	}{{tt.nat, `SELECT source_key FROM national_records WHERE deleted_at IS NULL`}, {tt.state, `SELECT source_key FROM rejects`}} {
		r, err := q.db.Query(q.q)
		if err != nil {
			tt.t.Fatal(err)
		}
		for r.Next() {
			var k string
			r.Scan(&k)
			seen[k]++
		}
		r.Close()
	}
	bad := 0
	for id := 1; id <= rows; id++ {
		if n := seen[fmt.Sprint(id)]; n != 1 && bad < 10 {
			bad++
			tt.t.Errorf("source row %d is delivered or rejected %d times, want once", id, n)
		}
	}
	if len(seen) != rows {
		tt.t.Errorf("%d source keys at both sides, want %d", len(seen), rows)
	}
}

// checkEachOnce2 is checkEachOnce with the second department's rows,
// 100001 on, besides.
func (tt *twoTier) checkEachOnce2(rows, second int) {
	tt.t.Helper()
	var live, rejected int
	tt.nat.QueryRow(`SELECT count(DISTINCT source_key) FROM national_records WHERE deleted_at IS NULL AND department = 'ha-tinh/tu-phap-2'`).Scan(&live)
	tt.state.QueryRow(`SELECT count(DISTINCT source_key) FROM rejects WHERE department = 'tu-phap-2'`).Scan(&rejected)
	if live+rejected != second {
		tt.t.Errorf("second department: %d live and %d rejected, want %d in all", live, rejected, second)
	}
	var n int
	tt.nat.QueryRow(`SELECT count(*) FROM national_records WHERE department = 'ha-tinh/tu-phap'`).Scan(&n)
	seen := n
	tt.state.QueryRow(`SELECT count(*) FROM rejects WHERE department = 'tu-phap'`).Scan(&n)
	if seen+n != rows {
		tt.t.Errorf("first department: %d records and rejects, want %d", seen+n, rows)
	}
}

func (tt *twoTier) lastRunError() string {
	var s string
	tt.state.QueryRow(`SELECT status || ': ' || error FROM runs ORDER BY id DESC LIMIT 1`).Scan(&s)
	return s
}

// TestTwoProcesses pushes from a province lienthong to a national
// lienthong, each a real process, through SIGKILL of either side, the
// national side too slow to answer, and refused credentials and batches.
func TestTwoProcesses(t *testing.T) {
	tt := newTwoTier(t)
	tt.startNational("")
	rows := 0
	seed := func(n int) {
		t.Helper()
		if err := fixture.SeedKhaiSinh(tt.src, rows+1, rows+n, 3); err != nil {
			t.Fatal(err)
		}
		rows += n
	}

	t.Run("SIGKILL of the province", func(t *testing.T) {
		for _, after := range []int{1, 6} {
			seed(1200)
			before := tt.batches()
			p := tt.sync("province.yaml")
			tt.waitBatches(before+after, p)
			p.kill()
			if code := tt.sync("province.yaml").wait(t, 3*time.Minute); code != 0 {
				t.Fatalf("sync after the kill: exit %d: %s", code, tt.lastRunError())
			}
			tt.checkEachOnce(rows)
		}
	})
	t.Run("SIGKILL of the national side", func(t *testing.T) {
		for _, after := range []int{2, 8} {
			seed(1200)
			before := tt.batches()
			p := tt.sync("province.yaml")
			tt.waitBatches(before+after, p)
			tt.national.kill()
			tt.startNational("")
			// The province waits the national side out (retries, then the
			// run's retry_transient_for) or fails at its last committed
			// batch; a second sync finishes either way.
			if code := p.wait(t, 3*time.Minute); code != 0 {
				t.Logf("sync across the national restart ended %d: %s", code, tt.lastRunError())
				if code := tt.sync("province.yaml").wait(t, 3*time.Minute); code != 0 {
					t.Fatalf("sync after the national restart: exit %d: %s", code, tt.lastRunError())
				}
			}
			tt.checkEachOnce(rows)
		}
	})
	t.Run("national side too slow: timeouts", func(t *testing.T) {
		seed(500)
		// Hold the national records for longer than the province's 2s
		// timeout: its requests time out and are sent again, under the
		// same idempotency key.
		tx, err := tt.nat.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`LOCK TABLE national_records IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		p := tt.sync("province.yaml")
		tt.waitFor(p, "sending the request again")
		tx.Rollback()
		if code := p.wait(t, 3*time.Minute); code != 0 {
			t.Fatalf("sync through timeouts: exit %d: %s\n%s", code, tt.lastRunError(), p.out.String())
		}
		// The batch whose requests timed out was applied once, by its
		// first request, and its retries got that answer: the new rows
		// count as inserted, none as unchanged.
		var inserted, unchanged int
		tt.state.QueryRow(`SELECT inserted, unchanged FROM runs ORDER BY id DESC LIMIT 1`).Scan(&inserted, &unchanged)
		if inserted == 0 || unchanged != 0 {
			t.Errorf("run through timeouts: %d inserted, %d unchanged; want the stored answers (inserted), none unchanged", inserted, unchanged)
		}
		tt.checkEachOnce(rows)
	})
	t.Run("national store fails: 503", func(t *testing.T) {
		seed(300)
		tx, err := tt.nat.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`LOCK TABLE national_records IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		mark := len(tt.national.out.String())
		p := tt.sync("province.yaml")
		// Cut the national side's connection that waits for the table, as
		// a database restart would: it answers 503, the province waits
		// Retry-After and sends the batch again.
		for !strings.Contains(tt.national.out.String()[mark:], "ingest failed") {
			if p.ended() {
				t.Fatalf("sync ended before the fault:\n%s", p.out.String())
			}
			tt.nat.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`)
			time.Sleep(20 * time.Millisecond)
		}
		tx.Rollback()
		if code := p.wait(t, 3*time.Minute); code != 0 {
			t.Fatalf("sync through a 503: exit %d: %s\n%s", code, tt.lastRunError(), p.out.String())
		}
		if !strings.Contains(p.out.String(), "sending the request again") {
			t.Errorf("the province did not send the batch again:\n%s", p.out.String())
		}
		tt.checkEachOnce(rows)
	})
	t.Run("too many batches at once: 429", func(t *testing.T) {
		// A second department pushes beside the first, to a national side
		// that applies one batch at a time.
		tt.national.kill()
		tt.startNational("  max_in_flight: 1\n")
		src2 := testdb.Postgres(t)
		db2, err := sql.Open("postgres", src2)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		if err := fixture.CreateKhaiSinh(db2); err != nil {
			t.Fatal(err)
		}
		if err := fixture.SeedKhaiSinh(db2, 100001, 100600, 3); err != nil {
			t.Fatal(err)
		}
		tt.provinceEnv = append(tt.provinceEnv, "LT_SOURCE2_DSN="+src2)
		tt.provinceOf("second.yaml", tt.pki.ClientCert, tt.pki.ClientKey, tt.pki.SignKeyFile, "tu-phap-2", "LT_SOURCE2_DSN")
		seed(600)
		tx, err := tt.nat.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`LOCK TABLE national_records IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		p1, p2 := tt.sync("province.yaml"), tt.sync("second.yaml")
		tt.waitFor(tt.national, `"reason":"busy"`)
		tx.Rollback()
		for _, p := range []*proc{p1, p2} {
			if code := p.wait(t, 3*time.Minute); code != 0 {
				t.Fatalf("sync through 429: exit %d: %s\n%s", code, tt.lastRunError(), p.out.String())
			}
		}
		tt.checkEachOnce2(rows, 600)
	})
	tt.checkConserved()

	t.Run("bad signature", func(t *testing.T) {
		_, other, _ := ingesttest.SigningKey(t, t.TempDir(), "forged")
		tt.province("forged.yaml", tt.pki.ClientCert, tt.pki.ClientKey, other)
		seed(10)
		p := tt.sync("forged.yaml")
		if code := p.wait(t, time.Minute); code == 0 {
			t.Fatal("a sync with a forged signing key succeeded")
		}
		if e := tt.lastRunError(); !strings.Contains(e, "refused") || !strings.Contains(e, "does not verify") {
			t.Errorf("ledger: %q, want the refusal", e)
		}
		tt.waitFor(tt.national, "bad_signature")
	})
	t.Run("expired certificate", func(t *testing.T) {
		now := time.Now()
		cert, key := tt.pki.ProvincesCA.Issue(t, tt.pki.Province, false, now.Add(-48*time.Hour), now.Add(-time.Hour))
		tt.province("expired.yaml", cert, key, tt.pki.SignKeyFile)
		p := tt.sync("expired.yaml")
		if code := p.wait(t, time.Minute); code == 0 {
			t.Fatal("a sync with an expired certificate succeeded")
		}
		if e := tt.lastRunError(); !strings.Contains(e, "TLS handshake") {
			t.Errorf("ledger: %q, want the TLS refusal", e)
		}
		tt.waitFor(tt.national, "expired")
	})
	t.Run("batch over the size limit", func(t *testing.T) {
		tt.national.kill()
		tt.startNational("  max_batch_bytes: 400\n")
		p := tt.sync("province.yaml")
		if code := p.wait(t, time.Minute); code == 0 {
			t.Fatal("a sync of records over the national byte limit succeeded")
		}
		if e := tt.lastRunError(); !strings.Contains(e, "over the limit of 400") {
			t.Errorf("ledger: %q, want the size refusal", e)
		}
	})
	tt.checkConserved()
}
