package sqlsource

import (
	"strconv"
	"strings"
)

// params collects the values of one query and hands out their markers, so
// that a query is written once for both dialects.
type params struct {
	d    dialect
	args []any
}

func (ps *params) add(v string) string {
	ps.args = append(ps.args, v)
	return ps.d.placeholder(len(ps.args))
}

// compare writes cols op vals as a row comparison. One column is written
// bare: both databases then use a plain index range.
func (ps *params) compare(cols []string, op string, vals []string) string {
	marks := make([]string, len(vals))
	for i, v := range vals {
		marks[i] = ps.add(v)
	}
	if len(cols) == 1 {
		return cols[0] + " " + op + " " + marks[0]
	}
	return "(" + strings.Join(cols, ", ") + ") " + op + " (" + strings.Join(marks, ", ") + ")"
}

func (p *plan) cursorAndKeys() []string { return append([]string{p.cursor}, p.keys...) }

func cursorAndKey(pos position) []string { return append([]string{*pos.cursor}, pos.key...) }

// pageQuery is one page of a read phase: the rows after `after` (nil: from
// the phase's start), in the phase's order, at most limit of them.
func (p *plan) pageQuery(ph phase, after *position, low string, incoming position, limit int) (string, []any) {
	ps := &params{d: p.d}
	var where []string
	var order string
	switch ph {
	case phaseWindow:
		where = append(where,
			p.cursor+" IS NOT NULL",
			p.cursor+" >= "+ps.add(low),
			ps.compare(p.cursorAndKeys(), "<=", cursorAndKey(incoming)))
		if after != nil {
			where = append(where, ps.compare(p.cursorAndKeys(), ">", cursorAndKey(*after)))
		}
		order = p.orderCursor(false)
	case phaseNew:
		where = append(where, p.cursor+" IS NOT NULL")
		if after != nil && after.cursor != nil {
			where = append(where, ps.compare(p.cursorAndKeys(), ">", cursorAndKey(*after)))
		}
		order = p.orderCursor(false)
	case phaseNull:
		where = append(where, p.cursor+" IS NULL")
		if after != nil {
			where = append(where, ps.compare(p.keys, ">", after.key))
		}
		order = p.orderKeys()
	case phaseFull:
		if after != nil {
			where = append(where, ps.compare(p.keys, ">", after.key))
		}
		order = p.orderKeys()
	}
	q := "SELECT " + p.selectList() + " FROM " + p.from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit)
	return q, ps.args
}

// probeQuery counts the rows whose cursor and key equal a row's text. It
// must find exactly that row: zero means the text does not compare equal to
// the value it was printed from (so paging after it would skip rows), more
// than one means the primary key is not unique (so a page boundary could
// fall between equal keys).
func (p *plan) probeQuery(r row) (string, []any) {
	ps := &params{d: p.d}
	var where []string
	if p.cursor != "" {
		if r.cursor == nil {
			where = append(where, p.cursor+" IS NULL")
		} else {
			where = append(where, p.cursor+" = "+ps.add(*r.cursor))
		}
	}
	for i, k := range p.keys {
		where = append(where, k+" = "+ps.add(r.key[i]))
	}
	return "SELECT count(*) FROM " + p.from + " WHERE " + strings.Join(where, " AND "), ps.args
}

// maxQuery finds the greatest (cursor, key), ordering by the real columns
// and selecting their text.
func (p *plan) maxQuery() string {
	return "SELECT " + p.casts + " FROM " + p.from + " WHERE " + p.cursor + " IS NOT NULL ORDER BY " +
		p.orderCursor(true) + " LIMIT 1"
}

// firstQuery finds the first row by key, for Check.
func (p *plan) firstQuery() string {
	return "SELECT " + p.casts + " FROM " + p.from + " ORDER BY " + p.orderKeys() + " LIMIT 1"
}

// columnsQuery returns no rows, only the stream's column names.
func (p *plan) columnsQuery() string {
	return "SELECT lt_src.* FROM " + p.from + " LIMIT 0"
}

// nullKeyQuery finds a row a primary key can not identify.
func (p *plan) nullKeyQuery() string {
	conds := make([]string, len(p.keys))
	for i, k := range p.keys {
		conds[i] = k + " IS NULL"
	}
	return "SELECT 1 FROM " + p.from + " WHERE " + strings.Join(conds, " OR ") + " LIMIT 1"
}
