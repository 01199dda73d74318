package vn

import (
	"strings"
	"unicode/utf8"
)

// Legacy text reaches a Unicode system in one of two shapes: its raw bytes
// (a binary or latin1 column, a string that is not UTF-8), or "misread":
// each byte taken for the Windows-1252 or Latin-1 character it would be
// (TCVN3 "Nguyễn" stored as "NguyÔn"), which is what a MySQL latin1 column
// read over a utf8mb4 connection, or a copy through Excel, gives. Misread
// text loses nothing: every character maps back to its one byte.

// LegacyBytes returns the bytes that misread text was before it was read
// as Windows-1252 or Latin-1, and whether s is such text: valid UTF-8 whose
// every character is U+0000-U+00FF or one of the Windows-1252 characters of
// bytes 0x80-0x9F. Text of ASCII alone is its own bytes, with ok set.
func LegacyBytes(s string) (b []byte, ok bool) {
	if !isMisreadable(s) {
		return nil, false
	}
	b = make([]byte, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		c, _ := misreadByte(r)
		b = append(b, c)
	}
	return b, true
}

// misreadByte is the byte Windows-1252, or Latin-1 for the five bytes
// Windows-1252 leaves unassigned (MySQL's latin1 does the same), reads as r.
func misreadByte(r rune) (byte, bool) {
	if r < 0x100 {
		return byte(r), true
	}
	for i, c := range cp1252High {
		if c == r {
			return byte(0x80 + i), true
		}
	}
	return 0, false
}

// isMisreadable reports whether LegacyBytes maps every character of s to
// a byte. A byte that is not UTF-8 ranges as U+FFFD, which maps to none.
func isMisreadable(s string) bool {
	for _, r := range s {
		if _, ok := misreadByte(r); !ok {
			return false
		}
	}
	return true
}

// isSingleByte reports whether enc is a single-byte legacy encoding, whose
// text can arrive misread.
func isSingleByte(enc Encoding) bool {
	return enc == TCVN3 || enc == VNI || enc == CP1258
}

// DecodeText is Decode for text that arrived as a Go string, in either
// shape: for TCVN3, VNI and Windows-1258, text with a non-ASCII character
// that LegacyBytes maps back to bytes is decoded from those bytes, anything
// else from its own bytes. So "NguyÔn V¨n §øc" and "Nguy\xd4n V\xa8n \xa7\xf8c"
// both decode from TCVN3 as "Nguyễn Văn Đức". Valid UTF-8 with a letter no
// byte misreads as ("Nguyễn") is already Unicode, a row typed after the
// legacy fonts were left, and is returned in NFC. The rare raw legacy text
// that happens to be valid UTF-8 is taken as misread or as Unicode; a
// []byte value should go to Decode. Other encodings decode s as Decode does.
func DecodeText(enc Encoding, s string) (string, error) {
	if isSingleByte(enc) && !isASCII(s) {
		if b, ok := LegacyBytes(s); ok {
			return Decode(enc, b)
		}
		if utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError) {
			// A letter no byte misreads as (ễ, ơ, đ): the row is already
			// Unicode, typed after the department left its legacy fonts;
			// decoding its UTF-8 bytes as legacy bytes would garble it.
			return NFC(s), nil
		}
	}
	return Decode(enc, []byte(s))
}
