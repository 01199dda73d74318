package vn

import (
	"unicode"
	"unicode/utf8"
)

// Name normalises a person's name: NFC, trimmed, runs of spaces (including
// no-break and ideographic spaces) collapsed to one, zero-width characters
// dropped, and each syllable capitalised: its first letter upper case, the
// rest lower ("  nGUYỄN   thị   minh KHAI " → "Nguyễn Thị Minh Khai", "đặng văn
// đức" → "Đặng Văn Đức"). A letter after a hyphen or an apostrophe also starts
// a syllable, as in Ê Đê and Gia Rai names ("H'Hen Niê", "Ksor H'Mai").
// Diacritics are kept: there is no ASCII folding. A name already in this form
// is returned without allocating.
func Name(s string) string {
	s = nfc(s) // s itself, without allocating, when it is NFC
	var stack [128]byte
	out := stack[:0]
	start := true  // the next letter begins a syllable
	space := false // a space is owed before the next character
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				space = len(out) > 0
				start = true
				continue
			case c >= 'a' && c <= 'z':
				if start {
					c -= 'a' - 'A'
				}
				start = false
			case c >= 'A' && c <= 'Z':
				if !start {
					c += 'a' - 'A'
				}
				start = false
			case c == '-' || c == '\'':
				start = true
			default:
				start = false
			}
			if space {
				out = append(out, ' ')
				space = false
			}
			out = append(out, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		ci := caseOf(r)
		switch {
		case ci.space:
			space = len(out) > 0
			start = true
			continue
		case r == 0x200B || r == 0x200C || r == 0x200D || r == 0xFEFF || r == 0xAD:
			continue // zero-width and soft hyphen, from copy and paste
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		switch {
		case ci.letter:
			if start {
				r = ci.title
			} else {
				r = ci.lower
			}
			start = false
		case r == '\u2019' || r == '\u2010' || r == '\u2011':
			start = true // typographic apostrophe and hyphens
		case unicode.Is(unicode.Mn, r):
			// a mark stays with its letter
		default:
			start = false
		}
		out = utf8.AppendRune(out, r)
	}
	if string(out) == s {
		return s
	}
	return string(out)
}
