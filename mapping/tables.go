package mapping

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/schema"
)

// table is a value table: source value -> schema value. Keys match after
// NFC and trimming, then without regard to case when that is unambiguous.
type table struct {
	name string
	// values hold the schema values boxed once, so a lookup allocates
	// nothing.
	exact map[string]any
	fold  map[string]any
	keys  string // for messages
}

func (c *compiler) readTables() {
	c.tables = map[string]*table{}
	for _, ts := range c.spec.tables {
		if !isIdent(ts.name) {
			c.errorf(ts.pos, ts.key, "a table name is letters, digits and _ (it is quoted in lookup(\"%s\", ...))", ts.name)
			continue
		}
		t := &table{name: ts.name, exact: map[string]any{}, fold: map[string]any{}}
		ambiguous := map[string]bool{}
		keys := make([]string, 0, len(ts.entries))
		for _, e := range ts.entries {
			k := strings.TrimSpace(norm.NFC.String(e.from.text))
			if _, dup := t.exact[k]; dup {
				c.errorf(e.from.pos, ts.key, "key %q is given twice (keys match after trimming and Unicode normalisation)", k)
				continue
			}
			v := strings.TrimSpace(norm.NFC.String(e.to.text))
			if e.to.null {
				v = ""
			}
			t.exact[k] = v
			keys = append(keys, k)
			f := strings.ToLower(k)
			if old, seen := t.fold[f]; seen && old != v {
				ambiguous[f] = true
			}
			t.fold[f] = v
		}
		for f := range ambiguous {
			delete(t.fold, f)
		}
		sort.Strings(keys)
		t.keys = strings.Join(keys, ", ")
		if len(t.keys) > 200 {
			t.keys = t.keys[:200] + ", ..."
		}
		c.tables[ts.name] = t
	}
}

// prepareLookup checks that the table of lookup("table", key[, default])
// exists.
func prepareLookup(c *compiler, call *ast.CallNode) (siteFunc, error) {
	name, ok := constArg(call, 0)
	if !ok {
		return nil, fmt.Errorf("the table name (first argument) %v, e.g. lookup(\"gioi_tinh\", gioi_tinh)", errNotConst)
	}
	t := c.tables[name]
	if t == nil {
		names := make([]string, 0, len(c.tables))
		for n := range c.tables {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("unknown table %q: the mapping has no tables section", name)
		}
		return nil, fmt.Errorf("unknown table %q%s (tables: %s)", name, suggest(name, names), strings.Join(names, ", "))
	}
	withDefault := len(call.Arguments) == 3
	return func(f *frame, s *site, a siteArgs) any {
		key := strings.TrimSpace(str(a.at(1)))
		if key == "" {
			if withDefault {
				return a.at(2)
			}
			return ""
		}
		if v, ok := t.exact[key]; ok {
			return v
		}
		if v, ok := t.fold[strings.ToLower(key)]; ok {
			return v
		}
		if withDefault {
			return a.at(2)
		}
		f.fail(s.slot, schema.ReasonBadValue, fmt.Sprintf("value %q is not in the mapping's table %s (%s)", key, t.name, t.keys))
		return ""
	}, nil
}
