package vn

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Vietnam renumbered twice, and the second renumbering gave mobile networks
// digits that the first had just taken from landlines:
//
//   - Landlines, Decision 2036/QĐ-BTTTT of the Ministry of Information and
//     Communications: every area code became 2xx (Hà Nội 24, Hồ Chí Minh City
//     28) in three phases, each with 30 days of parallel dialling then an
//     announcement tone: 13 provinces from 2017-02-11, 23 from 2017-04-15 and
//     the last 23 from 2017-06-17 to 2017-08-31. Vĩnh Phúc, Phú Thọ, Hòa Bình
//     and Hà Giang kept 211, 210, 218 and 219. oldAreaCodes lists each phase.
//   - Mobiles, the Ministry's plan of 2018-05-29: 11-digit numbers 01xx lost a
//     digit (0168 → 038, table oldMobile), converted network by network
//     between 2018-09-15 and 2018-10-07, with parallel dialling from
//     2018-09-15 to 2018-11-14 and an announcement tone until 2019-06-30.
//
// An 11-digit 01xx mobile number and a 4-digit old area code (0511, 0320) are
// unambiguous at any date and are always rewritten to today's number. A
// 10-digit number whose first digits are an old 2-digit area code that is now
// also a mobile prefix (038 3xx xxxx: Nghệ An, or Viettel since 2018; 08 38xx
// xxxx: Hồ Chí Minh City, or VinaPhone 083) is read by the record's date: a
// landline before mobileCutover and a mobile from it on. The retired area
// codes were out of service from 2017-08-31 until the 2018 switch, so the
// exact landline phase never changes that reading. 086, 088 and 089 were
// mobile prefixes before 2017, so "08 6xxx xxxx" is read as a mobile at every
// date, though a few Hồ Chí Minh City landlines looked the same before 2017.
var mobileCutover = time.Date(2018, 9, 15, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// oldMobile maps the 3 digits after 0 of an 11-digit mobile number to its
// 2-digit prefix since 2018.
var oldMobile = map[string]string{
	"120": "70", "121": "79", "122": "77", "126": "76", "128": "78", // MobiFone
	"123": "83", "124": "84", "125": "85", "127": "81", "129": "82", // VinaPhone
	"162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39", // Viettel
	"186": "56", "188": "58", // Vietnamobile
	"199": "59", // Gmobile
}

// oldAreaCodes maps an area code before 2017 (without the trunk 0) to its code
// since, by phase of Decision 2036/QĐ-BTTTT.
var oldAreaCodes = map[string]string{
	// Phase 1, from 2017-02-11.
	"22": "212", "231": "213", "20": "214", "230": "215", "29": "216", "52": "232", "53": "233",
	"54": "234", "510": "235", "511": "236", "37": "237", "38": "238", "39": "239",
	// Phase 2, from 2017-04-15.
	"33": "203", "240": "204", "25": "205", "26": "206", "27": "207", "280": "208", "281": "209",
	"320": "220", "321": "221", "241": "222", "31": "225", "351": "226", "36": "227", "350": "228",
	"30": "229", "780": "290", "781": "291", "710": "292", "711": "293", "74": "294", "76": "296",
	"77": "297", "79": "299",
	// Phase 3, from 2017-06-17 to 2017-08-31.
	"4": "24", "8": "28", "61": "251", "62": "252", "64": "254", "55": "255", "56": "256", "57": "257",
	"58": "258", "68": "259", "60": "260", "501": "261", "500": "262", "63": "263", "59": "269",
	"70": "270", "651": "271", "72": "272", "73": "273", "650": "274", "75": "275", "66": "276", "67": "277",
}

// areaCodes are the landline area codes since 2017 (without the trunk 0).
var areaCodes = map[string]bool{
	"24": true, "28": true,
	"203": true, "204": true, "205": true, "206": true, "207": true, "208": true, "209": true,
	"210": true, "211": true, "212": true, "213": true, "214": true, "215": true, "216": true,
	"218": true, "219": true, "220": true, "221": true, "222": true, "225": true, "226": true,
	"227": true, "228": true, "229": true, "232": true, "233": true, "234": true, "235": true,
	"236": true, "237": true, "238": true, "239": true, "251": true, "252": true, "254": true,
	"255": true, "256": true, "257": true, "258": true, "259": true, "260": true, "261": true,
	"262": true, "263": true, "269": true, "270": true, "271": true, "272": true, "273": true,
	"274": true, "275": true, "276": true, "277": true, "290": true, "291": true, "292": true,
	"293": true, "294": true, "296": true, "297": true, "299": true,
}

// mobileSince tells, for each 2-digit mobile prefix of a 10-digit number,
// whether it was a mobile prefix before the 2018 cut-over (true) or came with
// it (false); the ones that came with it may be a pre-2017 landline instead.
var mobileSince = map[string]bool{
	"32": false, "33": false, "34": false, "35": false, "36": false, "37": false, "38": false, "39": false,
	"52": false, "55": false, "56": false, "58": false, "59": false,
	"70": false, "76": false, "77": false, "78": false, "79": false,
	"81": false, "82": false, "83": false, "84": false, "85": false, "87": false,
	"86": true, "88": true, "89": true,
	"90": true, "91": true, "92": true, "93": true, "94": true, "96": true, "97": true, "98": true, "99": true,
}

// Phone normalises a Vietnamese phone number to E.164 ("+84383123456"). It
// accepts spaces (any Unicode space, and zero-width characters), dots,
// hyphens (and Unicode hyphens and dashes) and parentheses between digits,
// a +84 or 0084
// prefix (with or without the trunk 0 after it), and a number whose leading 0
// a spreadsheet dropped ("912345678"). Old numbers are rewritten to today's:
// "0168 123 4567" → "+84381234567", "04 3825 1234" → "+842438251234". asOf
// is the date the number was written down (the record's last update rather
// than, say, a date of birth); it decides the numbers the two renumberings
// made ambiguous, as the notes on mobileCutover explain. A zero asOf, and a
// number already written +84, are read by today's numbering.
func Phone(s string, asOf time.Time) (string, error) {
	var buf [16]byte
	d := buf[:0]
	plus := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			if len(d) == cap(d) {
				return "", phoneError(s, "has too many digits for a phone number")
			}
			d = append(d, c)
		case c == '+' && len(d) == 0 && !plus:
			plus = true
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '\t':
		case c >= utf8.RuneSelf:
			// A Unicode space, zero-width character, hyphen or dash
			// between digit groups, as in ID numbers.
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size > 1) && (isGroupSpace(r) || isGroupMark(r)) {
				i += size - 1
				continue
			}
			return "", phoneError(s, fmt.Sprintf("has %s, which is not a digit or a separator (one number per field)", Visible(s[i:i+size])))
		default:
			return "", phoneError(s, fmt.Sprintf("has %s, which is not a digit or a separator (one number per field)", Visible(s[i:i+1])))
		}
	}
	switch {
	case plus:
		if len(d) < 2 || d[0] != '8' || d[1] != '4' {
			return "", phoneError(s, "is not a Vietnamese number (+84)")
		}
		d = d[2:]
		// International form is what systems write today, and what Phone
		// returns: read it by today's numbering, so Phone(Phone(x)) ==
		// Phone(x) whatever asOf.
		asOf = time.Time{}
	case len(d) > 4 && string(d[:4]) == "0084":
		d = d[4:]
	case len(d) >= 11 && d[0] == '8' && d[1] == '4':
		d = d[2:] // 84 without +, on a number too long to be national
	}
	if len(d) > 0 && d[0] == '0' {
		d = d[1:]
	}
	prefix, rest, err := nationalNumber(s, d, asOf)
	if err != nil {
		return "", err
	}
	var buf20 [20]byte
	out := append(append(append(buf20[:0], "+84"...), prefix...), rest...)
	if string(out) == s {
		return s, nil // already E.164: no allocation
	}
	return string(out), nil
}

// nationalNumber returns today's national significant number (no trunk 0)
// for the digits d, which follow the trunk 0, as a new prefix and the rest of
// d.
func nationalNumber(s string, d []byte, asOf time.Time) (prefix string, rest []byte, err error) {
	switch len(d) {
	case 9:
		if old, ok := oldAreaCodes[string(d[:2])]; ok {
			mobileNow, isMobile := mobileSince[string(d[:2])]
			if !isMobile || !mobileNow && !asOf.IsZero() && asOf.Before(mobileCutover) {
				return old, d[2:], nil // 0xx + 7 digits: a landline before 2017
			}
			return "", d, nil
		}
		// Hà Nội and Hồ Chí Minh City subscriber numbers begin 2-9: "08 0..."
		// would read back as Thái Nguyên's 0280.
		if old, ok := oldAreaCodes[string(d[:1])]; ok && (d[0] == '4' || d[0] == '8') && d[1] >= '2' {
			mobileNow, isMobile := mobileSince[string(d[:2])]
			if !isMobile || !mobileNow && !asOf.IsZero() && asOf.Before(mobileCutover) {
				return old, d[1:], nil // 04/08 + 8 digits: Hà Nội, Hồ Chí Minh City
			}
			return "", d, nil
		}
		if _, ok := mobileSince[string(d[:2])]; ok {
			return "", d, nil
		}
		return "", nil, phoneError(s, fmt.Sprintf("0%s is neither a mobile prefix nor an area code", string(d[:2])))
	case 10:
		if d[0] == '1' {
			if p, ok := oldMobile[string(d[:3])]; ok {
				return p, d[3:], nil
			}
			return "", nil, phoneError(s, fmt.Sprintf("0%s was never an 11-digit mobile prefix", string(d[:3])))
		}
		// A 4-digit old area code is checked first: "0240 3xx xxxx" is Bắc
		// Giang, as no Hà Nội number starts 024 0.
		if old, ok := oldAreaCodes[string(d[:3])]; ok {
			return old, d[3:], nil
		}
		if areaCodes[string(d[:2])] || areaCodes[string(d[:3])] {
			return "", d, nil
		}
		return "", nil, phoneError(s, fmt.Sprintf("0%s is not an area code", string(d[:3])))
	}
	return "", nil, phoneError(s, fmt.Sprintf("has %d digits after the 0, want 9 (mobile) or 10 (landline)", len(d)))
}

func phoneError(s, what string) error {
	return newError(ReasonBadPhone, fmt.Sprintf("phone %s: %s", Visible(s), what))
}
