package exec_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// TestStderrLogged checks that every stderr line reaches the source's log
// with the source and the stream, at the level it starts with, cut when
// too long, the last one even without a newline.
func TestStderrLogged(t *testing.T) {
	src, logs := source(t, misbehave("stderr"))
	if _, _, err := readAll(t, src, connectors.ReadRequest{Stream: sStream, Mode: connectors.FullRefresh}); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for _, e := range logs.entries(t) {
		if e["msg"] == "program stderr" {
			got[e["line"].(string)] = e
		}
	}
	long := strings.Repeat("dài ", 5000)
	tests := []struct {
		line  string
		level string
	}{
		{"INFO đang đọc sổ hộ tịch", "INFO"},
		{"WARNING thiếu ngày sinh", "WARN"},
		{"ERROR bản ghi hỏng", "ERROR"},
		// Cut at 4 KiB, on a character boundary.
		{long[:4096] + "… (cut, the line has " + strconv.Itoa(len(long)) + " bytes)", "INFO"},
		{"no newline at the end", "INFO"},
	}
	for _, tt := range tests {
		e, ok := got[tt.line]
		if !ok {
			var lines []string
			for l := range got {
				lines = append(lines, l[:min(len(l), 60)])
			}
			t.Errorf("stderr line %.60q was not logged; logged: %q", tt.line, lines)
			continue
		}
		if e["level"] != tt.level || e["source"] != "hotich" || e["stream"] != "s" {
			t.Errorf("line %.40q logged with level %v, source %v, stream %v; want %s, hotich, s", tt.line, e["level"], e["source"], e["stream"], tt.level)
		}
	}
	if len(got) != len(tests) {
		t.Errorf("logged %d stderr lines, want %d", len(got), len(tests))
	}
}
