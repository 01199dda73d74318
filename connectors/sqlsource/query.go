package sqlsource

import (
	"strconv"
	"strings"
)

// params collects the values of one query and hands out their markers, so
// that a query is written once for every dialect.
type params struct {
	d    dialect
	args []any
}

func (ps *params) add(v string) string {
	ps.args = append(ps.args, v)
	return ps.d.placeholder(len(ps.args))
}

// limit bounds a page. On MySQL it is a parameter so that every page,
// the first one included, is a prepared statement: MariaDB's text protocol
// (an unprepared query) prints a FLOAT to 6 digits, the binary one gives
// all of it, and a row must not change between pages.
func (ps *params) limit(n int) string {
	if ps.d != mysql {
		return strconv.Itoa(n)
	}
	ps.args = append(ps.args, int64(n))
	return ps.d.placeholder(len(ps.args))
}

// value is a marker for v, wrapped so the database compares it as c's type.
func (ps *params) value(c column, v string) string { return c.bind(ps.add(v)) }

// compare writes cols op vals, op being ">" or "<=", in the order the
// columns' order expressions define. One column is written bare: every
// database then uses a plain index range.
func (ps *params) compare(cols []column, op string, vals []string) string {
	if len(cols) == 1 {
		return cols[0].order + " " + op + " " + ps.value(cols[0], vals[0])
	}
	if ps.d == mysql {
		return ps.expand(cols, op, vals)
	}
	marks := make([]string, len(vals))
	for i, v := range vals {
		marks[i] = ps.value(cols[i], v)
	}
	return "(" + orderBy(cols, false) + ") " + op + " (" + strings.Join(marks, ", ") + ")"
}

// expand writes a row comparison as nested scalar ones for MySQL. MariaDB
// plans a row comparison as a scan of the whole index from its start, so
// every page would cost the rows before it; the leading "c1 >= v1" is the
// range the index seeks to.
func (ps *params) expand(cols []column, op string, vals []string) string {
	strict, lead := ">", ">="
	if op == "<=" {
		strict, lead = "<", "<="
	}
	// Markers are positional: the text is written, and the values added,
	// left to right.
	var b strings.Builder
	b.WriteString(cols[0].order + " " + lead + " " + ps.value(cols[0], vals[0]) + " AND ")
	last := len(cols) - 1
	for i, c := range cols[:last] {
		b.WriteString("(" + c.order + " " + strict + " " + ps.value(c, vals[i]) +
			" OR (" + c.order + " = " + ps.value(c, vals[i]) + " AND ")
	}
	b.WriteString(cols[last].order + " " + op + " " + ps.value(cols[last], vals[last]))
	b.WriteString(strings.Repeat("))", last))
	return b.String()
}

func cursorAndKey(pos position) []string { return append([]string{*pos.cursor}, pos.key...) }

// pageQuery is one page of a read phase: the rows after `after` (nil: from
// the phase's start), in the phase's order, at most limit of them.
func (p *plan) pageQuery(ph phase, after *position, low string, incoming position, limit int) (string, []any) {
	p.mustBeTyped()
	ps := &params{d: p.d}
	var where []string
	var order string
	switch ph {
	case phaseWindow:
		where = append(where,
			p.cursor.ref+" IS NOT NULL",
			p.cursor.order+" >= "+ps.value(*p.cursor, low),
			ps.compare(p.cursorAndKeys(), "<=", cursorAndKey(incoming)))
		if after != nil {
			where = append(where, ps.compare(p.cursorAndKeys(), ">", cursorAndKey(*after)))
		}
		order = p.orderCursor(false)
	case phaseNew:
		where = append(where, p.cursor.ref+" IS NOT NULL")
		if after != nil && after.cursor != nil {
			where = append(where, ps.compare(p.cursorAndKeys(), ">", cursorAndKey(*after)))
		}
		order = p.orderCursor(false)
	case phaseNull:
		where = append(where, p.isNull(*p.cursor))
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
	q += " ORDER BY " + order + " LIMIT " + ps.limit(limit)
	return q, ps.args
}

// probeQuery counts the rows whose cursor and key equal a row's text. It
// must find exactly that row: zero means the text does not compare equal to
// the value it was printed from (so paging after it would skip rows), more
// than one means the primary key is not unique (so a page boundary could
// fall between equal keys).
func (p *plan) probeQuery(r row) (string, []any) {
	p.mustBeTyped()
	ps := &params{d: p.d}
	var where []string
	if p.cursor != nil {
		if r.cursor == nil {
			where = append(where, p.isNull(*p.cursor))
		} else {
			where = append(where, p.cursor.order+" = "+ps.value(*p.cursor, *r.cursor))
		}
	}
	for i, k := range p.keys {
		where = append(where, k.order+" = "+ps.value(k, r.key[i]))
	}
	return "SELECT count(*) FROM " + p.from + " WHERE " + strings.Join(where, " AND "), ps.args
}

// maxQuery finds the greatest (cursor, key), ordering by the real columns
// and selecting their text.
func (p *plan) maxQuery() string {
	p.mustBeTyped()
	return "SELECT " + p.casts() + " FROM " + p.from + " WHERE " + p.cursor.ref + " IS NOT NULL ORDER BY " +
		p.orderCursor(true) + " LIMIT 1"
}

// firstQuery finds the first row by key, for Check.
func (p *plan) firstQuery() string {
	p.mustBeTyped()
	return "SELECT " + p.casts() + " FROM " + p.from + " ORDER BY " + p.orderKeys() + " LIMIT 1"
}

// columnsQuery returns no rows, only the stream's column names and types.
func (p *plan) columnsQuery() string {
	return "SELECT lt_src.* FROM " + p.from + " LIMIT 0"
}

// nullKeyQuery finds a row a primary key can not identify.
func (p *plan) nullKeyQuery() string {
	conds := make([]string, len(p.keys))
	for i, k := range p.keys {
		conds[i] = p.isNull(k)
	}
	return "SELECT 1 FROM " + p.from + " WHERE " + strings.Join(conds, " OR ") + " LIMIT 1"
}

// isNull tests a column for SQL NULL. MySQL's "col IS NULL" also matches
// the zero date '0000-00-00' of a NOT NULL DATE or DATETIME column (for
// ODBC), which would read such rows twice, once in each pass; the NULL-safe
// equality does not. "IS NOT NULL" is right as it is.
func (p *plan) isNull(c column) string {
	if p.d == mysql {
		return c.ref + " <=> NULL"
	}
	return c.ref + " IS NULL"
}

// mustBeTyped guards the queries that compare or order positions: on MySQL
// they are wrong until bindTypes has run, and a wrong order skips rows.
func (p *plan) mustBeTyped() {
	if !p.typed {
		panic("sqlsource: " + p.d.String() + " plan used before its column types were bound")
	}
}
