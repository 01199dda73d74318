package ops_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// systems is ops.Systems on real parts, until internal/cli's lands in
// these tests: the connectors open the department's real database, runs
// are written to the real state store's ledger.
type systems struct {
	reg *registry.Store
	st  *state.Store
}

var _ ops.Systems = (*systems)(nil)

func open(ctx context.Context, src config.Source) (connectors.Source, error) {
	return connectors.Open(ctx, connectors.Config{Name: src.Name, Kind: src.Kind, DSN: src.ResolvedDSN, Options: src.Options, Timeout: src.Timeout})
}

func streamOf(s config.Stream) connectors.Stream {
	return connectors.Stream{Name: s.Name, Table: s.Table, Query: s.Query, PrimaryKey: s.PrimaryKey, Cursor: s.Cursor, LookBack: s.LookBack}
}

func (y *systems) Check(ctx context.Context, dept string, src config.Source) (ops.CheckReport, error) {
	cs, err := open(ctx, src)
	if err != nil {
		return ops.CheckReport{Problems: []string{err.Error()}}, nil
	}
	defer cs.Close()
	var rep ops.CheckReport
	for _, st := range src.Streams {
		if err := cs.Check(ctx, streamOf(st)); err != nil {
			rep.Problems = append(rep.Problems, "stream "+st.Name+": "+err.Error())
		}
	}
	return rep, nil
}

func (y *systems) Discover(ctx context.Context, dept string, src config.Source) ([]connectors.StreamInfo, error) {
	cs, err := open(ctx, src)
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	return cs.(connectors.Discoverer).Discover(ctx)
}

// TestMapping reads up to limit records of the registered stream and maps
// them.
func (y *systems) TestMapping(ctx context.Context, ref state.Ref, text []byte, limit int) (mappingtest.Report, error) {
	m, err := mapping.Parse(ref.String(), text)
	if err != nil {
		return mappingtest.Report{}, err
	}
	src, err := y.reg.Source(ctx, ref.Department, ref.Source)
	if err != nil {
		return mappingtest.Report{}, err
	}
	st, err := y.reg.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return mappingtest.Report{}, err
	}
	spec := src.Spec
	if spec.ResolvedDSN, err = y.reg.SourceSecret(ctx, ref.Department, ref.Source); err != nil {
		return mappingtest.Report{}, err
	}
	cs, err := open(ctx, spec)
	if err != nil {
		return mappingtest.Report{}, err
	}
	defer cs.Close()
	r, err := cs.Read(ctx, connectors.ReadRequest{Stream: streamOf(st.Spec), Mode: connectors.Incremental, PageSize: limit})
	if err != nil {
		return mappingtest.Report{}, err
	}
	defer r.Close()
	rep := mappingtest.Report{Kind: m.Kind.Name, Version: m.Version, Records: []mappingtest.Record{}}
	for len(rep.Records) < limit {
		rec, err := r.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			break
		}
		if err != nil {
			return mappingtest.Report{}, err
		}
		rep.Records = append(rep.Records, mappingtest.Record{Key: rec.Key})
	}
	rep.Summary.Records = len(rep.Records)
	return rep, nil
}

// Trigger runs nothing but writes the run a trigger starts to the ledger.
func (y *systems) Trigger(ctx context.Context, ref state.Ref, by string) (int64, error) {
	r, err := y.st.StartRun(ctx, ref, "incremental")
	if err != nil {
		return 0, err
	}
	return r.ID, y.st.FinishRun(ctx, r.ID, ref, state.Finish{Status: state.StatusSucceeded})
}

func (y *systems) Cancel(ctx context.Context, runID int64, by string) error {
	return y.st.RequestCancel(ctx, runID, by)
}

func (y *systems) RetryRejects(ctx context.Context, ref state.Ref, reason string) (state.Run, error) {
	r, err := y.st.StartRun(ctx, ref, "retry")
	if err != nil {
		return state.Run{}, err
	}
	if err := y.st.FinishRun(ctx, r.ID, ref, state.Finish{Status: state.StatusSucceeded}); err != nil {
		return state.Run{}, err
	}
	return y.st.Run(ctx, r.ID)
}

// env is a service on a real state store (registry, state, clients) and a
// real department database holding the khai_sinh table.
type env struct {
	ctx  context.Context
	svc  *ops.Service
	db   *database.DB
	reg  *registry.Store
	st   *state.Store
	cl   *clients.Store
	logs *testio.Buffer
	// password is in secretDSN, the department database's DSN: it must
	// never come back.
	password, secretDSN, deptDB      string
	admin, own, ownRO, other, portal ops.Caller
	tokens                           []string
	n                                atomic.Int64
}

func newEnv(t testing.TB, stateDSN string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, stateDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	line, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: ctx, db: db, st: state.New(db), reg: registry.New(db, ring), cl: clients.New(db), logs: &testio.Buffer{}}
	e.cl.CacheFor = -1
	for _, m := range []interface {
		Migrate(context.Context) (int, error)
	}{e.st, e.reg, e.cl} {
		if _, err := m.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.svc = &ops.Service{Registry: e.reg, State: e.st, Clients: e.cl, Systems: &systems{reg: e.reg, st: e.st},
		Log: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}

	// The department's system: a real PostgreSQL database. The server
	// trusts local connections, so the password in the DSN is not
	// checked, but it is a secret all the same.
	e.deptDB = testdb.Postgres(t)
	raw, err := sql.Open("postgres", e.deptDB)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := fixture.CreateKhaiSinh(raw); err != nil {
		t.Fatal(err)
	}
	if err := fixture.SeedKhaiSinh(raw, 1, 60, 1); err != nil {
		t.Fatal(err)
	}
	e.password = "mk-" + strings.Repeat("x7", 8)
	e.secretDSN = strings.Replace(e.deptDB, "postgres@", "postgres:"+e.password+"@", 1)

	e.admin = ops.Caller{Admin: true}
	for _, d := range []registry.Department{{Name: "tuphap", Title: "Sở Tư pháp tỉnh Hà Tĩnh"}, {Name: "yte", Title: "Sở Y tế tỉnh Hà Tĩnh"}} {
		if _, err := e.svc.CreateDepartment(ctx, e.admin, d); err != nil {
			t.Fatal(err)
		}
	}
	e.own = e.token(t, "tuphap", "tuphap-all", ops.DepartmentScopes...)
	e.ownRO = e.token(t, "tuphap", "tuphap-ro", ops.ScopeSourcesRead, ops.ScopeRunsRead, ops.ScopeRejectsRead)
	e.other = e.token(t, "yte", "yte-all", ops.DepartmentScopes...)
	_, tok, err := e.cl.Add(ctx, clients.NewClient{Name: "portal", Scopes: []string{clients.ScopePrefill}})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := e.cl.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	e.portal = ops.Caller{Client: pc}
	return e
}

// token issues a department's token through the service and returns its
// holder as the server would after authenticating it.
func (e *env) token(t testing.TB, dept, name string, scopes ...string) ops.Caller {
	t.Helper()
	nt, err := e.svc.IssueToken(e.ctx, e.admin, dept, name, scopes, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.tokens = append(e.tokens, nt.Token)
	c, err := e.cl.Authenticate(e.ctx, nt.Token)
	if err != nil {
		t.Fatal(err)
	}
	return ops.Caller{Client: c}
}

func (e *env) next() int64 { return e.n.Add(1) }

// sourceBody is a registration of the khai_sinh table.
func (e *env) sourceBody(name string, streams ...string) []byte {
	var ss []string
	for _, s := range streams {
		ss = append(ss, fmt.Sprintf(`{"name": %q, "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}`, s))
	}
	return fmt.Appendf(nil, `{"name": %q, "kind": "postgres", "secret": %q, "timeout": "1m", "streams": [%s]}`, name, e.secretDSN, strings.Join(ss, ","))
}

// registered creates a source with one stream and an active mapping.
func (e *env) registered(t testing.TB, dept, name string) state.Ref {
	t.Helper()
	if _, err := e.svc.CreateSource(e.ctx, e.admin, dept, e.sourceBody(name, "khai-sinh")); err != nil {
		t.Fatal(err)
	}
	ref := state.Ref{Department: dept, Source: name, Stream: "khai-sinh"}
	mv, err := e.svc.UploadMapping(e.ctx, e.admin, ref, khaiSinh(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ActivateMapping(e.ctx, e.admin, ref, mv.Version); err != nil {
		t.Fatal(err)
	}
	return ref
}

func khaiSinh(t testing.TB) []byte {
	b, err := fs.ReadFile(examples.Mappings, "mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noSecret fails when v, as JSON, holds the department's password or any
// token issued in the test.
func (e *env) noSecret(t testing.TB, what string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: marshal: %v", what, err)
	}
	e.noSecretText(t, what, string(b))
}

func (e *env) noSecretText(t testing.TB, what, s string) {
	t.Helper()
	if strings.Contains(s, e.password) {
		t.Errorf("%s holds the source's password: %s", what, s)
	}
	for _, tok := range e.tokens {
		if strings.Contains(s, tok) {
			t.Errorf("%s holds a token: %s", what, s)
		}
	}
}

func dialects() []struct {
	name string
	dsn  func(testing.TB) string
} {
	return []struct {
		name string
		dsn  func(testing.TB) string
	}{{"postgres", testdb.Postgres}, {"sqlite", testdb.SQLite}}
}

type (
	connectorsInfo   = connectors.StreamInfo
	configFieldError = config.FieldError
)

func registryChangeFilter(dept string) registry.ChangeFilter {
	return registry.ChangeFilter{Department: dept, Limit: 500}
}

func timeParse(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }
