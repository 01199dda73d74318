// Command benchprefill measures the pre-fill API under load on the
// machine's PostgreSQL: it seeds a national store of -persons citizens (a
// person record and a health insurance card each, and an older, deleted
// card for one in ten), serves the API on loopback, and sends GET
// /v1/prefill/{id_number} at a fixed rate (open loop: a request leaves at
// its time whether or not the earlier ones have returned, and its latency
// counts from that time, so a stall is not hidden). Every answered request
// has written its audit entry before it returned. Run it with
//
//	go run ./internal/benchprefill -persons 1000000 -rate 1000 -duration 30s
//
// It creates and drops its own database.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	_ "github.com/lib/pq"

	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/forms"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/server"
	"github.com/lienthong/lienthong/sync/state"
)

func main() {
	persons := flag.Int("persons", 1000000, "citizens in the national store")
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 30*time.Second, "how long to send at -rate (after a 5 s warm-up at the same rate)")
	form := flag.String("form", "cap-lai-the-bhyt", "the form to pre-fill")
	conns := flag.Int("conns", 6, "the server's PostgreSQL connections (a few per core: more backends only contend for the cores)")
	admin := flag.String("pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server to use")
	keep := flag.String("db", "", "use this existing benchmark `database` (seeded by an earlier run with -keep) instead of a new one")
	keepDB := flag.Bool("keep", false, "keep the database for a later -db run")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured part to this `file`")
	flag.Parse()
	profile = *cpuprofile
	if err := run(*admin, *keep, *keepDB, *persons, *rate, *duration, *form, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "benchprefill:", err)
		os.Exit(1)
	}
}

func run(adminDSN, existing string, keep bool, persons, rate int, duration time.Duration, formName string, conns int) error {
	ctx := context.Background()
	name := existing
	if name == "" {
		name = fmt.Sprintf("lt_bench_prefill_%d", time.Now().UnixNano())
		admin, err := sql.Open("postgres", adminDSN)
		if err != nil {
			return err
		}
		defer admin.Close()
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			return err
		}
		if !keep {
			defer admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		}
	}
	dsn := strings.Replace(adminDSN, "/test?", "/"+name+"?", 1)
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	nat, st, log, reg := national.New(db), state.New(db), audit.New(db), clients.New(db)
	defer log.Close()
	for _, m := range []func(context.Context) (int, error){nat.Migrate, st.Migrate, log.Migrate, reg.Migrate} {
		if _, err := m(ctx); err != nil {
			return err
		}
	}
	if existing == "" {
		start := time.Now()
		if err := seed(ctx, db, persons); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Printf("seeded %d persons (%d records) in %s\n", persons, persons*2+persons/10, time.Since(start).Round(time.Second))
		if keep {
			fmt.Printf("kept database %s: rerun with -db %s\n", name, name)
		}
	}
	_, token, err := reg.Add(ctx, clients.NewClient{Name: fmt.Sprintf("bench-%d", time.Now().UnixNano()), Scopes: []string{clients.ScopePrefill}})
	if err != nil {
		return err
	}
	var before int64
	db.QueryRowContext(ctx, `SELECT seq FROM audit_head`).Scan(&before)

	h := server.New(server.Options{State: st, National: nat,
		Access: server.Access{Forms: forms.Builtin(), Audit: log, Clients: reg}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := server.HTTPServer(ln.Addr().String(), h)
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}}
	fmt.Printf("warm-up: 5s at %d/s\n", rate)
	drive(client, base, token, formName, persons, rate, 5*time.Second)
	fmt.Printf("measuring: %s at %d/s against %s\n", duration, rate, base)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
	}
	res := drive(client, base, token, formName, persons, rate, duration)

	if profile != "" {
		pprof.StopCPUProfile()
	}
	var after int64
	db.QueryRowContext(ctx, `SELECT seq FROM audit_head`).Scan(&after)
	rep, verr := log.Verify(ctx)

	lat := res.latencies
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "persons\ttarget/s\tsent\tok\terrors\tachieved/s\tp50\tp90\tp99\tmax\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", persons, rate, res.sent, len(lat), res.errors,
		float64(len(lat))/res.elapsed.Seconds(), ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(1)))
	tw.Flush()
	for why, n := range res.why {
		fmt.Printf("errors: %d × %s\n", n, why)
	}
	fmt.Printf("audit entries written: %d (requests answered 200 in warm-up and measurement); chain verified: %d entries, err=%v\n",
		after-before, rep.Entries, verr)
	return nil
}

// profile is the -cpuprofile file.
var profile string

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

type result struct {
	sent, errors int
	// why counts the errors by status or error text.
	why       map[string]int
	latencies []time.Duration
	elapsed   time.Duration
}

// drive sends rate requests a second for d, each at its scheduled time, and
// returns the latency of each 200 answer, counted from that time.
func drive(client *http.Client, base, token, form string, persons, rate int, d time.Duration) result {
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		id := fmt.Sprintf("%012d", 1+rand.IntN(persons))
		url := fmt.Sprintf("%s/v1/prefill/%s?form=%s&purpose=benchmark&reference=HS-%d", base, id, form, i)
		res.sent++
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			ok := err == nil && resp.StatusCode == http.StatusOK
			why := ""
			if err != nil {
				why = err.Error()
			} else {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				why = resp.Status
			}
			lat := time.Since(at)
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				res.errors++
				if res.why == nil {
					res.why = map[string]int{}
				}
				res.why[why]++
				return
			}
			res.latencies = append(res.latencies, lat)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// seed writes the citizens with set-based statements: a person record and
// a current health insurance card each, and for one in ten an older card
// that was replaced (marked deleted), which must never fill a field.
func seed(ctx context.Context, db *database.DB, persons int) error {
	// The record's fields are national_records' typed columns; the content
	// hash only has to be 32 bytes here.
	const insert = `
WITH c AS (SELECT i, lpad(i::text, 12, '0') AS id, 'Nguyễn Văn ' || i AS name,
                  date '1950-01-01' + (i % 25000)::int AS born,
                  CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END AS sex, 'Xã ' || (i % 200) || ', tỉnh Hà Tĩnh' AS addr
           FROM generate_series($1::bigint, $2::bigint) AS i),
persons AS (
  INSERT INTO national_records (kind, natural_key, content_hash, department, source, stream, source_key,
      mapping_version, first_synced_at, last_synced_at, last_run_id,
      id_number, full_name, date_of_birth, sex, ethnicity, nationality, permanent_residence)
  SELECT 'person', id, sha256(convert_to(id, 'UTF8')), 'tu-phap', 'ho-tich', 'cong-dan', id, 'bench', now(), now(), 1,
         id, name, born::text, sex, 'Kinh', 'Việt Nam', addr
  FROM c),
cards AS (
  INSERT INTO national_records (kind, natural_key, content_hash, department, source, stream, source_key,
      mapping_version, first_synced_at, last_synced_at, last_run_id,
      card_number, id_number, full_name, date_of_birth, sex, initial_facility_name, valid_from, address, social_insurance_number)
  SELECT 'health_insurance_card', 'GD44' || lpad(i::text, 11, '0'), sha256(convert_to('GD44' || id, 'UTF8')),
         'bhxh', 'the-bhyt-api', 'the-bhyt', 'GD44' || lpad(i::text, 11, '0'), 'bench', now(), now(), 1,
         'GD44' || lpad(i::text, 11, '0'), id, name, born::text, sex, 'Trạm y tế xã ' || (i % 200), date '2025-01-01', addr,
         lpad(i::text, 10, '0')
  FROM c)
INSERT INTO national_records (kind, natural_key, content_hash, department, source, stream, source_key,
    mapping_version, first_synced_at, last_synced_at, last_run_id, deleted_at,
    card_number, id_number, full_name, valid_from)
SELECT 'health_insurance_card', 'GD40' || lpad(i::text, 11, '0'), sha256(convert_to('GD40' || id, 'UTF8')),
       'bhxh', 'the-bhyt-api', 'the-bhyt', 'GD40' || lpad(i::text, 11, '0'), 'bench', now(), now(), 1, now(),
       'GD40' || lpad(i::text, 11, '0'), id, name, date '2020-01-01'
FROM c WHERE i % 10 = 0`
	const chunk = 100000
	for lo := 1; lo <= persons; lo += chunk {
		hi := min(persons, lo+chunk-1)
		if _, err := db.ExecContext(ctx, insert, lo, hi); err != nil {
			return err
		}
	}
	_, err := db.ExecContext(ctx, `ANALYZE national_records`)
	return err
}
