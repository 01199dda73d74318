package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

const day = 24 * time.Hour

// withStoreDB gives the harness stores on a database the test holds, to
// backdate what runs left there instead of waiting months.
func withStoreDB(t *testing.T, h *harness, dialect string) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, storeDSN(t, dialect))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.nat, h.st = national.New(db), state.New(db)
	if _, err := h.nat.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h.eng.National, h.eng.State = h.nat, h.st
	return db
}

// backdate sets a time column of the row with the given source key as if
// it had been written that long ago.
func backdate(t *testing.T, db *database.DB, table, column, sourceKey string, ago time.Duration) {
	t.Helper()
	var at any = time.Now().Add(-ago).UTC()
	if db.Dialect == database.SQLite && table == "national_records" {
		// The national store keeps SQLite times as fixed-width text.
		at = time.Now().Add(-ago).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	q := db.Rebind(`UPDATE ` + table + ` SET ` + column + ` = ? WHERE source_key = ?`)
	res, err := db.ExecContext(context.Background(), q, at, sourceKey)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s %s: %d rows, want 1", q, sourceKey, n)
	}
}

// TestRetentionAfterRun: a successful run purges its stream's stale rejects
// and anonymises its records deleted past their retention, counts both in
// its ledger row apart from the read counts, and keeps what is within its
// period; `lienthong purge` does the same as a run of its own.
func TestRetentionAfterRun(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) {
			h := newHarnessOn(t, d)
			db := withStoreDB(t, h, d)
			h.eng.Retention = engine.Retention{Rejects: 90 * day, Deleted: 30 * day}
			ctx := context.Background()
			h.seed(1, 100, 1)
			h.mustRun(connectors.Incremental)
			rs, err := h.st.Rejects(ctx, state.Filter{})
			if err != nil || len(rs) != 2 {
				t.Fatalf("rejects = %d, %v; want 2 (rows without a name)", len(rs), err)
			}
			stale, open := rs[0].SourceKey, rs[1].SourceKey
			h.exec(`DELETE FROM khai_sinh WHERE id IN (10, 11)`)
			if r := h.mustRun(connectors.FullRefresh); r.Deleted != 2 || r.Purges != (state.Purges{}) {
				t.Fatalf("full refresh: deleted %d, purges %+v; want 2 deleted, nothing purged yet", r.Deleted, r.Purges)
			}

			// Months pass: one rejected row has not been read for 100 days,
			// the other for 89; record 10 was deleted 40 days ago, 11 only 5.
			backdate(t, db, "rejects", "last_seen_at", stale, 100*day)
			backdate(t, db, "rejects", "last_seen_at", open, 89*day)
			backdate(t, db, "national_records", "deleted_at", "10", 40*day)
			backdate(t, db, "national_records", "deleted_at", "11", 5*day)

			r := h.mustRun(connectors.Incremental)
			if want := (state.Purges{PurgedRejects: 1, Anonymised: 1}); r.Purges != want || r.Error != "" {
				t.Fatalf("run after the retention periods: purges %+v, error %q; want %+v", r.Purges, r.Error, want)
			}
			if r.Read != 0 || !r.Conserved() {
				t.Fatalf("purges leaked into the read counts: %+v", r.Counts)
			}
			rs, err = h.st.Rejects(ctx, state.Filter{})
			if err != nil || len(rs) != 1 || rs[0].SourceKey != open {
				t.Fatalf("rejects left = %+v, %v; want only %s, read 89 days ago", rs, err, open)
			}
			key := func(id string) string { return "UBND xã Thạch Kênh, huyện Thạch Hà|" + id + "/2024" }
			if _, ok, err := h.nat.Get(ctx, "birth_registration", key("10")); ok || err != nil {
				t.Errorf("record 10, deleted 40 days ago, is still found by its natural key (err %v)", err)
			}
			if doc, ok, err := h.nat.Get(ctx, "birth_registration", key("11")); !ok || err != nil || !doc.Deleted || len(doc.Data) < 10 {
				t.Errorf("record 11, deleted 5 days ago: %+v, %v, %v; want it deleted with its data", doc, ok, err)
			}
			if h.live() != 96 {
				t.Errorf("live records = %d, want 96: retention touches no live record", h.live())
			}

			// An operator purges now, once the last reject is stale too.
			backdate(t, db, "rejects", "last_seen_at", open, 91*day)
			p, err := h.eng.PurgeStream(ctx, h.ref)
			if err != nil || p.Mode != string(engine.Purge) || p.Status != state.StatusSucceeded ||
				p.Purges != (state.Purges{PurgedRejects: 1}) || p.Counts != (state.Counts{}) {
				t.Fatalf("PurgeStream = %+v, %v; want a succeeded purge run that purged 1 reject and read nothing", p, err)
			}
			if h.rejects() != 0 {
				t.Errorf("rejects after the purge = %d, want 0", h.rejects())
			}
		})
	}
}

// TestRetryDoesNotRenewRetention: a retry re-maps the saved raw record, not
// the source row, so a reject it leaves keeps the age its retention runs
// from; a scheduled retry must not keep a raw record forever.
func TestRetryDoesNotRenewRetention(t *testing.T) {
	h := newHarness(t)
	db := withStoreDB(t, h, "postgres")
	h.seed(1, 100, 1)
	h.mustRun(connectors.Incremental)
	rs, err := h.st.Rejects(context.Background(), state.Filter{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("rejects = %d, %v; want 2", len(rs), err)
	}
	for _, r := range rs {
		backdate(t, db, "rejects", "last_seen_at", r.SourceKey, 89*day)
	}
	r, err := h.eng.RetryRejects(context.Background(), engine.Job{Ref: h.ref, Stream: h.stream, Mapper: h.mapper,
		Batch: engine.BatchPolicy{Size: 10, Period: time.Second}}, "")
	if err != nil || r.Rejected != 2 {
		t.Fatalf("retry with the same mapping: %+v, %v; want both rejected again", r.Counts, err)
	}
	rs, err = h.st.Rejects(context.Background(), state.Filter{})
	if err != nil || len(rs) != 2 {
		t.Fatalf("rejects after the retry = %d, %v; want 2", len(rs), err)
	}
	for _, rej := range rs {
		if age := time.Since(rej.LastSeenAt); age < 88*day {
			t.Errorf("reject %s: last seen %v ago after a retry, want still 89 days", rej.SourceKey, age.Round(time.Hour))
		}
	}
}
