package database

import (
	"context"
	"fmt"
	"sync"
)

// Analyzer keeps the planner's statistics of a PostgreSQL table in step
// with a bulk load. Autovacuum analyzes a table only after a share of it
// changed, and looks at each database about once a minute, so during the
// first sync of a large stream the planner believes the table is nearly
// empty (never analyzed: one row) and turns keyed lookups into scans of
// everything the stream wrote so far; a batch's cost then grows with the
// table. An Analyzer runs its ANALYZE whenever the table has grown Growth
// times since the last one (and by at least Min rows), so a load of n rows
// analyzes about log_Growth(n / Min) times. A statement on keys (= ANY on
// an index) is planned well on a table a few times larger than its
// statistics say; only a table believed empty is not.
type Analyzer struct {
	// Analyze is the ANALYZE statement, Rows a query of the rows the
	// table's statistics hold (pg_class.reltuples; 0 when never
	// analyzed).
	Analyze, Rows string
	// Min and Growth are as above.
	Min    int64
	Growth float64

	mu    sync.Mutex
	read  bool
	known float64 // rows at the last ANALYZE
	since int64   // rows added since
}

// Added records n new rows and analyzes the table when they outgrew its
// statistics. Failing to analyze only costs speed, so the caller reports
// the error rather than fail the write that already committed.
func (a *Analyzer) Added(ctx context.Context, db *DB, n int) error {
	if n == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.read {
		if err := db.QueryRowContext(ctx, a.Rows).Scan(&a.known); err != nil {
			return fmt.Errorf("read table statistics: %w", err)
		}
		a.read = true
	}
	a.since += int64(n)
	if float64(a.since) < max(a.known*(a.Growth-1), float64(a.Min)) {
		return nil
	}
	if _, err := db.ExecContext(ctx, a.Analyze); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	a.known += float64(a.since)
	a.since = 0
	return nil
}
