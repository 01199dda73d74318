package units

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The JSON shapes of the lists. Fields the resolver does not use (English
// names, stats) are ignored, so that a newer edition of a list still loads.

type beforeFile struct {
	Data []struct {
		ID      string `json:"level1_id"`
		Name    string `json:"name"`
		Type    string `json:"type"`
		Level2s []struct {
			ID      string `json:"level2_id"`
			Name    string `json:"name"`
			Type    string `json:"type"`
			Level3s []struct {
				ID   string `json:"level3_id"`
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"level3s"`
		} `json:"level2s"`
	} `json:"data"`
}

type currentFile []struct {
	Code     string `json:"Code"`
	Name     string `json:"Name"`
	FullName string `json:"FullName"`
	Wards    []struct {
		Code         string `json:"Code"`
		Name         string `json:"Name"`
		FullName     string `json:"FullName"`
		ProvinceCode string `json:"ProvinceCode"`
	} `json:"Wards"`
}

type split struct {
	NewID string `json:"new_id"`
	Name  string `json:"name"`
}

type oldToNewFile struct {
	Data []struct {
		ID      string  `json:"level1_id"`
		Name    string  `json:"name"`
		Splits  []split `json:"splits"`
		Level2s []struct {
			ID     string  `json:"level2_id"`
			Name   string  `json:"name"`
			Splits []split `json:"splits"`
		} `json:"level2s"`
		Level3s []struct {
			ID     string  `json:"level3_id"`
			Name   string  `json:"name"`
			Splits []split `json:"splits"`
		} `json:"level3s"`
	} `json:"data"`
}

type merge struct {
	OldID string `json:"old_id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
}

type newToOldFile struct {
	Data []struct {
		ID      string  `json:"level1_id"`
		Name    string  `json:"name"`
		Merges  []merge `json:"merges"`
		Level2s []struct {
			ID     string  `json:"level2_id"`
			Name   string  `json:"name"`
			Merges []merge `json:"merges"`
		} `json:"level2s"`
	} `json:"data"`
}

// readJSON decodes the file at path into v. shape names the expected file
// for the operator; open is '{' or '[', the byte the document must start
// with, so that two swapped paths get a clear error.
func readJSON(path, what, shape string, open byte, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s %s: %w: check the path configured for it", what, path, err)
	}
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) == 0 {
		return fmt.Errorf("read %s %s: the file is empty: point it at the official list (%s shape)", what, path, shape)
	}
	if t[0] != open {
		return fmt.Errorf("read %s %s: the document starts with %q, want %q: is this the %s file?", what, path, t[0], open, shape)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := lineCol(data, se.Offset)
			return fmt.Errorf("read %s %s:%d:%d: %v: the file is not valid JSON; fetch the official list again", what, path, line, col, se)
		case errors.As(err, &te):
			line, col := lineCol(data, te.Offset)
			return fmt.Errorf("read %s %s:%d:%d: field %s holds a JSON %s, want %s: the file does not have the %s shape", what, path, line, col, te.Field, te.Value, te.Type, shape)
		}
		return fmt.Errorf("read %s %s: %w", what, path, err)
	}
	return nil
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return line, col
}

// cleanName returns s in NFC with spaces trimmed and collapsed, and whether
// that changed it.
func cleanName(s string) (string, bool) {
	c := strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	return c, c != s
}

// splitType splits a full name into its type and name: "Thị Trấn Nghèn" is
// kindThiTran and "Nghèn". The type must be one the level allows.
func splitType(lvl Level, full string) (kind, string, bool) {
	for _, k := range levelKinds[lvl] {
		t := kindNames[k]
		if len(full) > len(t)+1 && strings.EqualFold(full[:len(t)], t) && full[len(t)] == ' ' {
			return k, full[len(t)+1:], true
		}
	}
	return kindNone, "", false
}

// typeOf returns the kind a list's "type" field names, comparing keys so
// that case and tone placement do not matter. "Thành phố Trung ương" is
// kindThanhPho.
func typeOf(lvl Level, t string) kind {
	key := string(indexKey(nil, t))
	if key == "thành phố trung ương" {
		return kindThanhPho
	}
	for _, k := range levelKinds[lvl] {
		if key == kindKeys[k] {
			return k
		}
	}
	return kindNone
}

// cleanups counts cosmetic repairs to names, reported once per file.
type cleanups struct {
	spaces, typeCase, typeField []string
}

func (c *cleanups) report(r *Registry, path string) {
	if n := len(c.spaces); n > 0 {
		r.warnf("%s: %d names have stray or doubled spaces or are not NFC (%s): cleaned", path, n, sample(c.spaces))
	}
	if n := len(c.typeCase); n > 0 {
		r.warnf("%s: %d names spell their type in another case (%s): the type is spelled canonically", path, n, sample(c.typeCase))
	}
	if n := len(c.typeField); n > 0 {
		r.warnf("%s: %d units have a \"type\" field that contradicts their name (%s): the name's type is used", path, n, sample(c.typeField))
	}
}

// sample lists up to three items of a report.
func sample(items []string) string {
	if len(items) > 3 {
		return strings.Join(items[:3], "; ") + "; …"
	}
	return strings.Join(items, "; ")
}

// unit builds a unit from a full name as the list writes it.
func (c *cleanups) unit(lvl Level, code, full, typeField string) (Unit, kind, error) {
	if len(code) != codeWidth[lvl] || !digitsOnly(code) {
		return Unit{}, 0, fmt.Errorf("%s %q: code %q is not %d digits", lvl, full, code, codeWidth[lvl])
	}
	name, changed := cleanName(full)
	if changed {
		c.spaces = append(c.spaces, fmt.Sprintf("%s %q", code, full))
	}
	k, bare, ok := splitType(lvl, name)
	if !ok {
		return Unit{}, 0, fmt.Errorf("%s %s %q does not start with a %s type (%s)", lvl, code, name, lvl, strings.Join(kindList(lvl), ", "))
	}
	if t := kindNames[k]; name[:len(t)] != t {
		c.typeCase = append(c.typeCase, fmt.Sprintf("%s %q", code, name))
	}
	if typeField != "" && typeOf(lvl, typeField) != k {
		c.typeField = append(c.typeField, fmt.Sprintf("%s %q has type %q", code, name, typeField))
	}
	return Unit{Code: code, Name: bare, FullName: kindNames[k] + " " + bare, Type: kindNames[k], Level: lvl}, k, nil
}

func kindList(lvl Level) []string {
	var s []string
	for _, k := range levelKinds[lvl] {
		s = append(s, kindNames[k])
	}
	return s
}

func (r *Registry) loadBefore(path string) error {
	const what, shape = "pre-2025-07-01 list", "units-pre-2025-07-01.json"
	var f beforeFile
	if err := readJSON(path, what, shape, '{', &f); err != nil {
		return err
	}
	if len(f.Data) == 0 {
		return fmt.Errorf("load %s %s: no provinces under \"data\": is this the %s file?", what, path, shape)
	}
	x := &r.eras[0]
	var c cleanups
	fail := func(err error) error {
		return fmt.Errorf("load %s %s: %w: fix the list or configure the official one", what, path, err)
	}
	for _, p := range f.Data {
		pu, k, err := c.unit(Province, p.ID, p.Name, p.Type)
		if err != nil {
			return fail(err)
		}
		pu.Province, pu.Era = pu.Code, Before
		if _, err := x.add(pu, k); err != nil {
			return fail(err)
		}
		for _, d := range p.Level2s {
			du, k, err := c.unit(District, d.ID, d.Name, d.Type)
			if err != nil {
				return fail(fmt.Errorf("in province %s: %w", pu.Code, err))
			}
			du.Province, du.District, du.Era = pu.Code, du.Code, Before
			if _, err := x.add(du, k); err != nil {
				return fail(err)
			}
			for _, w := range d.Level3s {
				wu, k, err := c.unit(Commune, w.ID, w.Name, w.Type)
				if err != nil {
					return fail(fmt.Errorf("in district %s: %w", du.Code, err))
				}
				wu.Province, wu.District, wu.Era = pu.Code, du.Code, Before
				if _, err := x.add(wu, k); err != nil {
					return fail(err)
				}
			}
		}
	}
	c.report(r, path)
	x.succ = make([][]int32, len(x.units))
	x.full = make([]int32, len(x.units))
	for i := range x.full {
		x.full[i] = -1
	}
	return nil
}

func (r *Registry) loadCurrent(path string) error {
	const what, shape = "current list", "units-current.json"
	var f currentFile
	if err := readJSON(path, what, shape, '[', &f); err != nil {
		return err
	}
	if len(f) == 0 {
		return fmt.Errorf("load %s %s: no provinces: is this the %s file?", what, path, shape)
	}
	x := &r.eras[1]
	var c cleanups
	var nameDiffs []string
	fail := func(err error) error {
		return fmt.Errorf("load %s %s: %w: fix the list or configure the official one", what, path, err)
	}
	check := func(u Unit, name string) {
		if n, _ := cleanName(name); string(indexKey(nil, n)) != string(indexKey(nil, u.Name)) {
			nameDiffs = append(nameDiffs, fmt.Sprintf("%s FullName %q, Name %q", u.Code, u.FullName, name))
		}
	}
	for _, p := range f {
		pu, k, err := c.unit(Province, p.Code, p.FullName, "")
		if err != nil {
			return fail(err)
		}
		pu.Province, pu.Era = pu.Code, Current
		check(pu, p.Name)
		if _, err := x.add(pu, k); err != nil {
			return fail(err)
		}
		for _, w := range p.Wards {
			wu, k, err := c.unit(Commune, w.Code, w.FullName, "")
			if err != nil {
				return fail(fmt.Errorf("in province %s: %w", pu.Code, err))
			}
			if w.ProvinceCode != pu.Code {
				return fail(fmt.Errorf("commune %s %s is listed under province %s but says ProvinceCode %q", wu.Code, wu.FullName, pu.Code, w.ProvinceCode))
			}
			wu.Province, wu.Era = pu.Code, Current
			check(wu, w.Name)
			if _, err := x.add(wu, k); err != nil {
				return fail(err)
			}
		}
	}
	c.report(r, path)
	if len(nameDiffs) > 0 {
		r.warnf("%s: %d units have a Name that is not their FullName without the type (%s): FullName is used", path, len(nameDiffs), sample(nameDiffs))
	}
	return nil
}

// mapper resolves the codes a mapping file names, repairing a new code the
// current list lacks by the name given with it, and counts what it cannot
// resolve so that a mapping for other lists fails Load instead of being
// mostly ignored.
type mapper struct {
	r       *Registry
	path    string
	entries int
	bad     []string           // problems that dropped an entry
	repairs map[string]*repair // new code and name → its repair
}

type repair struct {
	code string
	name string
	to   int32 // Current unit, or -1
	refs int
}

func newMapper(r *Registry, path string) *mapper {
	return &mapper{r: r, path: path, repairs: map[string]*repair{}}
}

// current returns the Current unit of level lvl that code names, or, when
// the current list lacks the code, the unit of that level named name in one
// of the provinces provs (any province when provs is nil), if there is
// exactly one.
func (m *mapper) current(lvl Level, code, name string, provs []string) int32 {
	cur := &m.r.eras[1]
	if i, ok := cur.byCode[lvl][code]; ok {
		return i
	}
	key := code + "\x00" + name
	if rp, ok := m.repairs[key]; ok {
		rp.refs++
		return rp.to
	}
	rp := &repair{code: code, name: name, to: -1, refs: 1}
	m.repairs[key] = rp
	n, _ := cleanName(name)
	_, k := inputKey(nil, n, lvl)
	for _, i := range cur.byName[lvl][string(k)] {
		if provs == nil || slices.Contains(provs, cur.units[i].Province) {
			if rp.to >= 0 {
				rp.to = -1
				break
			}
			rp.to = i
		}
	}
	return rp.to
}

// report adds the repairs to the warnings, and fails when too much of the
// file could not be used: more than one entry in a hundred.
func (m *mapper) report() error {
	keys := make([]string, 0, len(m.repairs))
	for k := range m.repairs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cur := &m.r.eras[1]
	for _, k := range keys {
		rp := m.repairs[k]
		if rp.to >= 0 {
			u := cur.units[rp.to]
			m.r.warnf("%s: new code %s (%q, in %d entries) is not in the current list: used %s of province %s, the only unit of that name there", m.path, rp.code, strings.TrimSpace(rp.name), rp.refs, u, u.Province)
			continue
		}
		m.bad = append(m.bad, fmt.Sprintf("new code %s (%q, in %d entries) is not in the current list and its name fits no single unit there: those entries are ignored", rp.code, strings.TrimSpace(rp.name), rp.refs))
	}
	for _, b := range m.bad {
		m.r.warnf("%s: %s", m.path, b)
	}
	if m.entries == 0 {
		return fmt.Errorf("load mapping %s: no entries under \"data\": is this the right file?", m.path)
	}
	if len(m.bad) > 0 && len(m.bad)*100 > m.entries {
		return fmt.Errorf("load mapping %s: %d of %d entries do not fit the lists (first: %s): the mapping is for other editions of the lists; configure matching files", m.path, len(m.bad), m.entries, m.bad[0])
	}
	return nil
}

func (r *Registry) loadOldToNew(path string) error {
	var f oldToNewFile
	if err := readJSON(path, "old-to-new mapping", "mapping-old-to-new-2025-07-01.json", '{', &f); err != nil {
		return err
	}
	old, cur := &r.eras[0], &r.eras[1]
	m := newMapper(r, path)
	seen := make([]bool, len(old.units))
	// link records that old unit o went into the Current units the splits
	// name, all of which must be in the provinces provs.
	link := func(o int32, splits []split, lvl Level, provs []string) {
		ou := old.units[o]
		if seen[o] {
			m.bad = append(m.bad, fmt.Sprintf("old %s %s is listed twice: the second entry is ignored", ou.Level, ou))
			return
		}
		seen[o] = true
		if len(splits) == 0 {
			m.bad = append(m.bad, fmt.Sprintf("old %s %s has no splits", ou.Level, ou))
		}
		for _, s := range splits {
			n := m.current(lvl, s.NewID, s.Name, provs)
			if n < 0 {
				continue
			}
			nu := cur.units[n]
			if provs != nil && !slices.Contains(provs, nu.Province) {
				m.bad = append(m.bad, fmt.Sprintf("old %s %s of province %s went into %s of province %s, but its province went into %s: that split is ignored", ou.Level, ou, ou.Province, nu, nu.Province, strings.Join(provs, ", ")))
				continue
			}
			if !slices.Contains(old.succ[o], n) {
				old.succ[o] = append(old.succ[o], n)
			}
		}
		slices.SortFunc(old.succ[o], func(a, b int32) int { return strings.Compare(cur.units[a].Code, cur.units[b].Code) })
	}
	// units returns the old unit of a level and code, or -1 with a problem.
	unit := func(lvl Level, code, name, province string) int32 {
		i, ok := old.byCode[lvl][code]
		if !ok {
			m.bad = append(m.bad, fmt.Sprintf("old %s %s %q is not in the pre-2025-07-01 list: ignored", lvl, code, strings.TrimSpace(name)))
			return -1
		}
		if province != "" && old.units[i].Province != province {
			m.bad = append(m.bad, fmt.Sprintf("old %s %s is listed under province %s but is in province %s: ignored", lvl, old.units[i], province, old.units[i].Province))
			return -1
		}
		return i
	}
	for _, p := range f.Data {
		m.entries++
		po := unit(Province, p.ID, p.Name, "")
		if po < 0 {
			continue
		}
		link(po, p.Splits, Province, nil)
		var provs []string
		for _, n := range old.succ[po] {
			provs = append(provs, cur.units[n].Code)
		}
		for _, d := range p.Level2s {
			m.entries++
			if o := unit(District, d.ID, d.Name, p.ID); o >= 0 {
				link(o, d.Splits, Commune, provs)
			}
		}
		for _, w := range p.Level3s {
			m.entries++
			if o := unit(Commune, w.ID, w.Name, p.ID); o >= 0 {
				link(o, w.Splits, Commune, provs)
			}
		}
	}
	var missing []string
	for i, u := range old.units {
		if !seen[i] && u.Level != District {
			missing = append(missing, u.String())
		}
	}
	if len(missing) > 0 {
		m.bad = append(m.bad, fmt.Sprintf("%d old provinces and communes are not in the mapping (%s): they have no successor", len(missing), sample(missing)))
	}
	return m.report()
}

// loadNewToOld reads which old units went fully into a current unit, and
// warns where the two mapping files disagree. The old-to-new file stays the
// authority on successors.
func (r *Registry) loadNewToOld(path string) error {
	var f newToOldFile
	if err := readJSON(path, "new-to-old mapping", "mapping-new-to-old-2025-07-01.json", '{', &f); err != nil {
		return err
	}
	old, cur := &r.eras[0], &r.eras[1]
	m := newMapper(r, path)
	pairs := map[[2]int32]bool{} // (old, new) pairs this file names
	var onlyHere []string
	do := func(n int32, merges []merge) {
		for _, mg := range merges {
			lvl := Commune
			switch len(mg.OldID) {
			case 2:
				lvl = Province
			case 3:
				lvl = District
			}
			o, ok := old.byCode[lvl][mg.OldID]
			if !ok {
				m.bad = append(m.bad, fmt.Sprintf("%s merges old code %s %q, which is not in the pre-2025-07-01 list: ignored", cur.units[n], mg.OldID, strings.TrimSpace(mg.Name)))
				continue
			}
			pairs[[2]int32{o, n}] = true
			if !slices.Contains(old.succ[o], n) {
				onlyHere = append(onlyHere, fmt.Sprintf("%s into %s", old.units[o], cur.units[n]))
				continue
			}
			switch mg.Type {
			case "full":
				if f := old.full[o]; f >= 0 && f != n {
					m.bad = append(m.bad, fmt.Sprintf("old %s went fully into both %s and %s: neither is used", old.units[o], cur.units[f], cur.units[n]))
					old.full[o] = -2
				} else if f == -1 {
					old.full[o] = n
				}
			case "partial":
			default:
				m.bad = append(m.bad, fmt.Sprintf("merge of %s into %s has type %q, want \"full\" or \"partial\": ignored", old.units[o], cur.units[n], mg.Type))
			}
		}
	}
	for _, p := range f.Data {
		m.entries++
		pn := m.current(Province, p.ID, p.Name, nil)
		if pn < 0 {
			continue
		}
		do(pn, p.Merges)
		provs := []string{cur.units[pn].Code}
		for _, w := range p.Level2s {
			m.entries++
			if n := m.current(Commune, w.ID, w.Name, provs); n >= 0 {
				do(n, w.Merges)
			}
		}
	}
	for i := range old.full {
		if old.full[i] == -2 {
			old.full[i] = -1
		}
	}
	if len(onlyHere) > 0 {
		r.warnf("%s: %d merges are not in the old-to-new mapping (%s): ignored", path, len(onlyHere), sample(onlyHere))
	}
	var onlyThere []string
	for o, ns := range old.succ {
		for _, n := range ns {
			if !pairs[[2]int32{int32(o), n}] {
				onlyThere = append(onlyThere, fmt.Sprintf("%s into %s", old.units[o], cur.units[n]))
			}
		}
	}
	if len(onlyThere) > 0 {
		r.warnf("%s: %d splits of the old-to-new mapping have no merge here (%s)", path, len(onlyThere), sample(onlyThere))
	}
	return m.report()
}

// districtSuccessors gives each old district the mapping does not name the
// current communes its communes went into: the district level ended, and
// those communes are where its territory is now. The mapping names only the
// island districts that had no communes and became đặc khu.
func (r *Registry) districtSuccessors() {
	old, cur := &r.eras[0], &r.eras[1]
	explicit := make([]bool, len(old.units))
	for i, u := range old.units {
		explicit[i] = u.Level == District && len(old.succ[i]) > 0
	}
	for i, u := range old.units {
		if u.Level != Commune {
			continue
		}
		d := old.byCode[District][u.District]
		if explicit[d] {
			continue
		}
		for _, n := range old.succ[i] {
			if !slices.Contains(old.succ[d], n) {
				old.succ[d] = append(old.succ[d], n)
			}
		}
	}
	for i, u := range old.units {
		if u.Level == District && !explicit[i] {
			slices.SortFunc(old.succ[i], func(a, b int32) int { return strings.Compare(cur.units[a].Code, cur.units[b].Code) })
		}
	}
}
