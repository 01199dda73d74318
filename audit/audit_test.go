package audit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
)

// eachDialect runs f on a fresh, migrated database on PostgreSQL and on
// SQLite.
func eachDialect(t *testing.T, f func(t *testing.T, db *database.DB)) {
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"postgres", testdb.Postgres}, {"sqlite", testdb.SQLite}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			db, err := database.Open(context.Background(), d.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := audit.New(db).Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			f(t, db)
		})
	}
}

func newStore(t *testing.T, db *database.DB) *audit.Store {
	s := audit.New(db)
	s.CheckpointEvery = 10
	t.Cleanup(s.Close)
	return s
}

// fill appends n entries from two stores (two replicas) at once, half each,
// concurrently; subjects alternate between two citizens.
func fill(t *testing.T, db *database.DB, n int) {
	t.Helper()
	replicas := []*audit.Store{newStore(t, db), newStore(t, db)}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := replicas[i%2].Append(context.Background(), audit.Entry{
				Client: fmt.Sprintf("portal-%d", i%2), Subject: []string{"001090000001", "001090000002"}[i%2],
				Form: "cap-lai-the-bhyt", Fields: []string{"full_name", "card_number"},
				Purpose: "renew card", Reference: fmt.Sprintf("HS-%03d", i), RequestID: fmt.Sprintf("req%d", i)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChain(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		rep, err := s.Verify(ctx)
		if err != nil || rep.Entries != 0 {
			t.Fatalf("empty log: %+v %v", rep, err)
		}
		fill(t, db, 50)
		rep, err = s.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Entries != 50 || rep.Checkpoints != 5 {
			t.Errorf("verified %+v, want 50 entries and 5 checkpoints", rep)
		}
		report, err := s.Subject(ctx, "001090000002", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(report) != 25 {
			t.Fatalf("access report has %d entries, want 25", len(report))
		}
		for i, e := range report {
			if e.Subject != "001090000002" || e.Client != "portal-1" || e.Purpose != "renew card" ||
				len(e.Fields) != 2 || e.Fields[1] != "card_number" || e.At.IsZero() {
				t.Errorf("entry %+v", e)
			}
			if i > 0 && e.Seq >= report[i-1].Seq {
				t.Errorf("report not newest first: %d after %d", e.Seq, report[i-1].Seq)
			}
		}
		if r, _ := s.Subject(ctx, "001090000002", 3); len(r) != 3 {
			t.Errorf("limit 3 gave %d", len(r))
		}
	})
}

func TestVerifyCatchesTampering(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sql   []string
		seq   int64
		words string
	}{
		{"edit", []string{`UPDATE audit_log SET purpose = 'something else' WHERE seq = 17`}, 17, "edited"},
		{"edit fields", []string{`UPDATE audit_log SET fields = '["full_name"]' WHERE seq = 3`}, 3, "edited"},
		{"delete", []string{`DELETE FROM audit_log WHERE seq = 22`}, 22, "missing"},
		{"reorder", []string{
			`UPDATE audit_log SET seq = -1 WHERE seq = 30`,
			`UPDATE audit_log SET seq = 30 WHERE seq = 31`,
			`UPDATE audit_log SET seq = 31 WHERE seq = -1`}, 30, "does not follow entry 29"},
		{"truncate", []string{`DELETE FROM audit_log WHERE seq > 45`}, 46, "head says entry 50"},
		{"truncate and rewrite head", []string{
			`DELETE FROM audit_log WHERE seq > 35`,
			`UPDATE audit_head SET seq = 35, hash = (SELECT hash FROM audit_log WHERE seq = 35)`}, 36, "entry 50 was checkpointed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDialect(t, func(t *testing.T, db *database.DB) {
				ctx := context.Background()
				fill(t, db, 50)
				s := newStore(t, db)
				if _, err := s.Verify(ctx); err != nil {
					t.Fatal(err)
				}
				for _, q := range tc.sql {
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				_, err := s.Verify(ctx)
				var broken *audit.BrokenError
				if !errors.As(err, &broken) {
					t.Fatalf("verify after %s: %v, want a broken chain", tc.name, err)
				}
				if broken.Seq != tc.seq || !contains(broken.Reason, tc.words) {
					t.Errorf("verify: %v; want entry %d, saying %q", err, tc.seq, tc.words)
				}
			})
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestAppendAfterClose(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *database.DB) {
		s := audit.New(db)
		if _, err := s.Append(context.Background(), audit.Entry{Client: "c", Subject: "s", Form: "f", Purpose: "p", Reference: "r"}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := s.Append(context.Background(), audit.Entry{Client: "c"}); err == nil {
			t.Error("append on a closed log succeeded")
		}
	})
}
