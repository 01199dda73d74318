package units

import (
	"fmt"
	"time"
)

// Files are the paths of the official lists, as the operator configures
// them. The product ships no list.
type Files struct {
	// Before is the list in force before Reform, in the shape of
	// units-pre-2025-07-01.json: {"data":[{"level1_id","name","type",
	// "level2s":[{"level2_id",...,"level3s":[{"level3_id",...}]}]}]}.
	Before string
	// Current is the list in force from Reform, in the shape of
	// units-current.json: [{"Code","Name","FullName","Wards":[{"Code",
	// "Name","FullName","ProvinceCode"}]}].
	Current string
	// OldToNew maps each old province, district and commune to the current
	// units it went into (mapping-old-to-new-2025-07-01.json, "splits").
	OldToNew string
	// NewToOld is optional: each current unit with the old units merged into
	// it and whether fully or partly (mapping-new-to-old-2025-07-01.json,
	// "merges"). With it, an old unit that split but went fully into one
	// current unit maps to that unit, and Load cross-checks both mappings.
	NewToOld string
}

// Registry holds the lists of both eras and the mapping between them. It is
// read-only after Load and safe for concurrent use.
type Registry struct {
	eras     [2]eraIndex // Before, Current
	warnings []string
}

// eraIndex is the units of one era and their indexes. Unit indexes are
// int32 positions in units.
type eraIndex struct {
	era    Era
	units  []Unit
	kinds  []kind
	byCode [4]map[string]int32   // by Level
	byName [4]map[string][]int32 // key of the name without type
	byFold [4]map[string][]int32 // the key without diacritics

	// Before era only.
	succ [][]int32 // unit → the Current units it went into, in code order
	full []int32   // unit → the successor holding it fully, or -1
}

// Load reads and checks the lists and builds the indexes. Its errors name the
// file and what is wrong with it. Inconsistencies it can work around, such as
// a mapping entry naming a code the current list does not have while the
// name is unique in the right province, are repaired and reported by
// Warnings; Load fails when a list is malformed or when the mapping does not
// fit the lists at all.
func Load(f Files) (*Registry, error) {
	for _, p := range [...]struct{ path, field, shape string }{
		{f.Before, "Before", "units-pre-2025-07-01.json"},
		{f.Current, "Current", "units-current.json"},
		{f.OldToNew, "OldToNew", "mapping-old-to-new-2025-07-01.json"},
	} {
		if p.path == "" {
			return nil, fmt.Errorf("load administrative units: Files.%s is empty: set it to the path of the official list (%s shape)", p.field, p.shape)
		}
	}
	r := &Registry{}
	r.eras[0] = newEraIndex(Before)
	r.eras[1] = newEraIndex(Current)
	if err := r.loadBefore(f.Before); err != nil {
		return nil, err
	}
	if err := r.loadCurrent(f.Current); err != nil {
		return nil, err
	}
	if err := r.loadOldToNew(f.OldToNew); err != nil {
		return nil, err
	}
	if f.NewToOld != "" {
		if err := r.loadNewToOld(f.NewToOld); err != nil {
			return nil, err
		}
	}
	r.districtSuccessors()
	return r, nil
}

func newEraIndex(e Era) eraIndex {
	x := eraIndex{era: e}
	for l := Province; l <= Commune; l++ {
		x.byCode[l] = map[string]int32{}
		x.byName[l] = map[string][]int32{}
		x.byFold[l] = map[string][]int32{}
	}
	return x
}

// add indexes u, whose Name is already clean. It fails on a duplicate code.
func (x *eraIndex) add(u Unit, k kind) (int32, error) {
	if j, dup := x.byCode[u.Level][u.Code]; dup {
		return -1, fmt.Errorf("%s code %s is used twice: %s and %s", u.Level, u.Code, x.units[j].FullName, u.FullName)
	}
	i := int32(len(x.units))
	x.units = append(x.units, u)
	x.kinds = append(x.kinds, k)
	x.byCode[u.Level][u.Code] = i
	key := indexKey(nil, u.Name)
	x.byName[u.Level][string(key)] = append(x.byName[u.Level][string(key)], i)
	fold := string(foldKey(nil, key))
	x.byFold[u.Level][fold] = append(x.byFold[u.Level][fold], i)
	return i, nil
}

// Warnings returns the problems Load found in the lists and worked around,
// one sentence each, naming the file and the units. The slice is shared: do
// not modify it.
func (r *Registry) Warnings() []string { return r.warnings }

func (r *Registry) warnf(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// at returns the index of the era a record dated asOf is looked up in.
func (r *Registry) at(asOf time.Time) *eraIndex {
	if EraOf(asOf) == Before {
		return &r.eras[0]
	}
	return &r.eras[1]
}

func (r *Registry) index(e Era) *eraIndex {
	switch e {
	case Before:
		return &r.eras[0]
	case Current:
		return &r.eras[1]
	}
	return nil
}

// errNoDate is returned for the zero asOf, which would otherwise fall in the
// Before era silently.
func errNoDate(level, value string) error {
	return &Error{Code: ReasonNoDate, Message: fmt.Sprintf("%s %s looked up without a record date: pass the date the record refers to, since codes and names changed on 2025-07-01", level, quote(value))}
}
