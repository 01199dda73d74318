package vn

//go:generate go run gentables.go

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Encoding is a text encoding found in department files and databases.
type Encoding string

// The encodings Decode reads.
const (
	// UTF8 is UTF-8, with or without a byte order mark.
	UTF8 Encoding = "utf-8"
	// UTF16LE is little-endian UTF-16, what Windows and Excel call
	// "Unicode"; a byte order mark, if present, wins over the name.
	UTF16LE Encoding = "utf-16le"
	// UTF16BE is big-endian UTF-16; a byte order mark wins over the name.
	UTF16BE Encoding = "utf-16be"
	// CP1258 is Windows-1258: precomposed vowels for some letters, combining
	// tone marks for the rest.
	CP1258 Encoding = "windows-1258"
	// TCVN3 is TCVN 5712:1993 as the ABC fonts (.VnTime, .VnArial) hold it.
	// VN3, what those fonts hold, has only lowercase toned vowels (0xB5-0xFE)
	// and seven plain capitals (Ă Â Ê Ô Ơ Ư Đ at 0xA1-0xA7): capitals with a
	// tone were typed in a separate capitals font (.VnTimeH) that draws the
	// lowercase bytes as capitals, so the font, and the case, is lost in a
	// text file and those letters decode as lowercase (Name restores the case
	// of names). VN1 (glibc's TCVN5712-1, iconv's output) is a superset that
	// also places capitals with tones in 0x01-0x17 and 0x80-0xFF; VN3 leaves
	// those bytes unassigned, so decoding by the VN1 table reads both
	// variants. The one loss: Windows-1252 punctuation (curly quotes, dashes)
	// that Word wrote in 0x80-0x9F with an ABC font decodes as VN1 capitals.
	TCVN3 Encoding = "tcvn3"
	// VNI is VNI-Windows (VNI-Times fonts): a base letter followed by a byte
	// that adds the diacritic and tone ("Nguyeãn"), in Windows-1252 bytes.
	VNI Encoding = "vni"
	// VIQR is RFC 1456 Vietnamese Quoted-Readable: ASCII marks after the
	// vowel ("Nguye^~n", "DDu+'c"), in UTF-8 text.
	VIQR Encoding = "viqr"
)

var encodingNames = map[string]Encoding{
	"utf-8": UTF8, "utf8": UTF8,
	"utf-16le": UTF16LE, "utf16le": UTF16LE, "utf-16": UTF16LE, "utf16": UTF16LE, "ucs-2": UTF16LE, "ucs-2le": UTF16LE,
	"utf-16be": UTF16BE, "utf16be": UTF16BE, "ucs-2be": UTF16BE,
	"windows-1258": CP1258, "cp1258": CP1258, "win-1258": CP1258, "win1258": CP1258, "x-cp1258": CP1258, "ms-1258": CP1258,
	"tcvn3": TCVN3, "tcvn": TCVN3, "tcvn-3": TCVN3, "tcvn5712": TCVN3, "tcvn-5712": TCVN3, "tcvn5712-1": TCVN3,
	"tcvn5712-3": TCVN3, "tcvn5712-1:1993": TCVN3, "abc": TCVN3, "vn3": TCVN3, "vscii": TCVN3, "vscii-3": TCVN3,
	"vntime": TCVN3, ".vntime": TCVN3, "x-viet-tcvn5712": TCVN3,
	"vni": VNI, "vni-windows": VNI, "vni-win": VNI, "vniwin": VNI, "vni-times": VNI, "vnitimes": VNI,
	"viqr": VIQR, "vietnet": VIQR, "rfc1456": VIQR,
}

// ParseEncoding returns the encoding a configuration names, accepting the
// usual aliases case-insensitively, with spaces or underscores for hyphens:
// "abc", "tcvn5712", "VN3" and ".VnTime" for TCVN3; "cp1258" for Windows-1258;
// "VNI Windows" for VNI; "utf-16" and "ucs-2" for UTF16LE (Windows' "Unicode"
// files).
func ParseEncoding(name string) (Encoding, error) {
	key := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_':
			return '-'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(name)))
	if e, ok := encodingNames[key]; ok {
		return e, nil
	}
	return "", newError(ReasonEncoding, fmt.Sprintf("unknown encoding %q (want utf-8, utf-16le, utf-16be, windows-1258, tcvn3, vni or viqr)", name))
}

// NFC returns s in Unicode normalization form C, the form every text field of
// the common schema is in. An s already in NFC is returned as is.
func NFC(s string) string { return nfc(s) }

// Decode converts text in enc to UTF-8 in NFC. Input a department could not
// have meant in enc (invalid UTF-8 or UTF-16, a byte Windows-1258 leaves
// unassigned, a VNI mark after a consonant) is an encoding_suspect error that
// names the byte and its offset. A UTF-8 or UTF-16 byte order mark is dropped.
func Decode(enc Encoding, b []byte) (string, error) {
	switch enc {
	case UTF8:
		return decodeUTF8(b)
	case UTF16LE, UTF16BE:
		return decodeUTF16(enc, b)
	case CP1258:
		return decodeTable(enc, &cp1258Table, b)
	case TCVN3:
		return decodeTable(enc, &tcvnTable, b)
	case VNI:
		s, bad, _ := decodeVNI(b)
		if bad >= 0 {
			return "", newError(ReasonEncoding, fmt.Sprintf("%s text: byte %#02x at offset %d is a mark that follows no vowel it fits, or unassigned", enc, b[bad], bad))
		}
		return s, nil
	case VIQR:
		if i := invalidUTF8(b); i >= 0 {
			return "", newError(ReasonEncoding, fmt.Sprintf("%s text: byte %#02x at offset %d is not UTF-8", enc, b[i], i))
		}
		return decodeVIQR(b), nil
	}
	return "", newError(ReasonEncoding, fmt.Sprintf("unknown encoding %q", string(enc)))
}

func decodeUTF8(b []byte) (string, error) {
	bom := 0
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		bom, b = 3, b[3:]
	}
	if i := invalidUTF8(b); i >= 0 {
		return "", newError(ReasonEncoding, fmt.Sprintf("utf-8 text: byte %#02x at offset %d is not UTF-8", b[i], bom+i))
	}
	return nfc(string(b)), nil
}

// invalidUTF8 returns the offset of the first byte that is not UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1 // most text: utf8.Valid reads eight ASCII bytes at a time
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

func decodeUTF16(enc Encoding, b []byte) (string, error) {
	big, bom := enc == UTF16BE, 0
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		big, bom, b = false, 2, b[2:]
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		big, bom, b = true, 2, b[2:]
	}
	if len(b)%2 != 0 {
		return "", newError(ReasonEncoding, fmt.Sprintf("%s text: odd length %d, a UTF-16 text has whole 2-byte units", enc, len(b)))
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for i := 0; i < len(b); i += 2 {
		u := rune(b[i]) | rune(b[i+1])<<8
		if big {
			u = rune(b[i])<<8 | rune(b[i+1])
		}
		if utf16.IsSurrogate(u) {
			var u2 rune = -1
			if i+3 < len(b) {
				u2 = rune(b[i+2]) | rune(b[i+3])<<8
				if big {
					u2 = rune(b[i+2])<<8 | rune(b[i+3])
				}
			}
			r := utf16.DecodeRune(u, u2)
			if r == utf8.RuneError {
				return "", newError(ReasonEncoding, fmt.Sprintf("%s text: unpaired surrogate %#04x at offset %d", enc, u, bom+i))
			}
			out = utf8.AppendRune(out, r)
			i += 2
			continue
		}
		out = utf8.AppendRune(out, u)
	}
	return nfc(string(out)), nil
}

// decodeTable decodes a single-byte encoding. Both tables hold combining tone
// marks (Windows-1258 for most toned vowels, TCVN 5712 for rare ones), which
// appendMark composes with the vowel before them.
func decodeTable(enc Encoding, t *[256]rune, b []byte) (string, error) {
	n, ascii := 0, true
	for i, c := range b {
		switch r := t[c]; {
		case c < utf8.RuneSelf:
			n++
			if c < 0x18 && enc == TCVN3 && r != rune(c) {
				ascii = false
				n += 2
			}
		case r < 0:
			return "", newError(ReasonEncoding, fmt.Sprintf("%s text: byte %#02x at offset %d is not assigned", enc, c, i))
		default:
			ascii = false
			n += utf8.RuneLen(r)
		}
	}
	if ascii {
		return string(b), nil
	}
	out := make([]byte, 0, n)
	composedAll := true
	for _, c := range b {
		r := t[c]
		if r >= 0x300 && r < 0x370 {
			var ok bool
			if out, ok = appendMark(out, r); !ok {
				composedAll = false
			}
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	if !composedAll {
		return norm.NFC.String(string(out)), nil
	}
	return string(out), nil
}
