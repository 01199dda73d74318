package vn

import "fmt"

// ID is a parsed 12-digit personal identification number (số định danh cá
// nhân, printed on the CCCD card), laid out by Circular 07/2016/TT-BCA
// Article 7: province code (3 digits), century and sex (1), last two digits
// of the birth year (2), a random serial (6). There is no check digit.
type ID struct {
	// Number is the 12 digits, without spaces.
	Number string
	// Province is the 3-digit code of the province where the birth was
	// registered ("042"); ProvinceName gives its name.
	Province string
	// Male is the sex the 4th digit encodes.
	Male bool
	// Century is the first year of the birth century: 1900, 2000, ... 2300.
	Century int
	// YY is the last two digits of the birth year.
	YY int
}

// BirthYear returns the birth year the number encodes (Century + YY).
func (id ID) BirthYear() int { return id.Century + id.YY }

// ParseID parses a 12-digit personal ID number. Spaces, dots and hyphens
// between digit groups ("042 090 123 456", "042.090.123.456",
// "042-090-123-456"), and any Unicode space or zero-width character in
// place of a space, are dropped (see digitGroups); a message quotes the
// value with such characters written as [U+00A0]. The province code must be one of the 63
// codes of Circular 07/2016/TT-BCA Appendix I (id_invalid_province); the 4th
// digit gives century and sex: 0/1 1900s male/female, 2/3 2000s, 4/5 2100s,
// 6/7 2200s, 8/9 2300s. Anything else that is not 12 digits is id_invalid; a
// 9-digit old ID card (CMND, see IsOldIDCard) is named as such in the message.
func ParseID(s string) (ID, error) {
	var d [12]byte
	n, bad := digitGroups(s, d[:])
	switch {
	case bad != "":
		return ID{}, newError(ReasonIDFormat, fmt.Sprintf("id %s: %s", Visible(s), bad))
	case n > len(d):
		return ID{}, newError(ReasonIDFormat, fmt.Sprintf("id %s: has more than 12 digits", Visible(s)))
	case n == 9:
		return ID{}, newError(ReasonIDFormat, fmt.Sprintf("id %s: is a 9-digit old ID card (CMND), not a 12-digit personal ID number", Visible(s)))
	case n != 12:
		return ID{}, newError(ReasonIDFormat, fmt.Sprintf("id %s: has %d digits, want 12", Visible(s), n))
	}
	var number string
	if len(s) == 12 {
		number = s // already bare digits: no allocation
	} else {
		number = string(d[:])
	}
	if _, ok := ProvinceName(number[:3]); !ok {
		return ID{}, newError(ReasonIDProvince, fmt.Sprintf("id %s: %s is not a province code of Circular 07/2016/TT-BCA", Visible(s), number[:3]))
	}
	g := int(number[3] - '0')
	return ID{
		Number:   number,
		Province: number[:3],
		Male:     g%2 == 0,
		Century:  1900 + g/2*100,
		YY:       int(number[4]-'0')*10 + int(number[5]-'0'),
	}, nil
}

// Check compares the ID with a record's date of birth and sex ("M" or "F").
// An unknown date (zero Year) or an empty sex is not checked. The birth year
// is checked first: id_birth_year_mismatch, then id_sex_mismatch; a sex other
// than "M", "F" or "" is bad_sex.
func (id ID) Check(dob Date, sex string) error {
	if dob.Year != 0 && dob.Year != id.BirthYear() {
		return newError(ReasonIDBirthYear, fmt.Sprintf("id %s: encodes birth year %d, date of birth is %s", id.Number, id.BirthYear(), dob))
	}
	switch sex {
	case "":
	case "M", "F":
		if (sex == "M") != id.Male {
			return newError(ReasonIDSex, fmt.Sprintf("id %s: encodes sex %s, record says %s", id.Number, id.sex(), sex))
		}
	default:
		return newError(ReasonBadSex, fmt.Sprintf("id %s: sex %q is not M or F (normalise it with Sex first)", id.Number, sex))
	}
	return nil
}

func (id ID) sex() string {
	if id.Male {
		return "M"
	}
	return "F"
}

// IsOldIDCard reports whether s is a 9-digit old ID card number (CMND, issued
// before 2016), which mappings keep in its own field. Its digit groups may
// be separated as ParseID's are.
func IsOldIDCard(s string) bool {
	n, bad := digitGroups(s, nil)
	return bad == "" && n == 9
}
