package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// logLines parses stderr as JSON log lines; every line must be one.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "lienthong sync: ") {
			continue // the command's final error, for the operator
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line is not JSON (%v): %q", err, l)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestLogFlags: --log-format json writes one JSON object a line, before
// the command or among its flags; --log-level drops the lines below it; a
// failed run's "run ended" line is at level ERROR with its error.
func TestLogFlags(t *testing.T) {
	cfg := sqliteDepartment(t, 30, func(id int) bool { return id%10 == 0 }, `          - name: mat-tich
            table: khong_co
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: mappings/khai-sinh.yaml
`)
	code, _, stderr := run(t, "--log-format", "json", "sync", "--config", cfg)
	if code != 1 {
		t.Fatalf("sync with a missing table: exit %d\n%s", code, stderr)
	}
	ended := map[string]map[string]any{}
	for _, l := range logLines(t, stderr) {
		if l["msg"] == "run ended" {
			ended[l["stream"].(string)] = l
		}
	}
	ok, failed := ended["tu-phap/ho-tich/khai-sinh"], ended["tu-phap/ho-tich/mat-tich"]
	if ok == nil || ok["level"] != "INFO" || ok["status"] != "succeeded" || ok["read"] != 30.0 || ok["error"] != nil {
		t.Errorf("succeeded run's line: %v\n%s", ok, stderr)
	}
	if failed == nil || failed["level"] != "ERROR" || failed["status"] != "failed" || !strings.Contains(failed["error"].(string), "khong_co") {
		t.Errorf("failed run's line: %v\n%s", failed, stderr)
	}

	code, _, stderr = run(t, "sync", "--config", cfg, "--log-format=json", "--log-level", "error")
	lines := logLines(t, stderr)
	if code != 1 || len(lines) == 0 {
		t.Fatalf("sync --log-level error: exit %d\n%s", code, stderr)
	}
	for _, l := range lines {
		if l["level"] != "ERROR" {
			t.Errorf("--log-level error let through: %v", l)
		}
	}

	code, _, stderr = run(t, "sync", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, `level=ERROR msg="run ended"`) || !strings.Contains(stderr, `level=INFO msg="run started"`) {
		t.Errorf("text logs by default: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{"--log-format", "xml", "runs", "--config", cfg}, {"runs", "--config", cfg, "--log-level", "loud"}} {
		if code, _, stderr := run(t, args...); code != 2 || !strings.Contains(stderr, "log") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}

// TestLogFlagsBeforeSource: a log flag's value is not taken for the source
// that check and discover name.
func TestLogFlagsBeforeSource(t *testing.T) {
	cfg := sqliteDepartment(t, 3, func(int) bool { return false }, "")
	code, out, stderr := run(t, "discover", "--log-level", "warn", "ho-tich", "--config", cfg, "--json")
	if code != 0 || !strings.Contains(out, "khai_sinh") {
		t.Fatalf("discover --log-level warn ho-tich: exit %d\n%s\n%s", code, out, stderr)
	}
}
