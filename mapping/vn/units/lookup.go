package units

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// outcome is how a search ended.
type outcome uint8

const (
	notFound outcome = iota
	found
	ambiguous
	// elsewhere: a code names a unit, but outside the province or district
	// the lookup was limited to.
	elsewhere
)

// scope limits a search to a province and a district (codes; "" is any).
type scope struct{ province, district string }

func (x *eraIndex) in(i int32, sc scope) bool {
	u := &x.units[i]
	return (sc.province == "" || u.Province == sc.province) && (sc.district == "" || u.District == sc.district)
}

// find searches the era for a unit of level lvl that s names, within sc.
// Digits are a code. A name is tried exactly, then with the type it starts
// with read as part of the name ("Phường Đúc" is Phường Phường Đúc), then
// without diacritics, where only a single candidate is accepted. When out is
// not nil and the search is ambiguous, the candidates are appended to it.
func (x *eraIndex) find(lvl Level, s string, sc scope, out *[]int32) (int32, outcome) {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1, notFound
	}
	if digitsOnly(s) {
		var cb [8]byte
		code, ok := appendCode(cb[:0], s, codeWidth[lvl])
		if !ok {
			return -1, notFound
		}
		i, ok := x.byCode[lvl][string(code)]
		switch {
		case !ok:
			return -1, notFound
		case !x.in(i, sc):
			return i, elsewhere
		}
		return i, found
	}
	var kb [keyCap]byte
	k, key := inputKey(kb[:0], s, lvl)
	if len(key) == 0 {
		return -1, notFound
	}
	cands := x.byName[lvl][string(key)]
	if cands == nil && lvl == Province {
		if to, ok := aliasKeys[string(key)]; ok {
			cands = x.byName[lvl][to]
		}
	}
	if i, o := x.choose(cands, sc, k, out); o != notFound {
		return i, o
	}
	if k != kindNone {
		var wb [keyCap]byte
		w := append(append(append(wb[:0], kindKeys[k]...), ' '), key...)
		if i, o := x.choose(x.byName[lvl][string(w)], sc, k, out); o != notFound {
			return i, o
		}
	}
	var fb [keyCap]byte
	f := foldKey(fb[:0], key)
	cands = x.byFold[lvl][string(f)]
	if cands == nil && lvl == Province {
		if to, ok := aliasFolds[string(f)]; ok {
			cands = x.byFold[lvl][to]
		}
	}
	return x.choose(cands, sc, k, out)
}

// choose picks the one candidate in scope. When the input gave a type and
// some candidates have it, only those count: "Xã Yên Viên" is not "Thị trấn
// Yên Viên". A type no candidate has is ignored, since units changed type
// and records keep the old one.
func (x *eraIndex) choose(cands []int32, sc scope, k kind, out *[]int32) (int32, outcome) {
	n, first, nk, firstK := 0, int32(-1), 0, int32(-1)
	for _, i := range cands {
		if !x.in(i, sc) {
			continue
		}
		if n++; first < 0 {
			first = i
		}
		if k != kindNone && x.kinds[i] == k {
			if nk++; firstK < 0 {
				firstK = i
			}
		}
	}
	byKind := nk > 0
	if byKind {
		n, first = nk, firstK
	}
	switch n {
	case 0:
		return -1, notFound
	case 1:
		return first, found
	}
	if out != nil {
		for _, i := range cands {
			if x.in(i, sc) && (!byKind || x.kinds[i] == k) {
				*out = append(*out, i)
			}
		}
	}
	return -1, ambiguous
}

// Province returns the province that nameOrCode names in the era of asOf.
func (r *Registry) Province(nameOrCode string, asOf time.Time) (Unit, error) {
	if asOf.IsZero() {
		return Unit{}, errNoDate("province", nameOrCode)
	}
	x := r.at(asOf)
	i, o := x.find(Province, nameOrCode, scope{}, nil)
	if o == found {
		return x.units[i], nil
	}
	return Unit{}, r.failure(x, Province, nameOrCode, scope{}, asOf, i, o)
}

// District returns the district that nameOrCode names in the province (name
// or code, or "" for any) in the era of asOf. Districts ended on 2025-07-01,
// so a later date is an unknown_admin_unit error.
func (r *Registry) District(nameOrCode, province string, asOf time.Time) (Unit, error) {
	if asOf.IsZero() {
		return Unit{}, errNoDate("district", nameOrCode)
	}
	x := r.at(asOf)
	if x.era == Current {
		return Unit{}, &Error{Code: ReasonUnknownUnit, Message: fmt.Sprintf("district %s: the record date %s is from 2025-07-01, when the district level ended: resolve the commune and province only", quote(nameOrCode), day(asOf))}
	}
	sc, err := r.scope(x, province, "", nameOrCode, District, asOf)
	if err != nil {
		return Unit{}, err
	}
	i, o := x.find(District, nameOrCode, sc, nil)
	if o == found {
		return x.units[i], nil
	}
	return Unit{}, r.failure(x, District, nameOrCode, sc, asOf, i, o)
}

// Commune returns the commune (xã, phường, thị trấn, đặc khu) that
// nameOrCode names in the province, a name or code of the same era, in the
// era of asOf. The province may be "" only when the name is unique in the
// country, or for a code; otherwise the error is ambiguous_admin_unit and
// lists the candidates. Before 2025-07-01 a name can repeat within a
// province; CommuneIn then takes the district.
func (r *Registry) Commune(nameOrCode, province string, asOf time.Time) (Unit, error) {
	return r.CommuneIn(nameOrCode, "", province, asOf)
}

// CommuneIn is Commune limited to a district (name or code, or "") as well,
// for records dated before 2025-07-01. From that date there are no
// districts and the district is ignored, since records may still carry one.
func (r *Registry) CommuneIn(nameOrCode, district, province string, asOf time.Time) (Unit, error) {
	if asOf.IsZero() {
		return Unit{}, errNoDate("commune", nameOrCode)
	}
	x := r.at(asOf)
	if x.era == Current {
		district = ""
	}
	sc, err := r.scope(x, province, district, nameOrCode, Commune, asOf)
	if err != nil {
		return Unit{}, err
	}
	i, o := x.find(Commune, nameOrCode, sc, nil)
	if o == found {
		return x.units[i], nil
	}
	return Unit{}, r.failure(x, Commune, nameOrCode, sc, asOf, i, o)
}

// scope resolves the province and district a lookup of value is limited to.
func (r *Registry) scope(x *eraIndex, province, district, value string, lvl Level, asOf time.Time) (scope, error) {
	var sc scope
	if strings.TrimSpace(province) != "" {
		i, o := x.find(Province, province, scope{}, nil)
		if o != found {
			err := r.failure(x, Province, province, scope{}, asOf, i, o)
			err.Message = fmt.Sprintf("%s %s: province: %s", lvl, quote(value), err.Message)
			return sc, err
		}
		sc.province = x.units[i].Code
	}
	if strings.TrimSpace(district) != "" {
		i, o := x.find(District, district, sc, nil)
		if o != found {
			err := r.failure(x, District, district, sc, asOf, i, o)
			err.Message = fmt.Sprintf("%s %s: district: %s", lvl, quote(value), err.Message)
			return sc, err
		}
		sc.district = x.units[i].Code
	}
	return sc, nil
}

// failure explains why find did not return a unit: the value, the era and
// date, the scope, and what to do.
func (r *Registry) failure(x *eraIndex, lvl Level, value string, sc scope, asOf time.Time, i int32, o outcome) *Error {
	where := r.where(x, sc)
	list := fmt.Sprintf("the list %s (record date %s)", x.era, day(asOf))
	switch o {
	case elsewhere:
		u := x.units[i]
		return &Error{Code: ReasonUnknownUnit, Message: fmt.Sprintf("%s code %s is %s%s, not%s, in %s: check the code and the %s of the record", lvl, quote(value), u.FullName, r.where(x, scope{province: u.Province, district: districtOf(u, sc)}), where, list, scopeWords(sc))}
	case ambiguous:
		var idx []int32
		x.find(lvl, value, sc, &idx)
		cands := make([]Unit, len(idx))
		for j, c := range idx {
			cands[j] = x.units[c]
		}
		slices.SortFunc(cands, func(a, b Unit) int { return strings.Compare(a.Code, b.Code) })
		return &Error{Code: ReasonAmbiguousUnit, Candidates: cands, Message: fmt.Sprintf("%s %s%s matches %d units in %s: %s: %s", lvl, quote(value), where, len(cands), list, r.describe(x, cands), disambiguate(x.era, lvl, sc, cands))}
	}
	msg := fmt.Sprintf("%s %s is not%s in %s", lvl, quote(value), where, list)
	switch hint := r.otherEra(x, lvl, value, sc); {
	case hint != "":
		msg += ", but " + hint
	case digitsOnly(strings.TrimSpace(value)):
		msg += fmt.Sprintf(": check the code (%d digits for a %s)", codeWidth[lvl], lvl)
	default:
		msg += ": check the spelling or give the official code"
	}
	return &Error{Code: ReasonUnknownUnit, Message: msg}
}

// otherEra says whether value names a unit in the other era, which points to
// a wrong record date or a record that kept an old name.
func (r *Registry) otherEra(x *eraIndex, lvl Level, value string, sc scope) string {
	if sc != (scope{}) {
		return ""
	}
	y := &r.eras[0]
	if x.era == Before {
		y = &r.eras[1]
	}
	if lvl == District && y.era == Current {
		return ""
	}
	if i, o := y.find(lvl, value, scope{}, nil); o == found {
		return fmt.Sprintf("it names %s in the list %s: check the record date, or whether the record kept a name the 2025 reform replaced", y.units[i], y.era)
	}
	return ""
}

func districtOf(u Unit, sc scope) string {
	if sc.district == "" {
		return ""
	}
	return u.District
}

func scopeWords(sc scope) string {
	if sc.district != "" {
		return "province and district"
	}
	return "province"
}

// disambiguate says what would single out one of cands.
func disambiguate(e Era, lvl Level, sc scope, cands []Unit) string {
	var do []string
	for _, c := range cands[1:] {
		if c.Type != cands[0].Type {
			do = append(do, fmt.Sprintf("write the type with the name (%q, %q)", cands[0].FullName, c.FullName))
			break
		}
	}
	switch {
	case lvl == Commune && sc.province == "":
		do = append(do, "give the province")
	case lvl == Commune && e == Before && sc.district == "":
		do = append(do, "give the district (CommuneIn, or commune_in in a mapping)")
	case lvl == District && sc.province == "":
		do = append(do, "give the province")
	}
	do = append(do, "give the "+lvl.String()+" code")
	return strings.Join(do, ", or ")
}

// where describes a scope: " in Tỉnh Hà Tĩnh (42)", or "" for no scope.
func (r *Registry) where(x *eraIndex, sc scope) string {
	var b strings.Builder
	if sc.district != "" {
		if i, ok := x.byCode[District][sc.district]; ok {
			fmt.Fprintf(&b, " in %s (%s)", x.units[i].FullName, sc.district)
		}
	}
	if sc.province != "" {
		if i, ok := x.byCode[Province][sc.province]; ok {
			if b.Len() > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " in %s (%s)", x.units[i].FullName, sc.province)
		}
	}
	return b.String()
}

// describe lists units for a message, with their district and province, at
// most ten of them.
func (r *Registry) describe(x *eraIndex, us []Unit) string {
	var b strings.Builder
	for j, u := range us {
		if j == 10 {
			fmt.Fprintf(&b, ", and %d more", len(us)-10)
			break
		}
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(u.String())
		var parts []string
		if u.Level == Commune && u.District != "" {
			if i, ok := x.byCode[District][u.District]; ok {
				parts = append(parts, x.units[i].FullName)
			}
		}
		if u.Level != Province {
			if i, ok := x.byCode[Province][u.Province]; ok {
				parts = append(parts, x.units[i].FullName)
			}
		}
		if len(parts) > 0 {
			b.WriteString(" (" + strings.Join(parts, ", ") + ")")
		}
	}
	return b.String()
}

// quote quotes a value for a message, shortened: a runaway field must not
// make a runaway reject.
func quote(v string) string {
	const max = 80
	if len(v) <= max {
		return strconv.Quote(v)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return strconv.Quote(v[:cut]) + fmt.Sprintf("… (%d bytes)", len(v))
}

func day(t time.Time) string { return t.In(vietnam).Format(time.DateOnly) }
