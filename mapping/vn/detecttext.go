package vn

import (
	"math"
	"strings"
	"unicode/utf8"
)

// DetectText tells which encoding samples of one text column most likely
// hold, in either shape legacy text reaches a Unicode system (see
// LegacyBytes): the encoding a mapping's decode(col, enc), or DecodeText,
// needs, or UTF8 for text that needs none.
//
//   - A sample that is not UTF-8 holds raw bytes: the samples go to Detect.
//   - When every non-ASCII sample is misread text, the text as it stands
//     competes with its bytes decoded as UTF-8, Windows-1258, TCVN3 and
//     VNI, scored and compounded as Detect does. Ties go to the text as it
//     stands, so "Hà Lê" stays UTF8. Misread UTF-8 ("Nguyá»…n") is UTF8
//     with confidence 0: it is not clean, and no decode() repairs it.
//   - Other text, clean Unicode, is UTF8 (or VIQR) with the confidence
//     Detect gives its bytes; 0 if Detect prefers a legacy reading of
//     valid UTF-8, which a Unicode column never holds raw. Beside misread
//     legacy samples, no one decoding suits the column: the confidence is
//     scaled by the clean samples' share of the non-ASCII ones.
func DetectText(samples []string) (enc Encoding, confidence float64) {
	raw := make([][]byte, len(samples))
	valid := true
	var misread []string // non-ASCII samples LegacyBytes maps back
	clean := 0           // non-ASCII samples it does not
	for i, s := range samples {
		raw[i] = []byte(s)
		switch {
		case !utf8.ValidString(s):
			valid = false
		case isASCII(s):
		case isMisreadable(s):
			misread = append(misread, s)
		default:
			clean++
		}
	}
	if !valid {
		return Detect(raw)
	}
	if clean == 0 && len(misread) > 0 {
		return detectMisread(samples)
	}
	enc, confidence = Detect(raw)
	if enc != UTF8 && enc != VIQR {
		return UTF8, 0
	}
	if len(misread) > 0 {
		// Clean rows beside legacy ones: no one decoding suits the column.
		if e, _ := detectMisread(misread); e != UTF8 {
			confidence *= float64(clean) / float64(clean+len(misread))
		}
	}
	return enc, confidence
}

// misreadOrder is the order the readings of misread text are tried in,
// which breaks ties: the text as it stands (UTF8, first), then the misread
// bytes in each encoding.
var misreadOrder = []Encoding{UTF8, UTF8, CP1258, TCVN3, VNI}

// detectMisread scores the text as it stands against its misread bytes
// decoded in each encoding, as Detect scores its candidates.
func detectMisread(samples []string) (Encoding, float64) {
	type reading struct {
		enc            Encoding
		valid, invalid int
		text           string
	}
	readings := make([]reading, len(misreadOrder))
	for i, e := range misreadOrder {
		r := reading{enc: e}
		var all strings.Builder
		for _, s := range samples {
			text, bad, ok := s, 0, true
			if i > 0 {
				b, _ := LegacyBytes(s)
				text, bad, ok = decodeLenient(e, b)
				if !ok {
					r.invalid += 1 + nonASCII(b)
					continue
				}
			} else {
				text = NFC(text)
			}
			r.invalid += bad
			v, inv := scoreText(text)
			r.valid += v
			r.invalid += inv
			all.WriteString(text)
			all.WriteByte(0)
		}
		r.text = all.String()
		readings[i] = r
	}
	p := func(r reading) float64 { return float64(r.valid+1) / float64(r.valid+r.invalid+2) }
	best := 0
	for i, r := range readings {
		if p(r) > p(readings[best]) {
			best = i
		}
	}
	b := readings[best]
	runnerUp := 0.0
	for i, r := range readings {
		if i != best && r.text != b.text && p(r) > runnerUp {
			runnerUp = p(r)
		}
	}
	if best == 1 {
		return UTF8, 0 // misread UTF-8
	}
	gap := (p(b) - runnerUp) / p(b)
	return b.enc, 1 - math.Pow(1-gap, float64(b.valid+b.invalid)/2)
}
