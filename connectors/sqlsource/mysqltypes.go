package sqlsource

import (
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// bindTypes tells a MySQL plan the types of its cursor and key columns,
// from the stream's result columns. How MySQL compares a text parameter with
// a column depends on the pair and the server: the documented rule takes a
// number against a string as doubles, losing digits past 2^53; MariaDB 10.11
// converts the string to the column's type, but for a FLOAT still compares
// doubles, so 0.1 never finds itself. Every numeric parameter is therefore
// cast to its column's type. Text columns compare by their bytes, because
// the usual collations equate what a key must tell apart. Other dialects
// are typed already.
func (p *plan) bindTypes(types []*sql.ColumnType) error {
	if p.typed {
		return nil
	}
	byName := make(map[string]*sql.ColumnType, len(types))
	for _, t := range types {
		if _, dup := byName[t.Name()]; !dup {
			byName[t.Name()] = t
		}
	}
	bind := func(c *column, role string) error {
		t := byName[c.name]
		if t == nil {
			return fmt.Errorf("%w: %s column %q is not among the stream's columns (names are case-sensitive)",
				ErrMissingColumn, role, c.name)
		}
		bindMySQL(c, t)
		return nil
	}
	if p.cursor != nil {
		if err := bind(p.cursor, "cursor"); err != nil {
			return err
		}
	}
	for i := range p.keys {
		if err := bind(&p.keys[i], "primary key"); err != nil {
			return err
		}
	}
	p.typed = true
	return nil
}

// bindMySQL sets how one column is printed, ordered and compared, by the
// type name go-sql-driver/mysql reports.
func bindMySQL(c *column, t *sql.ColumnType) {
	cast := func(typ string) { c.bindOpen, c.bindClose = "CAST(", " AS "+typ+")" }
	switch typ := strings.TrimPrefix(t.DatabaseTypeName(), "UNSIGNED "); typ {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR":
		// DECIMAL(65,0) holds every signed and unsigned BIGINT, and a
		// look-back bound below zero, which UNSIGNED would wrap around.
		cast("DECIMAL(65,0)")
	case "DECIMAL":
		// Precision 65 less the scale fits the integer digits of any
		// DECIMAL(p,s). Without a scale the string is left to MariaDB,
		// which compares it with a DECIMAL exactly.
		if _, scale, ok := t.DecimalSize(); ok {
			cast(fmt.Sprintf("DECIMAL(65,%d)", scale))
		}
	case "FLOAT":
		cast("FLOAT")
	case "DOUBLE":
		cast("DOUBLE")
	case "DATETIME", "TIMESTAMP", "DATE":
		// Left a string, which MySQL converts to the column's type when
		// it compares them, fractions included. CAST('0000-00-00' AS
		// DATE) is NULL under NO_ZERO_DATE (MySQL 8's default sql_mode);
		// MariaDB still compares it in a WHERE, but a server that did not
		// would end every read at a zero-date position.
	case "TIME":
		cast("TIME(6)")
	case "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET", "JSON":
		// utf8mb4_general_ci holds 'a', 'A' and 'à' equal, and every PAD
		// SPACE collation, utf8mb4_bin included, 'a' and 'a '; bytes are a
		// total order on distinct texts. The cost: no index range on a
		// leading text column.
		c.order = "CAST(" + c.text + " AS BINARY)"
		cast("BINARY")
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		// Bytes that are not UTF-8 do not survive a cast to text; their
		// hex does, and binary columns already compare byte by byte.
		c.text = "HEX(" + c.ref + ")"
		c.bindOpen, c.bindClose = "UNHEX(", ")"
	}
	// Anything else (BIT, spatial) is compared as the server sees fit; the
	// probe of each read refuses it if its text does not find it again.
}

// mysqlValue turns what go-sql-driver/mysql scanned into one of the types
// connectors.Record promises. Every page is a prepared statement, whose
// binary protocol gives integers, floats and times typed; the rest arrives
// as bytes, which are text unless the column is binary. What the text
// protocol would give (integers as bytes or uint64) is converted too.
func mysqlValue(dbType string, v any) any {
	switch x := v.(type) {
	case []byte:
		switch typ := strings.TrimPrefix(dbType, "UNSIGNED "); typ {
		case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB", "BIT", "GEOMETRY", "VECTOR":
			return x
		case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR":
			if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				return n
			}
			// An unsigned BIGINT above the int64 range keeps its text.
		case "FLOAT", "DOUBLE":
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				return f
			}
		}
		return string(x)
	case uint64:
		// The text protocol's unsigned BIGINT.
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return strconv.FormatUint(x, 10)
	case float32:
		// The shortest decimal that reads back as this float32: 0.1, not
		// 0.10000000149011612.
		f, err := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		if err != nil {
			return float64(x)
		}
		return f
	}
	return v
}
