package exec_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

func tapOptions(config map[string]any) map[string]any {
	return map[string]any{"command": "./tap", "config": config, "config_secret_key": "password"}
}

var (
	births = connectors.Stream{Name: "khai-sinh", Table: "khai_sinh"}
	events = connectors.Stream{Name: "ho-tich", Table: "ho_tich"}
)

// TestReadTwoStreams reads each of a tap's two interleaved streams and
// checks that only its records come back, with keys, values and Final.
func TestReadTwoStreams(t *testing.T) {
	src, logs := source(t, tapOptions(map[string]any{"births": 7, "events": 3, "state_every": 2}))
	tests := []struct {
		name     string
		stream   connectors.Stream
		keys     []string
		ignored  string
		checkRec func(t *testing.T, r connectors.Record)
	}{
		{"births, key from SCHEMA", births,
			[]string{"KS-0001", "KS-0002", "KS-0003", "KS-0004", "KS-0005", "KS-0006", "KS-0007"}, "ho_tich=3",
			func(t *testing.T, r connectors.Record) {
				if r.Key != "KS-0001" {
					return
				}
				want := map[string]any{
					"so_dang_ky": "KS-0001",
					"ho_ten":     "Nguyễn Thị Ánh Tuyết 1",
					"ngay_sinh":  time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
					"noi_sinh":   "Xã Cẩm Xuyên, Hà Tĩnh",
					"can_nang":   3.25,
					"so_cccd":    int64(38200000001),
					"cha_me":     `{"me":"Trần Thị Ơn"}`,
					"ghi_chu":    nil,
				}
				for k, v := range want {
					if got := r.Fields[k]; got != v {
						t.Errorf("field %s = %#v (%T), want %#v (%T)", k, got, got, v, v)
					}
				}
				if got, ok := r.Fields["cap_nhat"].(time.Time); !ok || !got.Equal(time.Date(2024, 1, 2, 7, 0, 0, 0, time.UTC)) {
					t.Errorf("cap_nhat = %#v, want the date-time as a time.Time", r.Fields["cap_nhat"])
				}
			}},
		{"events, composite key joined by |", events,
			[]string{"kết hôn|1", "kết hôn|2", "kết hôn|3"}, "khai_sinh=7",
			func(t *testing.T, r connectors.Record) {
				if r.Fields["ghi_chu"] != "Đăng ký lần đầu" {
					t.Errorf("ghi_chu = %q, Vietnamese text did not round-trip", r.Fields["ghi_chu"])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, final, err := readAll(t, src, connectors.ReadRequest{Stream: tt.stream, Mode: connectors.FullRefresh})
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(recs); !slices.Equal(got, tt.keys) {
				t.Fatalf("keys = %q, want %q", got, tt.keys)
			}
			for _, r := range recs {
				tt.checkRec(t, r)
			}
			if want := `{"bookmarks":{"ho_tich":3,"khai_sinh":7}}`; string(final) != want {
				t.Errorf("Final = %s, want the last STATE %s", final, want)
			}
			if !strings.Contains(logs.String(), `"ignored_streams":"`+tt.ignored+`"`) {
				t.Errorf("no log line counts the ignored records as %s:\n%s", tt.ignored, logs)
			}
		})
	}
}

// TestPositions checks that each record's Position is the last STATE
// written before it, and the incoming checkpoint before the first STATE.
func TestPositions(t *testing.T) {
	src, _ := source(t, tapOptions(map[string]any{"births": 4, "events": 2, "state_every": 3}))
	// Written: b1 e1 b2 STATE{2,1} e2 b3 b4 STATE{4,2} (sent counts both streams), then the final STATE.
	recs, _, err := readAll(t, src, connectors.ReadRequest{Stream: births, Mode: connectors.Incremental})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "", `{"bookmarks":{"ho_tich":1,"khai_sinh":2}}`, `{"bookmarks":{"ho_tich":1,"khai_sinh":2}}`}
	for i, r := range recs {
		if string(r.Position) != want[i] {
			t.Errorf("record %s: Position = %s, want %s", r.Key, r.Position, want[i])
		}
	}
}

// TestResume crashes a first run after some records, resumes from the
// Position of each record the engine could have committed last, and
// checks that together the runs deliver every record, replaying only
// those after the last STATE.
func TestResume(t *testing.T) {
	const all = 10
	crash := tapOptions(map[string]any{"births": all, "events": 4, "state_every": 3, "fail_after": 7})
	first, _ := source(t, crash)
	// Written before the crash: b1 e1 b2 STATE{2,1} e2 b3 e3 STATE{3,3} b4, exit 3.
	partial, _, err := readAll(t, first, connectors.ReadRequest{Stream: births, Mode: connectors.Incremental})
	if err == nil || !strings.Contains(err.Error(), "exited with code 3") {
		t.Fatalf("first run: err = %v, want the crash's exit code 3", err)
	}
	if got := keys(partial); !slices.Equal(got, []string{"KS-0001", "KS-0002", "KS-0003", "KS-0004"}) {
		t.Fatalf("first run handed out %q before failing", got)
	}
	next, _ := source(t, tapOptions(map[string]any{"births": all, "events": 4, "state_every": 3}))
	for committed := 0; committed <= len(partial); committed++ {
		t.Run(fmt.Sprintf("committed %d", committed), func(t *testing.T) {
			var from connectors.Checkpoint
			if committed > 0 {
				from = partial[committed-1].Position
			}
			rest, final, err := readAll(t, next, connectors.ReadRequest{Stream: births, Mode: connectors.Incremental, From: from})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, k := range append(keys(partial[:committed]), keys(rest)...) {
				got[k]++
			}
			for i := 1; i <= all; i++ {
				if got[fmt.Sprintf("KS-%04d", i)] == 0 {
					t.Errorf("KS-%04d was never delivered (first run %q, second %q)", i, keys(partial[:committed]), keys(rest))
				}
			}
			// The replay starts right after the record the STATE covers.
			var state struct{ Bookmarks map[string]int }
			if from != nil {
				if err := json.Unmarshal(from, &state); err != nil {
					t.Fatal(err)
				}
			}
			if want := fmt.Sprintf("KS-%04d", state.Bookmarks["khai_sinh"]+1); len(rest) == 0 || rest[0].Key != want {
				t.Errorf("resumed from %s at %q, want %s", from, keys(rest), want)
			}
			if want := `{"bookmarks":{"ho_tich":4,"khai_sinh":10}}`; string(final) != want {
				t.Errorf("Final = %s, want %s", final, want)
			}
			again, final2, err := readAll(t, next, connectors.ReadRequest{Stream: births, Mode: connectors.Incremental, From: final})
			if err != nil || len(again) != 0 || string(final2) != string(final) {
				t.Errorf("a read from Final gave %q, Final %s, err %v; want nothing new and the same Final", keys(again), final2, err)
			}
		})
	}
}

// TestNoState checks that a read without checkpoint passes no --state, and
// one with a checkpoint passes it in a file the program can read.
func TestNoState(t *testing.T) {
	tests := []struct {
		name  string
		from  connectors.Checkpoint
		mode  connectors.Mode
		state string
	}{
		{"full refresh from the start", nil, connectors.FullRefresh, ""},
		{"null checkpoint", connectors.Checkpoint("null"), connectors.Incremental, ""},
		{"incremental with a checkpoint", connectors.Checkpoint(`{"bookmarks":{"khai_sinh":1}}`), connectors.Incremental, `{"bookmarks":{"khai_sinh":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "report.json")
			opts := tapOptions(map[string]any{"births": 2, "events": 0, "state_every": 5})
			opts["env"] = map[string]any{"TAP_REPORT": rep}
			src, _ := source(t, opts)
			if _, _, err := readAll(t, src, connectors.ReadRequest{Stream: births, Mode: tt.mode, From: tt.from}); err != nil {
				t.Fatal(err)
			}
			r := report(t, rep)
			if r["state"] != tt.state || slices.Contains(r.argv(), "--state") != (tt.state != "") {
				t.Errorf("program got state %q, argv %q; want state %q", r["state"], r.argv(), tt.state)
			}
			if r["mode"] != string(tt.mode) || r["stream"] != "khai_sinh" {
				t.Errorf("LIENTHONG_MODE=%v LIENTHONG_STREAM=%v, want %s and khai_sinh", r["mode"], r["stream"], tt.mode)
			}
		})
	}
}
