package vn

import (
	"unicode"
	"unicode/utf8"
)

// Numbers on paper and in spreadsheets are written in digit groups, and
// the characters between the groups are whatever the typist's keyboard,
// word processor or copy and paste made of a space or a dash: a no-break
// space (Excel), a thin or narrow no-break space (Word), a zero-width
// space or a soft hyphen (web pages), a dot, a hyphen, an en dash. ID and
// phone numbers read them all as they read an ASCII space.

// isGroupSpace reports whether r separates digit groups as a space does:
// any Unicode space, and the invisible characters copy and paste leaves
// (zero-width spaces and joiners, the word joiner, a byte order mark, a
// soft hyphen).
func isGroupSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD':
		return true
	}
	return r >= utf8.RuneSelf && (unicode.IsSpace(r) || unicode.Is(unicode.Zs, r))
}

// isGroupMark reports whether r is a dot or a hyphen between digit groups:
// ASCII ones, the Unicode hyphens and dashes word processors put in their
// place, the minus sign, and their full-width forms.
func isGroupMark(r rune) bool {
	switch r {
	case '.', '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2212', '\uFE63', '\uFF0D', '\uFF0E':
		return true
	}
	return false
}

// digitGroups reads the ASCII digits of s written in groups: spaces (see
// isGroupSpace) anywhere, dots and hyphens only between two digits. The
// first len(d) digits go to d; n counts them all. bad describes the first
// character that is neither, or a dot or hyphen with no digit on one side,
// quoted as Visible does; "" when there is none.
func digitGroups(s string, d []byte) (n int, bad string) {
	mark := -1 // offset of a dot or hyphen not yet followed by a digit
	for i := 0; i < len(s); {
		c := s[i]
		if c >= '0' && c <= '9' {
			if n < len(d) {
				d[n] = c
			}
			n++
			mark = -1
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case r == utf8.RuneError && size <= 1:
			return n, Visible(s[i:i+1]) + " is not a digit or a separator"
		case isGroupSpace(r):
		case isGroupMark(r):
			if n == 0 {
				return n, Visible(string(r)) + " comes before the first digit"
			}
			mark = i
		default:
			return n, Visible(string(r)) + " is not a digit or a separator"
		}
		i += size
	}
	if mark >= 0 {
		r, _ := utf8.DecodeRuneInString(s[mark:])
		return n, Visible(string(r)) + " comes after the last digit"
	}
	return n, ""
}
