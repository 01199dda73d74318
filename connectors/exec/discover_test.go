package exec_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/exec"
)

// TestDiscover reads the tap's catalog.
func TestDiscover(t *testing.T) {
	rep := filepath.Join(t.TempDir(), "report.json")
	src, _ := source(t, map[string]any{"command": "./tap", "discover": true, "config_secret_key": "password",
		"env": map[string]any{"TAP_REPORT": rep}}, withSecret)
	infos, err := src.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.StreamInfo{
		{Name: "ho_tich", SuggestedKey: []string{"loai", "so"}, SuggestedCursor: "so", Columns: []connectors.Column{
			{Name: "loai", Type: "string"}, {Name: "so", Type: "integer"}}},
		{Name: "khai_sinh", SuggestedKey: []string{"so_dang_ky"}, SuggestedCursor: "cap_nhat", Columns: []connectors.Column{
			{Name: "so_dang_ky", Type: "string"},
			{Name: "ho_ten", Type: "string"},
			{Name: "ngay_sinh", Type: "string/date", Nullable: true},
			{Name: "cap_nhat", Type: "string/date-time", Nullable: true},
			{Name: "noi_sinh", Type: "string"},
			{Name: "can_nang", Type: "number"},
			{Name: "so_cccd", Type: "integer"},
			{Name: "cha_me", Type: "object"},
			{Name: "ghi_chu", Type: "string", Nullable: true},
		}},
	}
	if !reflect.DeepEqual(infos, want) {
		t.Errorf("Discover =\n%+v\nwant\n%+v", infos, want)
	}
	r := report(t, rep)
	if argv := r.argv(); !slices.Contains(argv, "--discover") || !slices.Contains(argv, "--config") || r["discover"] != true {
		t.Errorf("the program ran as %q, want --config FILE --discover", argv)
	}
}

// TestCheck checks a stream with and without discovery.
func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		opts     map[string]any
		stream   connectors.Stream
		want     string // "" when the check passes
		sentinel error
	}{
		{"read: stream found", map[string]any{"command": "./tap"}, events, "", nil},
		{"read: stream missing", map[string]any{"command": "./tap"}, connectors.Stream{Name: "x", Table: "deaths"}, `without a SCHEMA or RECORD of stream "deaths"; it wrote streams ho_tich, khai_sinh`, exec.ErrInvalidStream},
		{"read: program fails", misbehave("bogus"), sStream, "exited with code 2; its last stderr lines:\n  unknown scenario bogus", nil},
		{"read: first record lacks the key", misbehave("malformed", "not-json"), connectors.Stream{Name: "s", Table: "s", PrimaryKey: []string{"nope"}}, `stdout line 1: its record has no key property "nope"`, exec.ErrMalformedOutput},
		{"read: stops at the first record", misbehave("hang", filepath.Join(t.TempDir(), "pids")), sStream, "", nil},
		{"read: only other streams", misbehave("nostream"), sStream, `it wrote streams other`, exec.ErrInvalidStream},
		{"discover: stream found", map[string]any{"command": "./tap", "discover": true}, births, "", nil},
		{"discover: stream missing", map[string]any{"command": "./tap", "discover": true}, connectors.Stream{Name: "x", Table: "deaths"}, `catalog has no stream "deaths"; it has streams ho_tich, khai_sinh`, exec.ErrInvalidStream},
		{"discover: not a catalog", map[string]any{"command": "./misbehave", "args": []any{"flood", "2"}, "discover": true}, sStream, "did not print a Singer catalog", exec.ErrMalformedOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := source(t, tt.opts)
			err := src.Check(t.Context(), tt.stream)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "check stream ") {
				t.Fatalf("Check: err = %v\nwant %q", err, tt.want)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("err = %v, want %v", err, tt.sentinel)
			}
		})
	}
}

// TestDiscoverOff checks that Discover says how to turn discovery on.
func TestDiscoverOff(t *testing.T) {
	src, _ := source(t, map[string]any{"command": "./tap"})
	_, err := src.Discover(t.Context())
	if !errors.Is(err, exec.ErrNoDiscovery) || !strings.Contains(err.Error(), "discover: true") {
		t.Fatalf("err = %v, want ErrNoDiscovery saying to set discover: true", err)
	}
}

// TestColumns lists a stream's columns from the catalog, in the program's
// order, when the program discovers; without discovery it can not tell.
func TestColumns(t *testing.T) {
	src, _ := source(t, map[string]any{"command": "./tap", "discover": true})
	cols, ok, err := src.Columns(t.Context(), births)
	if err != nil || !ok {
		t.Fatalf("columns %q, ok %v, err %v", cols, ok, err)
	}
	want := []string{"so_dang_ky", "ho_ten", "ngay_sinh", "cap_nhat", "noi_sinh", "can_nang", "so_cccd", "cha_me", "ghi_chu"}
	if !slices.Equal(cols, want) {
		t.Errorf("columns %q, want %q", cols, want)
	}
	_, _, err = src.Columns(t.Context(), connectors.Stream{Name: "x", Table: "deaths"})
	if !errors.Is(err, exec.ErrInvalidStream) || !strings.Contains(err.Error(), `catalog has no stream "deaths"`) {
		t.Errorf("missing stream: err = %v", err)
	}
	off, _ := source(t, map[string]any{"command": "./tap"})
	if cols, ok, err := off.Columns(t.Context(), births); ok || err != nil {
		t.Errorf("without discovery: columns %q, ok %v, err %v; want not ok", cols, ok, err)
	}
}
