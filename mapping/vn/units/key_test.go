package units

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestInputKey(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    string
		level Level
		kind  kind
		key   string
	}{
		{"plain", "Thạch Kênh", Commune, kindNone, "thạch kênh"},
		{"type and case", "XÃ THẠCH KÊNH", Commune, kindXa, "thạch kênh"},
		{"NFD", norm.NFD.String("Xã Thạch Kênh"), Commune, kindXa, "thạch kênh"},
		{"spaces, tabs, no-break space", " Xã\tThạch \u00a0 Kênh ", Commune, kindXa, "thạch kênh"},
		{"zero-width space", "Thạch\u200b Kênh", Commune, kindNone, "thạch kênh"},
		{"hòa is hoà", "Hòa Bình", Province, kindNone, "hoà bình"},
		{"hoà stays", "Hoà Bình", Province, kindNone, "hoà bình"},
		{"thụy is thuỵ", "Thụy Anh", Commune, kindNone, "thuỵ anh"},
		{"khỏe is khoẻ", "khỏe", Commune, kindNone, "khoẻ"},
		{"toned o before a closed syllable is left alone", "Hòang", Commune, kindNone, "hòang"},
		{"hoàng stays", "Hoàng Mai", District, kindNone, "hoàng mai"},
		{"quý stays", "Tân Quý", Commune, kindNone, "tân quý"},
		{"upper-case HÒA", "HÒA", Commune, kindNone, "hoà"},
		{"tone fix at end of input", "Thanh Hóa", Province, kindNone, "thanh hoá"},
		{"tone fix before punctuation", "Hóa-Quỳ", Commune, kindNone, "hoá quỳ"},
		{"Tỉnh", "Tỉnh Hà Tĩnh", Province, kindTinh, "hà tĩnh"},
		{"TP.", "TP. Hồ Chí Minh", Province, kindThanhPho, "hồ chí minh"},
		{"TP.HCM", "TP.HCM", Province, kindThanhPho, "hcm"},
		{"Tp", "Tp Hồ Chí Minh", Province, kindThanhPho, "hồ chí minh"},
		{"Thành phố", "Thành phố Hồ Chí Minh", Province, kindThanhPho, "hồ chí minh"},
		{"P.", "P. Bắc Hà", Commune, kindPhuong, "bắc hà"},
		{"P. without space", "P.Bắc Hà", Commune, kindPhuong, "bắc hà"},
		{"P and a number", "P5", Commune, kindPhuong, "5"},
		{"Phường 05", "Phường 05", Commune, kindPhuong, "5"},
		{"TT.", "TT. Nghèn", Commune, kindThiTran, "nghèn"},
		{"TT", "TT Nghèn", Commune, kindThiTran, "nghèn"},
		{"Thị Trấn", "Thị Trấn Nghèn", Commune, kindThiTran, "nghèn"},
		{"Đặc khu", "Đặc khu Côn Đảo", Commune, kindDacKhu, "côn đảo"},
		{"commune type is not a district type", "Xã Thạch Kênh", District, kindNone, "xã thạch kênh"},
		{"Thị xã before Xã", "Thị xã Kỳ Anh", District, kindThiXa, "kỳ anh"},
		{"Q.3", "Q.3", District, kindQuan, "3"},
		{"Quận 03", "Quận 03", District, kindQuan, "3"},
		{"P followed by a letter is a name", "Pa Tần", Commune, kindNone, "pa tần"},
		{"type alone is a name", "Phường", Commune, kindNone, "phường"},
		{"hyphen with spaces", "Bà Rịa - Vũng Tàu", Province, kindNone, "bà rịa vũng tàu"},
		{"hyphen without spaces", "Phan Rang-Tháp Chàm", District, kindNone, "phan rang tháp chàm"},
		{"apostrophe and space", "Ea M' Doal", Commune, kindNone, "ea mdoal"},
		{"typographic apostrophe", "B’Lao", Commune, kindNone, "blao"},
		{"dots inside a name", "N.T. Phong Hải", Commune, kindNone, "n t phong hải"},
		{"number inside a name keeps its zeros", "Đại Ân 20", Commune, kindNone, "đại ân 20"},
		{"zero alone", "Phường 0", Commune, kindPhuong, "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, key := inputKey(nil, c.in, c.level)
			if k != c.kind || string(key) != c.key {
				t.Fatalf("inputKey(%q, %v) = %q, %q; want %q, %q", c.in, c.level, kindNames[k], key, kindNames[c.kind], c.key)
			}
		})
	}
}

func TestFoldKey(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"Vietnamese letters", "đắk lắk", "dak lak"},
		{"all tones", "àáảãạ ằắẳẵặ ầấẩẫậ", "aaaaa aaaaa aaaaa"},
		{"horn letters", "ơ ư ờ ữ", "o u o u"},
		{"ASCII", "ha tinh 42", "ha tinh 42"},
		{"other scripts stay", "北京", "北京"},
		{"stray combining mark dropped", "a\u0301b", "ab"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(foldKey(nil, []byte(c.in))); got != c.want {
				t.Fatalf("foldKey(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestAppendCode(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    string
		width int
		want  string
		ok    bool
	}{
		{"province", "42", 2, "42", true},
		{"province with zero", "042", 2, "42", true},
		{"province one digit", "4", 2, "04", true},
		{"commune", "00007", 5, "00007", true},
		{"commune without zeros", "7", 5, "00007", true},
		{"too long", "123456", 5, "", false},
		{"many zeros", "0000042", 2, "42", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := appendCode(nil, c.in, c.width)
			if ok != c.ok || (ok && string(got) != c.want) {
				t.Fatalf("appendCode(%q, %d) = %q, %v; want %q, %v", c.in, c.width, got, ok, c.want, c.ok)
			}
		})
	}
}
