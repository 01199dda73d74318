package file

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeCheckpoint(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		in   string
		want string // error substring; "" for success
	}{
		{"nil", "", ""},
		{"null", "null", ""},
		{"empty", "{}", ""},
		{"full", `{"read":[{"sha256":"` + sha + `","name":"a.csv","size":3,"mtime":"2024-05-01T00:00:00Z"}],` +
			`"horizon":"2024-04-01T00:00:00Z","reading":{"sha256":"` + sha + `","name":"b.csv","row":7}}`, ""},
		{"another connector's", `{"cursor":"2024-05-01","key":["1"]}`, `unknown field "cursor"`},
		{"short hash", `{"read":[{"sha256":"abc","name":"a.csv","size":3,"mtime":"2024-05-01T00:00:00Z"}]}`, "read[0] is not a file entry"},
		{"upper-case hash", `{"reading":{"sha256":"` + strings.ToUpper(sha) + `","name":"b.csv","row":1}}`, "reading is not a position"},
		{"negative row", `{"reading":{"sha256":"` + sha + `","name":"b.csv","row":-1}}`, "reading is not a position"},
		{"out of order", `{"read":[{"sha256":"` + sha + `","name":"b.csv","size":3,"mtime":"2024-05-02T00:00:00Z"},` +
			`{"sha256":"` + sha + `","name":"a.csv","size":3,"mtime":"2024-05-01T00:00:00Z"}]}`, "not in (mtime, name) order"},
		{"trailing data", `{} {}`, "data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeCheckpoint([]byte(tt.in))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "reset the stream's checkpoint") {
				t.Errorf("error = %v; want ErrCheckpoint with %q and what to do", err, tt.want)
			}
		})
	}
}

// Positions are the checkpoint with reading at the row, valid JSON that
// decodes back.
func TestRowPositions(t *testing.T) {
	sha := strings.Repeat("cd", 32)
	when := time.Date(2024, 5, 1, 10, 0, 0, 500, time.UTC)
	for _, cp := range []checkpoint{{}, {Read: []fileEntry{{SHA256: sha, Name: `a "quoted".csv`, Size: 1, MTime: when}}, Horizon: &when}} {
		pos := newRowPositions(cp, sha, "b.csv").at(12345)
		got, err := decodeCheckpoint(pos)
		if err != nil {
			t.Fatalf("%s: %v", pos, err)
		}
		want := cp
		want.Reading = &position{SHA256: sha, Name: "b.csv", Row: 12345}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if string(a) != string(b) {
			t.Errorf("position %s decodes to %s; want %s", pos, a, b)
		}
	}
}

func TestHistoryAdd(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2024, 5, 1, 0, m, 0, 0, time.UTC) }
	var cp checkpoint
	for _, m := range []int{5, 1, 3, 9, 7} {
		cp.add(fileEntry{SHA256: strings.Repeat("0", 63) + string(rune('0'+m)), Name: "f", MTime: at(m)}, 3)
	}
	var mins []int
	for _, e := range cp.Read {
		mins = append(mins, e.MTime.Minute())
	}
	if len(mins) != 3 || mins[0] != 5 || mins[1] != 7 || mins[2] != 9 {
		t.Errorf("history minutes %v; want the newest three in order", mins)
	}
	if cp.Horizon == nil || !cp.Horizon.Equal(at(3)) {
		t.Errorf("horizon %v; want the newest dropped, minute 3", cp.Horizon)
	}
	if !cp.known(strings.Repeat("0", 63)+"9") || cp.known(strings.Repeat("0", 63)+"1") {
		t.Errorf("known does not follow the history")
	}
}
