package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/lienthong/lienthong/internal/bench"
)

// runBench measures lienthong against hand-written SQL on a PostgreSQL
// server (internal/bench). "lienthong bench child" is how the benchmark
// runs a profiled sync in its child process.
func runBench(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 && args[0] == "child" {
		return runBenchChild(ctx, args[1:], env)
	}
	fs := flag.NewFlagSet("lienthong bench", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dsn := fs.String("dsn", "", "postgres:// `URL` of the server to measure on; the benchmark creates and drops its own databases there")
	n := fs.Int64("n", 100000, "department `rows` to generate")
	seed := fs.Int64("seed", 1, "seed of the generated rows")
	batch := fs.Int("batch", 0, "lienthong's batch `size` (0: the default)")
	rounds := fs.Int("rounds", 1, "run every path this many times, interleaved, and report medians")
	jsonFile := fs.String("json", "", "also write the report as JSON to this `file`")
	profiles := fs.String("profile-dir", "", "write a CPU and an allocation profile of each lienthong child to this `dir`")
	baseline := fs.String("baseline", "", "also run lienthong's paths with this earlier lienthong `executable`, interleaved, for a before/after comparison")
	keep := fs.Bool("keep", false, "keep the databases and files it made, and print their names")
	groups := fs.String("paths", "", "run only these comma-separated groups of paths: "+strings.Join(bench.Groups, ", ")+" (default: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dsn == "" {
		*dsn = env.Getenv("LIENTHONG_BENCH_DSN")
	}
	if *dsn == "" {
		return usageError{errors.New("--dsn is required: a postgres:// URL of a server where the benchmark may create databases (or set LIENTHONG_BENCH_DSN)")}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the lienthong executable to run the syncs: %w", err)
	}
	// Interrupted, the benchmark stops its children and still drops the
	// databases it made.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *profiles != "" {
		if err := os.MkdirAll(*profiles, 0o755); err != nil {
			return err
		}
	}
	rep, err := bench.Run(ctx, bench.Options{DSN: *dsn, N: *n, Seed: *seed, Batch: *batch, Rounds: *rounds,
		Binary: self, ProfileDir: *profiles, Log: env.Stderr, Keep: *keep, Baseline: *baseline, Groups: splitList(*groups)})
	if err != nil {
		return err
	}
	if err := rep.WriteTable(env.Stdout); err != nil {
		return err
	}
	if *jsonFile != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonFile, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	return nil
}

// runBenchChild runs the lienthong command after "--" (or the remaining
// arguments) with CPU and allocation profiling.
func runBenchChild(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("lienthong bench child", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cpu := fs.String("cpuprofile", "", "write a CPU profile to this `file`")
	mem := fs.String("memprofile", "", "write an allocation profile to this `file`")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if code := Main(ctx, fs.Args(), env); code != 0 {
		return fmt.Errorf("lienthong %v exited %d", fs.Args(), code)
	}
	if *mem != "" {
		runtime.GC()
		f, err := os.Create(*mem)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	return nil
}
