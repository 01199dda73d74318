package vn

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"already normal", "Nguyễn Văn An", "Nguyễn Văn An"},
		{"lowercase", "nguyễn văn an", "Nguyễn Văn An"},
		{"mixed case and spaces", "  nGUYỄN   thị   minh KHAI ", "Nguyễn Thị Minh Khai"},
		{"đ capitalised", "đặng văn đức", "Đặng Văn Đức"},
		{"all capitals", "NGUYỄN THỊ HƯƠNG", "Nguyễn Thị Hương"},
		{"decomposed input", "Nguye\u0302\u0303n Va\u0306n \u0110u\u031b\u0301c", "Nguyễn Văn Đức"},
		{"no-break and tab spaces", "Lê\u00a0Thị\tHồng   Nhung", "Lê Thị Hồng Nhung"},
		{"zero-width space from the web", "Trần\u200b Quốc Tuấn", "Trần Quốc Tuấn"},
		{"Ê Đê name with apostrophe", "h'hen niê", "H'Hen Niê"},
		{"Gia Rai name", "KSOR H'MAI", "Ksor H'Mai"},
		{"hyphenated", "y-pang ê-ban", "Y-Pang Ê-Ban"},
		{"typographic apostrophe", "h\u2019hen", "H\u2019Hen"},
		{"ABC capitals font decoded lowercase", "nguyễn văn đức", "Nguyễn Văn Đức"},
		{"diacritics kept, not folded", "ĐỖ THỊ THUỶ", "Đỗ Thị Thuỷ"},
		{"single letter given name", "nguyễn văn a", "Nguyễn Văn A"},
		{"empty", "", ""},
		{"only spaces", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Name(tt.in); got != tt.want {
				t.Errorf("Name(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNFC(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"decomposed", "Ha\u0300 Ti\u0303nh", "Hà Tĩnh"},
		{"already NFC", "Hà Tĩnh", "Hà Tĩnh"},
		{"tone before circumflex", "ê\u0301", "ế"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NFC(tt.in); got != tt.want {
				t.Errorf("NFC(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNFCFastIsSafe checks the premise of the fast NFC check: every rune it
// lets through is NFC on its own and never combines with a rune before it.
func TestNFCFastIsSafe(t *testing.T) {
	for r := rune(0); r <= 0x1EFF; r++ {
		if r == 0x300 {
			r = 0x1E00
		}
		s := string(r)
		if !isNFCFast(s) {
			t.Fatalf("isNFCFast(%U) = false; want true", r)
		}
		p := norm.NFC.PropertiesString(s)
		if !norm.NFC.IsNormalString(s) || p.CCC() != 0 || !p.BoundaryBefore() {
			t.Errorf("%U: NFC %v, combining class %d, boundary before %v; the fast check must not accept it",
				r, norm.NFC.IsNormalString(s), p.CCC(), p.BoundaryBefore())
		}
	}
	for _, s := range []string{"e\u0301", "\u0300", "Nguye\u0302\u0303n", "\u1100\u1161"} {
		if isNFCFast(s) {
			t.Errorf("isNFCFast(%q) = true; want false", s)
		}
	}
}
