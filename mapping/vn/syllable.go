package vn

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese spelling, enough to tell text from mojibake: a syllable is an
// onset, a vowel nucleus (with its glides) and a coda, with at most one tone
// mark, and a coda c, ch, p or t only after the acute or dot tone.

const (
	toneNone = iota
	toneGrave
	toneAcute
	toneHook
	toneTilde
	toneDot
)

// vnLetter is a lowercase letter of the Vietnamese alphabet without its tone
// (ă, â, ê, ô, ơ, ư, đ keep their marks) and the tone it carried.
type vnLetter struct {
	base rune
	tone uint8
}

// vnLetters are the Vietnamese letters, both cases, with and without tones.
var vnLetters = buildVNLetters()

func buildVNLetters() map[rune]vnLetter {
	m := map[rune]vnLetter{}
	tones := []rune{0, cmGrave, cmAcute, cmHook, cmTilde, cmDot}
	for _, base := range "aăâeêioôơuưy" {
		for t, mark := range tones {
			for _, b := range []rune{base, toUpperVN(base)} {
				s := string(b)
				if mark != 0 {
					s = norm.NFC.String(s + string(mark))
				}
				r, n := utf8.DecodeRuneInString(s)
				if n != len(s) {
					panic("vn: " + s + " has no precomposed form")
				}
				m[r] = vnLetter{base, uint8(t)}
			}
		}
	}
	for _, c := range "bcdđghklmnpqrstvx" {
		m[c] = vnLetter{c, toneNone}
		m[toUpperVN(c)] = vnLetter{c, toneNone}
	}
	return m
}

func isLowerVN(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 0xC0 && unicode.IsLower(r)
}

func toUpperVN(r rune) rune {
	switch r {
	case 'ă':
		return 'Ă'
	case 'â':
		return 'Â'
	case 'ê':
		return 'Ê'
	case 'ô':
		return 'Ô'
	case 'ơ':
		return 'Ơ'
	case 'ư':
		return 'Ư'
	case 'đ':
		return 'Đ'
	}
	return r - 'a' + 'A'
}

var onsets = []string{"ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""}

// rhyme is what may follow a vowel nucleus: open says the syllable may end
// at it, codas lists the final consonants it takes.
type rhyme struct {
	open  bool
	codas string // space-separated
}

// nuclei are the vowel sequences of Vietnamese spelling (with their glides)
// and the codas each takes: "anh" and "ênh" but not "ânh", "ơng" or "ich"
// after o.
var nuclei = map[string]rhyme{
	"a": {true, "c ch m n ng nh p t"}, "ă": {false, "c m n ng p t"}, "â": {false, "c m n ng p t"},
	"e": {true, "c m n ng p t"}, "ê": {true, "ch m n nh p t ng"}, "i": {true, "ch m n nh p t"},
	"o": {true, "c m n ng p t"}, "ô": {true, "c m n ng p t"}, "ơ": {true, "m n p t"},
	"u": {true, "c m n ng p t"}, "ư": {true, "c m n ng t"}, "y": {true, ""},
	"ai": {true, ""}, "ao": {true, ""}, "au": {true, ""}, "ay": {true, ""}, "âu": {true, ""}, "ây": {true, ""},
	"eo": {true, ""}, "êu": {true, ""}, "ia": {true, ""}, "iu": {true, ""}, "oi": {true, ""}, "ôi": {true, ""},
	"ơi": {true, ""}, "ua": {true, ""}, "ui": {true, ""}, "uơ": {true, ""}, "ưa": {true, ""}, "ưi": {true, ""},
	"ưu": {true, ""}, "iêu": {true, ""}, "yêu": {true, ""}, "oai": {true, ""}, "oay": {true, ""},
	"oeo": {true, ""}, "uây": {true, ""}, "uôi": {true, ""}, "ươi": {true, ""}, "ươu": {true, ""},
	"uya": {true, ""}, "uyu": {true, ""},
	"iê": {false, "c m n ng p t"}, "yê": {false, "m n ng t"}, "uô": {false, "c m n ng t"},
	"ươ": {false, "c m n ng p t"}, "oa": {true, "c ch m n ng nh p t"}, "oă": {false, "c m n ng t"},
	"oe": {true, "n t"}, "uâ": {false, "n ng t"}, "uê": {true, "ch nh"}, "uy": {true, "ch n nh p t"},
	"uyê": {false, "n t"}, "oo": {false, "c ng"},
}

func isVowel(r rune) bool {
	switch r {
	case 'a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y':
		return true
	}
	return false
}

// isSyllable reports whether word (NFC) is one Vietnamese syllable, in lower
// case, capitalised or in capitals; a capital after a small letter ("vỔ") is
// mojibake.
func isSyllable(word string) bool {
	var buf [16]rune
	base := buf[:0]
	tone := uint8(toneNone)
	at := -1 // index in base of the toned vowel
	lower := false
	for _, r := range word {
		l, ok := letterOf(r)
		if !ok || len(base) == len(buf) {
			return false
		}
		if isLowerVN(r) {
			lower = true
		} else if lower {
			return false
		}
		if l.tone != toneNone {
			if tone != toneNone {
				return false
			}
			tone, at = l.tone, len(base)
		}
		base = append(base, l.base)
	}
	var key [16]byte // the nucleus, UTF-8, as a map key without allocating
	for _, on := range onsets {
		rest, ok := cutPrefix(base, on)
		if !ok {
			continue
		}
		i, n := 0, 0
		for i < len(rest) && isVowel(rest[i]) {
			if n+utf8.RuneLen(rest[i]) > len(key) {
				return false
			}
			n += utf8.EncodeRune(key[n:], rest[i])
			i++
		}
		coda := codaOf(rest[i:])
		nu, ok := nucleusRhymes[string(key[:n])]
		if !ok || coda < 0 || (coda == 0 && !nu.open) || (coda > 0 && nu.codas&(1<<coda) == 0) {
			continue
		}
		if tone != toneNone && !toneFits(rest[:i], at-(len(base)-len(rest)), coda != 0) {
			continue
		}
		switch coda {
		case codaC, codaCH, codaP, codaT:
			if tone != toneAcute && tone != toneDot {
				continue
			}
		}
		return true
	}
	return false
}

// The codas, numbered for rhymeSet's bits; 0 is none.
const (
	codaC = 1 + iota
	codaCH
	codaM
	codaN
	codaNG
	codaNH
	codaP
	codaT
)

var codaNames = map[string]int{"c": codaC, "ch": codaCH, "m": codaM, "n": codaN, "ng": codaNG, "nh": codaNH, "p": codaP, "t": codaT}

// codaOf numbers the letters after a nucleus: 0 for none, -1 for letters
// that are no coda.
func codaOf(r []rune) int {
	switch len(r) {
	case 0:
		return 0
	case 1:
		switch r[0] {
		case 'c':
			return codaC
		case 'm':
			return codaM
		case 'n':
			return codaN
		case 'p':
			return codaP
		case 't':
			return codaT
		}
	case 2:
		switch {
		case r[0] == 'c' && r[1] == 'h':
			return codaCH
		case r[0] == 'n' && r[1] == 'g':
			return codaNG
		case r[0] == 'n' && r[1] == 'h':
			return codaNH
		}
	}
	return -1
}

// rhymeSet is a rhyme with its codas as bits, for isSyllable.
type rhymeSet struct {
	open  bool
	codas uint16
}

// nucleusRhymes is nuclei with the codas as bits.
var nucleusRhymes = func() map[string]rhymeSet {
	m := make(map[string]rhymeSet, len(nuclei))
	for k, r := range nuclei {
		rs := rhymeSet{open: r.open}
		for f := range strings.FieldsSeq(r.codas) {
			rs.codas |= 1 << codaNames[f]
		}
		m[k] = rs
	}
	return m
}()

// letterOf is vnLetters[r], by table for the runes Vietnamese letters are
// among: isSyllable asks it for every rune of every word it judges.
func letterOf(r rune) (vnLetter, bool) {
	var e letterEntry
	switch {
	case r < 0x250:
		e = letterTable.low[r]
	case r >= 0x1E00 && r <= 0x1EFF:
		e = letterTable.ext[r-0x1E00]
	default:
		return vnLetter{}, false
	}
	return e.vnLetter, e.ok
}

type letterEntry struct {
	vnLetter
	ok bool
}

var letterTable = func() (t struct {
	low [0x250]letterEntry
	ext [0x100]letterEntry
}) {
	for r, l := range vnLetters {
		switch {
		case r < 0x250:
			t.low[r] = letterEntry{l, true}
		case r >= 0x1E00 && r <= 0x1EFF:
			t.ext[r-0x1E00] = letterEntry{l, true}
		default:
			panic("vn: a Vietnamese letter outside the tables")
		}
	}
	return t
}()

// toneFits reports whether the tone may sit on nucleus[at]: on the last vowel
// with a diacritic (ươ → ơ, uyê → ê), else on the last vowel before a coda
// (oan), else on the first vowel of a nucleus ending in a glide (ai, ao), or
// on either vowel of oa, oe, uy, as old and new spelling differ (hóa, hoá).
func toneFits(nucleus []rune, at int, coda bool) bool {
	if at < 0 || at >= len(nucleus) {
		return false // the tone is on the onset
	}
	for i := len(nucleus) - 1; i >= 0; i-- {
		switch nucleus[i] {
		case 'ă', 'â', 'ê', 'ô', 'ơ', 'ư':
			return at == i
		}
	}
	switch {
	case len(nucleus) == 1:
		return true
	case coda:
		return at == len(nucleus)-1
	}
	switch string(nucleus) {
	case "oa", "oe", "uy":
		return true
	case "oai", "oay", "oeo", "uyu", "uya":
		return at == 1
	}
	return at == 0
}

func cutPrefix(s []rune, prefix string) ([]rune, bool) {
	i := 0
	for _, r := range prefix {
		if i >= len(s) || s[i] != r {
			return nil, false
		}
		i++
	}
	return s[i:], true
}

func (r rhyme) takes(coda string) bool {
	if coda == "" {
		return r.open
	}
	for f := range strings.FieldsSeq(r.codas) {
		if f == coda {
			return true
		}
	}
	return false
}
