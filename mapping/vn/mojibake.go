package vn

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mojibake, value by value. DetectText judges a column from many samples;
// a mapping must judge each value on its own, since a register's rows are
// often typed on different machines over the years, some in TCVN3 or VNI
// fonts and most in Unicode. One value is a few words: too little evidence
// for the compounded confidence of Detect, so the rule is stricter: a
// reading is certain only when it is the one reading whose every word with
// a diacritic is a Vietnamese syllable, while the text as stored has a word
// that is not.

// repairOrder lists the readings of misread text RepairText tries, in the
// order its messages name them: UTF-8 here is UTF-8 read as Windows-1252
// and stored again as UTF-8 ("Nguyá»…n").
var repairOrder = [...]Encoding{UTF8, TCVN3, VNI, CP1258}

// RepairText checks one text value for legacy Vietnamese that reached a
// Unicode column misread (see LegacyBytes), or as raw bytes that are not
// UTF-8, and repairs it when the reading is certain:
//
//   - Clean text is returned as it is, with from empty. Text of ASCII
//     alone, and text with any character misread text cannot hold (ơ, ư,
//     ă, đ, ĩ, ũ and every toned vowel beyond Latin-1: nearly all
//     Vietnamese), is clean without further work; so is text whose every
//     word with a diacritic is a Vietnamese syllable as it stands ("Hà
//     Lê", "Cà Mau"), and text no legacy reading makes more Vietnamese
//     ("Müller", "Xtiêng").
//   - Misread text ("NguyÔn ThÞ H­¬ng", "Nguyá»…n", "Nguyeãn") with one
//     reading in UTF-8, TCVN3, VNI or Windows-1258 whose every word with a
//     diacritic is a syllable, where the text as stored has a word that is
//     not, is repaired: out is that reading in NFC and from its encoding.
//     TCVN3 text typed in capitals (whose toned vowels decode lower case)
//     comes back in capitals.
//   - Anything else that looks misread, bytes that are not UTF-8 with no
//     certain reading, and text holding U+FFFD (a character an earlier
//     conversion already lost), is an encoding_suspect *Error whose
//     message shows the text as stored and its likeliest readings, with
//     invisible characters written as [U+00AD].
func RepairText(s string) (out string, from Encoding, err error) {
	if !maybeMisread(s) {
		return s, "", nil
	}
	valid := utf8.ValidString(s)
	var b []byte
	stored := reading{text: s, valid: -1}
	if valid {
		if strings.ContainsRune(s, utf8.RuneError) {
			return "", "", newError(ReasonEncoding, fmt.Sprintf("text %s holds U+FFFD, a character lost when the text was converted before it reached lienthong: correct it in the source", Visible(s)))
		}
		// UTF-8 read as Windows-1252: its bytes are UTF-8 again, with a
		// character of two or more bytes, which Latin-1 letters beside
		// each other almost never make. Its no-break spaces (à is C3 A0)
		// split words, so the text as stored may even score well. Its
		// reading is taken when its words are Vietnamese letters, even
		// if not syllables ("Avương", a commune of Quảng Nam).
		if maybeDoubleUTF8(s) {
			b, _ = LegacyBytes(s)
			if invalidUTF8(b) < 0 {
				if r := readAs(UTF8, b, false); r.signals == 0 && r.valid+r.invalid > 0 && r.text != s {
					return r.text, UTF8, nil
				}
			}
		}
		stored.text = nfc(s)
		stored.score()
		if stored.invalid == 0 {
			return s, "", nil
		}
		if b == nil {
			b, _ = LegacyBytes(s)
		}
	} else {
		b = []byte(s)
	}
	var rs [len(repairOrder)]reading
	for i, enc := range repairOrder {
		rs[i] = readAs(enc, b, valid && !capsSignal(s))
	}
	// The certain readings: every word with a diacritic a syllable; else,
	// when the text as stored holds a character no Vietnamese word has
	// (TCVN3's "Ch­ Pr«ng"), every such word Vietnamese letters and one
	// a syllable (its "Chư Prông", where Prông is a name of the Central
	// Highlands, not a syllable).
	for _, lettersOnly := range []bool{false, true} {
		if lettersOnly && stored.signals == 0 {
			break
		}
		certain := -1
		for i, r := range rs {
			ok := r.valid >= 1 && r.invalid == 0
			if lettersOnly {
				ok = r.valid >= 1 && r.signals == 0
			}
			if !ok || r.text == stored.text {
				continue
			}
			if certain >= 0 && rs[certain].text != r.text {
				return "", "", suspect(s, stored, rs[:], "two readings are Vietnamese")
			}
			if certain < 0 {
				certain = i
			}
		}
		if certain < 0 {
			continue
		}
		return rs[certain].text, rs[certain].enc, nil
	}
	if !valid {
		return "", "", suspect(s, stored, rs[:], "it is not UTF-8, and no reading is certain")
	}
	for _, r := range rs {
		if r.valid >= 0 && r.text != stored.text && r.p() > stored.p() {
			return "", "", suspect(s, stored, rs[:], "no reading is certain")
		}
	}
	return s, "", nil // not Vietnamese in any reading: foreign words, say
}

// maybeDoubleUTF8 reports whether s has a character that UTF-8 read as
// Windows-1252 begins one of Vietnam's letters with (Ã, Ä, Æ for the lead
// bytes C3, C4, C6; á for E1, as in "á»…") followed by one whose byte
// continues it (0x80-0xBF: », ¡, ‰, a no-break space).
func maybeDoubleUTF8(s string) bool {
	lead := false
	for _, r := range s {
		if lead {
			if b, ok := misreadByte(r); ok && b >= 0x80 && b <= 0xBF {
				return true
			}
		}
		lead = r >= 0xC2 && r <= 0xF4
	}
	return false
}

// reading is one way to read a value: of its words with a character
// beyond ASCII, valid are syllables, invalid are not, and signals are
// the invalid ones with a character that is no Vietnamese letter, or
// with a capital after a small letter or a small letter after two
// capitals ("NguyÔn", "BÕn"). valid is -1 for a reading that does not
// decode.
type reading struct {
	enc                     Encoding
	text                    string
	valid, invalid, signals int
}

func (r reading) p() float64 {
	if r.valid < 0 {
		return 0
	}
	return float64(r.valid+1) / float64(r.valid+r.invalid+2)
}

// score counts the reading's words as scoreText does, with the stricter
// case rule, and its signals.
func (r *reading) score() {
	r.valid, r.invalid, r.signals = 0, 0, 0
	for w := range strings.FieldsFuncSeq(r.text, isWordBreak) {
		w = strings.TrimFunc(w, isEdgePunct)
		if w == "" || isASCII(w) {
			continue
		}
		odd := oddCase(w)
		switch {
		case !odd && isSyllable(w):
			r.valid++
		case odd || !allLetters(w):
			r.invalid++
			r.signals++
		default:
			r.invalid++
		}
	}
}

// oddCase reports a word whose case no typist gives it: a capital after a
// small letter, or a small letter after two capitals.
func oddCase(w string) bool {
	upper, lower := 0, false
	for _, r := range w {
		if _, ok := letterOf(r); !ok && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			continue
		}
		if isLowerVN(r) {
			if upper >= 2 {
				return true
			}
			lower = true
			continue
		}
		if lower {
			return true
		}
		upper++
	}
	return false
}

func allLetters(w string) bool {
	for _, r := range w {
		if _, ok := letterOf(r); !ok && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// readAs decodes misread or raw bytes in enc and scores the result.
// noCaps refuses a TCVN3 reading that tcvnCase put in capitals.
func readAs(enc Encoding, b []byte, noCaps bool) reading {
	r := reading{enc: enc, valid: -1}
	var bad int
	switch enc {
	case UTF8:
		if invalidUTF8(b) >= 0 {
			return r
		}
		r.text = nfc(string(b))
	case VNI:
		r.text, _, bad = decodeVNI(b)
	default:
		text, err := Decode(enc, b)
		if err != nil {
			return r
		}
		r.text = text
		if enc == TCVN3 {
			if upper, caps := tcvnCase(b, text); caps {
				if noCaps {
					return r
				}
				// The decoded case may be right after all ("X\xb7 AL
				// B\xb8", Xã AL Bá): capitals only when it is not.
				if r.score(); r.invalid > 0 {
					r.text = upper
				}
			}
		}
	}
	r.score()
	r.invalid += bad
	r.signals += bad
	return r
}

// tcvnCase restores capitals to TCVN3 text typed in a capitals font: its
// toned vowels decode lower case, but its plain letters are ASCII capitals.
// Text without a small ASCII letter, with a word that has an ASCII
// capital after its first letter ("NGUY\xd4N"), is taken for capitals
// throughout; caps says it was. "B\xe8 H\xb9" (Bố Hạ) is not.
func tcvnCase(b []byte, text string) (out string, caps bool) {
	inner := false // an ASCII capital after a word's first letter
	first := true
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			return text, false
		case c >= 'A' && c <= 'Z':
			inner = inner || !first
			first = false
		case c == ' ' || c == '\t' || c == ',' || c == '-' || c == '.' || c == '\'' || c == '(' || c == ')' || c == '/':
			first = true
		default:
			first = false
		}
	}
	if !inner {
		return text, false
	}
	return strings.ToUpper(text), true
}

// capsSignal reports whether misread text in capitals shows a sign of
// being misread that clean text in capitals never has: a character that
// is neither ASCII, nor a Vietnamese letter, nor common punctuation (§,
// ¨, ª, µ, Þ: TCVN3's ă, đ, ê, à, ị). Without one, a TCVN3 reading in
// capitals is not tried: "IA PÚCH", a commune of Gia Lai, would read as
// "IA PẾCH", and "Xã SRó" as "XÓ SRÚ". A lone word in capitals whose
// TCVN3 letters all misread as Vietnamese capitals ("NGUYÔN") stays as it
// is: no rule tells it from a name of the Central Highlands.
func capsSignal(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
		switch r {
		case '\u00A0', '\u2018', '\u2019', '\u201C', '\u201D', '\u2013', '\u2014', '\u2026', '\u2022':
			continue
		}
		if _, letter := letterOf(r); !letter {
			return true
		}
	}
	return false
}

// suspect is the encoding_suspect error of a value with no certain
// reading: the text as stored and the readings more Vietnamese than it.
func suspect(s string, stored reading, rs []reading, why string) *Error {
	var b strings.Builder
	fmt.Fprintf(&b, "text %s looks like legacy Vietnamese misread (%s): ", Visible(s), why)
	if stored.valid >= 0 {
		fmt.Fprintf(&b, "as stored %s", Visible(stored.text))
	} else {
		b.WriteString("as stored it is not UTF-8")
	}
	named := 0
	for _, r := range rs {
		if r.valid < 0 || r.text == stored.text || r.p() <= stored.p() && stored.valid >= 0 {
			continue
		}
		fmt.Fprintf(&b, "; as %s %s", r.enc, Visible(r.text))
		named++
	}
	if named == 0 {
		// Raw bytes nothing reads well: name the closest readings anyway.
		for _, r := range rs {
			if r.valid >= 0 && r.enc != UTF8 {
				fmt.Fprintf(&b, "; as %s %s", r.enc, Visible(r.text))
			}
		}
	}
	b.WriteString(". Correct it in the source, or decode the column in the mapping, e.g. decode(ho_ten, \"tcvn3\")")
	return newError(ReasonEncoding, b.String())
}

// maybeMisread is the fast test RepairText starts with: whether s could be
// misread legacy text, raw legacy bytes or text holding U+FFFD. Text of
// ASCII alone, or UTF-8 with a character no single byte misreads as (every
// Vietnamese letter beyond Latin-1), cannot be, and is passed over
// without decoding a rune of it.
func maybeMisread(s string) bool {
	ascii := true
	for i := 0; i < len(s); {
		if i+8 <= len(s) && load8(s, i)&0x8080808080808080 == 0 {
			i += 8
			continue
		}
		c := s[i]
		switch {
		case c < utf8.RuneSelf:
			i++
			continue
		case c == 0xC2 || c == 0xC3:
			// U+0080-U+00FF: Latin-1, what misread bytes become.
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0xBF {
				ascii = false
				i += 2
				continue
			}
			return true // not UTF-8: raw bytes
		case c == 0xC5 || c == 0xC6 || c == 0xCB || c == 0xE2 || c == 0xEF:
			// Lead bytes of Windows-1252's letters and punctuation above
			// 0x7F (Œ, ƒ, ˆ, ‘, €) and of U+FFFD.
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError {
				return true
			}
			if _, ok := misreadByte(r); !ok {
				return false
			}
			ascii = false
			i += n
			continue
		case c == 0xE1 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80,
			c >= 0xC4 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
			// A Vietnamese letter beyond Latin-1 (U+1Exx, ơ, ư, ă, đ, ĩ,
			// ũ) or another character misread text cannot hold: clean.
			// The rest is not validated, which would double the cost of
			// a clean value: a Unicode column's driver hands over UTF-8,
			// and raw legacy bytes fail UTF-8 at their first byte beyond
			// ASCII, which this loop has reached.
			return false
		case c >= 0xE0 && c <= 0xF4:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return r == utf8.RuneError // else a character misread text cannot hold
		}
		return true // not UTF-8
	}
	return !ascii
}

// load8 reads the eight bytes of s from i as one word.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Visible quotes s for a message with every character a reader could not
// see or tell apart written as its code point: "042[U+00A0]090" for a
// no-break space, [U+200B] for a zero-width space, [U+00AD] for a soft
// hyphen, and [0xC2] for a byte that is not UTF-8. Messages that quote
// data use it, so a stray character never shows as a blank or as
// mojibake.
func Visible(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, "[0x%02X]", s[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == ' ' || (r > ' ' && r < utf8.RuneSelf && r != 0x7F):
			b.WriteRune(r)
		case !isVisible(r):
			fmt.Fprintf(&b, "[U+%04X]", r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

// isVisible reports whether r shows as itself: a printable character
// other than a space, a format character or U+FFFD.
func isVisible(r rune) bool {
	return r != utf8.RuneError && unicode.IsPrint(r)
}
