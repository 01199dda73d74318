package database

import (
	"fmt"
	"time"
)

// TimeLayout is how the stores keep a time on SQLite: fixed-width UTC
// text with microseconds, so that text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// TimeArg is a time as the dialect stores it: timestamptz on PostgreSQL,
// TimeLayout text on SQLite.
func (db *DB) TimeArg(t time.Time) any {
	if db.Dialect == SQLite {
		return t.UTC().Format(TimeLayout)
	}
	return t.UTC()
}

// ScanTime reads a time column of either dialect (scan it into an any);
// nil for NULL.
func ScanTime(v any) (*time.Time, error) {
	var t time.Time
	var err error
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t = x.UTC()
	case string:
		t, err = time.Parse(TimeLayout, x)
	case []byte:
		t, err = time.Parse(TimeLayout, string(x))
	default:
		err = fmt.Errorf("unexpected time %T", v)
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}
