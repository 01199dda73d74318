package vn

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// Real sentences of a civil-status export, in each encoding. The TCVN3 and
// Windows-1258 bytes are iconv's (-t TCVN5712-1, -t CP1258).
var (
	sentences = []string{
		"Ủy ban nhân dân xã Thạch Hạ, huyện Thạch Hà, tỉnh Hà Tĩnh",
		"Họ và tên khai sinh: Lê Thị Hồng Nhung",
		"Ngày sinh: 12/03/1988, nơi sinh: Bệnh viện Đa khoa Quảng Bình",
	}
	sentencesTCVN3 = []string{
		"\x9ey ban nh\xa9n d\xa9n x\xb7 Th\xb9ch H\xb9, huy\xd6n Th\xb9ch H\xb5, t\xd8nh H\xb5 T\xdcnh",
		"H\xe4 v\xb5 t\xaan khai sinh: L\xaa Th\xde H\xe5ng Nhung",
		"Ng\xb5y sinh: 12/03/1988, n\xaci sinh: B\xd6nh vi\xd6n \xa7a khoa Qu\xb6ng B\xd7nh",
	}
	sentencesCP1258 = []string{
		"U\xd2y ban nh\xe2n d\xe2n xa\xde Tha\xf2ch Ha\xf2, huy\xea\xf2n Tha\xf2ch H\xe0, ti\xd2nh H\xe0 Ti\xdenh",
		"Ho\xf2 v\xe0 t\xean khai sinh: L\xea Thi\xf2 H\xf4\xccng Nhung",
		"Ng\xe0y sinh: 12/03/1988, n\xf5i sinh: B\xea\xf2nh vi\xea\xf2n \xd0a khoa Qua\xd2ng Bi\xccnh",
	}
	sentencesVIQR = []string{
		"U?y ban nha^n da^n xa~ Tha.ch Ha., huye^.n Tha.ch Ha`, ti?nh Ha` Ti~nh",
		"Ho. va` te^n khai sinh: Le^ Thi. Ho^`ng Nhung",
		"Nga`y sinh: 12/03/1988, no+i sinh: Be^.nh vie^.n DDa khoa Qua?ng Bi`nh",
	}
)

func TestDetect(t *testing.T) {
	each := func(ss []string, f func(string) []byte) [][]byte {
		out := make([][]byte, len(ss))
		for i, s := range ss {
			out[i] = f(s)
		}
		return out
	}
	raw := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name    string
		samples [][]byte
		want    Encoding
		min     float64 // lowest acceptable confidence
	}{
		{"utf-8 sentences", each(sentences, raw), UTF8, 0.9},
		{"tcvn3 sentences", each(sentencesTCVN3, raw), TCVN3, 0.9},
		{"windows-1258 sentences", each(sentencesCP1258, raw), CP1258, 0.8},
		{"vni sentences", each(sentences, encodeVNI), VNI, 0.8},
		{"viqr sentences", each(sentencesVIQR, raw), VIQR, 0.8},
		{"utf-16le without BOM", each(sentences, func(s string) []byte { return encodeUTF16(s, false) }), UTF16LE, 0.9},
		{"utf-16be without BOM", each(sentences, func(s string) []byte { return encodeUTF16(s, true) }), UTF16BE, 0.9},
		{"utf-16 with BOM", [][]byte{append([]byte{0xFE, 0xFF}, encodeUTF16("Hà", true)...)}, UTF16BE, 1},
		{"utf-8 with BOM", [][]byte{[]byte("\xef\xbb\xbfHa")}, UTF8, 1},
		{"column of names, tcvn3", [][]byte{[]byte("Nguy\xd4n V\xa8n \xa7\xf8c"), []byte("H\xb5 T\xdcnh"), []byte("Th\xb9ch H\xb5"), []byte("Qu\xb6ng B\xd7nh")}, TCVN3, 0.8},
		{"column of names, vni", each([]string{"Nguyễn Văn Đức", "Hà Tĩnh", "Thạch Hà", "Quảng Bình"}, encodeVNI), VNI, 0.8},
		{"tcvn3 typed in the capitals font", [][]byte{[]byte("nguy\xd4n v\xa8n \xae\xf8c"), []byte("tr\xa7n th\xde h\xadng")}, TCVN3, 0.7},
		{"ascii only", [][]byte{[]byte("Nguyen Van An"), []byte("12/03/1988")}, UTF8, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conf := Detect(tt.samples)
			if got != tt.want || conf < tt.min || conf > 1 {
				t.Errorf("Detect = %s, %.3f; want %s with confidence in [%.2f, 1]", got, conf, tt.want, tt.min)
			}
			if got == tt.want && got != UTF16LE && got != UTF16BE && !strings.HasPrefix(string(tt.samples[0]), "\xef\xbb\xbf") {
				if s, err := Decode(got, tt.samples[0]); err != nil || !isSyllablesOrASCII(s) {
					t.Errorf("Decode(%s, first sample) = %q, %v; want Vietnamese", got, s, err)
				}
			}
		})
	}
}

func TestDetectWeakEvidence(t *testing.T) {
	if enc, conf := Detect(nil); enc != UTF8 || conf != 0 {
		t.Errorf("Detect(nil) = %s, %v; want utf-8, 0", enc, conf)
	}
	if enc, conf := Detect([][]byte{{}, {}}); enc != UTF8 || conf != 0 {
		t.Errorf("Detect(empty samples) = %s, %v; want utf-8, 0", enc, conf)
	}
	// One word is evidence, but less than a sentence.
	one, oneConf := Detect([][]byte{[]byte("H\xb5")})
	many, manyConf := Detect([][]byte{[]byte(sentencesTCVN3[0])})
	if one != TCVN3 || many != TCVN3 || oneConf >= manyConf {
		t.Errorf("Detect(one word) = %s, %.3f, Detect(sentence) = %s, %.3f; want tcvn3 both, less confidence for one word", one, oneConf, many, manyConf)
	}
	// English in ASCII is not VIQR because of a full stop or an apostrophe.
	if enc, _ := Detect([][]byte{[]byte("Don't stop. I'm here.")}); enc != UTF8 {
		t.Errorf("Detect(English) = %s; want utf-8", enc)
	}
}

// isSyllablesOrASCII reports whether every non-ASCII word of s is a
// Vietnamese syllable.
func isSyllablesOrASCII(s string) bool {
	_, invalid := scoreText(s)
	return invalid == 0
}

// encodeVNI writes s in VNI-Windows by the chart.
func encodeVNI(s string) []byte {
	chart := map[rune]string{}
	for _, c := range vniChart {
		chart[[]rune(c[0])[0]] = c[1]
	}
	var b []byte
	for _, r := range s {
		if v, ok := chart[r]; ok {
			b = append(b, v...)
		} else {
			b = append(b, byte(r))
		}
	}
	return b
}

func encodeUTF16(s string, big bool) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if big {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}
