package ops_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/sync/state"
)

// TestListStreams: the registry's streams as they are now, with their
// health: the administrator sees every department's, a department's
// token with runs:read its own; a token without the scope, or of no
// department, is refused. A stream registered after a listing is in the
// next one, and one with no active mapping is listed too.
func TestListStreams(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	names := func(t *testing.T, c ops.Caller) []string {
		t.Helper()
		vs, err := e.svc.ListStreams(e.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, v := range vs {
			out = append(out, v.Department+"/"+v.Source+"/"+v.Spec.Name)
		}
		return out
	}
	if got := names(t, e.admin); len(got) != 0 {
		t.Fatalf("an empty registry lists %v", got)
	}
	ref := e.registered(t, "tuphap", "hotich")
	if _, err := e.svc.Trigger(e.ctx, e.own, ref); err != nil {
		t.Fatal(err)
	}
	// A run that read up to a cursor: the stream's data is that fresh.
	run, err := e.st.StartRun(e.ctx, ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CommitBatch(e.ctx, run.ID, ref, state.Batch{Checkpoint: json.RawMessage(`{"cursor":"2026-11-30 17:00:00","key":["60"]}`),
		Counts: state.Counts{Read: 1, Inserted: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(e.ctx, run.ID, ref, state.Finish{Status: state.StatusSucceeded, ReadSource: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateSource(e.ctx, e.other, "yte", e.sourceBody("benhan", "kham-benh")); err != nil {
		t.Fatal(err)
	}
	if got := names(t, e.admin); len(got) != 2 || got[0] != "tuphap/hotich/khai-sinh" || got[1] != "yte/benhan/kham-benh" {
		t.Errorf("the administrator sees %v", got)
	}
	if got := names(t, e.ownRO); len(got) != 1 || got[0] != "tuphap/hotich/khai-sinh" {
		t.Errorf("tuphap's token sees %v", got)
	}
	if got := names(t, e.other); len(got) != 1 || got[0] != "yte/benhan/kham-benh" {
		t.Errorf("yte's token sees %v", got)
	}
	vs, err := e.svc.ListStreams(e.ctx, e.own)
	if err != nil {
		t.Fatal(err)
	}
	if v := vs[0]; v.ActiveMapping != 1 || v.LastRun == nil || v.LastRun.Status != "succeeded" || v.Spec.Cursor != "ngay_cap_nhat" ||
		v.LastSuccessAt == nil || v.DataUpTo != "2026-11-30 17:00:00" {
		t.Errorf("tuphap's stream: %+v", v)
	}
	noRuns := e.token(t, "tuphap", "tuphap-sources", ops.ScopeSourcesRead)
	for name, c := range map[string]ops.Caller{"without runs:read": noRuns, "of no department": e.portal} {
		if _, err := e.svc.ListStreams(e.ctx, c); !errors.Is(err, ops.ErrForbidden) {
			t.Errorf("a token %s: %v, want forbidden", name, err)
		}
	}
}
