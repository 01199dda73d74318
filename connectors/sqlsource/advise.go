package sqlsource

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/connectors"
)

// Advise warns when no index serves the order a read pages in: a stream
// with a cursor (read incrementally) pages by (cursor, primary key), one
// without (read by full refresh) by its primary key. Without such an index
// every page sorts the rows after its position, so a read costs the square
// of the table's size. Only tables are looked at: a view's or a query's
// plan is the database's to find.
func (s *Source) Advise(ctx context.Context, st connectors.Stream) ([]string, error) {
	warnings, err := s.advise(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("advise on stream %q: %w", st.Name, s.scrub(err))
	}
	return warnings, nil
}

func (s *Source) advise(ctx context.Context, st connectors.Stream) ([]string, error) {
	p, err := newPlan(s.d, st)
	if err != nil || p.table == "" {
		return nil, err
	}
	need := make([]string, 0, len(p.keys)+1)
	read := "a full refresh"
	if p.cursor != nil {
		need = append(need, p.cursor.name)
		read = "an incremental read"
	}
	for _, k := range p.keys {
		if !contains(need, k.name) {
			need = append(need, k.name)
		}
	}
	var ix tableIndexes
	err = s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		var err error
		switch s.d {
		case postgres:
			ix, err = postgresIndexes(ctx, tx, p)
		case mysql:
			ix, err = mysqlIndexes(ctx, tx, p)
		case sqlite:
			ix, err = sqliteIndexes(ctx, tx, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the indexes of %s: %w", p.what, err)
	}
	if !ix.table {
		return nil, nil
	}
	var warnings []string
	if !ix.serves(need) {
		what := "(" + strings.Join(need, ", ") + ")"
		if p.cursor == nil {
			what += ", the stream's primary key"
		} else {
			what += ", the stream's cursor and primary key"
		}
		warnings = append(warnings, fmt.Sprintf("%s has no index whose leading columns are %s: every page of %s sorts the rows after its position, "+
			"so reading the whole table costs the square of its size; create one: %s",
			p.what, what, read, s.d.createIndex(p.table, need)))
	}
	if s.d == mysql {
		// A text cursor or key is paged by its bytes, which no index
		// holds (see the package doc).
		if err := s.typePlan(ctx, p, st); err != nil {
			return nil, err
		}
		for _, c := range p.cursorAndKeys() {
			if c.order != c.ref {
				warnings = append(warnings, fmt.Sprintf("%s: column %q is text, which MySQL pages by its bytes rather than its collation, "+
					"so no index serves the read's order and every page sorts the rows after its position; prefer a numeric or time column as cursor and key",
					p.what, c.name))
			}
		}
	}
	return warnings, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// tableIndexes is what Advise learns of a relation.
type tableIndexes struct {
	// table is false for a view or anything else that has no indexes of
	// its own.
	table bool
	// indexes are each index's key columns in order; "" for an
	// expression.
	indexes [][]string
	// implicit are the columns every index ends with and the table is
	// ordered by: InnoDB's primary key, SQLite's INTEGER PRIMARY KEY
	// (the rowid).
	implicit []string
}

// serves reports whether an index's leading columns are need, in order.
func (ix tableIndexes) serves(need []string) bool {
	all := ix.indexes
	if len(ix.implicit) > 0 {
		all = append(all, nil)
	}
	for _, cols := range all {
		eff := append([]string{}, cols...)
		for _, c := range ix.implicit {
			if !contains(eff, c) {
				eff = append(eff, c)
			}
		}
		if len(eff) < len(need) {
			continue
		}
		match := true
		for i, c := range need {
			if eff[i] != c {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// createIndex is the statement that makes the index a read needs.
func (d dialect) createIndex(table string, cols []string) string {
	rel, _ := d.quoteQualified(table)
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = d.quote(c)
	}
	on := rel + " (" + strings.Join(quoted, ", ") + ")"
	if d == postgres {
		return "CREATE INDEX ON " + on
	}
	_, name, ok := strings.Cut(table, ".")
	if !ok {
		name = table
	}
	name += "_" + strings.Join(cols, "_")
	for len(name) > maxIdentifier-4 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return "CREATE INDEX " + d.quote(name+"_idx") + " ON " + on
}

// splitTable splits schema.table; schema is nil when the name has none.
func splitTable(table string) (schema any, name string) {
	if s, n, ok := strings.Cut(table, "."); ok {
		return s, n
	}
	return nil, table
}

// postgresIndexes reads pg_index: valid, non-partial indexes, their key
// columns (not INCLUDE ones) in order. Tables, partitioned tables and
// materialized views have indexes.
func postgresIndexes(ctx context.Context, tx *sqlx.Tx, p *plan) (tableIndexes, error) {
	rel, err := p.d.quoteQualified(p.table)
	if err != nil {
		return tableIndexes{}, err
	}
	rows, err := tx.QueryContext(ctx, `
SELECT c.relkind::text,
       (SELECT string_agg(coalesce(a.attname::text, ''), ',' ORDER BY k.ord)
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE k.ord <= i.indnkeyatts)
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indpred IS NULL AND i.indisvalid
WHERE c.oid = $1::regclass`, rel)
	if err != nil {
		return tableIndexes{}, err
	}
	defer rows.Close()
	var ix tableIndexes
	for rows.Next() {
		var kind string
		var cols sql.NullString
		if err := rows.Scan(&kind, &cols); err != nil {
			return ix, err
		}
		ix.table = kind == "r" || kind == "p" || kind == "m"
		if cols.Valid {
			ix.indexes = append(ix.indexes, strings.Split(cols.String, ","))
		}
	}
	return ix, rows.Err()
}

// mysqlIndexes reads information_schema. InnoDB appends the primary key
// to every secondary index and stores rows in its order.
func mysqlIndexes(ctx context.Context, tx *sqlx.Tx, p *plan) (tableIndexes, error) {
	schema, name := splitTable(p.table)
	var ix tableIndexes
	var typ, engine sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT TABLE_TYPE, ENGINE FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`, schema, name).Scan(&typ, &engine)
	if err == sql.ErrNoRows {
		return ix, fmt.Errorf("%s is not in the database's catalog", p.what)
	}
	if err != nil {
		return ix, err
	}
	ix.table = typ.String == "BASE TABLE"
	rows, err := tx.QueryContext(ctx, `SELECT INDEX_NAME, COALESCE(COLUMN_NAME, '') FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, schema, name)
	if err != nil {
		return ix, err
	}
	defer rows.Close()
	byName := map[string]int{}
	var primary []string
	for rows.Next() {
		var index, col string
		if err := rows.Scan(&index, &col); err != nil {
			return ix, err
		}
		if index == "PRIMARY" {
			primary = append(primary, col)
		}
		i, ok := byName[index]
		if !ok {
			i = len(ix.indexes)
			byName[index] = i
			ix.indexes = append(ix.indexes, nil)
		}
		ix.indexes[i] = append(ix.indexes[i], col)
	}
	if strings.EqualFold(engine.String, "InnoDB") {
		ix.implicit = primary
	}
	return ix, rows.Err()
}

// sqliteIndexes reads SQLite's pragmas. A rowid table is stored in rowid
// order, and every index ends with the rowid, which an INTEGER PRIMARY KEY
// column is.
func sqliteIndexes(ctx context.Context, tx *sqlx.Tx, p *plan) (tableIndexes, error) {
	schema, name := splitTable(p.table)
	if schema == nil {
		schema = "main"
	}
	var ix tableIndexes
	var typ string
	var withoutRowid bool
	err := tx.QueryRowContext(ctx, `SELECT type, wr FROM pragma_table_list WHERE schema = ? AND name = ?`, schema, name).Scan(&typ, &withoutRowid)
	if err == sql.ErrNoRows {
		return ix, fmt.Errorf("%s is not in the database's schema", p.what)
	}
	if err != nil {
		return ix, err
	}
	ix.table = typ == "table"
	rows, err := tx.QueryContext(ctx, `SELECT il.name, COALESCE(ii.name, '') FROM pragma_index_list(?, ?) AS il
JOIN pragma_index_info(il.name, ?) AS ii WHERE il.partial = 0 ORDER BY il.name, ii.seqno`, name, schema, schema)
	if err != nil {
		return ix, err
	}
	byName := map[string]int{}
	for rows.Next() {
		var index, col string
		if err := rows.Scan(&index, &col); err != nil {
			rows.Close()
			return ix, err
		}
		i, ok := byName[index]
		if !ok {
			i = len(ix.indexes)
			byName[index] = i
			ix.indexes = append(ix.indexes, nil)
		}
		ix.indexes[i] = append(ix.indexes[i], col)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ix, err
	}
	if withoutRowid {
		return ix, nil
	}
	var pk []string
	var pkType string
	rows, err = tx.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?, ?) WHERE pk > 0 ORDER BY pk`, name, schema)
	if err != nil {
		return ix, err
	}
	defer rows.Close()
	for rows.Next() {
		var col string
		if err := rows.Scan(&col, &pkType); err != nil {
			return ix, err
		}
		pk = append(pk, col)
	}
	if len(pk) == 1 && strings.EqualFold(pkType, "INTEGER") {
		ix.implicit = pk
	}
	return ix, rows.Err()
}
