package file

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// old is how long ago test files were modified unless a test says
// otherwise: well past the default min_age.
const old = time.Hour

// openSource opens a file source on dir with options.
func openSource(t testing.TB, dir string, opts map[string]any) *Source {
	t.Helper()
	if opts == nil {
		opts = map[string]any{}
	}
	opts["dir"] = dir
	src, err := Open(context.Background(), connectors.Config{Name: "test", Kind: "file", Options: opts})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return src
}

// drop writes a file as a department would, modified age ago.
func drop(t testing.TB, dir, name string, content []byte, age time.Duration) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	setAge(t, path, age)
	return path
}

func setAge(t testing.TB, path string, age time.Duration) {
	t.Helper()
	when := time.Now().Add(-age)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}

// iconv converts UTF-8 text to a legacy encoding with the system's iconv,
// the way a department's old software would have written it.
func iconv(t testing.TB, to, text string) []byte {
	t.Helper()
	if _, err := exec.LookPath("iconv"); err != nil {
		t.Skip("iconv is not installed")
	}
	cmd := exec.Command("iconv", "-f", "UTF-8", "-t", to)
	cmd.Stdin = bytes.NewReader([]byte(text))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("iconv -t %s: %v", to, err)
	}
	return out
}

func stream(table string, keys ...string) connectors.Stream {
	return connectors.Stream{Name: "s", Table: table, PrimaryKey: keys}
}

// readAll reads a stream to its end and returns the records and the final
// checkpoint.
func readAll(t testing.TB, src *Source, st connectors.Stream, mode connectors.Mode, from connectors.Checkpoint) ([]connectors.Record, connectors.Checkpoint) {
	t.Helper()
	recs, final, err := tryReadAll(src, st, mode, from)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return recs, final
}

func tryReadAll(src *Source, st connectors.Stream, mode connectors.Mode, from connectors.Checkpoint) ([]connectors.Record, connectors.Checkpoint, error) {
	ctx := context.Background()
	r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: mode, From: from})
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

// good returns the records without a problem.
func good(recs []connectors.Record) []connectors.Record {
	var out []connectors.Record
	for _, r := range recs {
		if r.Problem == nil {
			out = append(out, r)
		}
	}
	return out
}

func problems(recs []connectors.Record) []connectors.Record {
	var out []connectors.Record
	for _, r := range recs {
		if r.Problem != nil {
			out = append(out, r)
		}
	}
	return out
}
