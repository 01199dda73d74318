package sqlsource

import "strings"

// fieldValue turns a driver value into one of the types connectors.Record
// promises. lib/pq hands back the raw text of every type it has no Go type
// for (numeric, uuid, json, interval, ...) as []byte; only bytea is really
// binary. SQLite has no boolean storage, so a column declared BOOLEAN
// arrives as 0 or 1. MySQL is in mysqlValue.
func fieldValue(d dialect, dbType string, v any) any {
	if d == mysql {
		return mysqlValue(dbType, v)
	}
	switch x := v.(type) {
	case []byte:
		if d == postgres && dbType != "BYTEA" {
			return string(x)
		}
	case int64:
		if d == sqlite && (x == 0 || x == 1) {
			switch strings.ToUpper(dbType) {
			case "BOOLEAN", "BOOL":
				return x == 1
			}
		}
	}
	return v
}

// textOf reads one of the reserved text columns; false is SQL NULL.
func textOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}
