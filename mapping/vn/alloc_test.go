package vn

import (
	"testing"
	"time"
)

// TestCleanValuesDoNotAllocate holds the package to its promise: the
// normalisers run on every field of every record, and a value that is
// already clean costs no garbage.
func TestCleanValuesDoNotAllocate(t *testing.T) {
	asOf := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    func()
	}{
		{"Name", func() { _ = Name("Nguyễn Thị Minh Khai") }},
		{"NFC", func() { _ = NFC("Ủy ban nhân dân tỉnh Hà Tĩnh") }},
		{"ParseDate", func() { _, _ = ParseDate("01/05/1950", DateOptions{}) }},
		{"ParseDate partial", func() { _, _ = ParseDate("00/00/1950", DateOptions{}) }},
		{"ParseID", func() { _, _ = ParseID("042090123456") }},
		{"ID.Check", func() {
			_ = ID{Number: "042090123456", Province: "042", Male: true, Century: 1900, YY: 90}.Check(Date{Year: 1990, Precision: PrecisionYear}, "M")
		}},
		{"Phone E.164", func() { _, _ = Phone("+84912345678", asOf) }},
		{"Sex", func() { _, _ = Sex("Nữ", "", "") }},
		{"Sex 1/0", func() { _, _ = Sex("1", "M", "F") }},
		{"IsOldIDCard", func() { _ = IsOldIDCard("186123456") }},
		{"ProvinceName", func() { _, _ = ProvinceName("042") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%s allocates %v times per call; want 0", tt.name, n)
			}
		})
	}
}
