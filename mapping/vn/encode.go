package vn

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Encode converts Unicode text into a single-byte legacy encoding (TCVN3 or
// Windows-1258), the inverse of Decode: it makes test files and demo
// exports in the encodings department systems still write. A letter with no
// byte of its own is written as its base letter and combining marks (how
// Windows-1258 writes tones); a character the encoding cannot write at all
// is an error naming it.
func Encode(enc Encoding, s string) ([]byte, error) {
	var table *[256]rune
	switch enc {
	case TCVN3:
		table = &tcvnTable
	case CP1258:
		table = &cp1258Table
	default:
		return nil, fmt.Errorf("encode: %s is not a single-byte encoding lienthong writes; use tcvn3 or windows-1258", enc)
	}
	inv := inverse(enc, table)
	out := make([]byte, 0, len(s))
	for _, r := range norm.NFC.String(s) {
		if b, ok := inv[r]; ok {
			out = append(out, b)
			continue
		}
		// No byte of its own: a composed head that has one (ă of ặ, ê of ễ
		// in Windows-1258), then the other marks one by one.
		bs, ok := split(inv, r)
		if !ok {
			return nil, fmt.Errorf("encode: %s cannot write %q (%U)", enc, r, r)
		}
		out = append(out, bs...)
	}
	return out, nil
}

var (
	inverseMu     sync.Mutex
	inverseTables = map[Encoding]map[rune]byte{}
)

// inverse maps each character a byte decodes to alone back to that byte;
// the lowest byte wins where two decode alike.
func inverse(enc Encoding, table *[256]rune) map[rune]byte {
	inverseMu.Lock()
	defer inverseMu.Unlock()
	if m, ok := inverseTables[enc]; ok {
		return m
	}
	m := make(map[rune]byte, 256)
	for b := 255; b >= 0; b-- {
		if r := table[b]; r >= 0 && (b >= utf8.RuneSelf || r == rune(b)) {
			m[r] = byte(b)
		}
	}
	inverseTables[enc] = m
	return m
}

// split writes r as a precomposed head and separate marks: of r's marks,
// the largest set that composes with the base into a letter with a byte of
// its own, then each remaining mark's byte.
func split(inv map[rune]byte, r rune) ([]byte, bool) {
	parts := []rune(norm.NFD.String(string(r)))
	base, marks := parts[0], parts[1:]
	for size := len(marks); size >= 0; size-- {
		for mask := 0; mask < 1<<len(marks); mask++ {
			if bitCount(mask) != size {
				continue
			}
			head := []rune{base}
			var rest []rune
			for i, m := range marks {
				if mask&(1<<i) != 0 {
					head = append(head, m)
				} else {
					rest = append(rest, m)
				}
			}
			composed := []rune(norm.NFC.String(string(head)))
			hb, ok := inv[composed[0]]
			if len(composed) != 1 || !ok {
				continue
			}
			out := []byte{hb}
			for _, m := range rest {
				b, ok := inv[m]
				if !ok {
					out = nil
					break
				}
				out = append(out, b)
			}
			if out != nil {
				return out, true
			}
		}
	}
	return nil, false
}

func bitCount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
