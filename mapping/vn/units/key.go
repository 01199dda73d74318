package units

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A match key is a name reduced to what tells units apart: NFC, lower case,
// one tone placement, single spaces, no punctuation but the unit type's dot,
// numbers without leading zeros. Index keys and input keys go through the
// same functions, so whatever they do, they do to both sides.

// keyCap is the stack buffer for a key; longer names spill to the heap.
const keyCap = 128

// maxInput bounds the key of a lookup: no unit name is near it, and a
// runaway field must not cost a large allocation per record. clean stops
// past it, and a key longer than it matches nothing.
const maxInput = 256

// maxText bounds the NFC text clean reads, for the same reason: whatever
// spaces and marks a key drops, text longer than this names no unit. The
// bound is on the NFC form, so NFD input is judged as its NFC form would be.
const maxText = 4096

// kind is a unit type, as written in a full name or abbreviated in input.
type kind uint8

const (
	kindNone kind = iota
	kindTinh
	kindThanhPho
	kindQuan
	kindHuyen
	kindThiXa
	kindXa
	kindPhuong
	kindThiTran
	kindDacKhu
	numKinds
)

// kindNames are the canonical spellings, used for Unit.Type.
var kindNames = [numKinds]string{"", "Tỉnh", "Thành phố", "Quận", "Huyện", "Thị xã", "Xã", "Phường", "Thị trấn", "Đặc khu"}

// kindKeys are kindNames as keys.
var kindKeys [numKinds]string

// levelKinds are the types a full name of each level may start with, longest
// first so "Thị xã" is tried before "Xã" would be.
var levelKinds = [4][]kind{
	Province: {kindThanhPho, kindTinh},
	District: {kindThanhPho, kindThiXa, kindQuan, kindHuyen},
	Commune:  {kindThiTran, kindDacKhu, kindPhuong, kindXa},
}

// prefix is a type as input may write it. A prefix ending in a dot may be
// followed by the name directly ("P.Bắc Hà"); others need a space, or a digit
// when digit is set ("P1", "Q10").
type prefix struct {
	text  string
	kind  kind
	digit bool
}

var levelPrefixes = [4][]prefix{
	Province: {
		{text: "thành phố", kind: kindThanhPho},
		{text: "tp.", kind: kindThanhPho},
		{text: "tp", kind: kindThanhPho},
		{text: "tỉnh", kind: kindTinh},
		{text: "t.", kind: kindTinh},
	},
	District: {
		{text: "thành phố", kind: kindThanhPho},
		{text: "tp.", kind: kindThanhPho},
		{text: "tp", kind: kindThanhPho},
		{text: "thị xã", kind: kindThiXa},
		{text: "tx.", kind: kindThiXa},
		{text: "tx", kind: kindThiXa},
		{text: "quận", kind: kindQuan, digit: true},
		{text: "q.", kind: kindQuan},
		{text: "q", kind: kindQuan, digit: true},
		{text: "huyện", kind: kindHuyen},
		{text: "h.", kind: kindHuyen},
	},
	Commune: {
		{text: "thị trấn", kind: kindThiTran},
		{text: "tt.", kind: kindThiTran},
		{text: "tt", kind: kindThiTran},
		{text: "phường", kind: kindPhuong, digit: true},
		{text: "p.", kind: kindPhuong},
		{text: "p", kind: kindPhuong, digit: true},
		{text: "xã", kind: kindXa},
		{text: "x.", kind: kindXa},
		{text: "đặc khu", kind: kindDacKhu},
	},
}

// provinceAliases are names department data uses that the lists do not:
// abbreviations, and Thừa Thiên Huế, which became Thành phố Huế (same code,
// 46) on 2025-01-01, after many records were written.
var provinceAliases = map[string]string{
	"hcm":            "hồ chí minh",
	"tphcm":          "hồ chí minh",
	"sài gòn":        "hồ chí minh",
	"thừa thiên huế": "huế",
	"tt huế":         "huế",
	"brvt":           "bà rịa vũng tàu",
}

// aliasKeys and aliasFolds are provinceAliases as exact and folded keys.
var aliasKeys, aliasFolds map[string]string

// foldTab maps a lower-case Latin letter with diacritics to its base letter.
var foldTab [0x1f00]byte

func init() {
	for k := kindNone + 1; k < numKinds; k++ {
		kindKeys[k] = string(indexKey(nil, kindNames[k]))
	}
	for _, lo := range [][2]rune{{0xc0, 0x250}, {0x1e00, 0x1f00}} {
		for r := lo[0]; r < lo[1]; r++ {
			if d := norm.NFD.String(string(r)); len(d) > 1 && d[0] >= 'a' && d[0] <= 'z' {
				foldTab[r] = d[0]
			}
		}
	}
	foldTab['đ'] = 'd'
	aliasKeys = make(map[string]string, len(provinceAliases))
	aliasFolds = make(map[string]string, len(provinceAliases))
	for from, to := range provinceAliases {
		f, t := indexKey(nil, from), indexKey(nil, to)
		aliasKeys[string(f)] = string(t)
		aliasFolds[string(foldKey(nil, f))] = string(foldKey(nil, t))
	}
}

// indexKey appends the key of a name as the list writes it, type removed.
func indexKey(dst []byte, name string) []byte {
	n := len(dst)
	dst, _ = clean(dst, name) // list names are short; a runaway one matches nothing
	return append(dst[:n], finish(dst[n:])...)
}

// inputKey appends the key of a name as a record writes it: the type it may
// start with for the level is cut off and returned. A name longer than
// maxInput has an empty key, which matches nothing.
func inputKey(dst []byte, s string, lvl Level) (kind, []byte) {
	b, ok := clean(dst, s)
	if !ok {
		return kindNone, nil
	}
	k, rest := cutType(lvl, b)
	return k, finish(rest)
}

// clean appends s in NFC, lower case, with tones on the main vowel ("hòa"
// becomes "hoà"), runs of spaces, hyphens and commas as one space, and
// apostrophes dropped with the space after them ("M' Doal", "M'Doal").
// Dots stay, for cutType. It reports false, having stopped, when s is too
// long to name a unit (maxText, maxInput).
func clean(dst []byte, s string) ([]byte, bool) {
	s, ok := toNFC(s)
	if !ok {
		return dst, false
	}
	space, limit := false, len(dst)+maxInput
	for i := 0; i < len(s) && len(dst) <= limit; {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		r = lower(r)
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f', 0xa0, '-', '‐', '‑', '–', '—', '_', ',', ';':
			space = true
			continue
		case '\'', '’', '‘', 'ʼ', '`', '´':
			for i < len(s) && s[i] == ' ' {
				i++
			}
			continue
		case 0x200b, 0x200c, 0x200d, 0xfeff, 0xad, utf8.RuneError:
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && len(dst) > 0 && dst[len(dst)-1] != ' ' {
			dst = append(dst, ' ')
		}
		space = false
		if base, tone := toneOU(r); tone != 0 && i < len(s) {
			r2, n2 := utf8.DecodeRuneInString(s[i:])
			r2 = lower(r2)
			if (base == 'o' && (r2 == 'a' || r2 == 'e')) || (base == 'u' && r2 == 'y') {
				if j := i + n2; j == len(s) || !isLetterAt(s[j:]) {
					dst = append(dst, byte(base))
					dst = utf8.AppendRune(dst, withTone(r2, tone))
					i = j
					continue
				}
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst, len(dst) <= limit
}

// toNFC returns s in NFC, or false when that is longer than maxText. Its
// work is bounded by maxText, not by the length of s.
func toNFC(s string) (string, bool) {
	// Composition shrinks text by less than a factor of four (Hangul LVT
	// and stacked Vietnamese marks shrink by three at most).
	if len(s) > 4*maxText {
		return "", false
	}
	if plainNFC(s) || norm.NFC.QuickSpanString(s) == len(s) {
		return s, len(s) <= maxText
	}
	var it norm.Iter
	it.InitString(norm.NFC, s)
	out := make([]byte, 0, min(len(s), maxText)+utf8.UTFMax)
	for !it.Done() {
		if out = append(out, it.Next()...); len(out) > maxText {
			return "", false
		}
	}
	return string(out), true
}

// plainNFC reports whether s is made only of runes below U+0300 and Latin
// Extended Additional, the precomposed letters Vietnamese is written with:
// such text is NFC, and checking that is cheaper than the norm tables. Other
// text goes through QuickSpanString, which proves NFC without allocating
// (IsNormalString allocates), and is normalised when it cannot.
func plainNFC(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= 0x300 && (r < 0x1e00 || r >= 0x1f00) || r == utf8.RuneError {
			return false
		}
		i += n
	}
	return true
}

func lower(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

func isLetterAt(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r)
}

// toneOU returns 'o' or 'u' and the tone (1 grave, 2 acute, 3 hook,
// 4 tilde, 5 dot) of a toned o or u, else tone 0.
func toneOU(r rune) (rune, int) {
	switch r {
	case 'ò':
		return 'o', 1
	case 'ó':
		return 'o', 2
	case 'ỏ':
		return 'o', 3
	case 'õ':
		return 'o', 4
	case 'ọ':
		return 'o', 5
	case 'ù':
		return 'u', 1
	case 'ú':
		return 'u', 2
	case 'ủ':
		return 'u', 3
	case 'ũ':
		return 'u', 4
	case 'ụ':
		return 'u', 5
	}
	return 0, 0
}

func withTone(v rune, tone int) rune {
	switch v {
	case 'a':
		return [...]rune{'a', 'à', 'á', 'ả', 'ã', 'ạ'}[tone]
	case 'e':
		return [...]rune{'e', 'è', 'é', 'ẻ', 'ẽ', 'ẹ'}[tone]
	}
	return [...]rune{'y', 'ỳ', 'ý', 'ỷ', 'ỹ', 'ỵ'}[tone]
}

// cutType returns the type b starts with for the level, and the rest of b.
// Without a known type, or with nothing after it, it returns b whole.
func cutType(lvl Level, b []byte) (kind, []byte) {
	if lvl < Province || lvl > Commune {
		return kindNone, b
	}
	for _, p := range levelPrefixes[lvl] {
		if len(b) <= len(p.text) || string(b[:len(p.text)]) != p.text {
			continue
		}
		rest := b[len(p.text):]
		switch {
		case p.text[len(p.text)-1] == '.':
			if rest[0] == ' ' {
				rest = rest[1:]
			}
		case rest[0] == ' ':
			rest = rest[1:]
		case p.digit && isDigit(rest[0]):
		default:
			continue
		}
		if len(rest) > 0 {
			return p.kind, rest
		}
	}
	return kindNone, b
}

// finish turns dots into spaces, collapses and trims spaces and drops
// leading zeros of numbers ("Phường 05" is "Phường 5"), in place.
func finish(b []byte) []byte {
	w, space := 0, false
	for r := 0; r < len(b); r++ {
		c := b[r]
		if c == '.' || c == ' ' {
			space = true
			continue
		}
		if space && w > 0 {
			b[w] = ' '
			w++
		}
		space = false
		if c == '0' && (w == 0 || b[w-1] == ' ') && r+1 < len(b) && isDigit(b[r+1]) {
			continue
		}
		b[w] = c
		w++
	}
	return b[:w]
}

// foldKey appends key without diacritics: "thạch kênh" is "thach kenh".
func foldKey(dst, key []byte) []byte {
	for i := 0; i < len(key); {
		if c := key[i]; c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		i += n
		if r < rune(len(foldTab)) && foldTab[r] != 0 {
			dst = append(dst, foldTab[r])
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// codeWidth is the length of a code at each level.
var codeWidth = [4]int{Province: 2, District: 3, Commune: 5}

// digitsOnly reports whether s is a non-empty run of ASCII digits.
func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// appendCode appends the digits s as a code of width digits: leading zeros
// are dropped, then the code is padded back to width ("042" and "42" are
// "42"). It reports false when s has more significant digits than width.
func appendCode(dst []byte, s string, width int) ([]byte, bool) {
	for len(s) > 0 && s[0] == '0' {
		s = s[1:]
	}
	if len(s) > width {
		return dst, false
	}
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...), true
}
