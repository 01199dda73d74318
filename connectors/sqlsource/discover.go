package sqlsource

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

// cursorName matches column names that usually hold a row's last change, in
// English and in Vietnamese (ngay_cap_nhat, thoi_gian_sua).
var cursorName = regexp.MustCompile(`(?i)(updated|modified|changed|cap_?nhat|sua)`)

// Discover lists the tables and views the user can read, with their columns,
// primary key and a suggested cursor: the first timestamp or date column
// whose name looks like a last-change time. Text and binary columns carry
// the encoding of their text, told by vn.DetectText from the first
// sampleRows rows of the relation. PostgreSQL streams are named
// schema.table; MySQL streams are the tables of the DSN's database by name,
// or when the DSN names none, of every database as database.table.
// Relations whose names are not plain identifiers are left out: they can
// only be read through a query.
func (s *Source) Discover(ctx context.Context) ([]connectors.StreamInfo, error) {
	var (
		infos []connectors.StreamInfo
		err   error
	)
	switch s.d {
	case postgres:
		infos, err = s.discoverPostgres(ctx)
	case sqlite:
		infos, err = s.discoverSQLite(ctx)
	case mysql:
		infos, err = s.discoverMySQL(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("discover source %q: %w", s.name, s.scrub(err))
	}
	for i := range infos {
		if err := s.sampleEncodings(ctx, &infos[i]); err != nil {
			return nil, fmt.Errorf("discover source %q: %w", s.name, s.scrub(err))
		}
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, nil
}

// pgColumnsSQL reads pg_catalog rather than information_schema for the
// full type (numeric(10,2)) and reltuples in one pass; has_table_privilege
// keeps out what the user could not read anyway.
const pgColumnsSQL = `
SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type, NOT a.attnotnull AS nullable,
       GREATEST(c.reltuples, 0)::bigint AS estimated
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname, a.attnum`

const pgPrimaryKeysSQL = `
SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS column_name
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE con.contype = 'p'
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
ORDER BY n.nspname, c.relname, k.ord`

// relColumn is a column, or a primary key column, of a relation.
type relColumn struct {
	Schema    string `db:"schema_name"`
	Table     string `db:"table_name"`
	Column    string `db:"column_name"`
	Type      string `db:"data_type"`
	Nullable  bool   `db:"nullable"`
	Estimated int64  `db:"estimated"`
}

func (s *Source) discoverPostgres(ctx context.Context) ([]connectors.StreamInfo, error) {
	var cols, keys []relColumn
	if err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &cols, pgColumnsSQL)
	}); err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	if err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &keys, pgPrimaryKeysSQL)
	}); err != nil {
		return nil, fmt.Errorf("list primary keys: %w", err)
	}
	return assemble(cols, keys, func(schema, table string) string { return schema + "." + table }), nil
}

// assemble groups columns by relation, in the order they come, adds the
// primary keys and suggests a cursor. streamName says what a relation's
// stream is called.
func assemble(cols, keys []relColumn, streamName func(schema, table string) string) []connectors.StreamInfo {
	byName := map[string]*connectors.StreamInfo{}
	var order []string
	for _, c := range cols {
		name := streamName(c.Schema, c.Table)
		if _, err := postgres.quoteQualified(name); err != nil {
			continue
		}
		info := byName[name]
		if info == nil {
			info = &connectors.StreamInfo{Name: name, EstimatedRecords: c.Estimated}
			byName[name] = info
			order = append(order, name)
		}
		info.Columns = append(info.Columns, connectors.Column{Name: c.Column, Type: c.Type, Nullable: c.Nullable})
	}
	for _, k := range keys {
		if info := byName[streamName(k.Schema, k.Table)]; info != nil {
			info.SuggestedKey = append(info.SuggestedKey, k.Column)
		}
	}
	out := make([]connectors.StreamInfo, 0, len(order))
	for _, name := range order {
		info := byName[name]
		info.SuggestedCursor = suggestCursor(info.Columns)
		out = append(out, *info)
	}
	return out
}

// myColumnsSQL lists the columns of the DSN's database, or without one of
// every database but the server's own, that the user has any privilege on
// (information_schema shows nothing else). TABLE_ROWS is InnoDB's estimate,
// NULL for a view; MySQL 8 caches it for information_schema_stats_expiry.
const myColumnsSQL = `
SELECT c.TABLE_SCHEMA AS schema_name, c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name,
       c.COLUMN_TYPE AS data_type, c.IS_NULLABLE = 'YES' AS nullable,
       COALESCE(t.TABLE_ROWS, 0) AS estimated
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = DATABASE()
   OR (DATABASE() IS NULL AND c.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`

const myPrimaryKeysSQL = `
SELECT k.TABLE_SCHEMA AS schema_name, k.TABLE_NAME AS table_name, k.COLUMN_NAME AS column_name
FROM information_schema.KEY_COLUMN_USAGE k
WHERE k.CONSTRAINT_NAME = 'PRIMARY'
  AND (k.TABLE_SCHEMA = DATABASE()
   OR (DATABASE() IS NULL AND k.TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')))
ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.ORDINAL_POSITION`

func (s *Source) discoverMySQL(ctx context.Context) ([]connectors.StreamInfo, error) {
	var (
		current    sql.NullString
		cols, keys []relColumn
	)
	if err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &current, `SELECT DATABASE()`); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &cols, myColumnsSQL); err != nil {
			return fmt.Errorf("list columns: %w", err)
		}
		if err := tx.SelectContext(ctx, &keys, myPrimaryKeysSQL); err != nil {
			return fmt.Errorf("list primary keys: %w", err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	name := func(schema, table string) string {
		if current.Valid && schema == current.String {
			return table
		}
		return schema + "." + table
	}
	return assemble(cols, keys, name), nil
}

type sqliteRelation struct {
	Name string `db:"name"`
	Type string `db:"type"`
}

type sqliteColumn struct {
	Name    string `db:"name"`
	Type    string `db:"type"`
	NotNull bool   `db:"notnull"`
	PK      int    `db:"pk"`
}

func (s *Source) discoverSQLite(ctx context.Context) ([]connectors.StreamInfo, error) {
	var rels []sqliteRelation
	if err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rels, `SELECT name, type FROM sqlite_master
			WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	}); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []connectors.StreamInfo
	for _, rel := range rels {
		if checkIdentifier(rel.Name) != nil {
			continue
		}
		var cols []sqliteColumn
		if err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
			return tx.SelectContext(ctx, &cols, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, rel.Name)
		}); err != nil {
			return nil, fmt.Errorf("list columns of %s: %w", rel.Name, err)
		}
		info := connectors.StreamInfo{Name: rel.Name}
		var pk []sqliteColumn
		for _, c := range cols {
			info.Columns = append(info.Columns, connectors.Column{Name: c.Name, Type: c.Type, Nullable: !c.NotNull && c.PK == 0})
			if c.PK > 0 {
				pk = append(pk, c)
			}
		}
		sort.Slice(pk, func(i, j int) bool { return pk[i].PK < pk[j].PK })
		for _, c := range pk {
			info.SuggestedKey = append(info.SuggestedKey, c.Name)
		}
		info.SuggestedCursor = suggestCursor(info.Columns)
		// SQLite keeps no row estimate; counting a view could run any
		// query, so only tables are counted.
		if rel.Type == "table" {
			if err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
				return tx.GetContext(ctx, &info.EstimatedRecords, `SELECT count(*) FROM `+sqlite.quote(rel.Name))
			}); err != nil {
				return nil, fmt.Errorf("count rows of %s: %w", rel.Name, err)
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// suggestCursor picks the first timestamp or date column named like a
// last-change time. A name alone is not enough: an "updated_by" text column
// would make a useless cursor.
func suggestCursor(cols []connectors.Column) string {
	for _, c := range cols {
		t := strings.ToLower(c.Type)
		// "timestamp", "date", SQLite's "datetime"; not a time of day.
		isTime := strings.Contains(t, "timestamp") || strings.Contains(t, "date")
		if isTime && cursorName.MatchString(c.Name) {
			return c.Name
		}
	}
	return ""
}

// sampleRows is how many rows of a relation discovery reads to tell the
// encoding of its text columns: enough words for vn.DetectText to be sure,
// few enough to cost one page.
const sampleRows = 200

// sampleTimeout bounds the sampling query, which on a view runs the view's
// query; a view too slow for it goes without encodings rather than holding
// discovery up for the source's whole timeout.
const sampleTimeout = 30 * time.Second

// sampleEncodings reads the first sampleRows rows of a stream's text and
// binary columns, in one query with no ORDER BY, so that no relation is
// scanned whole, and sets each column's Encoding from its non-empty
// values. A binary column is text only if no value holds a NUL byte.
// Sampling that fails (a view that times out, or that the user may not
// read) leaves the encodings empty and is logged: an encoding is advice,
// the rest of discovery still holds.
func (s *Source) sampleEncodings(ctx context.Context, info *connectors.StreamInfo) error {
	rel, err := s.d.quoteQualified(info.Name)
	if err != nil {
		return nil // assemble and discoverSQLite keep only plain names
	}
	var idx []int
	var sel []string
	for i, c := range info.Columns {
		if textType(s.d, c.Type) && checkIdentifier(c.Name) == nil {
			idx = append(idx, i)
			sel = append(sel, s.d.quote(c.Name))
		}
	}
	if len(idx) == 0 {
		return nil
	}
	q := fmt.Sprintf("SELECT %s FROM %s LIMIT %d", strings.Join(sel, ", "), rel, sampleRows)
	samples := make([][]any, len(idx))
	sctx, cancel := context.WithTimeout(ctx, min(sampleTimeout, s.timeout))
	defer cancel()
	err = s.inTx(sctx, func(ctx context.Context, tx *sqlx.Tx) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		types, err := rows.ColumnTypes()
		if err != nil {
			return err
		}
		vals := make([]any, len(idx))
		ptrs := make([]any, len(idx))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			clear(vals)
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			for i, v := range vals {
				samples[i] = append(samples[i], fieldValue(s.d, types[i].DatabaseTypeName(), v))
			}
		}
		return rows.Err()
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sample %s: %w", info.Name, errors.Join(ctx.Err(), err))
		}
		if s.log != nil {
			s.log.Warn("discover: could not sample text columns; their encodings are left out",
				slog.String("source", s.name), slog.String("stream", info.Name), slog.String("error", s.scrub(err).Error()))
		}
		return nil
	}
	for i, ci := range idx {
		c := &info.Columns[ci]
		if enc, conf, ok := detectEncoding(samples[i]); ok {
			c.Encoding, c.EncodingConfidence = string(enc), conf
		}
	}
	return nil
}

// textType reports whether a column of this type, as discovery reports
// it, may hold text: character and binary types (legacy text often sits
// in a bytea, BLOB or VARBINARY column), and on SQLite any column with TEXT
// or BLOB affinity, typeless ones included.
func textType(d dialect, typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch d {
	case postgres:
		if strings.HasSuffix(t, "]") {
			return false // arrays
		}
		return strings.Contains(t, "char") || t == "text" || t == "citext" || t == "bytea"
	case mysql:
		return strings.Contains(t, "char") || strings.Contains(t, "text") || strings.Contains(t, "binary") ||
			strings.Contains(t, "blob") || strings.HasPrefix(t, "enum(") || strings.HasPrefix(t, "set(")
	}
	// SQLite's affinity rules, in their order: INT first.
	if strings.Contains(t, "int") {
		return false
	}
	return t == "" || strings.Contains(t, "char") || strings.Contains(t, "clob") || strings.Contains(t, "text") ||
		strings.Contains(t, "blob")
}

// detectEncoding tells the encoding of a column's sampled values; ok is
// false when none is non-empty text, or when bytes with a NUL byte show
// the column holds something other than text.
func detectEncoding(vals []any) (enc vn.Encoding, confidence float64, ok bool) {
	var texts []string
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			if x != "" {
				texts = append(texts, x)
			}
		case []byte:
			if bytes.IndexByte(x, 0) >= 0 {
				return "", 0, false
			}
			if len(x) > 0 {
				texts = append(texts, string(x))
			}
		}
	}
	if len(texts) == 0 {
		return "", 0, false
	}
	enc, confidence = vn.DetectText(texts)
	return enc, confidence, true
}
