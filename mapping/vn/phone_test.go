package vn

import (
	"testing"
	"time"
)

func TestPhone(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	y2016 := time.Date(2016, 6, 1, 0, 0, 0, 0, ict)
	y2017 := time.Date(2017, 6, 1, 0, 0, 0, 0, ict)
	y2019 := time.Date(2019, 6, 1, 0, 0, 0, 0, ict)
	tests := []struct {
		name string
		in   string
		asOf time.Time
		want string
	}{
		// 2018: 11-digit mobiles lost a digit; unambiguous at any date.
		{"Viettel 0168 written in 2017", "0168 123 4567", y2017, "+84381234567"},
		{"Viettel 0168 still on file in 2019", "0168 123 4567", y2019, "+84381234567"},
		{"Viettel 0169 dotted", "0169.888.1234", y2017, "+84398881234"},
		{"MobiFone 0120", "01201234567", y2017, "+84701234567"},
		{"MobiFone 0121", "0121 234 5678", y2017, "+84792345678"},
		{"VinaPhone 0123", "0123 456 7890", y2017, "+84834567890"},
		{"VinaPhone 0127", "0127 456 7890", y2017, "+84814567890"},
		{"Vietnamobile 0188", "0188 123 4567", y2017, "+84581234567"},
		{"Gmobile 0199", "0199 123 4567", y2017, "+84591234567"},
		{"old mobile with +84", "+84 168 123 4567", y2017, "+84381234567"},
		{"old mobile with 84 and no plus", "841681234567", y2017, "+84381234567"},
		{"old mobile without its 0 (spreadsheet)", "1681234567", y2017, "+84381234567"},
		// Mobiles that never changed.
		{"VinaPhone 091", "0912 345 678", y2016, "+84912345678"},
		{"spreadsheet dropped the 0", "912345678", y2019, "+84912345678"},
		{"+84 (0) form", "+84 (0) 912 345 678", y2019, "+84912345678"},
		{"0084 form", "0084 912 345 678", y2019, "+84912345678"},
		{"Viettel 086 existed before 2017", "0868 123 456", y2016, "+84868123456"},
		{"already E.164", "+84912345678", time.Time{}, "+84912345678"},
		{"no-break spaces", "0912\u00a0345\u00a0678", y2019, "+84912345678"},
		{"thin, narrow and zero-width spaces", "0912\u2009345\u202f6\u200b78", y2019, "+84912345678"},
		{"en dash and non-breaking hyphen", "0912\u2013345\u2011678", y2019, "+84912345678"},
		{"ideographic space", "0912\u3000345678", y2019, "+84912345678"},
		{"international form is today's numbering", "+84 38 3844 123", y2016, "+84383844123"},
		// 2017: landline area codes; Hà Nội and Hồ Chí Minh City.
		{"Hà Nội 04 in 2016", "04 3825 1234", y2016, "+842438251234"},
		{"Hà Nội 04 still on file in 2019", "04 3825 1234", y2019, "+842438251234"},
		{"Hà Nội 024", "024 3825 1234", y2019, "+842438251234"},
		{"Hà Nội 024 in parentheses", "(024) 3825.1234", y2016, "+842438251234"},
		{"HCMC 08 in 2016", "08 3829 1234", y2016, "+842838291234"},
		{"same digits in 2019 are VinaPhone 083", "08 3829 1234", y2019, "+84838291234"},
		{"HCMC 028", "028 3829 1234", y2019, "+842838291234"},
		// Old 2-digit codes now also mobile prefixes: read by date.
		{"Nghệ An 038 in 2016", "038 3844 123", y2016, "+842383844123"},
		{"Viettel 038 in 2019", "038 3844 123", y2019, "+84383844123"},
		{"Hà Tĩnh 039 in 2017", "039 3855 123", y2017, "+842393855123"},
		{"Vĩnh Long 070 in 2016", "070 3822 123", y2016, "+842703822123"},
		{"MobiFone 070 in 2019", "070 3822 123", y2019, "+84703822123"},
		{"Bình Định 056 in 2016", "056 3822 123", y2016, "+842563822123"},
		{"unknown date reads today's numbering", "038 3844 123", time.Time{}, "+84383844123"},
		{"day before the mobile cut-over", "038 3844 123", time.Date(2018, 9, 14, 23, 0, 0, 0, ict), "+842383844123"},
		{"first day of the mobile cut-over", "038 3844 123", time.Date(2018, 9, 15, 0, 0, 0, 0, ict), "+84383844123"},
		// Old codes that are no mobile prefix, at any date.
		{"Kon Tum 060", "060 3862 123", y2019, "+842603862123"},
		{"Quảng Trị 053", "053 3852 123", y2016, "+842333852123"},
		{"Đà Nẵng 0511", "0511 3822 123", y2019, "+842363822123"},
		{"Bắc Giang 0240, not Hà Nội 024 0", "0240 3854 123", y2016, "+842043854123"},
		{"Bình Dương 0650", "0650 3822 123", y2016, "+842743822123"},
		{"Cà Mau 0780", "0780 3831 123", y2016, "+842903831123"},
		{"Hà Giang kept 0219", "0219 3862 123", y2016, "+842193862123"},
		{"Hà Tĩnh 0239", "0239 3855 123", y2019, "+842393855123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Phone(tt.in, tt.asOf)
			if err != nil || got != tt.want {
				t.Fatalf("Phone(%q, %s) = %q, %v; want %q", tt.in, tt.asOf.Format(time.DateOnly), got, err, tt.want)
			}
			if again, err := Phone(got, tt.asOf); err != nil || again != got {
				t.Errorf("Phone(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestPhoneErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		msg  string
	}{
		{"foreign number", "+1 202 555 0100", "not a Vietnamese number"},
		{"two numbers in one field", "0912345678 / 0987654321", `has "/"`},
		{"extension", "024 3825 1234 ext 12", `has "e"`},
		{"left-to-right mark, shown as a code point", "0912\u200e345678", `phone "0912[U+200E]345678": has "[U+200E]"`},
		{"byte that is not UTF-8, never as mojibake", "0912\xc2345678", `has "[0xC2]"`},
		{"no-break spaces, too few digits, shown as code points", "0912\u00a0345\u00a067", `phone "0912[U+00A0]345[U+00A0]67"`},
		{"too short", "12345", "has 5 digits"},
		{"empty", "", "has 0 digits"},
		{"unassigned 11-digit prefix", "0110 123 4567", "0110 was never"},
		{"digit too many for a landline", "0281 234 5678 9", "has 11 digits"},
		{"neither mobile nor area code", "011 234 5678", "011 is neither"},
		{"no HCMC number begins with 0", "08 0000 0000", "080 is neither"},
		{"no such area code", "0200 123 4567", "0200 is not"},
		{"too many digits", "09123456789012345678", "too many digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Phone(tt.in, time.Time{})
			if err == nil {
				t.Fatalf("Phone(%q) = %q; want a %s error", tt.in, got, ReasonBadPhone)
			}
			checkError(t, err, ReasonBadPhone, tt.msg)
		})
	}
}
