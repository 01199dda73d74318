package exec_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/exec"
)

// TestExitCode checks that a non-zero exit fails the read after the
// records written before it, with the code and the last stderr lines.
func TestExitCode(t *testing.T) {
	src, _ := source(t, misbehave("exit", "7"))
	recs, _, err := readAll(t, src, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh})
	if len(recs) != 1 {
		t.Errorf("got %d records before the failure, want 1", len(recs))
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("err = %v, want an *exec.ExitError", err)
	}
	if exit.Code != 7 {
		t.Errorf("exit code = %d, want 7", exit.Code)
	}
	// 15 INFO lines, a traceback header and its last line: the last 10.
	want := []string{"INFO step 8", "INFO step 15", "Traceback (most recent call last):", "psycopg2.OperationalError: không kết nối được máy chủ"}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not quote stderr line %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "INFO step 7\n") || len(exit.Stderr) != 10 {
		t.Errorf("error quotes %d stderr lines, want the last 10:\n%s", len(exit.Stderr), msg)
	}
	if !strings.Contains(msg, "exited with code 7") {
		t.Errorf("error does not say the exit code: %s", msg)
	}
}

// TestKill hangs a program that started a child, and checks that a
// timeout, a cancelled context and an early Close each kill both.
func TestKill(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		stop    func(cancel context.CancelFunc, r connectors.Reader)
		want    error
		message string
	}{
		{"timeout", 500 * time.Millisecond, nil, context.DeadlineExceeded, "did not finish within 500ms"},
		{"context cancelled", time.Hour, func(cancel context.CancelFunc, _ connectors.Reader) { cancel() }, context.Canceled, "stopped"},
		{"reader closed", time.Hour, func(_ context.CancelFunc, r connectors.Reader) { r.Close() }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pids")
			src, _ := source(t, misbehave("hang", pidFile), func(c *connectors.Config) { c.Timeout = tt.timeout })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r, err := src.Read(ctx, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := r.Next(ctx); err != nil {
				t.Fatalf("first record: %v", err)
			}
			pids := readPids(t, pidFile)
			for _, pid := range pids {
				if !alive(pid) {
					t.Fatalf("process %d is not running before the stop", pid)
				}
			}
			start := time.Now()
			if tt.stop != nil {
				tt.stop(cancel, r)
			}
			if tt.want != nil {
				_, err = r.Next(context.Background())
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.message) {
					t.Errorf("Next after the stop: err = %v, want %v saying %q", err, tt.want, tt.message)
				}
			}
			r.Close()
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("stopping took %s", d)
			}
			for _, pid := range pids {
				waitDead(t, pid)
			}
		})
	}
}

func readPids(t *testing.T, path string) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if fields := strings.Fields(string(b)); err == nil && len(fields) == 2 {
			var pids []int
			for _, f := range fields {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatal(err)
				}
				pids = append(pids, pid)
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program wrote no pids to %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive says whether a process exists and is not a zombie (a killed
// grandchild is reaped by init, which may take a moment).
func alive(pid int) bool {
	if runtime.GOOS == "linux" {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		// pid (comm) STATE ...
		s := string(b)
		return !strings.HasPrefix(strings.TrimSpace(s[strings.LastIndexByte(s, ')')+1:]), "Z")
	}
	return syscall.Kill(pid, 0) == nil
}

func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d still runs after the read stopped", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMalformed checks that each kind of bad stdout line fails the run,
// naming line 3, what is wrong and the line's start, after the two good
// records before it.
func TestMalformed(t *testing.T) {
	tests := []struct {
		kind string
		want string
	}{
		{"not-json", `is not a JSON object; the line starts "this is not JSON"`},
		{"broken-json", "is not valid JSON"},
		{"json-array", "is not a JSON object"},
		{"two-values", "holds more than one JSON value"},
		{"no-type", `has no "type"`},
		{"unknown-type", `type "RECORDS" is not a Singer message type`},
		{"no-record", `RECORD message has no "record" object`},
		{"array-record", `RECORD message has no "record" object`},
		{"other-no-rec", `RECORD message has no "record" object`},
		{"no-stream", `RECORD message has no "stream"`},
		{"missing-key", `has no key property "id"`},
		{"null-key", `key property "id" is null`},
		{"object-key", `key property "id" is an object or a list`},
		{"state-no-val", `STATE message has no "value"`},
		{"batch", "BATCH messages are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			src, _ := source(t, misbehave("malformed", tt.kind))
			recs, _, err := readAll(t, src, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh})
			if !errors.Is(err, exec.ErrMalformedOutput) {
				t.Fatalf("err = %v, want ErrMalformedOutput", err)
			}
			if !strings.Contains(err.Error(), "stdout line 3: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to name line 3 and say %q", err, tt.want)
			}
			if got := keys(recs); len(got) != 2 {
				t.Errorf("records before the bad line = %q, want 2", got)
			}
		})
	}
}

// TestLongLine checks max_line_bytes: a line at the limit is read, a
// longer one fails the run clearly, also past the default 16 MiB.
func TestLongLine(t *testing.T) {
	tests := []struct {
		name  string
		bytes int
		max   any
		fail  string
	}{
		{"at the limit", 100_000, 100_000, ""},
		{"one byte over", 100_001, 100_000, "longer than max_line_bytes (100000 bytes)"},
		{"under the default", 1 << 20, nil, ""},
		{"over the default", 16<<20 + 1, nil, "longer than max_line_bytes (16777216 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := misbehave("huge", strconv.Itoa(tt.bytes))
			if tt.max != nil {
				opts["max_line_bytes"] = tt.max
			}
			src, _ := source(t, opts)
			recs, _, err := readAll(t, src, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh})
			if tt.fail == "" {
				if err != nil || len(recs) != 2 || len(recs[0].Fields["blob"].(string)) != tt.bytes-len(`{"type":"RECORD","stream":"s","record":{"id":1,"blob":""}}`) {
					t.Fatalf("got %d records, err %v; want both, the long one whole", len(recs), err)
				}
				return
			}
			if !errors.Is(err, exec.ErrMalformedOutput) || !strings.Contains(err.Error(), "stdout line 1: ") ||
				!strings.Contains(err.Error(), tt.fail) || !strings.Contains(err.Error(), `starts "{\"type\":\"RECORD\"`) {
				t.Fatalf("err = %v, want line 1 %s", err, tt.fail)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("the error quotes %d bytes of the line", len(err.Error()))
			}
		})
	}
}

// TestInvalidStream checks streams the connector can not read.
func TestInvalidStream(t *testing.T) {
	tests := []struct {
		name   string
		opts   map[string]any
		stream connectors.Stream
		want   string
	}{
		{"query", misbehave("flood", "1"), connectors.Stream{Name: "s", Query: "SELECT 1", PrimaryKey: []string{"id"}}, "set table to the Singer stream name"},
		{"no key anywhere", misbehave("flood", "1"), connectors.Stream{Name: "s", Table: "s"}, `stream "s" has no primary key`},
		{"configured key not in the records", tapOptions(map[string]any{"births": 1}), connectors.Stream{Name: "khai-sinh", Table: "khai_sinh", PrimaryKey: []string{"ma"}}, `no key property "ma" (the stream's key is ma, from the configuration)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := source(t, tt.opts)
			_, _, err := readAll(t, src, connectors.ReadRequest{Stream: tt.stream, Mode: connectors.FullRefresh})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
