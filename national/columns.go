package national

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/schema"
)

// On PostgreSQL a record's fields are columns of national_records, one per
// field name of the common schema, typed from the schema: the partition of
// a kind fills its kind's columns and leaves the others NULL (a bit each in
// the row's null bitmap). Against a jsonb document this spares the server
// parsing every record on its way in, shrinks the row (no field names in
// it), makes the pre-fill index a plain column's, and gives the people who
// query the national database columns with types. The embedded SQLite
// store keeps the canonical JSON.
//
// The columns follow the schema: migration 0005 created those of schema
// 1.1, and Migrate adds a column for any field a later schema brings
// (ensureColumns). A field's type that changes in a way its column cannot
// hold needs a migration of its own; Migrate says so rather than guess.

// column is a field's column.
type column struct {
	name string
	// sqlType is the column's type as information_schema spells it.
	sqlType string
	typ     schema.Type
}

const (
	sqlText    = "text"
	sqlDate    = "date"
	sqlBigint  = "bigint"
	sqlFloat   = "double precision"
	maxColumns = 256
)

// fieldColumns are the columns of every field of every kind, by name;
// kindColumns[kind] indexes the kind's own, in the kind's field order.
var fieldColumns, kindColumns = func() ([]column, map[string][]int) {
	types := map[string]string{}
	fieldTypes := map[string]schema.Type{}
	for _, k := range schema.Kinds() {
		for _, f := range k.Fields {
			t := sqlTypeOf(f)
			if prev, ok := types[f.Name]; ok && prev != t {
				// The same name holds a full date in one kind and a partial
				// one in another (date_of_birth): the column takes both.
				t = sqlText
			}
			types[f.Name] = t
			fieldTypes[f.Name] = f.Type
		}
	}
	names := make([]string, 0, len(types))
	for n := range types {
		if slices.Contains(provenanceColumns, n) {
			panic(fmt.Sprintf("national: schema field %q has the name of a provenance column", n))
		}
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) > maxColumns {
		panic("national: the common schema has more fields than national_records can hold as columns")
	}
	cols := make([]column, len(names))
	at := map[string]int{}
	for i, n := range names {
		cols[i] = column{name: n, sqlType: types[n], typ: fieldTypes[n]}
		at[n] = i
	}
	byKind := map[string][]int{}
	for _, k := range schema.Kinds() {
		for _, f := range k.Fields {
			byKind[k.Name] = append(byKind[k.Name], at[f.Name])
		}
	}
	return cols, byKind
}()

// provenanceColumns are national_records' own columns; no field may take
// one of their names.
var provenanceColumns = []string{"kind", "natural_key", "content_hash", "department", "source", "stream",
	"source_key", "mapping_version", "first_synced_at", "last_synced_at", "last_run_id", "seen_generation",
	"deleted_at", "deleted_generation", "anonymised_at", "data"}

// sqlTypeOf is a field's column type: a full date is a date, a partial one
// text (2024-03, 2024); whole numbers are bigint, numbers double precision,
// which keeps every float64 exactly, so the record reads back as it was
// hashed; the rest is text.
func sqlTypeOf(f schema.Field) string {
	switch {
	case f.Type == schema.Date && !f.Partial:
		return sqlDate
	case f.Type == schema.Integer:
		return sqlBigint
	case f.Type == schema.Number:
		return sqlFloat
	}
	return sqlText
}

// columnList names the columns at idx, comma-separated, with prefix before
// each name.
func columnList(idx []int, prefix string) string {
	var b strings.Builder
	for j, i := range idx {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix)
		b.WriteString(fieldColumns[i].name)
	}
	return b.String()
}

// allColumns indexes every field column.
var allColumns = func() []int {
	idx := make([]int, len(fieldColumns))
	for i := range idx {
		idx[i] = i
	}
	return idx
}()

// kindOf returns the kind's column indexes, or an error naming the kind.
func kindOf(kind string) ([]int, error) {
	idx, ok := kindColumns[kind]
	if !ok {
		return nil, fmt.Errorf("record kind %q is not in the common schema", kind)
	}
	return idx, nil
}

// ensureColumns adds a column for every field of the schema that
// national_records lacks, and refuses a column whose type no longer holds
// its field.
func ensureColumns(ctx context.Context, db *database.DB) error {
	// The catalog, not information_schema.columns: the view took 20 ms,
	// on every command's start.
	rows, err := db.QueryContext(ctx, `
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'national_records'::regclass AND attnum > 0 AND NOT attisdropped`)
	if err != nil {
		return fmt.Errorf("read the columns of national_records: %w", err)
	}
	have := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return err
		}
		have[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range fieldColumns {
		typ, ok := have[c.name]
		switch {
		case !ok:
			// A nullable column without a default changes only the catalog.
			if _, err := db.ExecContext(ctx, `ALTER TABLE national_records ADD COLUMN IF NOT EXISTS `+
				pqIdent(c.name)+` `+c.sqlType); err != nil {
				return fmt.Errorf("add column %s for the schema's field: %w", c.name, err)
			}
		case typ != c.sqlType && c.sqlType != sqlText:
			return fmt.Errorf("national_records.%s is %s but the schema's field now needs %s: "+
				"this change needs a migration that converts the column", c.name, typ, c.sqlType)
		}
	}
	return nil
}

// pqIdent quotes a column name; the schema's names are lower-case words,
// so this is for safety, not need.
func pqIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// ValuesOf returns a record's values by the index of their field in its
// kind (schema.Kind.Fields), as Item.Values holds them; nil for a kind
// the schema does not have.
func ValuesOf(kind string, data map[string]any) []any {
	k, ok := schema.Lookup(kind)
	if !ok {
		return nil
	}
	vals := make([]any, len(k.Fields))
	for name, v := range data {
		if i := k.FieldIndex(name); i >= 0 {
			vals[i] = v
		}
	}
	return vals
}

// valuesOf returns an item's values by the index of their field in its
// kind: Values when the writer gave them, else Data decoded.
func valuesOf(it *Item, k *schema.Kind) ([]any, error) {
	if it.Values != nil {
		if len(it.Values) != len(k.Fields) {
			return nil, fmt.Errorf("%s %q: %d values for the kind's %d fields", it.Kind, it.NaturalKey, len(it.Values), len(k.Fields))
		}
		return it.Values, nil
	}
	dec := json.NewDecoder(bytes.NewReader(it.Data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s %q: data is not a JSON object: %w", it.Kind, it.NaturalKey, err)
	}
	return ValuesOf(it.Kind, m), nil
}

// documentData rebuilds a record's canonical JSON from the columns of its
// kind; vals holds every field column's scanned value, in fieldColumns'
// order. The bytes are those the writer hashed: the columns' types keep
// every value as the canonical form writes it.
func documentData(kind string, vals []any) ([]byte, error) {
	idx, err := kindOf(kind)
	if err != nil {
		return nil, err
	}
	data := make(map[string]any, len(idx))
	for _, i := range idx {
		switch v := vals[i].(type) {
		case nil:
		case time.Time:
			data[fieldColumns[i].name] = v.Format(time.DateOnly)
		case []byte:
			data[fieldColumns[i].name] = string(v)
		default:
			data[fieldColumns[i].name] = v
		}
	}
	b, _, err := schema.Canonical(data)
	return b, err
}
