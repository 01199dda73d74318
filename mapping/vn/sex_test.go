package vn

import "testing"

func TestSex(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		one, zero string
		want      string
	}{
		{"Nam", "Nam", "", "", "M"},
		{"Nữ", "Nữ", "", "", "F"},
		{"lowercase nam", "nam", "", "", "M"},
		{"unaccented nu", "nu", "", "", "F"},
		{"capital NỮ", "NỮ", "", "", "F"},
		{"decomposed nữ", "nu\u031b\u0303", "", "", "F"},
		{"M", "M", "", "", "M"},
		{"f lowercase", "f", "", "", "F"},
		{"male", "Male", "", "", "M"},
		{"female", "FEMALE", "", "", "F"},
		{"padded", " Nữ ", "", "", "F"},
		{"1 is male in this source", "1", "M", "F", "M"},
		{"1 is female in that source", "1", "F", "M", "F"},
		{"0 with Vietnamese mapping", "0", "Nữ", "Nam", "M"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sex(tt.in, tt.one, tt.zero)
			if err != nil || got != tt.want {
				t.Errorf("Sex(%q, %q, %q) = %q, %v; want %q", tt.in, tt.one, tt.zero, got, err, tt.want)
			}
		})
	}
}

func TestSexErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		one, zero string
		msg       string
	}{
		{"1 without a mapping", "1", "", "", "does not say what 1 means"},
		{"0 without zero", "0", "M", "", "does not say what 0 means"},
		{"mapping to a bad value", "1", "X", "F", `maps 1 to "X"`},
		{"empty", "", "M", "F", `sex ""`},
		{"ambiguous N", "N", "", "", `sex "N"`},
		{"unknown word", "khác", "", "", `sex "khác"`},
		{"digit 2", "2", "M", "F", `sex "2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sex(tt.in, tt.one, tt.zero)
			if err == nil {
				t.Fatalf("Sex(%q) = %q; want a %s error", tt.in, got, ReasonBadSex)
			}
			checkError(t, err, ReasonBadSex, tt.msg)
		})
	}
}
