package vn

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// VNI-Windows, as the VNI-Times fonts draw it: Windows-1252 bytes, where a
// vowel is written as its base letter followed by one byte that adds the
// diacritic, the tone or both (Unikey's VNI-WIN table; e.g. "Nguye" + 0xE3
// "ã" is "Nguyễn", "Ñ" 0xD1 is "Đ"). A lowercase mark byte sits 0x20 above its
// capital twin; the case of the output letter follows its base letter, as
// typists mixed them. The narrow letters (i with tones, đ, ơ, ư, ỵ) are single
// bytes. Sources: VNI Software's VNI-Windows code chart as implemented by
// Unikey's vnconv (unikey/data.cpp), cross-checked against the
// vietnamese-conversion package's VNI table.

type vniMark struct{ mod, tone rune }

var (
	vniMarks   [256]vniMark
	vniLetters [256]rune
	cp1252High = [32]rune{ // 0x80-0x9F; -1 unassigned
		0x20AC, -1, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, -1, 0x017D, -1,
		-1, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, -1, 0x017E, 0x0178,
	}
)

func init() {
	lower := map[byte]vniMark{
		0xF9: {0, cmAcute}, 0xF8: {0, cmGrave}, 0xFB: {0, cmHook}, 0xF5: {0, cmTilde}, 0xEF: {0, cmDot},
		0xE2: {cmCirc, 0}, 0xE1: {cmCirc, cmAcute}, 0xE0: {cmCirc, cmGrave}, 0xE5: {cmCirc, cmHook}, 0xE3: {cmCirc, cmTilde}, 0xE4: {cmCirc, cmDot},
		0xEA: {cmBreve, 0}, 0xE9: {cmBreve, cmAcute}, 0xE8: {cmBreve, cmGrave}, 0xFA: {cmBreve, cmHook}, 0xFC: {cmBreve, cmTilde}, 0xEB: {cmBreve, cmDot},
	}
	for b, m := range lower {
		vniMarks[b] = m
		vniMarks[b-0x20] = m
	}
	letters := map[byte]rune{
		0xEC: 'ì', 0xED: 'í', 0xE6: 'ỉ', 0xF3: 'ĩ', 0xF2: 'ị', 0xF1: 'đ', 0xF4: 'ơ', 0xF6: 'ư', 0xEE: 'ỵ',
		0xCC: 'Ì', 0xCD: 'Í', 0xC6: 'Ỉ', 0xD3: 'Ĩ', 0xD2: 'Ị', 0xD1: 'Đ', 0xD4: 'Ơ', 0xD6: 'Ư', 0xCE: 'Ỵ',
	}
	for b, r := range letters {
		vniLetters[b] = r
	}
}

// vniVowel returns the lowercase base vowel of r (a, e, i, o, u, y, ơ, ư) and
// whether it takes marks: r must be a plain vowel, ơ or ư.
func vniVowel(r rune) (rune, bool) {
	switch r {
	case 'a', 'e', 'i', 'o', 'u', 'y', 'ơ', 'ư':
		return r, true
	case 'A', 'E', 'I', 'O', 'U', 'Y':
		return r + 0x20, true
	case 'Ơ':
		return 'ơ', true
	case 'Ư':
		return 'ư', true
	}
	return 0, false
}

// decodeVNI decodes VNI-Windows bytes. A mark byte that follows no vowel it
// can go on is kept as its Windows-1252 letter; bad is the offset of the
// first one (-1 if none) and strays their number: Decode rejects them,
// Detect counts them against VNI.
func decodeVNI(b []byte) (s string, bad, strays int) {
	bad = -1
	out := make([]byte, 0, len(b)+len(b)/2)
	var base rune // lowercase base vowel of the last letter, 0 if none
	var mod, tone rune
	composedAll := true
	for i, c := range b {
		if c < utf8.RuneSelf {
			out = append(out, c)
			base, mod, tone = 0, 0, 0
			if v, ok := vniVowel(rune(c)); ok {
				base = v
			}
			continue
		}
		if m := vniMarks[c]; m.mod != 0 || m.tone != 0 {
			if vniMarkFits(base, mod, tone, m) {
				var ok bool
				if m.mod != 0 {
					out, ok = appendMark(out, m.mod)
					composedAll = composedAll && ok
					mod = m.mod
				}
				if m.tone != 0 {
					out, ok = appendMark(out, m.tone)
					composedAll = composedAll && ok
					tone = m.tone
				}
				continue
			}
			if bad < 0 {
				bad = i
			}
			strays++
			out = utf8.AppendRune(out, rune(c)) // Latin-1 = Windows-1252 above 0x9F
			base, mod, tone = 0, 0, 0
			continue
		}
		base, mod, tone = 0, 0, 0
		switch r := vniLetters[c]; {
		case r != 0:
			out = utf8.AppendRune(out, r)
			if v, ok := vniVowel(r); ok {
				base = v // ơ, ư take a tone byte after them
			}
		case c < 0xA0:
			r = cp1252High[c-0x80]
			if r < 0 {
				if bad < 0 {
					bad = i
				}
				strays++
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	if !composedAll {
		return norm.NFC.String(string(out)), bad, strays
	}
	return string(out), bad, strays
}

// vniMarkFits reports whether mark m can follow the base vowel that already
// carries mod and tone: circumflex on a, e, o; breve on a; one tone.
func vniMarkFits(base, mod, tone rune, m vniMark) bool {
	if base == 0 || (m.tone != 0 && tone != 0) {
		return false
	}
	switch m.mod {
	case 0:
		return true
	case cmCirc:
		return mod == 0 && tone == 0 && (base == 'a' || base == 'e' || base == 'o')
	case cmBreve:
		return mod == 0 && tone == 0 && base == 'a'
	}
	return false
}
