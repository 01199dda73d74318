package vn

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	man1990 := ID{Number: "042090123456", Province: "042", Male: true, Century: 1900, YY: 90}
	tests := []struct {
		name string
		in   string
		want ID
	}{
		{"Hà Tĩnh man born 1990", "042090123456", ID{Number: "042090123456", Province: "042", Male: true, Century: 1900, YY: 90}},
		{"Hà Nội woman born 1975", "001175004321", ID{Number: "001175004321", Province: "001", Male: false, Century: 1900, YY: 75}},
		{"Hồ Chí Minh City girl born 2003, grouped", "079 303 012 345", ID{Number: "079303012345", Province: "079", Male: false, Century: 2000, YY: 3}},
		{"Cà Mau boy born 2015", "096215000001", ID{Number: "096215000001", Province: "096", Male: true, Century: 2000, YY: 15}},
		{"2100s male", "038400000001", ID{Number: "038400000001", Province: "038", Male: true, Century: 2100, YY: 0}},
		{"2300s female", "046999000001", ID{Number: "046999000001", Province: "046", Male: false, Century: 2300, YY: 99}},
		{"surrounding spaces", " 042090123456 ", ID{Number: "042090123456", Province: "042", Male: true, Century: 1900, YY: 90}},
		{"dots", "042.090.123.456", man1990},
		{"hyphens", "042-090-123-456", man1990},
		{"hyphens with spaces", "042 - 090 - 123 - 456", man1990},
		{"en dashes and non-breaking hyphens", "042\u2013090\u2011123\u2010456", man1990},
		{"no-break spaces", "042\u00a0090\u00a0123\u00a0456", man1990},
		{"thin and narrow no-break spaces", "042\u2009090\u202f123\u2009456", man1990},
		{"zero-width spaces and a soft hyphen", "042\u200b090\u200b123\u00ad456", man1990},
		{"ideographic space and a byte order mark", "\ufeff042\u3000090123456", man1990},
		{"mixed", "042.090-123\u00a0456", man1990},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseID(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseID(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseIDErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
		msg  string
	}{
		{"unknown province", "999090123456", ReasonIDProvince, "999"},
		{"province 000", "000090123456", ReasonIDProvince, "000"},
		{"code between provinces", "003090123456", ReasonIDProvince, "003"},
		{"old 9-digit card", "186123456", ReasonIDFormat, "CMND"},
		{"11 digits", "04209012345", ReasonIDFormat, "11 digits"},
		{"13 digits", "0420901234567", ReasonIDFormat, "more than 12"},
		{"letter", "04209012345A", ReasonIDFormat, `"A" is not a digit`},
		{"letter O for 0", "O42090123456", ReasonIDFormat, `"O" is not a digit`},
		{"leading hyphen", "-042090123456", ReasonIDFormat, `"-" comes before the first digit`},
		{"trailing dot", "042090123456.", ReasonIDFormat, `"." comes after the last digit`},
		{"left-to-right mark, shown as a code point", "042\u200e090123456", ReasonIDFormat, `id "042[U+200E]090123456": "[U+200E]" is not a digit`},
		{"byte that is not UTF-8, never as mojibake", "042\xc2090123456", ReasonIDFormat, `"[0xC2]"`},
		{"no-break spaces, 11 digits, shown as code points", "042\u00a0090\u00a012345", ReasonIDFormat, `id "042[U+00A0]090[U+00A0]12345": has 11 digits`},
		{"empty", "", ReasonIDFormat, "0 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseID(tt.in)
			checkError(t, err, tt.code, tt.msg)
		})
	}
}

func TestIsOldIDCardSeparators(t *testing.T) {
	for in, want := range map[string]bool{
		"186123456": true, "186 123 456": true, "186.123.456": true, "186-123-456": true,
		"186\u00a0123\u00a0456": true, "186\u2009123\u200b456": true, " 186123456\n": true,
		"18612345": false, "1861234567": false, "186-123-45A": false, "-186123456": false, "186123456-": false,
		"042090123456": false, "": false,
	} {
		if got := IsOldIDCard(in); got != want {
			t.Errorf("IsOldIDCard(%q) = %v; want %v", in, got, want)
		}
	}
}

func TestIDCheck(t *testing.T) {
	man1990, err := ParseID("042090123456")
	if err != nil {
		t.Fatal(err)
	}
	girl2003, err := ParseID("079303012345")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   ID
		dob  Date
		sex  string
		code string // "" for no error
	}{
		{"born 1990 male matches", man1990, Date{Year: 1990, Month: 5, Day: 1, Precision: PrecisionDay}, "M", ""},
		{"year-only date matches", man1990, Date{Year: 1990, Precision: PrecisionYear}, "M", ""},
		{"record says female", man1990, Date{Year: 1990, Precision: PrecisionYear}, "F", ReasonIDSex},
		{"born 1991", man1990, Date{Year: 1991, Precision: PrecisionYear}, "M", ReasonIDBirthYear},
		{"born 2090, century differs", man1990, Date{Year: 2090, Precision: PrecisionYear}, "M", ReasonIDBirthYear},
		{"both wrong: year first", man1990, Date{Year: 1991, Precision: PrecisionYear}, "F", ReasonIDBirthYear},
		{"unknown date and sex", man1990, Date{}, "", ""},
		{"girl born 2003", girl2003, Date{Year: 2003, Month: 7, Precision: PrecisionMonth}, "F", ""},
		{"girl recorded male", girl2003, Date{}, "M", ReasonIDSex},
		{"sex not normalised", girl2003, Date{}, "Nữ", ReasonBadSex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.id.Check(tt.dob, tt.sex)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Check(%v, %q) = %v; want nil", tt.dob, tt.sex, err)
				}
				return
			}
			checkError(t, err, tt.code, tt.id.Number)
		})
	}
}

func TestIsOldIDCard(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"9 digits", "186123456", true},
		{"grouped", " 186 123 456 ", true},
		{"12-digit CCCD", "042090123456", false},
		{"8 digits", "18612345", false},
		{"letter", "18612345A", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsOldIDCard(tt.in); got != tt.want {
				t.Errorf("IsOldIDCard(%q) = %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestProvinceName(t *testing.T) {
	tests := []struct {
		code, want string
		ok         bool
	}{
		{"001", "Hà Nội", true},
		{"042", "Hà Tĩnh", true},
		{"044", "Quảng Bình", true},
		{"079", "Hồ Chí Minh", true},
		{"096", "Cà Mau", true},
		{"042 ", "", false},
		{"42", "", false},
		{"003", "", false},
		{"100", "", false},
		{"0a1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, ok := ProvinceName(tt.code)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ProvinceName(%q) = %q, %v; want %q, %v", tt.code, got, ok, tt.want, tt.ok)
			}
		})
	}
	n := 0
	for _, name := range provinces {
		if name != "" {
			n++
		}
	}
	if n != 63 {
		t.Errorf("%d province codes, Circular 07/2016/TT-BCA publishes 63", n)
	}
}

// TestProvincesMatchGSO checks the codes and names against the General
// Statistics Office's pre-2025 list in the shared reference data, when
// present. The GSO writes "Hoà" for "Hòa" and, since 2025-01-01, "Huế" for
// "Thừa Thiên Huế".
func TestProvincesMatchGSO(t *testing.T) {
	src, err := os.ReadFile("../../../shared/data/admin-units/units-pre-2025-07-01.json")
	if err != nil {
		t.Skipf("shared reference data not found: %v", err)
	}
	var list struct {
		Data []struct {
			ID   string `json:"level1_id"`
			Name string `json:"name"`
		} `json:"data"`
	}
	if err := json.Unmarshal(src, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 63 {
		t.Fatalf("GSO list has %d provinces, want 63", len(list.Data))
	}
	fix := strings.NewReplacer("Tỉnh ", "", "Thành phố ", "", "Hoà", "Hòa")
	for _, p := range list.Data {
		name, ok := ProvinceName("0" + p.ID)
		want := fix.Replace(p.Name)
		if want == "Huế" {
			want = "Thừa Thiên Huế"
		}
		if !ok || name != want {
			t.Errorf("ProvinceName(%q) = %q, %v; GSO says %q", "0"+p.ID, name, ok, p.Name)
		}
	}
}

// checkError fails unless err is an *Error with code whose message contains
// msg.
func checkError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v; want *Error with code %s", err, code)
	}
	if e.Code != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("error = %s %q; want code %s, message containing %q", e.Code, e.Message, code, msg)
	}
	if e.Error() != e.Message || e.Message == "" || strings.ToLower(e.Message[:1]) != e.Message[:1] {
		t.Fatalf("message %q: want it lowercase and returned by Error()", e.Message)
	}
}
