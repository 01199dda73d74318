package sqlsource

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/connectors"
)

// cursorName matches column names that usually hold a row's last change, in
// English and in Vietnamese (ngay_cap_nhat, thoi_gian_sua).
var cursorName = regexp.MustCompile(`(?i)(updated|modified|changed|cap_?nhat|sua)`)

// Discover lists the tables and views the user can read, with their columns,
// primary key and a suggested cursor: the first timestamp or date column
// whose name looks like a last-change time. PostgreSQL streams are named
// schema.table. Relations whose names are not plain identifiers are left
// out: they can only be read through a query.
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
	}
	if err != nil {
		return nil, fmt.Errorf("discover source %q: %w", s.name, s.scrub(err))
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

type pgColumn struct {
	Schema    string `db:"schema_name"`
	Table     string `db:"table_name"`
	Column    string `db:"column_name"`
	Type      string `db:"data_type"`
	Nullable  bool   `db:"nullable"`
	Estimated int64  `db:"estimated"`
}

func (s *Source) discoverPostgres(ctx context.Context) ([]connectors.StreamInfo, error) {
	var cols, keys []pgColumn
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
	byName := map[string]*connectors.StreamInfo{}
	var order []string
	for _, c := range cols {
		name := c.Schema + "." + c.Table
		if _, err := quoteQualified(name); err != nil {
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
		if info := byName[k.Schema+"."+k.Table]; info != nil {
			info.SuggestedKey = append(info.SuggestedKey, k.Column)
		}
	}
	out := make([]connectors.StreamInfo, 0, len(order))
	for _, name := range order {
		info := byName[name]
		info.SuggestedCursor = suggestCursor(info.Columns)
		out = append(out, *info)
	}
	return out, nil
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
				return tx.GetContext(ctx, &info.EstimatedRecords, `SELECT count(*) FROM `+quote(rel.Name))
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
