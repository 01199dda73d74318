package vn

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// VIQR (RFC 1456, Vietnamese Quoted-Readable) writes the marks as ASCII after
// the letter: ( breve, ^ circumflex, + horn; ' acute, ` grave, ? hook, ~
// tilde, . dot; DD/dd is Đ/đ. A backslash makes the next mark literal ("\.").
// RFC 1456 leaves "vậy?" versus "vẩy" to the writer's escapes; this decoder
// also keeps a mark literal when it cannot apply (after a consonant, a second
// tone in the same word, a circumflex on u), so ordinary punctuation after
// consonants and after toned words survives.

func viqrMod(c byte) rune {
	switch c {
	case '(':
		return cmBreve
	case '^':
		return cmCirc
	case '+', '*':
		return cmHorn
	}
	return 0
}

func viqrTone(c byte) rune {
	switch c {
	case '\'':
		return cmAcute
	case '`':
		return cmGrave
	case '?':
		return cmHook
	case '~':
		return cmTilde
	case '.':
		return cmDot
	}
	return 0
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func decodeVIQR(b []byte) string {
	// "a." is 2 bytes and "ạ" 3, so the output may outgrow the input.
	out := make([]byte, 0, len(b)+len(b)/2)
	var base byte // lowercase vowel the next mark may go on, 0 if none
	var mod rune
	wordTone := false // the current word already has a tone
	composedAll := true
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) && (viqrMod(b[i+1]) != 0 || viqrTone(b[i+1]) != 0 || b[i+1] == '\\') {
			i++
			out = append(out, b[i])
			base, mod = 0, 0
			continue
		}
		if m := viqrMod(c); m != 0 && base != 0 && mod == 0 && viqrModFits(base, m) {
			var ok bool
			out, ok = appendMark(out, m)
			composedAll = composedAll && ok
			mod = m
			continue
		}
		if t := viqrTone(c); t != 0 && base != 0 && !wordTone {
			var ok bool
			out, ok = appendMark(out, t)
			composedAll = composedAll && ok
			wordTone = true
			base, mod = 0, 0
			continue
		}
		if (c == 'd' || c == 'D') && i+1 < len(b) && (b[i+1] == 'd' || b[i+1] == 'D') && !(c == 'd' && b[i+1] == 'D') &&
			(len(out) == 0 || out[len(out)-1] < utf8.RuneSelf && !isASCIILetter(out[len(out)-1])) {
			// đ only begins a syllable, so "dd" inside a word stays.
			if c == 'd' {
				out = append(out, "đ"...)
			} else {
				out = append(out, "Đ"...)
			}
			i++
			base, mod = 0, 0
			continue
		}
		out = append(out, c)
		base, mod = 0, 0
		switch {
		case isASCIILetter(c):
			switch c | 0x20 {
			case 'a', 'e', 'i', 'o', 'u', 'y':
				base = c | 0x20
			}
		case c >= utf8.RuneSelf:
		default:
			wordTone = false
		}
	}
	if !composedAll {
		return norm.NFC.String(string(out))
	}
	return nfc(string(out))
}

func viqrModFits(base byte, m rune) bool {
	switch m {
	case cmBreve:
		return base == 'a'
	case cmCirc:
		return base == 'a' || base == 'e' || base == 'o'
	case cmHorn:
		return base == 'o' || base == 'u'
	}
	return false
}
