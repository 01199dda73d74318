package units

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// want is what a lookup must return: a unit (code, full name, era), or an
// error with a reason code, words its message must hold, and the codes of
// its candidates.
type want struct {
	code, full string
	era        Era
	err        string   // reason code
	msg        []string // substrings of the message
	cands      []string // candidate codes, in order
}

func check(t *testing.T, u Unit, err error, w want) {
	t.Helper()
	if w.err != "" {
		var ue *Error
		if !errors.As(err, &ue) {
			t.Fatalf("got %v, %v; want a %s error", u, err, w.err)
		}
		if ue.Code != w.err {
			t.Fatalf("error code %s (%v), want %s", ue.Code, ue, w.err)
		}
		for _, s := range w.msg {
			if !strings.Contains(ue.Message, s) {
				t.Errorf("message %q lacks %q", ue.Message, s)
			}
		}
		if w.cands != nil {
			var got []string
			for _, c := range ue.Candidates {
				got = append(got, c.Code)
			}
			if strings.Join(got, ",") != strings.Join(w.cands, ",") {
				t.Errorf("candidates %v, want %v", got, w.cands)
			}
		}
		if u != (Unit{}) {
			t.Errorf("got unit %v with the error, want the zero Unit", u)
		}
		return
	}
	if err != nil {
		t.Fatalf("got error %v, want %s %s", err, w.code, w.full)
	}
	if u.Code != w.code || u.FullName != w.full || u.Era != w.era {
		t.Fatalf("got %s %q era %v, want %s %q era %v", u.Code, u.FullName, u.Era, w.code, w.full, w.era)
	}
}

func TestProvince(t *testing.T) {
	r := registry(t)
	haTinhBefore := want{code: "42", full: "Tỉnh Hà Tĩnh", era: Before}
	haTinhNow := want{code: "42", full: "Tỉnh Hà Tĩnh", era: Current}
	hcm := want{code: "79", full: "Thành phố Hồ Chí Minh", era: Before}
	for _, c := range []struct {
		name  string
		value string
		asOf  time.Time
		want  want
	}{
		{"Hà Tĩnh by name before", "Hà Tĩnh", in2020, haTinhBefore},
		{"Hà Tĩnh by name now", "Hà Tĩnh", in2026, haTinhNow},
		{"Hà Tĩnh with type", "Tỉnh Hà Tĩnh", in2020, haTinhBefore},
		{"Hà Tĩnh by code", "42", in2020, haTinhBefore},
		{"Hà Tĩnh by code now", "42", in2026, haTinhNow},
		{"code with leading zero", "042", in2026, haTinhNow},
		{"code with spaces", " 42 ", in2026, haTinhNow},
		{"upper case", "TỈNH HÀ TĨNH", in2020, haTinhBefore},
		{"NFD", norm.NFD.String("Hà Tĩnh"), in2020, haTinhBefore},
		{"extra spaces", "  Tỉnh   Hà  Tĩnh ", in2020, haTinhBefore},
		{"abbreviated type", "T. Hà Tĩnh", in2020, haTinhBefore},
		{"no diacritics, unique", "ha tinh", in2026, haTinhNow},
		{"reform date is current", "42", Reform, haTinhNow},
		{"last instant before reform", "44", Reform.Add(-time.Nanosecond), want{code: "44", full: "Tỉnh Quảng Bình", era: Before}},
		{"UTC date on reform day", "44", time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), want{code: "44", full: "Tỉnh Quảng Trị", era: Current}},
		{"merged province before", "Quảng Bình", in2020, want{code: "44", full: "Tỉnh Quảng Bình", era: Before}},
		{"code 44 before is Quảng Bình", "44", in2020, want{code: "44", full: "Tỉnh Quảng Bình", era: Before}},
		{"code 44 now is Quảng Trị", "44", in2026, want{code: "44", full: "Tỉnh Quảng Trị", era: Current}},
		{"TP. prefix", "TP. Hồ Chí Minh", in2020, hcm},
		{"TP without dot", "Tp Hồ Chí Minh", in2020, hcm},
		{"full city type", "Thành phố Hồ Chí Minh", in2020, hcm},
		{"TP.HCM", "TP.HCM", in2020, hcm},
		{"name only", "Hồ Chí Minh", in2020, hcm},
		{"old tone placement, list has Hoà", "Tỉnh Hòa Bình", in2020, want{code: "17", full: "Tỉnh Hoà Bình", era: Before}},
		{"new tone placement, list has Hoà", "Hoà Bình", in2020, want{code: "17", full: "Tỉnh Hoà Bình", era: Before}},
		{"old tone placement, current list has Hoá", "Thanh Hóa", in2026, want{code: "38", full: "Tỉnh Thanh Hoá", era: Current}},
		{"hyphen written without spaces", "Bà Rịa-Vũng Tàu", in2020, want{code: "77", full: "Tỉnh Bà Rịa - Vũng Tàu", era: Before}},
		{"hyphen left out", "Bà Rịa Vũng Tàu", in2020, want{code: "77", full: "Tỉnh Bà Rịa - Vũng Tàu", era: Before}},
		{"name before 2025-01-01", "Tỉnh Thừa Thiên Huế", in2020, want{code: "46", full: "Thành phố Huế", era: Before}},
		{"merged province after reform", "Quảng Bình", in2026, want{err: ReasonUnknownUnit, msg: []string{`"Quảng Bình"`, "from 2025-07-01", "2026-01-15", "44 Tỉnh Quảng Bình in the list before 2025-07-01", "check the record date"}}},
		{"unknown name", "Atlantis", in2020, want{err: ReasonUnknownUnit, msg: []string{`province "Atlantis"`, "before 2025-07-01", "check the spelling"}}},
		{"unknown code", "99", in2026, want{err: ReasonUnknownUnit, msg: []string{`province "99"`, "from 2025-07-01", "2 digits"}}},
		{"too many digits", "1042", in2026, want{err: ReasonUnknownUnit, msg: []string{`"1042"`}}},
		{"empty", "", in2026, want{err: ReasonUnknownUnit, msg: []string{`province ""`}}},
		{"type alone", "Tỉnh", in2026, want{err: ReasonUnknownUnit}},
		{"zero date", "Hà Tĩnh", time.Time{}, want{err: ReasonNoDate, msg: []string{`"Hà Tĩnh"`, "record date"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := r.Province(c.value, c.asOf)
			check(t, u, err, c.want)
			if err == nil && (u.Level != Province || u.Province != u.Code || u.District != "" || u.Type == "" || u.Name == "") {
				t.Errorf("province unit %+v is not filled in", u)
			}
		})
	}
}

func TestCommune(t *testing.T) {
	r := registry(t)
	thachKenh := want{code: "18586", full: "Xã Thạch Kênh", era: Before}
	nghen := want{code: "18406", full: "Thị trấn Nghèn", era: Before}
	bacHa := want{code: "18077", full: "Phường Bắc Hà", era: Before}
	for _, c := range []struct {
		name                      string
		value, district, province string
		asOf                      time.Time
		want                      want
	}{
		{"exact", "Xã Thạch Kênh", "", "42", in2020, thachKenh},
		{"lower case", "xã thạch kênh", "", "Hà Tĩnh", in2020, thachKenh},
		{"upper case", "XÃ THẠCH KÊNH", "", "Tỉnh Hà Tĩnh", in2020, thachKenh},
		{"no type", "Thạch Kênh", "", "042", in2020, thachKenh},
		{"NFD name and province", norm.NFD.String("Xã Thạch Kênh"), "", norm.NFD.String("Hà Tĩnh"), in2020, thachKenh},
		{"extra spaces", "  Xã   Thạch  Kênh  ", "", " 42 ", in2020, thachKenh},
		{"X. abbreviation", "X. Thạch Kênh", "", "42", in2020, thachKenh},
		{"no diacritics, unique in province", "Thach Kenh", "", "42", in2020, thachKenh},
		{"unique in the country without province", "Thạch Kênh", "", "", in2020, thachKenh},
		{"TT. abbreviation", "TT. Nghèn", "", "Hà Tĩnh", in2020, nghen},
		{"TT without dot", "TT Nghèn", "", "Hà Tĩnh", in2020, nghen},
		{"thị trấn spelled out", "Thị trấn Nghèn", "", "Hà Tĩnh", in2020, nghen},
		{"P. abbreviation", "P. Bắc Hà", "", "42", in2020, bacHa},
		{"P. without space", "P.Bắc Hà", "", "42", in2020, bacHa},
		{"same code before", "18586", "", "", in2020, thachKenh},
		{"same code now is another commune", "18586", "", "", in2026, want{code: "18586", full: "Xã Đông Kinh", era: Current}},
		{"code 18406 before", "18406", "", "42", in2020, nghen},
		{"code 18406 now", "18406", "", "42", in2026, want{code: "18406", full: "Xã Can Lộc", era: Current}},
		{"code without leading zeros", "7", "", "Hà Nội", in2020, want{code: "00007", full: "Phường Cống Vị", era: Before}},
		{"old tone placement, list has Hoà", "Phường Yên Hòa", "", "Hà Nội", in2026, want{code: "00175", full: "Phường Yên Hoà", era: Current}},
		{"old tone placement, list has Thuỵ", "Xã Thụy Anh", "", "Hưng Yên", in2026, want{code: "12865", full: "Xã Thuỵ Anh", era: Current}},
		{"new tone placement, list has Thụy", "Phường Thuỵ Khuê", "", "01", in2020, want{code: "00112", full: "Phường Thụy Khuê", era: Before}},
		{"new tone placement among tone twins", "Thiệu Hoá", "", "Thanh Hóa", in2020, want{code: "15772", full: "Thị trấn Thiệu Hóa", era: Before}},
		{"new tone placement next to an untoned twin", "Xã Hoà Lộc", "", "38", in2020, want{code: "16075", full: "Xã Hòa Lộc", era: Before}},
		{"list spells one name both ways", "Trung Hòa", "", "Hà Nội", in2020, want{err: ReasonAmbiguousUnit, cands: []string{"00175", "10051"}, msg: []string{"Phường Trung Hoà", "Xã Trung Hòa"}}},
		{"type settles the two spellings", "P. Trung Hòa", "", "Hà Nội", in2020, want{code: "00175", full: "Phường Trung Hoà", era: Before}},
		{"numbered ward with leading zero", "Phường 05", "Quận 3", "Hồ Chí Minh", in2020, want{code: "27151", full: "Phường 5", era: Before}},
		{"numbered ward abbreviated", "P5", "Q.3", "TP.HCM", in2020, want{code: "27151", full: "Phường 5", era: Before}},
		{"type word inside the name", "Phường Đúc", "", "46", in2020, want{code: "19780", full: "Phường Phường Đúc", era: Before}},
		{"type breaks a tie", "Xã Yên Viên", "", "Hà Nội", in2020, want{code: "00532", full: "Xã Yên Viên", era: Before}},
		{"other type breaks the tie", "TT Yên Viên", "", "Hà Nội", in2020, want{code: "00526", full: "Thị trấn Yên Viên", era: Before}},
		{"type the unit no longer has is ignored", "Thị trấn Can Lộc", "", "42", in2026, want{code: "18406", full: "Xã Can Lộc", era: Current}},
		{"no type, two types share the name", "Yên Viên", "", "Hà Nội", in2020, want{err: ReasonAmbiguousUnit, cands: []string{"00526", "00532"}, msg: []string{"Thị trấn Yên Viên", "Xã Yên Viên"}}},
		{"name repeats in the province", "Trần Phú", "", "Hà Nội", in2020, want{err: ReasonAmbiguousUnit, cands: []string{"00334", "10099"}, msg: []string{`commune "Trần Phú"`, "Thành phố Hà Nội", "before 2025-07-01", "Quận Hoàng Mai", "Huyện Chương Mỹ", `write the type with the name ("Phường Trần Phú", "Xã Trần Phú"), or give the district (CommuneIn, or commune_in in a mapping), or give the commune code`}}},
		{"district settles it", "Trần Phú", "Hoàng Mai", "Hà Nội", in2020, want{code: "00334", full: "Phường Trần Phú", era: Before}},
		{"district by code", "Trần Phú", "277", "01", in2020, want{code: "10099", full: "Xã Trần Phú", era: Before}},
		{"district ignored after reform", "Đông Kinh", "Huyện Thạch Hà", "42", in2026, want{code: "18586", full: "Xã Đông Kinh", era: Current}},
		{"name repeats in the country", "Tân Thành", "", "", in2020, want{err: ReasonAmbiguousUnit, msg: []string{"matches 34 units", "and 24 more", "give the province, or give the commune code"}}},
		{"tone-only twins are not merged", "Đông Xuân", "", "Hà Nội", in2020, want{err: ReasonAmbiguousUnit, cands: []string{"00436", "04939"}}},
		{"no diacritics fits tone twins", "Dong Xuan", "", "Hà Nội", in2020, want{err: ReasonAmbiguousUnit, cands: []string{"00040", "00436", "04939"}}},
		{"tone twin exact", "Xã Văn Lăng", "", "Thái Nguyên", in2026, want{code: "05665", full: "Xã Văn Lăng", era: Current}},
		{"tone twin other exact", "Văn Lang", "", "Thái Nguyên", in2026, want{code: "02143", full: "Xã Văn Lang", era: Current}},
		{"no diacritics fits both twins", "Van Lang", "", "Thái Nguyên", in2026, want{err: ReasonAmbiguousUnit, cands: []string{"02143", "05665"}}},
		{"code in another province", "18586", "", "Nghệ An", in2020, want{err: ReasonUnknownUnit, msg: []string{`"18586"`, "Xã Thạch Kênh in Tỉnh Hà Tĩnh (42)", "not in Tỉnh Nghệ An (40)", "before 2025-07-01"}}},
		{"misspelt", "Thạch Kênhh", "", "42", in2020, want{err: ReasonUnknownUnit, msg: []string{`commune "Thạch Kênhh"`, "Tỉnh Hà Tĩnh (42)", "before 2025-07-01", "2020-05-01", "check the spelling"}}},
		{"old commune after reform", "Thạch Kênh", "", "42", in2026, want{err: ReasonUnknownUnit, msg: []string{`commune "Thạch Kênh"`, "from 2025-07-01", "2026-01-15"}}},
		{"old commune after reform, no province", "Xã Thạch Kênh", "", "", in2026, want{err: ReasonUnknownUnit, msg: []string{"18586 Xã Thạch Kênh in the list before 2025-07-01", "check the record date"}}},
		{"unknown province", "Đông Kinh", "", "Quảng Bình", in2026, want{err: ReasonUnknownUnit, msg: []string{`commune "Đông Kinh": province: province "Quảng Bình"`, "from 2025-07-01"}}},
		{"unknown district", "Trần Phú", "Ba Vì Mới", "01", in2020, want{err: ReasonUnknownUnit, msg: []string{`commune "Trần Phú": district: district "Ba Vì Mới"`}}},
		{"commune code too long", "123456", "", "", in2020, want{err: ReasonUnknownUnit, msg: []string{"5 digits"}}},
		{"zero date", "Thạch Kênh", "", "42", time.Time{}, want{err: ReasonNoDate}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := r.CommuneIn(c.value, c.district, c.province, c.asOf)
			check(t, u, err, c.want)
			if err != nil {
				return
			}
			if u.Level != Commune || u.Province == "" || (u.Era == Before) != (u.District != "") {
				t.Errorf("commune unit %+v is not filled in", u)
			}
			if c.district == "" {
				v, err := r.Commune(c.value, c.province, c.asOf)
				if err != nil || v != u {
					t.Errorf("Commune = %v, %v; CommuneIn without district = %v", v, err, u)
				}
			}
		})
	}
}

func TestDistrict(t *testing.T) {
	r := registry(t)
	for _, c := range []struct {
		name, value, province string
		asOf                  time.Time
		want                  want
	}{
		{"by name", "Huyện Thạch Hà", "42", in2020, want{code: "445", full: "Huyện Thạch Hà", era: Before}},
		{"by code", "445", "", in2020, want{code: "445", full: "Huyện Thạch Hà", era: Before}},
		{"huyện and thị xã share a name", "Kỳ Anh", "Hà Tĩnh", in2020, want{err: ReasonAmbiguousUnit, cands: []string{"447", "449"}, msg: []string{`write the type with the name ("Huyện Kỳ Anh", "Thị xã Kỳ Anh"), or give the district code`}}},
		{"TX. picks the thị xã", "TX. Kỳ Anh", "Hà Tĩnh", in2020, want{code: "449", full: "Thị xã Kỳ Anh", era: Before}},
		{"H. picks the huyện", "H. Kỳ Anh", "Hà Tĩnh", in2020, want{code: "447", full: "Huyện Kỳ Anh", era: Before}},
		{"TP. city district", "TP. Hà Tĩnh", "42", in2020, want{code: "436", full: "Thành phố Hà Tĩnh", era: Before}},
		{"numbered quận", "Q.3", "79", in2020, want{code: "770", full: "Quận 3", era: Before}},
		{"type found twice in the data", "Thị xã Mường Lay", "", in2020, want{code: "095", full: "Thị xã Mường Lay", era: Before}},
		{"districts ended", "Huyện Thạch Hà", "42", in2026, want{err: ReasonUnknownUnit, msg: []string{`district "Huyện Thạch Hà"`, "2026-01-15", "district level ended"}}},
		{"unknown", "Huyện Không Có", "42", in2020, want{err: ReasonUnknownUnit, msg: []string{`district "Huyện Không Có"`, "before 2025-07-01"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := r.District(c.value, c.province, c.asOf)
			check(t, u, err, c.want)
			if err == nil && (u.Level != District || u.District != u.Code) {
				t.Errorf("district unit %+v is not filled in", u)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	r := registry(t)
	for _, c := range []struct {
		name, value, province string
		asOf                  time.Time
		want                  want
	}{
		{"Hà Tĩnh kept its code", "Hà Tĩnh", "", in2020, want{code: "42", full: "Tỉnh Hà Tĩnh", era: Current}},
		{"Quảng Bình merged into Quảng Trị", "Tỉnh Quảng Bình", "", in2020, want{code: "44", full: "Tỉnh Quảng Trị", era: Current}},
		{"old Quảng Trị took Quảng Bình's code", "45", "", in2020, want{code: "44", full: "Tỉnh Quảng Trị", era: Current}},
		{"Hà Giang merged into Tuyên Quang", "Hà Giang", "", in2020, want{code: "08", full: "Tỉnh Tuyên Quang", era: Current}},
		{"after the reform a province is itself", "44", "", in2026, want{code: "44", full: "Tỉnh Quảng Trị", era: Current}},
		{"commune merged", "Xã Thạch Kênh", "Hà Tĩnh", in2020, want{code: "18586", full: "Xã Đông Kinh", era: Current}},
		{"commune code alone", "18406", "", in2020, want{code: "18406", full: "Xã Can Lộc", era: Current}},
		{"commune into another code", "P. Bắc Hà", "42", in2020, want{code: "18073", full: "Phường Thành Sen", era: Current}},
		{"commune of a merged province", "Thị trấn Ba Chẽ", "Quảng Ninh", in2020, want{code: "06978", full: "Xã Ba Chẽ", era: Current}},
		{"after the reform a commune is itself", "Đông Kinh", "42", in2026, want{code: "18586", full: "Xã Đông Kinh", era: Current}},
		{"commune that split", "Phường Cống Vị", "Hà Nội", in2020, want{err: ReasonAmbiguousUnit, cands: []string{"00008", "00025"}, msg: []string{"00007 Phường Cống Vị", "went into 2 units", "00008 Phường Ngọc Hà", "00025 Phường Giảng Võ", "check the record's address by hand"}}},
		{"mapping lost the successor", "30622", "", in2020, want{err: ReasonUnknownUnit, msg: []string{"30622 Xã Tân Phú", "no successor", "Warnings"}}},
		{"lookup error passes through", "Thạch Kênhh", "42", in2020, want{err: ReasonUnknownUnit, msg: []string{`"Thạch Kênhh"`}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := r.Current(c.value, c.province, c.asOf)
			check(t, u, err, c.want)
		})
	}
}

func TestSuccessors(t *testing.T) {
	r := registry(t)
	unit := func(lvl Level, code string, asOf time.Time) Unit {
		t.Helper()
		var u Unit
		var err error
		switch lvl {
		case Province:
			u, err = r.Province(code, asOf)
		case District:
			u, err = r.District(code, "", asOf)
		default:
			u, err = r.Commune(code, "", asOf)
		}
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	for _, c := range []struct {
		name string
		unit Unit
		want []string // codes
	}{
		{"merged province", unit(Province, "44", in2020), []string{"44"}},
		{"surviving province", unit(Province, "42", in2020), []string{"42"}},
		{"commune that split", unit(Commune, "00007", in2020), []string{"00008", "00025"}},
		{"commune whose new code the mapping got wrong", unit(Commune, "06970", in2020), []string{"06978"}},
		{"Ia Mơ, the other wrong new code", unit(Commune, "23938", in2020), []string{"23938"}},
		{"successor in another province dropped", unit(Commune, "30622", in2020), []string{}},
		{"island district became a đặc khu", unit(District, "755", in2020), []string{"26732"}},
		{"district gets its communes' successors", unit(District, "445", in2020), nil},
		{"current unit is its own successor", unit(Commune, "18586", in2026), []string{"18586"}},
		{"unit of no era", Unit{Code: "42", Level: Province}, []string{}},
		{"unit the registry does not know", Unit{Code: "99999", Level: Commune, Era: Before}, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := r.Successors(c.unit)
			var codes []string
			for _, u := range got {
				if u.Era != Current {
					t.Errorf("successor %v is of era %v", u, u.Era)
				}
				codes = append(codes, u.Code)
			}
			if c.want == nil { // district: the successors of its communes
				if len(codes) < 2 || !contains(codes, "18586") {
					t.Fatalf("successors of Huyện Thạch Hà = %v, want several including 18586 Xã Đông Kinh", codes)
				}
				return
			}
			if strings.Join(codes, ",") != strings.Join(c.want, ",") {
				t.Fatalf("successors %v, want %v", codes, c.want)
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestCurrentOf(t *testing.T) {
	r := registry(t)
	for _, c := range []struct {
		name string
		unit Unit
		want want
	}{
		{"district that became a đặc khu", Unit{Code: "755", Level: District, Era: Before}, want{code: "26732", full: "Đặc khu Côn Đảo", era: Current}},
		{"district spread over communes", Unit{Code: "445", Level: District, Era: Before}, want{err: ReasonAmbiguousUnit, msg: []string{"445 Huyện Thạch Hà", "resolve the record's commune"}}},
		{"unit of no era", Unit{Code: "42", Level: Province}, want{err: ReasonUnknownUnit, msg: []string{"no era"}}},
		{"unknown code", Unit{Code: "98", Level: Province, Era: Before}, want{err: ReasonUnknownUnit, msg: []string{"province 98", "before 2025-07-01"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := r.CurrentOf(c.unit)
			check(t, u, err, c.want)
		})
	}
}

func TestErrorIs(t *testing.T) {
	r := registry(t)
	_, unknown := r.Province("Atlantis", in2020)
	_, ambiguous := r.Commune("Trần Phú", "01", in2020)
	_, noDate := r.Province("42", time.Time{})
	for _, c := range []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"unknown is ErrUnknownUnit", unknown, ErrUnknownUnit, true},
		{"unknown is not ErrAmbiguousUnit", unknown, ErrAmbiguousUnit, false},
		{"ambiguous is ErrAmbiguousUnit", ambiguous, ErrAmbiguousUnit, true},
		{"no date is ErrNoDate", noDate, ErrNoDate, true},
		{"no date is not ErrUnknownUnit", noDate, ErrUnknownUnit, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := errors.Is(c.err, c.target); got != c.want {
				t.Fatalf("errors.Is(%v, %v) = %v, want %v", c.err, c.target, got, c.want)
			}
		})
	}
}

func TestEraOf(t *testing.T) {
	for _, c := range []struct {
		name string
		t    time.Time
		want Era
	}{
		{"2020", in2020, Before},
		{"one nanosecond before", Reform.Add(-1), Before},
		{"23:59 UTC on 2025-06-30 is 06:59 on 07-01 in Vietnam", time.Date(2025, 6, 30, 23, 59, 0, 0, time.UTC), Current},
		{"16:59 UTC on 2025-06-30 is still June in Vietnam", time.Date(2025, 6, 30, 16, 59, 0, 0, time.UTC), Before},
		{"reform", Reform, Current},
		{"2026", in2026, Current},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := EraOf(c.t); got != c.want {
				t.Fatalf("EraOf(%v) = %v, want %v", c.t, got, c.want)
			}
		})
	}
}

// TestReformIsACopy guards the era boundary against callers assigning to
// the exported variable.
func TestReformIsACopy(t *testing.T) {
	r := registry(t)
	saved := Reform
	t.Cleanup(func() { Reform = saved })
	Reform = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	u, err := r.Province("44", in2020)
	if err != nil || u.Era != Before || u.Name != "Quảng Bình" {
		t.Fatalf("Province(44, 2020) after changing Reform = %v, %v; want Quảng Bình before the reform", u, err)
	}
}

func TestWarnings(t *testing.T) {
	r := registry(t)
	all := strings.Join(r.Warnings(), "\n")
	for _, c := range []struct{ name, want string }{
		{"stray spaces cleaned", `19 names have stray or doubled spaces`},
		{"type case", `"Thị Trấn Mường Chà"`},
		{"type field contradicts name", `27046 "Phường 5" has type "Xã"`},
		{"lower-case type in current list", `06325 "xã Bắc Sơn"`},
		{"Ba Chẽ repaired", "new code 06970 (\"Xã Ba Chẽ\", in 5 entries) is not in the current list: used 06978 Xã Ba Chẽ"},
		{"Ia Mơ repaired", "new code 23737 (\"Xã Ia Mơ\", in 1 entries) is not in the current list: used 23938 Xã Ia Mơ"},
		{"cross-province split dropped", "old commune 30622 Xã Tân Phú of province 89 went into 30259 Xã Tân Phú Trung of province 82, but its province went into 91"},
		{"mappings disagree", "1 merges are not in the old-to-new mapping (30622 Xã Tân Phú into 30259 Xã Tân Phú Trung)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(all, c.want) {
				t.Fatalf("warnings lack %q:\n%s", c.want, all)
			}
		})
	}
}

// TestListsFullyIndexed checks counts against the README: a loader that
// skipped a level or a province would pass the spot checks above.
func TestListsFullyIndexed(t *testing.T) {
	r := registry(t)
	count := func(e Era, l Level) int { return len(r.index(e).byCode[l]) }
	for _, c := range []struct {
		name string
		got  int
		want int
	}{
		{"provinces before", count(Before, Province), 63},
		{"districts before", count(Before, District), 696},
		{"communes before", count(Before, Commune), 10047},
		{"provinces now", count(Current, Province), 34},
		{"districts now", count(Current, District), 0},
		{"communes now", count(Current, Commune), 3321},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("%d, want %d", c.got, c.want)
			}
		})
	}
	old := r.index(Before)
	var without []string
	for i, u := range old.units {
		if len(old.succ[i]) == 0 {
			without = append(without, u.String())
		}
	}
	if strings.Join(without, ",") != "30622 Xã Tân Phú" {
		t.Errorf("old units without successor: %v, want only 30622 Xã Tân Phú", without)
	}
}

// TestLongInput: a runaway field names no unit, costs bounded work, and
// makes a short message.
func TestLongInput(t *testing.T) {
	r := registry(t)
	for _, c := range []struct {
		name, value string
		want        want
	}{
		{"spaces collapse however many", "Hà Tĩnh" + strings.Repeat(" ", 3000), want{code: "42", full: "Tỉnh Hà Tĩnh", era: Before}},
		{"a name hidden past the limit is not cut short", "Hà Tĩnh" + strings.Repeat(".", 5000) + "X", want{err: ReasonUnknownUnit, msg: []string{"… (5010 bytes)"}}},
		{"long key", strings.Repeat("Thạch ", 60), want{err: ReasonUnknownUnit, msg: []string{"(480 bytes)"}}},
		{"a megabyte of NFD", strings.Repeat("a\u0301", 1<<19), want{err: ReasonUnknownUnit, msg: []string{"(1572864 bytes)"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := r.Province(c.value, in2020)
			check(t, u, err, c.want)
			if err != nil && len(err.Error()) > 400 {
				t.Errorf("message of %d bytes for a %d-byte value", len(err.Error()), len(c.value))
			}
		})
	}
}

// TestCurrentIn: a commune name that repeats in its province before
// 2025-07-01 (Xã Đồng Văn is in three districts of Nghệ An) is resolved to
// its current unit with the old district the record gives; without it, or
// with a district that does not settle it, it is still ambiguous and the
// error lists the candidates.
func TestCurrentIn(t *testing.T) {
	r := registry(t)
	if _, err := r.Current("Đồng Văn", "Nghệ An", in2020); !errors.Is(err, ErrAmbiguousUnit) {
		t.Fatalf("Current without district = %v; want ambiguous", err)
	} else if e := err.(*Error); len(e.Candidates) != 3 || e.Candidates[0].Code != "16744" || e.Candidates[1].Code != "17287" || e.Candidates[2].Code != "17764" {
		t.Fatalf("candidates = %v; want the three Xã Đồng Văn", e.Candidates)
	}
	old, err := r.CommuneIn("Đồng Văn", "Huyện Tân Kỳ", "Nghệ An", in2020)
	if err != nil || old.Code != "17287" {
		t.Fatalf("CommuneIn = %v, %v; want 17287", old, err)
	}
	want, err := r.CurrentOf(old)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.CurrentIn("Đồng Văn", "Tân Kỳ", "Nghệ An", in2020)
	if err != nil || got != want || got.Era != Current {
		t.Fatalf("CurrentIn = %v, %v; want %v", got, err, want)
	}
	if _, err := r.CurrentIn("Đồng Văn", "Huyện Quỳ Châu", "Nghệ An", in2020); !errors.Is(err, ErrUnknownUnit) {
		t.Fatalf("CurrentIn in a district without the commune = %v; want unknown", err)
	}
	// From 2025-07-01 the name is looked up in the current list, where the
	// district no longer exists and is ignored.
	cur, err := r.CurrentIn(want.Name, "Huyện Tân Kỳ", "Nghệ An", in2026)
	if err != nil || cur != want {
		t.Fatalf("CurrentIn after the reform = %v, %v; want %v", cur, err, want)
	}
}
