package vn

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Composing Vietnamese by table: the legacy decoders emit a letter and then
// its marks, and Name changes case, on every field of every record, where
// the general normalisation and case machinery would cost several times
// more. Anything outside the tables falls back to golang.org/x/text/unicode/norm
// and package unicode.

// The combining marks of Vietnamese: five tones and three diacritics.
const (
	cmGrave = '\u0300' // huyền
	cmAcute = '\u0301' // sắc
	cmCirc  = '\u0302' // circumflex: â ê ô
	cmTilde = '\u0303' // ngã
	cmBreve = '\u0306' // breve: ă
	cmHook  = '\u0309' // hỏi
	cmHorn  = '\u031B' // horn: ơ ư
	cmDot   = '\u0323' // nặng
)

// markIndex numbers the combining marks Vietnamese uses.
func markIndex(m rune) int {
	switch m {
	case cmGrave:
		return 0
	case cmAcute:
		return 1
	case cmHook:
		return 2
	case cmTilde:
		return 3
	case cmDot:
		return 4
	case cmCirc:
		return 5
	case cmBreve:
		return 6
	case cmHorn:
		return 7
	}
	return -1
}

// composed maps a letter and a mark index to the precomposed letter NFC makes
// of them (ạ + circumflex is ậ), or 0.
var composed = buildComposed()

func buildComposed() map[rune]*[8]rune {
	t := map[rune]*[8]rune{}
	marks := []rune{cmGrave, cmAcute, cmHook, cmTilde, cmDot, cmCirc, cmBreve, cmHorn}
	for r := range vnLetters {
		for i, m := range marks {
			c := norm.NFC.String(string(r) + string(m))
			if cr, n := utf8.DecodeRuneInString(c); n == len(c) {
				if t[r] == nil {
					t[r] = new([8]rune)
				}
				t[r][i] = cr
			}
		}
	}
	return t
}

// Case of the runes below caseLimit and in the Latin Extended Additional
// block (Vietnamese toned vowels), precomputed from package unicode.
const caseLimit = 0x250

type caseInfo struct {
	lower, title  rune
	letter, space bool
}

var (
	caseLow [caseLimit]caseInfo
	caseExt [0x100]caseInfo // U+1E00-U+1EFF
)

func init() {
	for r := rune(0); r < caseLimit; r++ {
		caseLow[r] = newCaseInfo(r)
	}
	for i := range caseExt {
		r := rune(0x1E00 + i)
		caseExt[i] = newCaseInfo(r)
	}
}

// caseOf returns the case information of r.
func caseOf(r rune) caseInfo {
	switch {
	case r < caseLimit:
		return caseLow[r]
	case r >= 0x1E00 && r <= 0x1EFF:
		return caseExt[r-0x1E00]
	}
	return newCaseInfo(r)
}

func newCaseInfo(r rune) caseInfo {
	return caseInfo{unicode.ToLower(r), unicode.ToTitle(r), unicode.IsLetter(r), unicode.IsSpace(r)}
}

// appendMark appends the combining mark m to out, composing it with the
// letter before it when Vietnamese has that letter. It reports false when it
// could not, and the caller must then put the whole result through NFC.
func appendMark(out []byte, m rune) ([]byte, bool) {
	if i := markIndex(m); i >= 0 {
		last, n := utf8.DecodeLastRune(out)
		if t := composed[last]; t != nil && t[i] != 0 {
			return utf8.AppendRune(out[:len(out)-n], t[i]), true
		}
	}
	return utf8.AppendRune(out, m), false
}

// isNFCFast reports whether s is certainly in NFC because none of its runes
// is at or above U+0300, outside the Latin Extended Additional block
// (U+1E00-U+1EFF, where the toned vowels are). Such runes have no
// decomposition that NFC would change and no combining class, so they cannot
// combine. False means: ask norm.
func isNFCFast(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0xCC: // ASCII, continuation, or a lead byte below U+0300
		case c == 0xE1 && i+1 < len(s) && (s[i+1] == 0xB8 || s[i+1] == 0xB9 || s[i+1] == 0xBA || s[i+1] == 0xBB):
			i++
		default:
			return false
		}
	}
	return true
}

// nfc returns s in NFC, asking norm only when the fast check cannot tell.
func nfc(s string) string {
	if isNFCFast(s) {
		return s
	}
	return norm.NFC.String(s)
}
