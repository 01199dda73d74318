package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

// A full refresh that reads far fewer records than the stream has live (an
// API's empty page, a half-copied export) must not delete the difference:
// above max_delete_ratio it fails and marks nothing, the next full refresh
// reads the source again from the start, and --allow-deletions confirms a
// real loss.
func TestMaxDeleteRatio(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) {
			h := newHarnessOn(t, d)
			h.seed(1, 200, 1)
			h.mustRun(connectors.FullRefresh)
			if h.live() != 196 {
				t.Fatalf("live = %d, want 196", h.live())
			}
			// The first 110 rows vanish for a while: 108 live records
			// (rows 50 and 100 are rejects) of 196, 55%.
			h.exec(`CREATE TABLE khai_sinh_aside AS SELECT * FROM khai_sinh WHERE id <= 110`)
			h.exec(`DELETE FROM khai_sinh WHERE id <= 110`)
			r, err := h.run(context.Background(), connectors.FullRefresh)
			if !errors.Is(err, engine.ErrTooManyDeletions) || r.Status != state.StatusFailed || r.Deleted != 0 {
				t.Fatalf("short full refresh: %v, %+v; want ErrTooManyDeletions, failed, nothing deleted", err, r)
			}
			for _, want := range []string{"did not read 108 of the 196 live records", "55.1%", "max_delete_ratio 0.1", "--allow-deletions"} {
				if !strings.Contains(r.Error, want) {
					t.Errorf("ledger error %q lacks %q", r.Error, want)
				}
			}
			if h.live() != 196 {
				t.Fatalf("live = %d after the refused refresh, want 196: nothing may be marked deleted", h.live())
			}

			// The rows come back: the next full refresh reads the whole
			// source again, sees them, and deletes nothing.
			h.exec(`INSERT INTO khai_sinh SELECT * FROM khai_sinh_aside`)
			r = h.mustRun(connectors.FullRefresh)
			if r.Read != 200 || r.Deleted != 0 || h.live() != 196 {
				t.Fatalf("full refresh after the rows came back: %+v, live %d; want 200 read, none deleted, 196 live", r.Counts, h.live())
			}

			// A real loss, confirmed, is deleted.
			h.exec(`DELETE FROM khai_sinh WHERE id <= 110`)
			if _, err := h.run(context.Background(), connectors.FullRefresh); !errors.Is(err, engine.ErrTooManyDeletions) {
				t.Fatalf("short full refresh: %v, want ErrTooManyDeletions", err)
			}
			h.allowDeletions = true
			r = h.mustRun(connectors.FullRefresh)
			if r.Deleted != 108 || h.live() != 88 {
				t.Fatalf("confirmed full refresh: %+v, live %d; want 108 deleted, 88 live", r.Counts, h.live())
			}
		})
	}
}
