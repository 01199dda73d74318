package vn

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// detectOrder is the order candidates are tried in, which breaks ties: the
// common encodings first.
var detectOrder = []Encoding{UTF8, CP1258, TCVN3, VNI, UTF16LE, UTF16BE, VIQR}

// Detect tells which encoding samples of one column or file most likely
// hold. It decodes every sample with each candidate and scores how plausible
// the text is as Vietnamese: of the words carrying diacritics, how many are
// well-formed syllables (an onset, a vowel nucleus, a coda, one tone mark on
// a vowel, only the sắc or nặng tone before c, ch, p, t). An undecodable
// sample, and a NUL byte in an 8-bit candidate, count against it. A byte
// order mark settles it outright.
//
// Each candidate's plausibility is p = (valid+1)/(valid+invalid+2). The lead
// of the best p over the best p of a candidate that decodes the samples
// differently, relative to the best, is compounded over the evidence:
// confidence = 1 - (1-lead)^(n/2) for n words with diacritics, so one word
// gives little confidence and a sentence much. Text that is ASCII in every 8-bit
// candidate reads the same in all of them and is UTF8 with confidence 1,
// unless at least two words, and 80% of them, read as VIQR ("Nguye^~n"). No
// samples, or only empty ones, give UTF8 with confidence 0.
func Detect(samples [][]byte) (enc Encoding, confidence float64) {
	empty := true
	nuls, size := 0, 0
	for _, s := range samples {
		if len(s) >= 2 && (s[0] == 0xFF && s[1] == 0xFE || s[0] == 0xFE && s[1] == 0xFF) {
			if s[0] == 0xFF {
				return UTF16LE, 1
			}
			return UTF16BE, 1
		}
		if len(s) >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF {
			return UTF8, 1
		}
		if len(s) > 0 {
			empty = false
		}
		nuls += strings.Count(string(s), "\x00")
		size += len(s)
	}
	if empty {
		return UTF8, 0
	}
	type result struct {
		enc            Encoding
		valid, invalid int
		text           string
	}
	results := make([]result, len(detectOrder))
	for i, e := range detectOrder {
		r := result{enc: e}
		eightBit := e != UTF16LE && e != UTF16BE
		if eightBit {
			r.invalid = nuls
		}
		var all strings.Builder
		for _, s := range samples {
			text, bad, ok := decodeLenient(e, s)
			if !ok {
				r.invalid += 1 + nonASCII(s)
				continue
			}
			r.invalid += bad
			v, inv := scoreText(text)
			r.valid += v
			r.invalid += inv
			all.WriteString(text)
			all.WriteByte(0)
		}
		if eightBit && nuls*10 > size {
			r.valid = 0 // every tenth byte NUL: UTF-16, whatever else reads
		}
		r.text = all.String()
		results[i] = r
	}
	if u := results[0]; u.valid+u.invalid == 0 {
		// ASCII: every 8-bit candidate reads it the same, unless it is VIQR.
		v := results[len(results)-1]
		if v.valid >= 2 && v.valid*5 >= (v.valid+v.invalid)*4 {
			return VIQR, float64(v.valid) / float64(v.valid+v.invalid+1)
		}
		return UTF8, 1
	}
	p := func(r result) float64 { return float64(r.valid+1) / float64(r.valid+r.invalid+2) }
	best := 0
	for i, r := range results {
		if r.enc == VIQR {
			continue // VIQR only ever wins on ASCII text, above
		}
		if p(r) > p(results[best]) {
			best = i
		}
	}
	b := results[best]
	runnerUp := 0.0
	for i, r := range results {
		if i != best && r.enc != VIQR && r.text != b.text && p(r) > runnerUp {
			runnerUp = p(r)
		}
	}
	// Each word is a piece of evidence: the lead per word compounds.
	gap := (p(b) - runnerUp) / p(b)
	return b.enc, 1 - math.Pow(1-gap, float64(b.valid+b.invalid)/2)
}

// decodeLenient decodes for scoring: VNI keeps stray marks (bad counts them)
// instead of failing the sample.
func decodeLenient(e Encoding, b []byte) (s string, bad int, ok bool) {
	if e == VNI {
		s, _, bad = decodeVNI(b)
		return s, bad, true
	}
	s, err := Decode(e, b)
	return s, 0, err == nil
}

func nonASCII(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= utf8.RuneSelf {
			n++
		}
	}
	return n
}

// scoreText counts the words of text that carry a non-ASCII letter or symbol
// and are, or are not, Vietnamese syllables.
func scoreText(text string) (valid, invalid int) {
	for _, w := range strings.FieldsFunc(text, isWordBreak) {
		w = strings.TrimFunc(w, isEdgePunct)
		if w == "" || isASCII(w) {
			continue
		}
		if isSyllable(w) {
			valid++
		} else {
			invalid++
		}
	}
	return valid, invalid
}

// isWordBreak splits on spaces, controls and ASCII punctuation and digits.
// Non-ASCII symbols stay inside words: in mojibake they stand where letters
// should be.
func isWordBreak(r rune) bool {
	if r < utf8.RuneSelf {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// isEdgePunct is typographic punctuation that may wrap a real word.
func isEdgePunct(r rune) bool {
	switch r {
	case '\u2018', '\u2019', '\u201C', '\u201D', '\u2013', '\u2014', '\u2026':
		return true
	}
	return false
}
