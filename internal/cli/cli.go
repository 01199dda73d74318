// Package cli is the lienthong command line: it parses arguments, wires the
// configuration, stores, connectors and engine together, and prints reports.
//
// It must not hold sync logic of its own: everything it does is a call into
// the packages it wires.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Version is the lienthong version, set at build time with
// -ldflags "-X github.com/lienthong/lienthong/internal/cli.Version=...".
var Version = "dev"

const usage = `lienthong syncs department records into the national database.

Usage:
  lienthong <command> [flags]

Commands:
  migrate     apply pending migrations to the national and state stores
  sync        sync streams: lienthong sync [--stream NAME] [--full-refresh [--allow-empty] [--allow-deletions]] [--metrics-file F]
  serve       run the streams on their schedules, with health, metrics and the API over HTTP:
              lienthong serve [--listen ADDR] [--log-format json|text]   (any number of replicas)
  runs        show the run ledger: lienthong runs [--stream NAME] [--limit N] [--json]
  rejects     list rejected records: lienthong rejects [--stream NAME] [--reason CODE] [--limit N] [--json]
              re-process them through the current mappings: lienthong rejects retry [--stream NAME] [--reason CODE]
  purge       apply the retention now (each sync does when it ends): lienthong purge [--stream NAME] [--json]
  check       check a source can be read: lienthong check SOURCE [--json]
  discover    list a source's streams, columns, suggested keys: lienthong discover SOURCE [--json]
  mapping     test a mapping on sample records, no database needed:
              lienthong mapping test --mapping FILE --input SAMPLE.csv|.jsonl [--json]
              lienthong mapping test --stream NAME [--limit N]   (the stream's first records, live)
  clients     the API's portal clients: lienthong clients add --name N --scope prefill[,audit:subject] [--forms F,G] [--expires D]
              (prints the token once); lienthong clients list; lienthong clients revoke NAME
  apply       write a configuration file's departments, sources, streams and mappings into the registry:
              lienthong apply -f FILE [--dry-run] [--json]   (sync, serve and the other commands apply --config first)
  keys        the keys that seal registered secrets: lienthong keys generate (prints a key line);
              lienthong keys rotate (re-seals every secret under the first key of $LIENTHONG_SECRET_KEYS[_FILE])
  audit       lienthong audit verify: walk the pre-fill audit chain, name the first broken entry
  bench       time a first load, a full refresh, an incremental run and a CSV drop against reference SQL:
              lienthong bench --dsn postgres://... [-n 1000000] [--seed 1] [--json FILE]   (docs/PERFORMANCE.md)
  demo        sync a generated Hà Tĩnh civil-status database into an embedded store
              (--serve: then serve the pre-filled online forms and print their address)
  version     print the version (also: lienthong --version)

Every command but demo and version reads the configuration from --config
(default: $LIENTHONG_CONFIG, else ./lienthong.yaml).

Log flags, before the command or among its flags:
  --log-format text|json   key=value lines (default) or one JSON object a line
  --log-level LEVEL        debug, info (default), warn or error

On a terminal, sync and rejects retry show each stream's progress on
standard error (records read, rate, elapsed; total and time left when the
source can estimate it); into a file or a pipe they do not.
`

// Env is what a command may touch besides its arguments.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	con := newConsole(env.Stderr)
	env.Stderr = con
	// Flags before the command: the log settings, and --version.
	global := flag.NewFlagSet("lienthong", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	con.logFlags(global)
	version := global.Bool("version", false, "print the version")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return 0
		}
		fmt.Fprintf(env.Stderr, "lienthong: %v\n\n%s", err, usage)
		return 2
	}
	args = global.Args()
	if *version {
		args = []string{"version"}
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	if args[0] == "help" {
		fmt.Fprint(env.Stdout, usage)
		return 0
	}
	cmd, rest := args[0], args[1:]
	commands := map[string]func(context.Context, []string, Env) error{
		"migrate":  runMigrate,
		"sync":     runSync,
		"serve":    runServe,
		"runs":     runRuns,
		"rejects":  runRejects,
		"demo":     runDemo,
		"check":    runCheck,
		"mapping":  runMapping,
		"discover": runDiscover,
		"purge":    runPurge,
		"clients":  runClients,
		"audit":    runAudit,
		"apply":    runApply,
		"keys":     runKeys,
		"bench":    runBench,
		"version":  func(context.Context, []string, Env) error { fmt.Fprintln(env.Stdout, "lienthong", Version); return nil },
	}
	fn, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(env.Stderr, "lienthong: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err := fn(ctx, rest, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errInterrupted) {
			fmt.Fprintf(env.Stderr, "lienthong %s: %v\n", cmd, err)
			return 130
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(env.Stderr, "lienthong %s: %v\n", cmd, err)
			return 2
		}
		fmt.Fprintf(env.Stderr, "lienthong %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// errInterrupted ends a command stopped by SIGINT or SIGTERM; the exit code
// is 130, as shells report an interrupted program.
var errInterrupted = errors.New("interrupted; the runs committed what they had read, and the next sync resumes from there")

// usageError is a mistake in the command line itself.
type usageError struct{ error }

// flags returns a flag set for a command with the shared --config flag.
func flags(name string, env Env) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("lienthong "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	def := env.Getenv("LIENTHONG_CONFIG")
	if def == "" {
		def = "lienthong.yaml"
	}
	cfg := fs.String("config", def, "configuration `file`")
	if c, ok := env.Stderr.(*console); ok {
		c.logFlags(fs)
	}
	return fs, cfg
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", strings.Join(fs.Args(), " "))}
	}
	return nil
}
