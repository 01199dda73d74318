package vn_test

import (
	"testing"

	"github.com/lienthong/lienthong/mapping/vn"
)

func TestEncodeRoundTrip(t *testing.T) {
	texts := []string{
		"Nguyễn Văn Đức", "Đặng Thị Ngọc Ánh, xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh",
		"NGƯỜI CAO TUỔI", "Hồ Hữu Phước; Bùi Thị Thuỷ; Trần Quốc Toản", "Mức trợ cấp: 750000 đồng",
	}
	for _, enc := range []vn.Encoding{vn.TCVN3, vn.CP1258} {
		for _, s := range texts {
			b, err := vn.Encode(enc, s)
			if err != nil {
				t.Fatalf("Encode(%s, %q): %v", enc, s, err)
			}
			got, err := vn.Decode(enc, b)
			if err != nil || got != s {
				t.Fatalf("%s round trip of %q = %q, %v", enc, s, got, err)
			}
			if enc == vn.TCVN3 && len(b) > len([]rune(s))+4 {
				t.Errorf("TCVN3 wrote %d bytes for %d letters: precomposed letters should be one byte", len(b), len([]rune(s)))
			}
		}
	}
	if _, err := vn.Encode(vn.TCVN3, "北京"); err == nil {
		t.Fatal("TCVN3 cannot write Chinese; Encode must say so")
	}
}
