package units

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzLookup feeds names and provinces as department data might write them
// to every lookup, and checks what must hold for any input: no panic, only
// the package's reason codes, units of the asked level and era, and the same
// answer for NFD input, for outer spaces, and for a found unit's own code.
func FuzzLookup(f *testing.F) {
	for _, s := range []struct {
		name, province string
		before         bool
	}{
		{"Xã Thạch Kênh", "Hà Tĩnh", true},
		{"xã thạch kênh", "42", true},
		{"TT. Nghèn", "Tỉnh Hà Tĩnh", true},
		{"P. Bắc Hà", "042", true},
		{"Phường 05", "TP.HCM", true},
		{"P5", "Thành phố Hồ Chí Minh", true},
		{"Trần Phú", "Hà Nội", true},
		{"Thach Kenh", "", true},
		{"Dong Xuan", "01", true},
		{"Phường Yên Hòa", "Hà Nội", false},
		{"Xã Thụy Anh", "Hưng Yên", false},
		{"18586", "", false},
		{"7", "Hà Nội", true},
		{"Phường Đúc", "46", true},
		{"Ea M' Doal", "Đắk Lắk", true},
		{"Bà Rịa-Vũng Tàu", "", true},
		{"Hòa", "Hoà Bình", true},
		{"TP.", "T.", false},
		{"", "", false},
		{"\u0301", "\u00a0", true},
	} {
		f.Add(s.name, s.province, s.before)
	}
	r := registry(f)
	f.Fuzz(func(t *testing.T, name, province string, before bool) {
		asOf, era := in2026, Current
		if before {
			asOf, era = in2020, Before
		}
		nfd := func(s string) string {
			if !utf8.ValidString(s) {
				return s // NFD of invalid UTF-8 is not NFC-equivalent
			}
			return norm.NFD.String(s)
		}

		p, err := r.Province(name, asOf)
		result(t, "Province", p, err, Province, era)
		p2, err2 := r.Province(nfd(name), asOf)
		same(t, "Province NFD", p, err, p2, err2)
		p3, err3 := r.Province(" \t"+name+"  ", asOf)
		same(t, "Province padded", p, err, p3, err3)
		if err == nil {
			again, err := r.Province(p.Code, asOf)
			same(t, "Province by its code", p, nil, again, err)
		}

		c, err := r.Commune(name, province, asOf)
		result(t, "Commune", c, err, Commune, era)
		c2, err2 := r.Commune(nfd(name), nfd(province), asOf)
		same(t, "Commune NFD", c, err, c2, err2)
		if err == nil {
			again, err := r.Commune(c.Code, "", asOf)
			same(t, "Commune by its code", c, nil, again, err)
			if strings.TrimSpace(province) != "" { // blank is no province
				if pu, perr := r.Province(province, asOf); perr != nil || pu.Code != c.Province {
					t.Fatalf("Commune(%q, %q) = %v in province %s, but the province resolves to %v, %v", name, province, c, c.Province, pu, perr)
				}
			}
		}

		u, err := r.Current(name, province, asOf)
		if err != nil {
			result(t, "Current", u, err, 0, Current)
		} else if u.Era != Current {
			t.Fatalf("Current(%q, %q) = %v of era %v", name, province, u, u.Era)
		}
	})
}

// result checks one lookup result against what any input allows.
func result(t *testing.T, op string, u Unit, err error, lvl Level, era Era) {
	t.Helper()
	if err != nil {
		var ue *Error
		if !errors.As(err, &ue) {
			t.Fatalf("%s: error %v is not an *Error", op, err)
		}
		switch ue.Code {
		case ReasonUnknownUnit:
		case ReasonAmbiguousUnit:
			if len(ue.Candidates) < 2 {
				t.Fatalf("%s: ambiguous with %d candidates: %v", op, len(ue.Candidates), ue)
			}
			seen := map[string]bool{}
			for _, c := range ue.Candidates {
				if seen[c.Code] {
					t.Fatalf("%s: candidate %v listed twice: %v", op, c, ue)
				}
				seen[c.Code] = true
			}
		default:
			t.Fatalf("%s: error code %q: %v", op, ue.Code, ue)
		}
		if ue.Message == "" || u != (Unit{}) {
			t.Fatalf("%s: error %q with unit %v", op, ue.Message, u)
		}
		return
	}
	if u.Level != lvl || u.Era != era || len(u.Code) != codeWidth[lvl] || u.FullName != u.Type+" "+u.Name {
		t.Fatalf("%s: unit %+v is not a %v of era %v", op, u, lvl, era)
	}
}

// same checks that two lookups agree: the same unit, or the same reason.
func same(t *testing.T, op string, u Unit, err error, v Unit, err2 error) {
	t.Helper()
	if u != v || code(err) != code(err2) {
		t.Fatalf("%s: %v, %v differs from %v, %v", op, u, err, v, err2)
	}
}

func code(err error) string {
	var ue *Error
	if errors.As(err, &ue) {
		return ue.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
