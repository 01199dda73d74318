package units

import (
	"fmt"
	"strings"
	"time"
)

// Successors returns the Current units an old unit went into: one province
// for a province, one or more communes for a commune (more when it split),
// the communes its communes went into for a district, or the đặc khu for the
// island districts that became one. A Current unit is its own successor. It
// returns nil for a unit this Registry does not know or one the mapping gives
// no successor.
func (r *Registry) Successors(u Unit) []Unit {
	x := r.index(u.Era)
	if x == nil || u.Level < Province || u.Level > Commune {
		return nil
	}
	i, ok := x.byCode[u.Level][u.Code]
	if !ok {
		return nil
	}
	if x.era == Current {
		return []Unit{x.units[i]}
	}
	if len(x.succ[i]) == 0 {
		return nil
	}
	cur := &r.eras[1]
	out := make([]Unit, len(x.succ[i]))
	for j, n := range x.succ[i] {
		out[j] = cur.units[n]
	}
	return out
}

// CurrentOf returns the Current unit that u is today: u itself in the
// Current era, its successor before. When an old unit split, the error is
// ambiguous_admin_unit listing the successors, unless the new-to-old mapping
// says one of them holds it fully.
func (r *Registry) CurrentOf(u Unit) (Unit, error) {
	x := r.index(u.Era)
	if x == nil || u.Level < Province || u.Level > Commune {
		return Unit{}, &Error{Code: ReasonUnknownUnit, Message: fmt.Sprintf("unit %q has no era or level: pass a Unit that a lookup returned", u.String())}
	}
	i, ok := x.byCode[u.Level][u.Code]
	if !ok {
		return Unit{}, &Error{Code: ReasonUnknownUnit, Message: fmt.Sprintf("%s %s is not in the list %s: pass a Unit that a lookup of this Registry returned", u.Level, u, u.Era)}
	}
	if x.era == Current {
		return x.units[i], nil
	}
	cur := &r.eras[1]
	switch s := x.succ[i]; {
	case len(s) == 1:
		return cur.units[s[0]], nil
	case len(s) == 0:
		return Unit{}, &Error{Code: ReasonUnknownUnit, Message: fmt.Sprintf("%s %s%s in the list before 2025-07-01 has no successor in the old-to-new mapping: map the record by hand or fix the mapping (see Registry.Warnings)", u.Level, x.units[i], r.where(x, scope{province: u.Province}))}
	case x.full[i] >= 0:
		return cur.units[x.full[i]], nil
	}
	cands := r.Successors(x.units[i])
	names := make([]string, len(cands))
	for j, c := range cands {
		names[j] = c.String()
	}
	return Unit{}, &Error{Code: ReasonAmbiguousUnit, Candidates: cands, Message: fmt.Sprintf("%s %s%s in the list before 2025-07-01 went into %d units from 2025-07-01: %s: %s", u.Level, x.units[i], r.where(x, scope{province: u.Province}), len(cands), strings.Join(names, ", "), splitAdvice(u.Level))}
}

// Current resolves nameOrCode in the era of asOf and returns the unit it is
// from 2025-07-01 on (see CurrentOf). With a province (name or code of the
// era of asOf) it resolves a commune; without one, a province, or a commune
// when nameOrCode is a code of four or five digits. To map a commune name
// that is unique in the country, use Commune then CurrentOf.
func (r *Registry) Current(nameOrCode, province string, asOf time.Time) (Unit, error) {
	return r.CurrentIn(nameOrCode, "", province, asOf)
}

// CurrentIn is Current for a commune that the record places in a district
// as well (name or code, or ""), for a commune name that repeats in its
// province before 2025-07-01: the district singles it out (see CommuneIn).
// From 2025-07-01 the district is ignored.
func (r *Registry) CurrentIn(nameOrCode, district, province string, asOf time.Time) (Unit, error) {
	var u Unit
	var err error
	if c := strings.TrimSpace(nameOrCode); province == "" && !(digitsOnly(c) && len(c) >= 4) {
		u, err = r.Province(nameOrCode, asOf)
	} else {
		u, err = r.CommuneIn(nameOrCode, district, province, asOf)
	}
	if err != nil {
		return Unit{}, err
	}
	return r.CurrentOf(u)
}

func splitAdvice(l Level) string {
	if l == District {
		return "a district does not tell which; resolve the record's commune instead"
	}
	return "the old " + l.String() + " does not tell which: check the record's address by hand"
}
