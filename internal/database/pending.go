package database

import (
	"context"
	"fmt"
)

// Pending returns how many migrations of a set the database has not
// applied, without applying them: a readiness probe's question, since a
// replica must not serve on a schema older than its code.
func (db *DB) Pending(ctx context.Context, set string, ms []Migration) (int, error) {
	var applied []int
	err := db.SelectContext(ctx, &applied, db.Rebind(`SELECT version FROM lienthong_migrations WHERE set_name = ?`), set)
	if err != nil {
		return 0, fmt.Errorf("read applied %s migrations: %w", set, err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	n := 0
	for _, m := range ms {
		if !done[m.Version] {
			n++
		}
	}
	return n, nil
}
