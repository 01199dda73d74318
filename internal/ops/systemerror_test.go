package ops_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/registry"
)

// strictSystems is the test's systems with the Check of a checker that
// cannot run at all when the department's server does not answer: it
// fails outright (not with a problem of the source's settings), quoting
// the connection string it was given, as a careless driver would.
type strictSystems struct{ *systems }

func (y strictSystems) Check(ctx context.Context, dept string, src config.Source) (ops.CheckReport, error) {
	db, err := sql.Open("postgres", src.ResolvedDSN)
	if err != nil {
		return ops.CheckReport{}, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return ops.CheckReport{}, fmt.Errorf("connect with %s: %w", src.ResolvedDSN, err)
	}
	return y.systems.Check(ctx, dept, src)
}

// TestSystemErrors: when the department's system stops answering after
// its registration, discover, a mapping test and a check fail with a
// *SystemError that names the operation and the source or stream and
// says what the system did, without the source's password, in its
// message, its Error() and the log.
func TestSystemErrors(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	e.svc.Systems = strictSystems{e.svc.Systems.(*systems)}
	ref := e.registered(t, "tuphap", "hotich")

	// The department's server moves away: its secret now names a port
	// nothing listens on (written to the registry directly, as no check
	// would pass it).
	down := "postgres://postgres:" + e.password + "@127.0.0.1:1/hotich?sslmode=disable&connect_timeout=5"
	src, err := e.reg.Source(e.ctx, "tuphap", "hotich")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.UpdateSource(e.ctx, registry.Actor{Name: "admin"}, "tuphap", "hotich", src.Revision,
		registry.SourceInput{Spec: src.Spec, Secret: &down}); err != nil {
		t.Fatal(err)
	}

	want := func(t *testing.T, err error, op, object string) {
		t.Helper()
		var se *ops.SystemError
		if !errors.As(err, &se) {
			t.Fatalf("want *ops.SystemError, got %T %v", err, err)
		}
		if !strings.HasPrefix(se.Op, op) || se.Object != object || !strings.Contains(se.Message, "127.0.0.1:1") {
			t.Errorf("system error %+v: want op %q on %q, saying what failed", se, op, object)
		}
		if errors.Is(err, ops.ErrConflict) || errors.Is(err, ops.ErrNotFound) {
			t.Errorf("a system error matches a refusal: %v", err)
		}
		e.noSecretText(t, "the system error", err.Error())
		e.noSecretText(t, "the system error's message", se.Message)
	}

	t.Run("discover", func(t *testing.T) {
		_, err := e.svc.Discover(e.ctx, e.own, "tuphap", "hotich")
		want(t, err, "discover", "source tuphap/hotich")
	})
	t.Run("mapping test", func(t *testing.T) {
		_, err := e.svc.TestMapping(e.ctx, e.own, ref, 1, 5)
		want(t, err, "test mapping version 1 of", "stream tuphap/hotich/khai-sinh")
	})
	t.Run("check", func(t *testing.T) {
		body := fmt.Appendf(nil, `{"name": "hotich", "kind": "postgres", "secret": %q, "timeout": "1m"}`, down)
		_, err := e.svc.UpdateSource(e.ctx, e.own, "tuphap", "hotich", src.Revision+1, body)
		want(t, err, "check", "source tuphap/hotich")
		if se := new(ops.SystemError); errors.As(err, &se) && !strings.Contains(se.Message, "postgres://postgres:xxxxx@127.0.0.1:1") {
			t.Errorf("the quoted DSN is not shown without its password: %q", se.Message)
		}
	})
	t.Run("a reachable system still answers", func(t *testing.T) {
		e2 := newEnv(t, testdb.Postgres(t))
		e2.svc.Systems = strictSystems{e2.svc.Systems.(*systems)}
		e2.registered(t, "tuphap", "hotich")
		if _, err := e2.svc.Discover(e2.ctx, e2.own, "tuphap", "hotich"); err != nil {
			t.Fatal(err)
		}
	})
	e.noSecretText(t, "the log", e.logs.String())
}

// TestRetryUnknownReason: retrying a reason none of the stream's rejects
// has is the caller's mistake, refused on the field, before any run.
func TestRetryUnknownReason(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	ref := e.registered(t, "tuphap", "hotich")
	_, err := e.svc.RetryRejects(e.ctx, e.own, ref, "no_such_reason")
	var inv *ops.Invalid
	if !errors.As(err, &inv) || len(inv.Fields) != 1 || inv.Fields[0].Field != "reason" || !strings.Contains(inv.Fields[0].Reason, "no_such_reason") {
		t.Fatalf("want an invalid reason, got %v", err)
	}
}
