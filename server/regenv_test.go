package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong"
	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/clients"
	_ "github.com/lienthong/lienthong/connectors/httpjson"
	_ "github.com/lienthong/lienthong/connectors/sqlsource"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/forms"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/keyring"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/server"
	"github.com/lienthong/lienthong/sync/engine"
	"github.com/lienthong/lienthong/sync/state"
)

func init() {
	// Server-sent events are text; kin-openapi checks their answer's
	// status and type, and its schema (a string).
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
}

// The secrets the registration tests register: the department
// database's password (PostgreSQL trusts the test connection and ignores
// it, so the source works with it in its DSN) and an API's token (the
// test API refuses a request without it). Neither may appear in a log
// line, an answer or a metric.
const (
	deptPassword = "pw-Zq7Tx3Kv9Lm2Rw"
	apiToken     = "tok-8fJ2kQ9xW1nB5c"
)

// regEnv is the API with registration on real stores: PostgreSQL state
// store with the registry and client register, the real ops.Service and
// engine, a department database on PostgreSQL and a department API.
type regEnv struct {
	db      *database.DB
	st      *state.Store
	nat     national.Store
	reg     *registry.Store
	clients *clients.Store
	ops     *ops.Service
	srv     *httptest.Server
	logs    *testio.Buffer
	router  routers.Router
	// deptDSN is the department database's DSN with its password: the
	// registered source's secret.
	deptDSN string
	dept    *sql.DB
	api     *httptest.Server

	mu sync.Mutex
	// bodies is every answer's body the test read.
	bodies bytes.Buffer
}

// openSpec loads docs/openapi.yaml as the server embeds it.
func openSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(lienthong.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// newRegEnv builds the API on fresh stores and registers two
// departments, tu-phap and bhxh, through the administrator's token.
func newRegEnv(t *testing.T, opts ...func(*server.Options)) *regEnv {
	t.Helper()
	ctx := context.Background()
	e := &regEnv{logs: &testio.Buffer{}}
	_, e.router = openSpec(t)
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	db, err := database.Open(ctx, testdb.Postgres(t))
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
	e.db, e.st, e.nat, e.reg, e.clients = db, state.New(db), national.New(db), registry.New(db, ring), clients.New(db)
	aud := audit.New(db)
	t.Cleanup(aud.Close)
	for _, m := range []func(context.Context) (int, error){e.nat.Migrate, e.st.Migrate, e.reg.Migrate, e.clients.Migrate, aud.Migrate} {
		if _, err := m(ctx); err != nil {
			t.Fatal(err)
		}
	}

	gatherer := prometheus.NewRegistry()
	mx, err := metrics.New(gatherer)
	if err != nil {
		t.Fatal(err)
	}
	eng := &engine.Engine{National: e.nat, State: e.st, Metrics: mx, Log: log}
	e.ops = &ops.Service{Registry: e.reg, State: e.st, Clients: e.clients, Log: log,
		Systems: &systems{reg: e.reg, st: e.st, eng: eng, log: log}}
	admin := clients.HashToken(adminTok)
	o := server.Options{State: e.st, National: e.nat, Ops: e.ops, Gatherer: gatherer, Log: log,
		Access: server.Access{Forms: forms.Builtin(), Audit: aud, Clients: e.clients, AdminTokenHash: &admin}}
	for _, f := range opts {
		f(&o)
	}
	e.srv = httptest.NewServer(server.New(o))
	t.Cleanup(e.srv.Close)

	// The department's database: a register of births.
	dsn := testdb.Postgres(t)
	e.deptDSN = strings.Replace(dsn, "postgres@", "postgres:"+deptPassword+"@", 1)
	if e.dept, err = sql.Open("postgres", dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.dept.Close() })
	if _, err := e.dept.Exec(birthsTable); err != nil {
		t.Fatal(err)
	}
	e.api = newTokenCardAPI(t)

	for _, d := range []map[string]string{{"name": "tu-phap", "title": "Sở Tư pháp tỉnh Hà Tĩnh"}, {"name": "bhxh", "title": "Bảo hiểm xã hội tỉnh Hà Tĩnh"}} {
		e.must(t, "POST", "/v1/departments", adminTok, d, 201)
	}
	return e
}

// birthsTable is the department's register: three good births, one with
// a certificate number the mapping rejects.
const birthsTable = `
CREATE TABLE khai_sinh (
	id integer PRIMARY KEY, so_dang_ky text, co_quan_dang_ky text, ngay_dang_ky text, ho_ten text, ngay_sinh text,
	gioi_tinh text, so_dinh_danh text, noi_sinh text, que_quan text, dan_toc text, quoc_tich text,
	ho_ten_me text, so_dinh_danh_me text, ho_ten_cha text, so_dinh_danh_cha text,
	updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO khai_sinh (id, so_dang_ky, co_quan_dang_ky, ngay_dang_ky, ho_ten, ngay_sinh, gioi_tinh, so_dinh_danh, noi_sinh,
	que_quan, dan_toc, quoc_tich, ho_ten_me, so_dinh_danh_me, ho_ten_cha, so_dinh_danh_cha) VALUES
 (1, '12/2024', 'UBND xã Thạch Hà', '15/03/2024', 'Nguyễn Văn An', '01/03/2024', 'Nam', '042224000121', 'Hà Tĩnh', 'Hà Tĩnh', 'Kinh', 'Việt Nam', 'Trần Thị Bình', '042190001234', 'Nguyễn Văn Cường', '042088004321'),
 (2, '13/2024', 'UBND xã Thạch Hà', '16/03/2024', 'Lê Thị Dung', '02/03/2024', 'Nữ', '042324000122', 'Hà Tĩnh', 'Hà Tĩnh', 'Kinh', 'Việt Nam', 'Phạm Thị Hoa', '042190001235', 'Lê Văn Minh', '042088004322'),
 (3, '14/2024', 'UBND xã Thạch Hà', '17/03/2024', 'Hồ Văn Em', '03/03/2024', 'Nam', '042224000123', 'Hà Tĩnh', 'Hà Tĩnh', 'Kinh', 'Việt Nam', 'Võ Thị Lan', '042190001236', 'Hồ Văn Nam', '042088004323'),
 (4, 'abc', 'UBND xã Thạch Hà', '18/03/2024', 'Đỗ Thị Giang', '04/03/2024', 'Nữ', '042324000124', 'Hà Tĩnh', 'Hà Tĩnh', 'Kinh', 'Việt Nam', 'Đỗ Thị Mai', '042190001237', 'Đỗ Văn Hùng', '042088004324');
`

// newTokenCardAPI is a department API of health insurance cards that
// answers only requests bearing apiToken.
func newTokenCardAPI(t *testing.T) *httptest.Server {
	cards, _ := newCardAPI(t, 5, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+apiToken {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		page := r.URL.Query().Get("page")
		items := cards.cards
		if page != "" && page != "1" {
			items = nil
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"items": items}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// request is one call of the API.
type request struct {
	method, path, token string
	// body is JSON-encoded unless it is a []byte or string.
	body   any
	header map[string]string
}

// answer is what came back, body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d: %v in %s", a.status, err, a.body)
	}
}

func (a answer) problem(t *testing.T) server.Problem {
	t.Helper()
	var p server.Problem
	a.decode(t, &p)
	return p
}

// do calls the API and checks the answer against docs/openapi.yaml (and
// the request too, when it succeeded: the failures the tests provoke are
// often requests the description rules out).
func (e *regEnv) do(t *testing.T, q request) answer {
	t.Helper()
	var body []byte
	ct := "application/json"
	switch b := q.body.(type) {
	case nil:
	case []byte:
		body, ct = b, "application/yaml"
	case string:
		body, ct = []byte(b), "application/yaml"
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(q.method, e.srv.URL+q.path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if q.token != "" {
		req.Header.Set("Authorization", "Bearer "+q.token)
	}
	for k, v := range q.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	fmt.Fprintf(&e.bodies, "%s %s %d\n%s\n", q.method, q.path, resp.StatusCode, got)
	e.mu.Unlock()
	vreq, _ := http.NewRequest(q.method, e.srv.URL+q.path, bytes.NewReader(body))
	vreq.Header = req.Header.Clone()
	validate(t, e.router, vreq, body, resp, got)
	return answer{status: resp.StatusCode, header: resp.Header, body: got}
}

// must calls the API and fails the test unless the answer has status.
func (e *regEnv) must(t *testing.T, method, path, token string, body any, status int) answer {
	t.Helper()
	a := e.do(t, request{method: method, path: path, token: token, body: body})
	if a.status != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, a.status, status, a.body)
	}
	return a
}

// validate checks a request (when it succeeded) and its answer against
// the description.
func validate(t *testing.T, router routers.Router, req *http.Request, body []byte, resp *http.Response, got []byte) {
	t.Helper()
	r := req.Clone(context.Background())
	r.URL.Scheme, r.URL.Host, r.Host = "http", "127.0.0.1:8080", "127.0.0.1:8080"
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(r)
	if err != nil {
		t.Errorf("%s %s: not in docs/openapi.yaml: %v", req.Method, req.URL.Path, err)
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request is not as described: %v", req.Method, req.URL, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(got)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s answered %d, not as described: %v\n%s", req.Method, req.URL, resp.StatusCode, err, got)
	}
}

// The department's objects the tests register.
const (
	sourcePath = "/v1/departments/tu-phap/sources/ho-tich"
	streamPath = sourcePath + "/streams/khai-sinh"
	apiPath    = "/v1/departments/bhxh/sources/the-bhyt-api"
)

// birthSource is the body that registers the births register, its DSN
// (with the password) as its secret.
func (e *regEnv) birthSource(name string) map[string]any {
	return map[string]any{"name": name, "kind": "postgres", "secret": e.deptDSN, "timeout": "30s",
		"streams": []any{map[string]any{"name": "khai-sinh", "table": "khai_sinh", "primary_key": []string{"id"},
			"cursor": "updated_at", "kind": "birth_registration"}}}
}

// cardSource registers the card API, its token as its secret.
func (e *regEnv) cardSource() map[string]any {
	return map[string]any{"name": "the-bhyt-api", "kind": "httpjson", "secret": apiToken,
		"options": map[string]any{"base_url": e.api.URL, "records_path": "data.items", "auth": map[string]any{"type": "bearer"},
			"allow_networks": []string{"127.0.0.0/8"}, "pagination": map[string]any{"type": "page", "size_param": "page_size"}},
		"streams": []any{map[string]any{"name": "the-bhyt", "table": "the-bhyt", "primary_key": []string{"maThe"}, "mode": "full_refresh"}}}
}

func mappingFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := examples.Mappings.ReadFile("mappings/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// token issues a department a token through the API.
func (e *regEnv) token(t *testing.T, dept, name string, scopes ...string) string {
	t.Helper()
	var nt struct{ Token string }
	e.must(t, "POST", "/v1/departments/"+dept+"/tokens", adminTok, map[string]any{"name": name, "scopes": scopes}, 201).decode(t, &nt)
	if !strings.HasPrefix(nt.Token, "lt_") {
		t.Fatalf("token %s: %q", name, nt.Token)
	}
	return nt.Token
}

// expiredToken adds a department token that expired an hour ago: the API
// does not issue tokens already expired, the register does.
func (e *regEnv) expiredToken(t *testing.T, dept, name string) string {
	t.Helper()
	_, tok, err := e.clients.Add(context.Background(), clients.NewClient{Name: name, Department: dept,
		Scopes: ops.DepartmentScopes, ExpiresAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// registerBirths registers the births register with the owner's token,
// uploads and activates its mapping and runs it once: a run with three
// records delivered and one rejected.
func (e *regEnv) registerBirths(t *testing.T, token string) state.Run {
	t.Helper()
	e.must(t, "POST", "/v1/departments/tu-phap/sources", token, e.birthSource("ho-tich"), 201)
	e.must(t, "POST", streamPath+"/mappings", token, mappingFile(t, "khai-sinh.yaml"), 201)
	e.must(t, "POST", streamPath+"/mappings/1/activate", token, nil, 200)
	var job struct {
		JobID int64 `json:"job_id"`
	}
	e.must(t, "POST", streamPath+"/runs", token, nil, 202).decode(t, &job)
	var run state.Run
	e.must(t, "GET", fmt.Sprintf("/v1/departments/tu-phap/runs/%d", job.JobID), token, nil, 200).decode(t, &run)
	if run.Status != state.StatusSucceeded || run.Read != 4 || run.Inserted != 3 || run.Rejected != 1 {
		t.Fatalf("the births' run: %+v", run)
	}
	return run
}
