package console_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// systems is a small real ops.Systems for the plain HTTP tests: it opens
// the registered source with the real connectors. Runs are the browser
// test's (lienthong serve itself); these tests trigger none.
type systems struct{ reg *registry.Store }

var _ ops.Systems = systems{}

func (y systems) open(ctx context.Context, src config.Source) (connectors.Source, error) {
	return connectors.Open(ctx, connectors.Config{Name: src.Name, Kind: src.Kind, DSN: src.ResolvedDSN, Options: src.Options, Timeout: src.Timeout})
}

func streamOf(s config.Stream) connectors.Stream {
	return connectors.Stream{Name: s.Name, Table: s.Table, Query: s.Query, PrimaryKey: s.PrimaryKey, Cursor: s.Cursor}
}

func (y systems) Check(ctx context.Context, dept string, src config.Source) (ops.CheckReport, error) {
	cs, err := y.open(ctx, src)
	if err != nil {
		return ops.CheckReport{Problems: []string{"source " + src.Name + ": " + err.Error()}}, nil
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

func (y systems) Discover(ctx context.Context, dept string, src config.Source) ([]connectors.StreamInfo, error) {
	cs, err := y.open(ctx, src)
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	return cs.(connectors.Discoverer).Discover(ctx)
}

// TestMapping reads up to limit records of the stream and maps them.
func (y systems) TestMapping(ctx context.Context, ref state.Ref, text []byte, limit int) (mappingtest.Report, error) {
	m, err := mapping.Parse("registry:"+ref.String(), text)
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
	spec.ResolvedDSN = spec.DSN
	cs, err := y.open(ctx, spec)
	if err != nil {
		return mappingtest.Report{}, err
	}
	defer cs.Close()
	rd, err := cs.Read(ctx, connectors.ReadRequest{Stream: streamOf(st.Spec), Mode: connectors.FullRefresh, PageSize: limit})
	if err != nil {
		return mappingtest.Report{}, err
	}
	defer rd.Close()
	var recs []connectors.Record
	for len(recs) < limit {
		rec, err := rd.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			break
		}
		if err != nil {
			return mappingtest.Report{}, err
		}
		recs = append(recs, rec)
	}
	return mappingtest.Run(m, recs, time.Now()), nil
}

var errNoRuns = errors.New("the plain HTTP tests run no stream: the browser test does, on lienthong serve")

func (y systems) Trigger(context.Context, state.Ref, string) (int64, error) { return 0, errNoRuns }
func (y systems) Cancel(context.Context, int64, string) error               { return errNoRuns }
func (y systems) RetryRejects(context.Context, state.Ref, string) (state.Run, error) {
	return state.Run{}, errNoRuns
}

// TestSystemDown: when the department's database does not answer, the
// mapping test page says so in its error box, with what the system said
// and which stream, and answers 502, not an internal error.
func TestSystemDown(t *testing.T) {
	e := newEnv(t)
	e.svc.Systems = systems{reg: e.reg}
	ctx := context.Background()
	admin := registry.Actor{Name: "admin"}
	src := config.Source{Name: "ho-tich-cu", Kind: "postgres", DSN: "postgres://postgres@127.0.0.1:1/hotich?sslmode=disable&connect_timeout=5",
		Streams: []config.Stream{{Name: "khai-sinh", Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat", Mode: "incremental"}}}
	if _, err := e.reg.CreateSource(ctx, admin, "tu-phap", registry.SourceInput{Spec: src}); err != nil {
		t.Fatal(err)
	}
	text, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.AddMapping(ctx, admin, "tu-phap", "ho-tich-cu", "khai-sinh", "birth_registration", string(text)); err != nil {
		t.Fatal(err)
	}
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	page := "/console/d/tu-phap/sources/ho-tich-cu/streams/khai-sinh/mappings/1"
	p := u.post(page+"/test", url.Values{"csrf": {u.csrf(page)}, "limit": {"5"}})
	if p.status != http.StatusBadGateway {
		t.Fatalf("the mapping test of a system that does not answer: %d, want 502:\n%s", p.status, p.body)
	}
	for _, says := range []string{"Hệ thống của đơn vị không phản hồi hoặc báo lỗi", "test mapping version 1 of stream tu-phap/ho-tich-cu/khai-sinh: ", "127.0.0.1:1"} {
		if !strings.Contains(p.body, says) {
			t.Errorf("the page does not say %q:\n%s", says, p.body)
		}
	}
	if strings.Contains(p.body, "lỗi nội bộ") {
		t.Errorf("the page calls it an internal error:\n%s", p.body)
	}
}

// TestDiscover: the officer lists what a registered source offers, with
// the suggested key and cursor, from the sources page; another
// department's source is not found; a source whose system does not
// answer says so (502).
func TestDiscover(t *testing.T) {
	e := newEnv(t)
	e.svc.Systems = systems{reg: e.reg}
	ctx := context.Background()
	dsn := testdb.Postgres(t)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := fixture.CreateKhaiSinh(db); err != nil {
		t.Fatal(err)
	}
	admin := registry.Actor{Name: "admin"}
	for name, d := range map[string]string{"ho-tich-moi": dsn, "ho-tich-cu": "postgres://postgres@127.0.0.1:1/hotich?sslmode=disable&connect_timeout=5"} {
		if _, err := e.reg.CreateSource(ctx, admin, "tu-phap", registry.SourceInput{Spec: config.Source{Name: name, Kind: "postgres", DSN: d}}); err != nil {
			t.Fatal(err)
		}
	}
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	if p := u.get("/console/sources"); !strings.Contains(p.body, `href="/console/d/tu-phap/sources/ho-tich-moi/discover"`) {
		t.Errorf("the sources page does not link to discover:\n%s", p.body)
	}
	p := u.get("/console/d/tu-phap/sources/ho-tich-moi/discover")
	if p.status != http.StatusOK || !strings.Contains(p.body, "khai_sinh") || !strings.Contains(p.body, `<td class="key"><code>id</code></td>`) ||
		!strings.Contains(p.body, "ngay_cap_nhat") {
		t.Errorf("discover: %d\n%s", p.status, p.body)
	}
	if p := u.get("/console/d/tu-phap/sources/ho-tich-cu/discover"); p.status != http.StatusBadGateway || !strings.Contains(p.body, "discover source tu-phap/ho-tich-cu: ") {
		t.Errorf("discover of a system that does not answer: %d\n%s", p.status, p.body)
	}
	stranger := e.user(t)
	stranger.login(e.tokens["bhxh-can-bo"])
	if p := stranger.get("/console/d/tu-phap/sources/ho-tich-moi/discover"); p.status != http.StatusNotFound || strings.Contains(p.body, "khai_sinh") {
		t.Errorf("bhxh's token on tu-phap's discover: %d", p.status)
	}
}
