package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/console"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// adminToken is the administrator's token of the plain HTTP tests.
const adminToken = "console-test-admin-token-0123456789"

// env is a console on real stores (PostgreSQL), with two departments
// and their tokens. Its ops.Service has no Systems: these tests use only
// the operations that read and write the stores.
type env struct {
	srv     *httptest.Server
	reg     *registry.Store
	st      *state.Store
	clients *clients.Store
	tokens  map[string]string
	logs    *testio.Buffer
	// svc is the console's service; a test that reaches a department's
	// system sets its Systems.
	svc *ops.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{reg: registry.New(db, nil), st: state.New(db), clients: clients.New(db), tokens: map[string]string{}, logs: &testio.Buffer{}}
	// Revocation is seen at once (no cache), as on the replica that revokes.
	e.clients.CacheFor = -1
	for _, m := range []interface {
		Migrate(context.Context) (int, error)
	}{e.st, e.reg, e.clients} {
		if _, err := m.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	admin := registry.Actor{Name: "admin"}
	for _, d := range []registry.Department{{Name: "tu-phap", Title: "Sở Tư pháp"}, {Name: "bhxh", Title: "Bảo hiểm xã hội"}} {
		if _, err := e.reg.CreateDepartment(ctx, admin, d); err != nil {
			t.Fatal(err)
		}
	}
	src := config.Source{Name: "ho-tich", Kind: "postgres", Streams: []config.Stream{{Name: "khai-sinh", Table: "khai_sinh",
		PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat", Mode: "incremental"}}}
	if _, err := e.reg.CreateSource(ctx, admin, "tu-phap", registry.SourceInput{Spec: src}); err != nil {
		t.Fatal(err)
	}
	for _, nc := range []clients.NewClient{
		{Name: "tu-phap-can-bo", Department: "tu-phap", Scopes: clients.DepartmentScopes},
		{Name: "bhxh-can-bo", Department: "bhxh", Scopes: clients.DepartmentScopes},
		{Name: "tu-phap-cu", Department: "tu-phap", Scopes: clients.DepartmentScopes, ExpiresAt: time.Now().Add(-time.Hour)},
		{Name: "cong-thong-tin", Scopes: []string{clients.ScopePrefill}},
	} {
		_, tok, err := e.clients.Add(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[nc.Name] = tok
	}
	e.tokens["admin"] = adminToken
	hash := clients.HashToken(adminToken)
	e.svc = &ops.Service{Registry: e.reg, State: e.st, Clients: e.clients, Log: slog.New(slog.NewTextHandler(e.logs, nil))}
	h := console.New(console.Options{Ops: e.svc, Clients: e.clients, AdminTokenHash: &hash, Log: slog.New(slog.NewTextHandler(e.logs, nil))})
	mux := http.NewServeMux()
	mux.Handle("/console/", h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// user is a browser without a browser: a cookie jar that does not follow
// redirects, so the tests see each answer.
type user struct {
	t    *testing.T
	e    *env
	http *http.Client
}

func (e *env) user(t *testing.T) *user {
	jar, _ := cookiejar.New(nil)
	return &user{t: t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer: its status, where it redirects, its body.
type page struct {
	status   int
	location string
	body     string
}

func (u *user) do(method, path string, form url.Values) page {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.e.srv.URL+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := u.http.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

func (u *user) get(path string) page { u.t.Helper(); return u.do(http.MethodGet, path, nil) }

func (u *user) post(path string, form url.Values) page {
	u.t.Helper()
	return u.do(http.MethodPost, path, form)
}

var (
	nonceField = regexp.MustCompile(`name="nonce" value="([^"]+)"`)
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// login logs in with a token through the login form and returns the
// answer to the form.
func (u *user) login(token string) page {
	u.t.Helper()
	p := u.get("/console/login")
	m := nonceField.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		u.t.Fatalf("login page: %d %s", p.status, p.body)
	}
	return u.post("/console/login", url.Values{"nonce": {m[1]}, "token": {token}})
}

// csrf reads the CSRF token of a page's forms.
func (u *user) csrf(path string) string {
	u.t.Helper()
	p := u.get(path)
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		u.t.Fatalf("%s has no form with a CSRF token: %d %s", path, p.status, p.body)
	}
	return m[1]
}

// TestLogin: a department's or the administrator's token opens a session
// in a cookie the page's scripts cannot read; an unknown, expired or
// portal token, or a login form from elsewhere, does not, and the page says
// why.
func TestLogin(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, token string
		status      int
		says        string
	}{
		{"unknown", "lt_not-a-token", http.StatusUnauthorized, "Mã truy cập không đúng."},
		{"expired", e.tokens["tu-phap-cu"], http.StatusUnauthorized, "Mã truy cập đã hết hạn."},
		{"portal", e.tokens["cong-thong-tin"], http.StatusUnauthorized, "không thuộc đơn vị nào"},
		{"empty", "  ", http.StatusUnauthorized, "Hãy dán mã truy cập."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := e.user(t)
			p := u.login(tc.token)
			if p.status != tc.status || !strings.Contains(p.body, tc.says) {
				t.Errorf("login answered %d, want %d saying %q:\n%s", p.status, tc.status, tc.says, p.body)
			}
			if p := u.get("/console/sources"); p.status != http.StatusSeeOther || p.location != "/console/login" {
				t.Errorf("without a session the sources page answered %d → %q", p.status, p.location)
			}
		})
	}
	t.Run("no nonce", func(t *testing.T) {
		u := e.user(t)
		p := u.post("/console/login", url.Values{"token": {e.tokens["tu-phap-can-bo"]}})
		if p.status != http.StatusForbidden || u.get("/console/sources").status != http.StatusSeeOther {
			t.Errorf("a login form without its nonce answered %d", p.status)
		}
	})
	for _, who := range []string{"tu-phap-can-bo", "admin"} {
		t.Run(who, func(t *testing.T) {
			u := e.user(t)
			p := u.login(e.tokens[who])
			if p.status != http.StatusSeeOther || p.location != "/console/sources" {
				t.Fatalf("login answered %d → %q: %s", p.status, p.location, p.body)
			}
			resp, err := http.Get(e.srv.URL + "/console/login")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			src := u.get("/console/sources")
			if src.status != http.StatusOK || !strings.Contains(src.body, "ho-tich") || !strings.Contains(src.body, "khai-sinh") {
				t.Errorf("sources page %d:\n%s", src.status, src.body)
			}
			if strings.Contains(src.body, e.tokens[who]) {
				t.Error("the page shows the token")
			}
		})
	}
	// The cookie's attributes.
	u := e.user(t)
	p := u.get("/console/login")
	nonce := nonceField.FindStringSubmatch(p.body)[1]
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/login",
		strings.NewReader(url.Values{"nonce": {nonce}, "token": {e.tokens["tu-phap-can-bo"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "lt_login", Value: nonce})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "lt_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" {
		t.Errorf("session cookie %+v", session)
	}
	if e.logs.String() != "" && strings.Contains(e.logs.String(), e.tokens["tu-phap-can-bo"]) {
		t.Error("a token is in the log")
	}
}

// TestCSRF: a form posted without the session's CSRF token, or with
// another session's, is refused and changes nothing; with it, it works.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	other := e.user(t)
	other.login(e.tokens["bhxh-can-bo"])
	good := u.csrf("/console/sources")
	foreign := other.csrf("/console/sources")
	if good == foreign {
		t.Fatal("two sessions have the same CSRF token")
	}
	for name, form := range map[string]url.Values{"none": {}, "foreign": {"csrf": {foreign}}, "empty": {"csrf": {""}}} {
		p := u.post("/console/logout", form)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "Biểu mẫu đã hết hiệu lực") {
			t.Errorf("%s: logout without the CSRF token answered %d → %q", name, p.status, p.location)
		}
		p = u.post("/console/d/tu-phap/sources/ho-tich/streams/khai-sinh/mappings", url.Values{"csrf": form["csrf"], "text": {"kind: x"}})
		if p.status != http.StatusForbidden {
			t.Errorf("%s: an upload without the CSRF token answered %d", name, p.status)
		}
	}
	if p := u.get("/console/sources"); p.status != http.StatusOK {
		t.Errorf("the session ended after refused posts: %d", p.status)
	}
	// Logout, with the token.
	p := u.post("/console/logout", url.Values{"csrf": {good}})
	if p.status != http.StatusSeeOther || p.location != "/console/login?m=loggedout" {
		t.Errorf("logout answered %d → %q", p.status, p.location)
	}
	if p := u.get("/console/sources"); p.status != http.StatusSeeOther || p.location != "/console/login" {
		t.Errorf("after logout the sources page answered %d → %q", p.status, p.location)
	}
	if p := u.get("/console/login?m=loggedout"); !strings.Contains(p.body, "Bạn đã đăng xuất.") {
		t.Errorf("the login page does not say the officer logged out:\n%s", p.body)
	}
}

// TestOtherDepartment: a department's token meets another department's
// pages and objects as pages that do not exist (404), exactly like
// objects that do not exist at all.
func TestOtherDepartment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	run, err := e.st.StartRun(ctx, state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(ctx, run.ID, run.Ref, state.Finish{Status: state.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	owner, stranger := e.user(t), e.user(t)
	owner.login(e.tokens["tu-phap-can-bo"])
	stranger.login(e.tokens["bhxh-can-bo"])
	stream := "/console/d/tu-phap/sources/ho-tich/streams/khai-sinh"
	runPath := "/console/d/tu-phap/runs/" + itoa(run.ID)
	for _, path := range []string{stream, runPath, "/console/d/tu-phap/runs", "/console/d/tu-phap/rejects", "/console/d/tu-phap/rejects.csv",
		stream + "/mappings/1", "/console/d/bhxh/runs/" + itoa(run.ID)} {
		p := stranger.get(path)
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "Không tìm thấy trang hoặc đối tượng này.") {
			t.Errorf("bhxh's token on %s: %d, want the 404 page:\n%s", path, p.status, p.body)
		}
		// The path the stranger typed is on the page (the language
		// switch); nothing ops knows of the stream is.
		if strings.Contains(p.body, "khai_sinh") || strings.Contains(p.body, "Sở Tư pháp") {
			t.Errorf("bhxh's token on %s sees what tu-phap's stream reads", path)
		}
	}
	csrf := stranger.csrf("/console/sources")
	if p := stranger.post(stream+"/runs", url.Values{"csrf": {csrf}}); p.status != http.StatusNotFound {
		t.Errorf("bhxh's token triggering tu-phap's stream: %d", p.status)
	}
	if p := stranger.get("/console/sources"); strings.Contains(p.body, "ho-tich") {
		t.Errorf("bhxh's sources page lists tu-phap's source:\n%s", p.body)
	}
	// The owner sees them; a stream that does not exist is the same 404.
	for _, path := range []string{stream, runPath} {
		if p := owner.get(path); p.status != http.StatusOK {
			t.Errorf("tu-phap's token on %s: %d\n%s", path, p.status, p.body)
		}
	}
	if p := owner.get("/console/d/tu-phap/sources/ho-tich/streams/khong-co"); p.status != http.StatusNotFound {
		t.Errorf("a stream that does not exist: %d", p.status)
	}
}

// TestSessionEnds: a token revoked while its session is open ends the
// session at the next page, which says why.
func TestSessionEnds(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	if p := u.get("/console/sources"); p.status != http.StatusOK {
		t.Fatalf("sources: %d", p.status)
	}
	if err := e.clients.Revoke(context.Background(), "tu-phap-can-bo"); err != nil {
		t.Fatal(err)
	}
	p := u.get("/console/sources")
	if p.status != http.StatusSeeOther || p.location != "/console/login?m=revoked" {
		t.Fatalf("after revocation: %d → %q", p.status, p.location)
	}
	if p := u.get(p.location); !strings.Contains(p.body, "Mã truy cập đã bị thu hồi.") {
		t.Errorf("the login page does not say the token was revoked:\n%s", p.body)
	}
}

// TestLanguage: ?lang=en switches to English and a cookie keeps it.
func TestLanguage(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	if p := u.get("/console/sources"); !strings.Contains(p.body, "Thành công gần nhất") || !strings.Contains(p.body, `lang="vi"`) {
		t.Errorf("the default page is not Vietnamese:\n%s", p.body)
	}
	if p := u.get("/console/sources?lang=en"); !strings.Contains(p.body, "Last success") || !strings.Contains(p.body, `lang="en"`) {
		t.Errorf("?lang=en is not English:\n%s", p.body)
	}
	if p := u.get("/console/sources"); !strings.Contains(p.body, "Last success") {
		t.Errorf("the language was not remembered:\n%s", p.body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRegisterInvalid: a registration the strict decoding refuses comes
// back with each reason next to the field it names, the officer's values
// kept, and the secret neither echoed nor kept.
func TestRegisterInvalid(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	csrf := u.csrf("/console/sources/new")
	const secret = "postgres://can-bo:mat-khau-rat-bi-mat@127.0.0.1:5432/ho_tich"
	form := func(name, kind string) url.Values {
		return url.Values{"csrf": {csrf}, "name": {name}, "kind": {kind}, "secret": {secret},
			"stream": {"khai-sinh"}, "table": {"khai_sinh"}, "key": {"id"}, "cursor": {"ngay_cap_nhat"}, "mode": {"incremental"}}
	}
	// A kind a department may not register (a file of this machine).
	p := u.post("/console/sources", form("ho-tich", "sqlite"))
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="err-kind"`) {
		t.Errorf("kind sqlite answered %d:\n%s", p.status, p.body)
	}
	p = u.post("/console/sources", form("Hộ Tịch!", "postgres"))
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="err-name"`) {
		t.Fatalf("an invalid name answered %d:\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, `value="Hộ Tịch!"`) || !strings.Contains(p.body, `value="ngay_cap_nhat"`) {
		t.Errorf("the form lost the officer's values:\n%s", p.body)
	}
	if strings.Contains(p.body, "mat-khau-rat-bi-mat") {
		t.Error("the form shows the secret")
	}
	if strings.Contains(e.logs.String(), "mat-khau-rat-bi-mat") {
		t.Error("the log holds the secret")
	}
	if list := u.get("/console/sources"); strings.Contains(list.body, "Hộ Tịch!") {
		t.Error("the invalid source was saved")
	}
	// Options that do not parse are refused before anything else.
	p = u.post("/console/sources", url.Values{"csrf": {csrf}, "name": {"ho-tich-2"}, "kind": {"postgres"}, "options": {"a: [b"},
		"stream": {"khai-sinh"}, "table": {"khai_sinh"}, "key": {"id"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="err-options"`) {
		t.Errorf("options that do not parse: %d\n%s", p.status, p.body)
	}
}

// TestAdmin: the administrator sees every department and registers for
// any of them.
func TestAdmin(t *testing.T) {
	e := newEnv(t)
	u := e.user(t)
	u.login(e.tokens["admin"])
	p := u.get("/console/sources")
	for _, s := range []string{`id="dept-tu-phap"`, `id="dept-bhxh"`, "Bảo hiểm xã hội", "Quản trị viên"} {
		if !strings.Contains(p.body, s) {
			t.Errorf("the administrator's sources page lacks %s:\n%s", s, p.body)
		}
	}
	if p := u.get("/console/sources/new"); !strings.Contains(p.body, `<option value="bhxh"`) {
		t.Errorf("the registration form offers no department to the administrator:\n%s", p.body)
	}
	if p := u.get("/console/d/bhxh/runs"); p.status != http.StatusOK {
		t.Errorf("the administrator on bhxh's runs: %d", p.status)
	}
}
