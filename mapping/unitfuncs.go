package mapping

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/lienthong/lienthong/mapping/vn/units"
	"github.com/lienthong/lienthong/schema"
)

// unitFuncs resolve administrative units against the lists the operator
// configured (WithUnits). Each returns the unit's full name ("Xã Thạch
// Kênh"), or with a last argument "name" or "code" its bare name or code.
func unitFuncs() []*fn {
	part := "full_name, name or code"
	return []*fn{
		{name: "province", usage: `province(name_or_code, as_of) or province(name_or_code, as_of, "` + part + `")`,
			sigs: []any{new(sig2), new(sig3)}, prepare: prepareUnit(1, func(r *units.Registry, a []string, t time.Time) (units.Unit, error) {
				return r.Province(a[0], t)
			})},
		{name: "commune", usage: `commune(name_or_code, province, as_of) or commune(name_or_code, province, as_of, "` + part + `")`,
			sigs: []any{new(sig3), new(func(string, string, string, string) string)}, prepare: prepareUnit(2, func(r *units.Registry, a []string, t time.Time) (units.Unit, error) {
				return r.Commune(a[0], a[1], t)
			})},
		{name: "current_unit", usage: `current_unit(name_or_code, province, as_of) or current_unit(name_or_code, province, as_of, "` + part + `")`,
			sigs: []any{new(sig3), new(func(string, string, string, string) string)}, prepare: prepareUnit(2, func(r *units.Registry, a []string, t time.Time) (units.Unit, error) {
				return r.Current(a[0], a[1], t)
			})},
		// The _in forms take the district the record gives, which singles
		// out a commune whose name repeats in its province before
		// 2025-07-01 (the old district: from that date it is ignored).
		{name: "commune_in", usage: `commune_in(name_or_code, district, province, as_of) or commune_in(name_or_code, district, province, as_of, "` + part + `")`,
			sigs: []any{new(func(string, string, string, string) string), new(func(string, string, string, string, string) string)}, prepare: prepareUnit(3, func(r *units.Registry, a []string, t time.Time) (units.Unit, error) {
				return r.CommuneIn(a[0], a[1], a[2], t)
			})},
		{name: "current_unit_in", usage: `current_unit_in(name_or_code, district, province, as_of) or current_unit_in(name_or_code, district, province, as_of, "` + part + `")`,
			sigs: []any{new(func(string, string, string, string) string), new(func(string, string, string, string, string) string)}, prepare: prepareUnit(3, func(r *units.Registry, a []string, t time.Time) (units.Unit, error) {
				return r.CurrentIn(a[0], a[1], a[2], t)
			})},
	}
}

// unitsMissing says what to configure when a mapping calls a unit function
// and the operator gave no lists.
func (c *compiler) unitsMissing(name string) (string, bool) {
	switch name {
	case "province", "commune", "current_unit", "commune_in", "current_unit_in":
		return fmt.Sprintf("%s needs the official administrative-unit lists: set admin_units (before, current, old_to_new) in lienthong.yaml", name), true
	}
	return "", false
}

// prepareUnit makes a unit function whose as_of argument is at index asOfArg.
func prepareUnit(asOfArg int, find func(r *units.Registry, a []string, t time.Time) (units.Unit, error)) func(*compiler, *ast.CallNode) (siteFunc, error) {
	return func(c *compiler, call *ast.CallNode) (siteFunc, error) {
		part := "full_name"
		if len(call.Arguments) > asOfArg+1 {
			p, ok := constArg(call, asOfArg+1)
			if !ok || (p != "full_name" && p != "name" && p != "code") {
				return nil, errors.New(`the last argument says what to return: "full_name", "name" or "code"`)
			}
			part = p
		}
		reg := c.opts.units
		return func(f *frame, s *site, a siteArgs) any {
			args := make([]string, asOfArg)
			for i := range args {
				args[i] = str(a.at(i))
			}
			if blank(args[0]) {
				return ""
			}
			when, ok := asOf(str(a.at(asOfArg)))
			if !ok {
				f.fail(s.slot, units.ReasonNoDate, fmt.Sprintf("%q: the date %q the unit is as of is not a date, so its era (before or from 2025-07-01) is unknown", args[0], str(a.at(asOfArg))))
				return ""
			}
			u, err := find(reg, args, when)
			if err != nil {
				var ue *units.Error
				if errors.As(err, &ue) {
					f.fail(s.slot, ue.Code, ue.Message)
				} else {
					f.fail(s.slot, schema.ReasonNoMapping, err.Error())
				}
				return ""
			}
			switch part {
			case "name":
				return u.Name
			case "code":
				return u.Code
			}
			return strings.TrimSpace(u.FullName)
		}, nil
	}
}
