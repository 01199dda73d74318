package vn

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Columns as department databases hold them. Misread text is made the way
// it happens: legacy bytes read as Windows-1252 (MySQL's latin1, Excel) or
// Latin-1 (PostgreSQL's LATIN1), by x/text rather than this package's own
// table.
var (
	names = []string{
		"Nguyễn Văn Đức", "Trần Thị Hồng Nhung", "Lê Quang Vũ", "Phạm Ngọc Ánh",
		"Hoàng Thị Thuỷ", "Đặng Hữu Phước", "Bùi Thị Lan", "Võ Văn Kiệt",
	}
	places = []string{
		"Xã Thạch Hạ, huyện Thạch Hà, tỉnh Hà Tĩnh", "Phường Bến Nghé, Quận 1, TP Hồ Chí Minh",
		"Thị trấn Phong Châu, huyện Phù Ninh, tỉnh Phú Thọ",
	}
)

func encodeAll(t testing.TB, enc Encoding, ss []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		var err error
		if enc == VNI {
			out[i] = encodeVNI(s)
			continue
		}
		if out[i], err = Encode(enc, s); err != nil {
			t.Fatalf("Encode(%s, %q): %v", enc, s, err)
		}
	}
	return out
}

// misread reads bytes as a single-byte code page does. x/text gives
// U+FFFD for the five bytes Windows-1252 leaves unassigned; MySQL's latin1
// and Windows give their Latin-1 control characters, which it does here.
func misread(cm *charmap.Charmap, bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = misreadOne(cm, b)
	}
	return out
}

func misreadOne(cm *charmap.Charmap, b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		r := cm.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func TestDetectText(t *testing.T) {
	cp1252, latin1 := charmap.Windows1252, charmap.ISO8859_1
	tcvnNames, vniNames, cp1258Names := encodeAll(t, TCVN3, names), encodeAll(t, VNI, names), encodeAll(t, CP1258, names)
	tests := []struct {
		name    string
		samples []string
		want    Encoding
		min     float64 // lowest acceptable confidence
		max     float64 // highest; 0 means 1
	}{
		{"clean names", names, UTF8, 0.9, 0},
		{"clean places", places, UTF8, 0.9, 0},
		{"clean, decomposed (NFD)", []string{"Nguye\u0302\u0303n Va\u0306n \u0110u\u031b\u0301c"}, UTF8, 0.5, 0},
		{"tcvn3 names read as windows-1252", misread(cp1252, tcvnNames), TCVN3, 0.9, 0},
		{"tcvn3 places read as windows-1252", misread(cp1252, encodeAll(t, TCVN3, places)), TCVN3, 0.9, 0},
		{"tcvn3 sentences read as latin-1", misread(latin1, [][]byte{[]byte(sentencesTCVN3[0]), []byte(sentencesTCVN3[2])}), TCVN3, 0.9, 0},
		{"tcvn3 capitals font read as windows-1252", misread(cp1252, [][]byte{[]byte("nguy\xd4n v\xa8n \xae\xf8c"), []byte("tr\xa7n th\xde h\xadng")}), TCVN3, 0.7, 0},
		{"one tcvn3 name read as windows-1252", []string{"NguyÔn V¨n §øc"}, TCVN3, 0.7, 0},
		{"vni names read as windows-1252", misread(cp1252, vniNames), VNI, 0.9, 0},
		{"windows-1258 names read as windows-1252", misread(cp1252, cp1258Names), CP1258, 0.8, 0},
		{"tcvn3 raw bytes", strs(tcvnNames), TCVN3, 0.9, 0},
		{"vni raw bytes", strs(vniNames), VNI, 0.8, 0},
		{"windows-1258 raw bytes", strs(cp1258Names), CP1258, 0.8, 0},
		{"tcvn3 misread with nulls and blanks", append([]string{"", "Nguyen"}, misread(cp1252, tcvnNames[:3])...), TCVN3, 0.9, 0},
		// Clean text whose letters all happen to be Latin-1 stays as it is.
		{"clean latin-1 letters", []string{"Hà", "Lê", "Võ Tú", "Tô Hà"}, UTF8, 0, 0},
		{"utf-8 read as windows-1252", misread(cp1252, [][]byte{[]byte(names[0]), []byte(names[1]), []byte(places[0])}), UTF8, 0, 0.0001},
		// Mixed rows: a legacy decode would garble the clean ones.
		{"clean and misread rows", append(misread(cp1252, tcvnNames[:4]), names[4:]...), UTF8, 0.4, 0.6},
		{"german and french", []string{"Müller", "Straße", "café crème"}, UTF8, 0, 0.5},
		{"ascii", []string{"Nguyen Van An", "12/03/1988", ""}, UTF8, 1, 0},
		{"viqr", sentencesVIQR, VIQR, 0.8, 0},
		{"no samples", nil, UTF8, 0, 0.0001},
		{"empty samples", []string{"", ""}, UTF8, 0, 0.0001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = 1
			}
			got, conf := DetectText(tt.samples)
			if got != tt.want || conf < tt.min || conf > max {
				t.Errorf("DetectText(%q) = %s, %.3f; want %s with confidence in [%.2f, %.2f]", tt.samples, got, conf, tt.want, tt.min, max)
			}
			t.Logf("%s, %.3f", got, conf)
			if got == tt.want && got != UTF8 && got != VIQR {
				// What DetectText finds, DecodeText turns into Vietnamese.
				s := tt.samples[0]
				for _, x := range tt.samples {
					if !isASCII(x) {
						s = x
						break
					}
				}
				if d, err := DecodeText(got, s); err != nil || !isSyllablesOrASCII(d) {
					t.Errorf("DecodeText(%s, %q) = %q, %v; want Vietnamese", got, s, d, err)
				}
			}
		})
	}
}

func TestDecodeText(t *testing.T) {
	tests := []struct {
		name string
		enc  Encoding
		in   string
		want string
	}{
		{"tcvn3 raw", TCVN3, "Nguy\xd4n V\xa8n \xa7\xf8c", "Nguyễn Văn Đức"},
		{"tcvn3 read as windows-1252", TCVN3, "NguyÔn V¨n §øc", "Nguyễn Văn Đức"},
		{"tcvn3 read as windows-1252, 0x9e", TCVN3, "žy ban nh©n d©n", "Ủy ban nhân dân"},
		{"tcvn3 read as latin-1, 0x9e", TCVN3, "\u009ey ban nh©n d©n", "Ủy ban nhân dân"},
		{"vni raw", VNI, "Nguye\xe3n", "Nguyễn"},
		{"vni read as windows-1252", VNI, "Nguyeãn Vaên Ñöùc", "Nguyễn Văn Đức"},
		{"windows-1258 read as windows-1252", CP1258, "Hà Nôòi", "Hà Nội"},
		{"windows-1258 read as windows-1252, tone byte", CP1258, "NguyêÞn", "Nguyễn"},
		{"ascii", TCVN3, "Nguyen Van An", "Nguyen Van An"},
		{"utf-8 is not misread", UTF8, "Hà Nội", "Hà Nội"},
		{"a unicode row in a tcvn3 column", TCVN3, "Nguyễn Văn Đức", "Nguyễn Văn Đức"},
		{"a unicode row in a vni column", VNI, "Trần Thị Hương", "Trần Thị Hương"},
		{"viqr is not misread", VIQR, "Ha` No^.i", "Hà Nội"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeText(tt.enc, tt.in)
			if err != nil || got != tt.want {
				t.Errorf("DecodeText(%s, %q) = %q, %v; want %q", tt.enc, tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLegacyBytes(t *testing.T) {
	// Every byte survives both misreadings.
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, cm := range []*charmap.Charmap{charmap.Windows1252, charmap.ISO8859_1} {
		b, ok := LegacyBytes(misreadOne(cm, all))
		if !ok || string(b) != string(all) {
			t.Errorf("LegacyBytes(%s reading of every byte) = % x, %v; want every byte back", cm, b, ok)
		}
	}
	for _, s := range []string{"Nguyễn", "Hà Nội", "a\xffb", "\ufffd", "€\u0100"} {
		if b, ok := LegacyBytes(s); ok {
			t.Errorf("LegacyBytes(%q) = % x, true; want false", s, b)
		}
	}
}

func FuzzDetectText(f *testing.F) {
	f.Add("NguyÔn V¨n §øc", "Hà Tĩnh")
	f.Add("Nguyeãn", "")
	f.Add(sentencesTCVN3[0], "Ha` Ti~nh")
	f.Add("Hà", "Tô")
	f.Fuzz(func(t *testing.T, a, b string) {
		enc, conf := DetectText([]string{a, b})
		if conf < 0 || conf > 1 || conf != conf {
			t.Fatalf("DetectText(%q, %q) confidence %v; want [0,1]", a, b, conf)
		}
		if _, err := ParseEncoding(string(enc)); err != nil {
			t.Fatalf("DetectText(%q, %q) = %q, not an encoding", a, b, enc)
		}
		for _, s := range []string{a, b} {
			// LegacyBytes undoes a misreading exactly.
			if lb, ok := LegacyBytes(s); ok {
				if !utf8.ValidString(s) || len(lb) != utf8.RuneCountInString(s) {
					t.Fatalf("LegacyBytes(%q) = % x for %d runes", s, lb, utf8.RuneCountInString(s))
				}
				back, l1 := misreadOne(charmap.Windows1252, lb), misreadOne(charmap.ISO8859_1, lb)
				if back != s && !sameMisread(back, l1, s) {
					t.Fatalf("LegacyBytes(%q) = % x, which reads back as %q", s, lb, back)
				}
			}
			// Whatever is found decodes the text or says why not.
			if _, err := DecodeText(enc, s); err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code != ReasonEncoding {
					t.Fatalf("DecodeText(%s, %q) error %v; want %s", enc, s, err, ReasonEncoding)
				}
			}
		}
	})
}

// sameMisread reports whether s reads each byte as the Windows-1252 or the
// Latin-1 reading does.
func sameMisread(cp1252, latin1, s string) bool {
	a, b, c := []rune(cp1252), []rune(latin1), []rune(s)
	if len(a) != len(c) || len(b) != len(c) {
		return false
	}
	for i := range c {
		if c[i] != a[i] && c[i] != b[i] {
			return false
		}
	}
	return true
}
