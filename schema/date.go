package schema

// IsDate reports whether s is a calendar date written YYYY-MM-DD, as
// time.Parse(time.DateOnly, s) accepts it (the reference validator's "date"
// format) but for the year 0000, without its cost: this runs on every date
// of every record. The Gregorian calendar has no year 0 (1 BC is followed
// by AD 1) and PostgreSQL's date type refuses it; the kinds' date patterns
// refuse it too (datePattern), so that the published schema says so.
// The national store checks a date column's value with it.
func IsDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	month := int(s[5]-'0')*10 + int(s[6]-'0')
	day := int(s[8]-'0')*10 + int(s[9]-'0')
	return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year)
}

// datePattern is the pattern of the kinds' date definition: YYYY-MM-DD
// with a year from 0001. IsDate implies it, so a node with format date
// does not match it again (node.check).
const datePattern = `^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}$`

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// compareDates compares two dates of which either may be partial (YYYY or
// YYYY-MM) at the precision they share: -1, 0 or +1. Equal at the shared
// precision ("2024" and "2024-03-01") is 0.
func compareDates(a, b string) int {
	n := min(len(a), len(b))
	switch {
	case a[:n] < b[:n]:
		return -1
	case a[:n] > b[:n]:
		return 1
	}
	return 0
}
