package vn

import (
	"bufio"
	"compress/gzip"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestParseEncoding(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Encoding
	}{
		{"canonical utf-8", "utf-8", UTF8},
		{"upper case", "UTF8", UTF8},
		{"windows unicode", "UTF-16", UTF16LE},
		{"utf-16 big endian", "utf_16be", UTF16BE},
		{"abc font", "ABC", TCVN3},
		{"standard number", "tcvn5712", TCVN3},
		{"glibc name", "TCVN5712-1", TCVN3},
		{"font name", ".VnTime", TCVN3},
		{"code page", "cp1258", CP1258},
		{"windows name", "Windows-1258", CP1258},
		{"vni with space", " VNI Windows ", VNI},
		{"vni font", "VNI-Times", VNI},
		{"viqr", "VIQR", VIQR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEncoding(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseEncoding(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	_, err := ParseEncoding("latin-1")
	var e *Error
	if !errors.As(err, &e) || e.Code != ReasonEncoding || !strings.Contains(e.Message, `"latin-1"`) {
		t.Errorf(`ParseEncoding("latin-1") error = %v; want %s naming the value`, err, ReasonEncoding)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		enc  Encoding
		in   string
		want string
	}{
		// TCVN3: bytes from iconv -t TCVN5712-1 and as ABC fonts hold them.
		{"tcvn3 name", TCVN3, "Nguy\xd4n V\xa8n \xa7\xf8c", "Nguyễn Văn Đức"},
		{"tcvn3 places", TCVN3, "H\xb5 T\xdcnh, Th\xb9ch H\xb5, Qu\xb6ng B\xd7nh", "Hà Tĩnh, Thạch Hà, Quảng Bình"},
		{"tcvn3 VN1 capitals with tones", TCVN3, "\xa7\x85NG TH\x91 NG\x96C \x83NH", "ĐẶNG THỊ NGỌC ÁNH"},
		{"tcvn3 VN1 capital in C0 range", TCVN3, "\x01t Hoa", "Út Hoa"},
		{"tcvn3 ABC capitals font holds lowercase bytes", TCVN3, "nguy\xd4n v\xa8n \xae\xf8c", "nguyễn văn đức"},
		{"tcvn3 sentence", TCVN3, "\x9ey ban nh\xa9n d\xa9n x\xb7 Th\xb9ch H\xb9, huy\xd6n Th\xb9ch H\xb5, t\xd8nh H\xb5 T\xdcnh",
			"Ủy ban nhân dân xã Thạch Hạ, huyện Thạch Hà, tỉnh Hà Tĩnh"},
		{"tcvn3 combining tone byte", TCVN3, "H\xad\xac\xb3ng", "Hướng"},
		{"tcvn3 keeps tab and newline", TCVN3, "H\xb5\tT\xdcnh\r\n", "Hà\tTĩnh\r\n"},
		// Windows-1258: combining tone marks composed by NFC.
		{"cp1258 name", CP1258, "Nguy\xea\xden V\xe3n \xd0\xfd\xecc", "Nguyễn Văn Đức"},
		{"cp1258 places", CP1258, "H\xe0 Ti\xdenh, Tha\xf2ch H\xe0, Qua\xd2ng Bi\xccnh", "Hà Tĩnh, Thạch Hà, Quảng Bình"},
		{"cp1258 capitals", CP1258, "\xd0\xc3\xf2NG THI\xf2 NGO\xf2C \xc1NH", "ĐẶNG THỊ NGỌC ÁNH"},
		{"cp1258 sentence", CP1258, "Ho\xf2 v\xe0 t\xean khai sinh: L\xea Thi\xf2 H\xf4\xccng Nhung", "Họ và tên khai sinh: Lê Thị Hồng Nhung"},
		// VNI-Windows.
		{"vni name", VNI, "Nguye\xe3n Va\xean \xd1\xf6\xf9c", "Nguyễn Văn Đức"},
		{"vni places", VNI, "Ha\xf8 T\xf3nh, Tha\xefch Ha\xf8, Qua\xfbng B\xecnh", "Hà Tĩnh, Thạch Hà, Quảng Bình"},
		{"vni capitals with capital marks", VNI, "NGUYE\xc3N VA\xcaN \xd1\xd6\xd9C", "NGUYỄN VĂN ĐỨC"},
		{"vni capitals with lowercase marks", VNI, "NGUYE\xe3N", "NGUYỄN"},
		{"vni uo with horns", VNI, "Tr\xf6\xf4\xf8ng Sa", "Trường Sa"},
		{"vni windows-1252 punctuation stays", VNI, "\x93Ha\xf8 No\xe4i\x94", "\u201cHà Nội\u201d"},
		// VIQR (RFC 1456).
		{"viqr name", VIQR, "Nguye^~n Va(n DDu+'c", "Nguyễn Văn Đức"},
		{"viqr places", VIQR, "Ha` Ti~nh, Tha.ch Ha`, Qua?ng Bi`nh", "Hà Tĩnh, Thạch Hà, Quảng Bình"},
		{"viqr question mark after consonant", VIQR, "Co' kho^ng?", "Có không?"},
		{"viqr second tone in a word stays literal", VIQR, "Ha` No^.i.", "Hà Nội."},
		{"viqr escaped mark", VIQR, "So^' 1\\.", "Số 1."},
		{"viqr dd inside a word stays", VIQR, "Addis", "Addis"},
		{"viqr lowercase dd", VIQR, "ddu+o+`ng", "đường"},
		// UTF-8 and UTF-16.
		{"utf-8 already NFC", UTF8, "Nguyễn Văn Đức", "Nguyễn Văn Đức"},
		{"utf-8 decomposed to NFC", UTF8, "Nguye\u0302\u0303n", "Nguyễn"},
		{"utf-8 BOM dropped", UTF8, "\xef\xbb\xbfHà Tĩnh", "Hà Tĩnh"},
		{"utf-16le with BOM", UTF16LE, "\xff\xfeH\x00\xe0\x00", "Hà"},
		{"utf-16le without BOM", UTF16LE, "\x10\x01\xe9\x1ec\x00", "Đức"},
		{"utf-16be", UTF16BE, "\x01\x10\x1e\xe9\x00c", "Đức"},
		{"utf-16 BOM wins over the name", UTF16LE, "\xfe\xff\x00H\x00\xe0", "Hà"},
		{"utf-16 surrogate pair", UTF16LE, "\x40\xd8\x00\xdc", "\U00020000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.enc, []byte(tt.in))
			if err != nil || got != tt.want {
				t.Errorf("Decode(%s, %q) = %q, %v; want %q", tt.enc, tt.in, got, err, tt.want)
			}
			if !norm.NFC.IsNormalString(got) {
				t.Errorf("Decode(%s, %q) = %q is not NFC", tt.enc, tt.in, got)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		enc  Encoding
		in   string
		want string // in the message
	}{
		{"invalid utf-8", UTF8, "Nguy\xd4n", "offset 4"},
		{"odd utf-16", UTF16LE, "H\x00\xe0", "odd length 3"},
		{"unpaired surrogate", UTF16LE, "\x40\xd8H\x00", "surrogate"},
		{"unassigned windows-1258 byte", CP1258, "H\x81", "0x81 at offset 1"},
		{"vni tone mark after a consonant", VNI, "Nguye\xe3n B\xf9", "0xf9 at offset 9"},
		{"vni breve on e", VNI, "e\xea", "0xea at offset 1"},
		{"viqr is utf-8", VIQR, "Nguye^~n \xff", "offset 9"},
		{"unknown encoding", Encoding("latin-9"), "abc", `"latin-9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.enc, []byte(tt.in))
			var e *Error
			if !errors.As(err, &e) || e.Code != ReasonEncoding || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("Decode(%s, %q) = %q, %v; want %s error containing %q", tt.enc, tt.in, got, err, ReasonEncoding, tt.want)
			}
		})
	}
}

// vniChart is VNI-Windows for every Vietnamese letter, as the published chart
// has it (cross-checked with the vietnamese-conversion package's VNI table).
var vniChart = [][2]string{
	{"À", "A\xd8"}, {"Á", "A\xd9"}, {"Â", "A\xc2"}, {"Ã", "A\xd5"}, {"È", "E\xd8"}, {"É", "E\xd9"},
	{"Ê", "E\xc2"}, {"Ì", "\xcc"}, {"Í", "\xcd"}, {"Ò", "O\xd8"}, {"Ó", "O\xd9"}, {"Ô", "O\xc2"},
	{"Õ", "O\xd5"}, {"Ù", "U\xd8"}, {"Ú", "U\xd9"}, {"Ý", "Y\xd9"}, {"à", "a\xf8"}, {"á", "a\xf9"},
	{"â", "a\xe2"}, {"ã", "a\xf5"}, {"è", "e\xf8"}, {"é", "e\xf9"}, {"ê", "e\xe2"}, {"ì", "\xec"},
	{"í", "\xed"}, {"ò", "o\xf8"}, {"ó", "o\xf9"}, {"ô", "o\xe2"}, {"õ", "o\xf5"}, {"ù", "u\xf8"},
	{"ú", "u\xf9"}, {"ý", "y\xf9"}, {"Ă", "A\xca"}, {"ă", "a\xea"}, {"Đ", "\xd1"}, {"đ", "\xf1"},
	{"Ĩ", "\xd3"}, {"ĩ", "\xf3"}, {"Ũ", "U\xd5"}, {"ũ", "u\xf5"}, {"Ơ", "\xd4"}, {"ơ", "\xf4"},
	{"Ư", "\xd6"}, {"ư", "\xf6"}, {"Ạ", "A\xcf"}, {"ạ", "a\xef"}, {"Ả", "A\xdb"}, {"ả", "a\xfb"},
	{"Ấ", "A\xc1"}, {"ấ", "a\xe1"}, {"Ầ", "A\xc0"}, {"ầ", "a\xe0"}, {"Ẩ", "A\xc5"}, {"ẩ", "a\xe5"},
	{"Ẫ", "A\xc3"}, {"ẫ", "a\xe3"}, {"Ậ", "A\xc4"}, {"ậ", "a\xe4"}, {"Ắ", "A\xc9"}, {"ắ", "a\xe9"},
	{"Ằ", "A\xc8"}, {"ằ", "a\xe8"}, {"Ẳ", "A\xda"}, {"ẳ", "a\xfa"}, {"Ẵ", "A\xdc"}, {"ẵ", "a\xfc"},
	{"Ặ", "A\xcb"}, {"ặ", "a\xeb"}, {"Ẹ", "E\xcf"}, {"ẹ", "e\xef"}, {"Ẻ", "E\xdb"}, {"ẻ", "e\xfb"},
	{"Ẽ", "E\xd5"}, {"ẽ", "e\xf5"}, {"Ế", "E\xc1"}, {"ế", "e\xe1"}, {"Ề", "E\xc0"}, {"ề", "e\xe0"},
	{"Ể", "E\xc5"}, {"ể", "e\xe5"}, {"Ễ", "E\xc3"}, {"ễ", "e\xe3"}, {"Ệ", "E\xc4"}, {"ệ", "e\xe4"},
	{"Ỉ", "\xc6"}, {"ỉ", "\xe6"}, {"Ị", "\xd2"}, {"ị", "\xf2"}, {"Ọ", "O\xcf"}, {"ọ", "o\xef"},
	{"Ỏ", "O\xdb"}, {"ỏ", "o\xfb"}, {"Ố", "O\xc1"}, {"ố", "o\xe1"}, {"Ồ", "O\xc0"}, {"ồ", "o\xe0"},
	{"Ổ", "O\xc5"}, {"ổ", "o\xe5"}, {"Ỗ", "O\xc3"}, {"ỗ", "o\xe3"}, {"Ộ", "O\xc4"}, {"ộ", "o\xe4"},
	{"Ớ", "\xd4\xd9"}, {"ớ", "\xf4\xf9"}, {"Ờ", "\xd4\xd8"}, {"ờ", "\xf4\xf8"}, {"Ở", "\xd4\xdb"}, {"ở", "\xf4\xfb"},
	{"Ỡ", "\xd4\xd5"}, {"ỡ", "\xf4\xf5"}, {"Ợ", "\xd4\xcf"}, {"ợ", "\xf4\xef"}, {"Ụ", "U\xcf"}, {"ụ", "u\xef"},
	{"Ủ", "U\xdb"}, {"ủ", "u\xfb"}, {"Ứ", "\xd6\xd9"}, {"ứ", "\xf6\xf9"}, {"Ừ", "\xd6\xd8"}, {"ừ", "\xf6\xf8"},
	{"Ử", "\xd6\xdb"}, {"ử", "\xf6\xfb"}, {"Ữ", "\xd6\xd5"}, {"ữ", "\xf6\xf5"}, {"Ự", "\xd6\xcf"}, {"ự", "\xf6\xef"},
	{"Ỳ", "Y\xd8"}, {"ỳ", "y\xf8"}, {"Ỵ", "\xce"}, {"ỵ", "\xee"}, {"Ỷ", "Y\xdb"}, {"ỷ", "y\xfb"},
	{"Ỹ", "Y\xd5"}, {"ỹ", "y\xf5"},
}

func TestDecodeVNIChart(t *testing.T) {
	if len(vniChart) != 134 {
		t.Fatalf("chart has %d letters, want the 134 Vietnamese letters", len(vniChart))
	}
	for _, c := range vniChart {
		// Each letter alone and after an onset, as in a real syllable.
		for _, in := range []string{c[1], "Th" + c[1] + "n"} {
			want := strings.Replace(in, c[1], c[0], 1)
			if got, err := Decode(VNI, []byte(in)); err != nil || got != want {
				t.Errorf("Decode(VNI, %q) = %q, %v; want %q", in, got, err, want)
			}
		}
	}
}

// TestDecodeAgreesWithIconv encodes Vietnamese text with iconv, when it is
// installed, and decodes it back.
func TestDecodeAgreesWithIconv(t *testing.T) {
	if _, err := exec.LookPath("iconv"); err != nil {
		t.Skip("iconv not installed")
	}
	var all strings.Builder
	for r := range vnLetters {
		all.WriteRune(r)
	}
	texts := []string{
		"Ủy ban nhân dân xã Thạch Hạ, huyện Thạch Hà, tỉnh Hà Tĩnh",
		"Ngày sinh: 12/03/1988, nơi sinh: Bệnh viện Đa khoa Quảng Bình",
		"NGUYỄN THỊ HƯƠNG, TRẦN QUỐC TUẤN, PHẠM NGỌC THẠCH",
		all.String(),
	}
	for _, tt := range []struct {
		charset string
		enc     Encoding
	}{{"TCVN5712-1", TCVN3}, {"CP1258", CP1258}, {"UTF-16LE", UTF16LE}, {"UTF-16BE", UTF16BE}} {
		for _, text := range texts {
			cmd := exec.Command("iconv", "-f", "UTF-8", "-t", tt.charset)
			cmd.Stdin = strings.NewReader(text)
			b, err := cmd.Output()
			if err != nil {
				t.Fatalf("iconv -t %s: %v", tt.charset, err)
			}
			if got, err := Decode(tt.enc, b); err != nil || got != text {
				t.Errorf("Decode(%s, iconv(%.30q)) = %q, %v; want the text back", tt.enc, text, got, err)
			}
		}
	}
}

// TestTablesMatchCharmaps checks the generated tables against glibc's
// charmaps when they are installed (go generate rebuilds them).
func TestTablesMatchCharmaps(t *testing.T) {
	for _, tt := range []struct {
		file  string
		table *[256]rune
		enc   Encoding
	}{{"TCVN5712-1.gz", &tcvnTable, TCVN3}, {"CP1258.gz", &cp1258Table, CP1258}} {
		t.Run(tt.file, func(t *testing.T) {
			single, double := readCharmap(t, "/usr/share/i18n/charmaps/"+tt.file)
			for b := 0; b < 256; b++ {
				want, ok := single[string(rune(b))]
				if !ok {
					want = -1
				}
				if tt.table[b] != want {
					t.Errorf("table[%#02x] = %U, charmap says %U", b, tt.table[b], want)
				}
			}
			// Two-byte sequences are a base letter and a combining mark:
			// Decode must compose them as the charmap does.
			for seq, want := range double {
				bs := []byte{seq[0], seq[1]}
				if got, err := Decode(tt.enc, bs); err != nil || got != string(want) {
					t.Errorf("Decode(%s, % x) = %q, %v; charmap says %q", tt.enc, bs, got, err, want)
				}
			}
		})
	}
}

// readCharmap returns a glibc charmap's one-byte and two-byte entries, keyed
// by their bytes.
func readCharmap(t *testing.T, path string) (single, double map[string]rune) {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("glibc charmap not installed: %v", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	single, double = map[string]rune{}, map[string]rune{}
	sc := bufio.NewScanner(z)
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch line {
		case "CHARMAP":
			in = true
			continue
		case "END CHARMAP":
			in = false
		}
		fields := strings.Fields(line)
		if !in || len(fields) < 2 || !strings.HasPrefix(fields[0], "<U") {
			continue
		}
		u, err := strconv.ParseUint(strings.Trim(fields[0], "<U>"), 16, 32)
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		var key []byte
		for _, h := range strings.Split(fields[1], "/x")[1:] {
			b, err := strconv.ParseUint(h, 16, 8)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			key = append(key, byte(b))
		}
		switch len(key) {
		case 1:
			single[string(rune(key[0]))] = rune(u)
		case 2:
			double[string(key)] = rune(u)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(single) < 200 || !utf8.ValidRune(single["A"]) {
		t.Fatalf("%s: read %d entries, want a full charmap", path, len(single))
	}
	return single, double
}

// TestDecodeComposesByTable guards the fast path: Vietnamese marks compose by
// table, so a decode allocates only its buffer and its string, never norm's.
func TestDecodeComposesByTable(t *testing.T) {
	for _, c := range []struct{ letter, mark, want rune }{
		{'a', cmCirc, 'â'}, {'ạ', cmCirc, 'ậ'}, {'ê', cmAcute, 'ế'}, {'U', cmHorn, 'Ư'}, {'ơ', cmDot, 'ợ'},
	} {
		if got := composed[c.letter]; got == nil || got[markIndex(c.mark)] != c.want {
			t.Fatalf("composed[%q][%U] is not %q: the composition table is not built", c.letter, c.mark, c.want)
		}
	}
	for _, tt := range []struct {
		enc Encoding
		in  []byte
	}{
		{VNI, encodeVNI(sentences[0])},
		{CP1258, []byte(sentencesCP1258[0])},
		{TCVN3, []byte(sentencesTCVN3[0])},
		{VIQR, []byte(sentencesVIQR[0])},
	} {
		if n := testing.AllocsPerRun(20, func() { _, _ = Decode(tt.enc, tt.in) }); n > 2 {
			t.Errorf("Decode(%s) allocates %v times; want at most 2", tt.enc, n)
		}
	}
}

// TestInvalidUTF8 checks the offset of the first byte that is not UTF-8,
// on valid text (taken by the fast path) and on text with a bad byte
// after valid ASCII and letters.
func TestInvalidUTF8(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want int
	}{
		{"empty", "", -1},
		{"ascii", "Nguyen Van An, 12/2024", -1},
		{"vietnamese", "Nguyễn Văn Ánh, xã Thạch Kênh", -1},
		{"replacement character", "a\uFFFDb", -1},
		{"bad lead byte after ascii", "Nguyen Van An\xff", 13},
		{"truncated letter", "Nguy\xe1\xbb", 4},
		{"surrogate", "ab\xed\xa0\x80", 2},
		{"overlong", "\xc0\xafabcdefgh", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := invalidUTF8([]byte(c.in)); got != c.want {
				t.Errorf("invalidUTF8(%q) = %d, want %d", c.in, got, c.want)
			}
		})
	}
}
