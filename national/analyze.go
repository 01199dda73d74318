package national

import (
	"context"
	"fmt"
	"sync"
)

// statsKeeper keeps the planner's statistics of national_records in step
// with a bulk load. Autovacuum analyzes a table only after a share of it
// changed, so during the first sync of a large stream the planner believes
// the table is nearly empty and turns every keyed lookup into a scan of the
// whole stream; write speed then falls as the table grows. The keeper runs
// ANALYZE whenever the table has grown analyzeGrowth times since the last
// one (and by at least minAnalyzeRows), so a load of n rows analyzes about
// log4(n / minAnalyzeRows) times: 3 times for a million rows, where
// doubling cost 6 ANALYZEs (6 s). A write's lookups are on keys (= ANY on
// an index), so a table a few times larger than its statistics say is
// still planned well; only a table believed empty is not.
type statsKeeper struct {
	mu    sync.Mutex
	known float64 // rows at the last ANALYZE; negative until read
	since int64   // rows inserted since
}

const (
	minAnalyzeRows = 20000
	analyzeGrowth  = 4
)

// pgAnalyze gathers statistics for the columns the store's own statements
// select on, not for every field's column: with the fields as columns a
// whole-table ANALYZE samples some ninety columns and took 0.7 s on 30,000
// records, several times the jsonb table's; the fields' statistics matter
// only to the national database's own readers, and autovacuum gathers
// them.
const pgAnalyze = `ANALYZE national_records (kind, natural_key, department, source, stream, source_key,
    seen_generation, deleted_at, deleted_generation, anonymised_at, id_number)`

const pgReltuples = `
SELECT COALESCE(SUM(GREATEST(c.reltuples, 0)), 0)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'national_records'::regclass`

// inserted records n new rows and analyzes the table when they outgrew its
// statistics. Failing to analyze only costs speed, so it is reported, not
// fatal to the write that already committed.
func (k *statsKeeper) inserted(ctx context.Context, s *pgStore, n int) error {
	if n == 0 {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.known < 0 {
		if err := s.db.QueryRowContext(ctx, pgReltuples).Scan(&k.known); err != nil {
			return fmt.Errorf("read table statistics: %w", err)
		}
	}
	k.since += int64(n)
	if float64(k.since) < max(k.known*(analyzeGrowth-1), minAnalyzeRows) {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, pgAnalyze); err != nil {
		return fmt.Errorf("analyze national_records: %w", err)
	}
	k.known += float64(k.since)
	k.since = 0
	return nil
}
