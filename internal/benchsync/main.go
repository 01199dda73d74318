// Command benchsync measures lienthong end to end on the machine's
// PostgreSQL: it creates a department table of -rows civil-status rows,
// syncs it into a fresh national store (first sync), syncs again with nothing
// changed (second sync), and prints a table. Run it with
//
//	go run ./internal/benchsync -rows 1000000
//
// It creates and drops its own databases.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	_ "github.com/lib/pq"

	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/fixture"
)

func main() {
	rows := flag.Int("rows", 1000000, "rows in the department table")
	batch := flag.Int("batch", 5000, "batch size")
	page := flag.Int("page", 10000, "page size")
	admin := flag.String("pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server to use")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this `file`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchsync:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*admin, *rows, *batch, *page); err != nil {
		fmt.Fprintln(os.Stderr, "benchsync:", err)
		os.Exit(1)
	}
}

func run(adminDSN string, rows, batch, page int) error {
	admin, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return err
	}
	defer admin.Close()
	suffix := fmt.Sprint(time.Now().UnixNano())
	dsns := map[string]string{}
	for _, name := range []string{"src", "nat"} {
		db := "lt_bench_" + name + "_" + suffix
		if _, err := admin.Exec("CREATE DATABASE " + db); err != nil {
			return err
		}
		defer admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)")
		dsns[name] = strings.Replace(adminDSN, "/test?", "/"+db+"?", 1)
	}
	src, err := sql.Open("postgres", dsns["src"])
	if err != nil {
		return err
	}
	defer src.Close()
	start := time.Now()
	if err := fixture.CreateKhaiSinh(src); err != nil {
		return err
	}
	if err := fixture.SeedKhaiSinh(src, 1, rows, 1); err != nil {
		return err
	}
	if _, err := src.Exec("ANALYZE khai_sinh"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d rows in %.1fs\n", rows, time.Since(start).Seconds())

	dir, err := os.MkdirTemp("", "lienthong-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	body, _ := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	os.MkdirAll(filepath.Join(dir, "mappings"), 0o755)
	os.WriteFile(filepath.Join(dir, "mappings", "khai-sinh.yaml"), body, 0o644)
	cfg := fmt.Sprintf(`national: {dsn_env: NAT}
batch: {size: %d, period: 5s}
departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: postgres
        dsn_env: SRC
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: mappings/khai-sinh.yaml
            page_size: %d
`, batch, page)
	path := filepath.Join(dir, "lienthong.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return err
	}
	env := cli.Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		return map[string]string{"NAT": dsns["nat"], "SRC": dsns["src"]}[k]
	}}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "sync\trows\tread\tseconds\trows/s\t")
	for _, step := range []struct {
		name string
		args []string
	}{
		{"first (empty national store)", []string{"sync", "--config", path}},
		{"second (nothing changed)", []string{"sync", "--config", path}},
		{"full refresh (nothing changed)", []string{"sync", "--config", path, "--full-refresh"}},
	} {
		out := &bytes.Buffer{}
		env.Stdout = out
		t0 := time.Now()
		if code := cli.Main(context.Background(), append(step.args, "--json"), env); code != 0 {
			return fmt.Errorf("%s: exit %d: %s", step.name, code, env.Stderr)
		}
		secs := time.Since(t0).Seconds()
		read := readCount(out.String())
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.0f\t\n", step.name, rows, read, secs, float64(read)/secs)
	}
	tw.Flush()
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM") {
				fmt.Println("peak resident memory:", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
			}
		}
	}
	return nil
}

func readCount(js string) int64 {
	var n int64
	if i := strings.Index(js, `"read": `); i >= 0 {
		fmt.Sscan(js[i+len(`"read": `):], &n)
	}
	return n
}
