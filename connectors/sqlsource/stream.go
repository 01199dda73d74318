package sqlsource

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/cursortext"
)

// ErrInvalidStream is returned, wrapped, when a stream's configuration can
// not be read by this connector: a name that is not a plain identifier, a
// missing primary key or cursor, a query that is not a SELECT, a look-back
// that is not a number or a duration.
var ErrInvalidStream = errors.New("sqlsource: invalid stream")

// maxIdentifier is PostgreSQL's NAMEDATALEN-1: a longer name would be
// truncated by the server and silently name something else. MySQL allows 64
// characters, so the bound holds there too.
const maxIdentifier = 63

// The reserved aliases of the text casts the reader selects beside the
// stream's own columns. The prefix keeps them apart from any real column; a
// stream whose column uses it is refused rather than shadowed.
const (
	reservedPrefix = "_lienthong_"
	cursorAlias    = reservedPrefix + "cursor"
	keyAliasPrefix = reservedPrefix + "key"
)

// plan is a validated stream turned into the SQL fragments every query of a
// read is made of. All of it comes from configuration, none from records.
type plan struct {
	d    dialect
	name string
	// from is the relation with its alias: `"s"."t" AS lt_src` or
	// `(<query>) AS lt_src`.
	from string
	// what names the relation in errors: `table "ho_tich"` or `the
	// stream's query`.
	what string
	// table is the configured table name, "" for a query.
	table string
	// cursor is nil when the stream has none.
	cursor *column
	keys   []column
	// typed says the columns know their database types; MySQL needs them
	// before any position is compared (see bindTypes).
	typed    bool
	lookBack string
}

// column is the cursor or a primary key column, as the reader's SQL uses it.
type column struct {
	// name is as configured; ref is the quoted column, lt_src."name".
	name, ref string
	// text selects the database's text of the value, which positions hold.
	text string
	// order is what ORDER BY and the keyset comparisons use: the column
	// itself, or on MySQL its bytes for text columns.
	order string
	// bindOpen and bindClose wrap a parameter marker so that the database
	// compares the text as a value of the column's type.
	bindOpen, bindClose string
}

// bind wraps a parameter marker for comparison with the column's order.
func (c column) bind(mark string) string { return c.bindOpen + mark + c.bindClose }

// newColumn is a column before its type is known: compared as itself, its
// text a plain cast, its parameter bare.
func newColumn(d dialect, name string) column {
	ref := "lt_src." + d.quote(name)
	text := "CAST(" + ref + " AS TEXT)"
	if d == mysql {
		// MySQL has no CAST AS TEXT; the character set makes the text
		// independent of the session's.
		text = "CAST(" + ref + " AS CHAR CHARACTER SET utf8mb4)"
	}
	return column{name: name, ref: ref, text: text, order: ref}
}

// newPlan validates a stream. It is pure: nothing here touches a database.
func newPlan(d dialect, s connectors.Stream) (*plan, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidStream, fmt.Sprintf(format, args...))
	}
	// PostgreSQL and SQLite compare a text parameter as the column's type
	// by themselves; MySQL is told each column's type by bindTypes.
	p := &plan{d: d, name: s.Name, lookBack: strings.TrimSpace(s.LookBack), typed: d != mysql}
	switch {
	case s.Table != "" && s.Query != "":
		return nil, bad("set either table or query, not both")
	case s.Table != "":
		rel, err := d.quoteQualified(s.Table)
		if err != nil {
			return nil, bad("table: %v", err)
		}
		p.from = rel + " AS lt_src"
		p.table, p.what = s.Table, fmt.Sprintf("table %q", s.Table)
	case s.Query != "":
		q, err := cleanQuery(s.Query)
		if err != nil {
			return nil, bad("query: %v", err)
		}
		// The newlines keep a trailing -- comment in the query from
		// swallowing the closing parenthesis.
		p.from = "(\n" + q + "\n) AS lt_src"
		p.what = "the stream's query"
	default:
		return nil, bad("set a table or a query")
	}
	if len(s.PrimaryKey) == 0 {
		return nil, bad("primary_key is required: keyset paging needs a unique order")
	}
	seen := map[string]bool{}
	for _, k := range s.PrimaryKey {
		if err := checkIdentifier(k); err != nil {
			return nil, bad("primary_key: %v", err)
		}
		if seen[k] {
			return nil, bad("primary_key: column %q is listed twice", k)
		}
		seen[k] = true
		p.keys = append(p.keys, newColumn(d, k))
	}
	if s.Cursor != "" {
		if err := checkIdentifier(s.Cursor); err != nil {
			return nil, bad("cursor: %v", err)
		}
		c := newColumn(d, s.Cursor)
		p.cursor = &c
	}
	if p.lookBack != "" {
		if p.cursor == nil {
			return nil, bad("look_back needs a cursor")
		}
		if err := cursortext.CheckLookBack(p.lookBack); err != nil {
			return nil, bad("look_back: %v", err)
		}
	}
	return p, nil
}

func keyAlias(i int) string { return fmt.Sprintf("%s%d", keyAliasPrefix, i+1) }

// checkIdentifier accepts what PostgreSQL, SQLite and MySQL all accept unquoted,
// letters in any script included (Vietnamese column names are common).
// Quoting then makes the name safe; refusing everything else keeps quote
// characters, dots and spaces out of the SQL altogether.
func checkIdentifier(s string) error {
	if s == "" {
		return errors.New("empty name")
	}
	if len(s) > maxIdentifier {
		return fmt.Errorf("name %q is longer than %d bytes", s, maxIdentifier)
	}
	for i, r := range s {
		// Marks let names in decomposed (NFD) Vietnamese through.
		ok := r == '_' || unicode.IsLetter(r) || (i > 0 && (unicode.IsDigit(r) || unicode.IsMark(r)))
		if !ok || r == utf8.RuneError {
			return fmt.Errorf("name %q is not a plain identifier (letters, digits and _, not starting with a digit); use a query to read anything else", s)
		}
	}
	return nil
}

// quoteQualified quotes "table" or "schema.table".
func (d dialect) quoteQualified(s string) (string, error) {
	parts := strings.Split(s, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("name %q has more than one dot: write schema.table", s)
	}
	for i, part := range parts {
		if err := checkIdentifier(part); err != nil {
			return "", err
		}
		parts[i] = d.quote(part)
	}
	return strings.Join(parts, "."), nil
}

// quote is only ever given names checkIdentifier accepted, which hold no
// quote character to escape. MySQL quotes with backticks: its double quotes
// are strings unless the server runs in ANSI_QUOTES mode.
func (d dialect) quote(ident string) string {
	if d == mysql {
		return "`" + ident + "`"
	}
	return `"` + ident + `"`
}

// cleanQuery accepts a single SELECT (or WITH ... SELECT) and drops trailing
// semicolons, which would end the subquery it is wrapped in.
func cleanQuery(q string) (string, error) {
	q = strings.TrimSpace(q)
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	words := strings.FieldsFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	if len(words) == 0 {
		return "", errors.New("is empty")
	}
	if first := strings.ToUpper(words[0]); first != "SELECT" && first != "WITH" {
		return "", fmt.Errorf("must be a SELECT, it starts with %q", words[0])
	}
	return q, nil
}

// nKeys is how many primary key columns the stream has.
func (p *plan) nKeys() int { return len(p.keys) }

// cursorAndKeys is the cursor (if any) then the key columns: the order of
// a position and of the reserved text columns.
func (p *plan) cursorAndKeys() []column {
	if p.cursor == nil {
		return p.keys
	}
	return append([]column{*p.cursor}, p.keys...)
}

// casts selects the text of the cursor (if any) then of each key.
func (p *plan) casts() string {
	var casts []string
	if p.cursor != nil {
		casts = append(casts, p.cursor.text+" AS "+p.d.quote(cursorAlias))
	}
	for i, k := range p.keys {
		casts = append(casts, k.text+" AS "+p.d.quote(keyAlias(i)))
	}
	return strings.Join(casts, ", ")
}

// selectList is the stream's columns followed by the reserved text casts.
func (p *plan) selectList() string { return "lt_src.*, " + p.casts() }

// orderKeys orders by the primary key, ascending.
func (p *plan) orderKeys() string { return orderBy(p.keys, false) }

// orderCursor orders by (cursor, primary key), ascending or descending. It
// orders by the real columns, not their text: "10" sorts before "9".
func (p *plan) orderCursor(desc bool) string { return orderBy(p.cursorAndKeys(), desc) }

func orderBy(cols []column, desc bool) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.order
		if desc {
			out[i] += " DESC"
		}
	}
	return strings.Join(out, ", ")
}
