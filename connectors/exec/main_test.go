package exec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/exec"
)

// bin holds the test programs built from testdata by TestMain.
var bin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "lienthong-exec-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		build := osexec.Command("go", "build", "-o", dir+string(filepath.Separator), "./testdata/tap", "./testdata/misbehave")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build the test programs:", err)
			return 1
		}
		bin = dir
		return m.Run()
	}())
}

// logBuffer collects a source's log as JSON lines; os/exec writes stderr
// from its own goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// entries returns the log records, each as a map of its attributes.
func (b *logBuffer) entries(t testing.TB) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for dec.More() {
		var e map[string]any
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// source opens an exec source as the CLI does, with dir as the
// configuration's directory and a logger scoped to the source.
func source(t testing.TB, opts map[string]any, mod ...func(*connectors.Config)) (*exec.Source, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg := connectors.Config{Name: "hotich", Kind: "exec", DSN: "unused", Options: opts, Dir: bin,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("source", "hotich")}
	for _, f := range mod {
		f(&cfg)
	}
	src, err := connectors.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src.(*exec.Source), logs
}

// readAll reads a whole stream and returns its records and Final, or the
// records before the error and the error.
func readAll(t testing.TB, src connectors.Source, req connectors.ReadRequest) ([]connectors.Record, connectors.Checkpoint, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := src.Read(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	return connectors.ReadAll(ctx, r)
}

func keys(recs []connectors.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

func misbehave(args ...string) map[string]any {
	list := make([]any, len(args))
	for i, a := range args {
		list[i] = a
	}
	return map[string]any{"command": "./misbehave", "args": list}
}

var sStream = connectors.Stream{Name: "s", Table: "s", PrimaryKey: []string{"id"}}

// tapReport is what testdata/tap writes to TAP_REPORT.
type tapReport map[string]any

func report(t testing.TB, path string) tapReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the tap wrote no report: %v", err)
	}
	var r tapReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r tapReport) list(key string) []string {
	var out []string
	for _, v := range r[key].([]any) {
		out = append(out, v.(string))
	}
	return out
}

func (r tapReport) argv() []string { return r.list("argv") }
