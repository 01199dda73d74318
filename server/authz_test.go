package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/sync/state"
)

// Who calls, in the order the authorisation test calls each route: the
// refusals first, so that a route that changes something succeeds last.
var callers = []string{"none", "expired", "revoked", "other", "noscope", "owner", "admin"}

// access is what a route asks of its caller.
type access int

const (
	public    access = iota // no token: everyone
	adminOnly               // the administrator's token
	scoped                  // admin, or the owning department's token with the scope
	anyScope                // admin, or any token of the owning department
	ledger                  // the run ledger: admin all, a department with runs:read its own
	ledgerRun               // one run of the ledger: another department's is not found
	prefill                 // the portal's pre-fill: a portal client with the prefill scope
	auditRead               // a citizen's access report: admin or audit:subject
)

// want is the status each caller gets from a route of access a that
// succeeds with ok.
func want(a access, ok int, caller string) int {
	switch caller {
	case "none", "expired", "revoked":
		if a == public {
			return ok
		}
		return http.StatusUnauthorized
	}
	switch a {
	case public:
		return ok
	case adminOnly:
		if caller == "admin" {
			return ok
		}
		return http.StatusForbidden
	case scoped, anyScope, ledgerRun:
		switch caller {
		case "admin", "owner":
			return ok
		case "other":
			return http.StatusNotFound
		case "noscope":
			if a == anyScope {
				return ok
			}
			return http.StatusForbidden
		}
	case ledger:
		if caller == "noscope" {
			return http.StatusForbidden
		}
		return ok
	case prefill:
		return http.StatusForbidden
	case auditRead:
		if caller == "admin" {
			return ok
		}
		return http.StatusForbidden
	}
	panic("unknown access")
}

// authRoute is one route of the table with what it needs.
type authRoute struct {
	method string
	path   func() string
	body   func() any
	header func() map[string]string
	access access
	// scope is the scope the route needs (the noscope caller lacks it).
	scope string
	ok    int
	// prepare, when set, runs before each call that must succeed: it
	// makes what the call removes, or removes what it makes.
	prepare func(t *testing.T)
}

func fixed(p string) func() string { return func() string { return p } }

// TestAuthorisation walks every route with the administrator's token, the
// owning department's token, another department's, the owner's without
// the route's scope, an expired token, a revoked one and none, and checks
// each answer against the table: admin-only routes refuse department
// tokens (403), another department's objects do not exist (404), a token
// without the scope is refused (403), and no valid token is 401 with
// WWW-Authenticate. Every answer is also checked against docs/openapi.yaml.
func TestAuthorisation(t *testing.T) {
	e := newRegEnv(t)
	tokens := e.authTokens(t)
	routes := e.authRoutes(t, tokens["owner"])
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.method+" "+routePattern(rt.path())] = true
		for _, caller := range callers {
			tok := tokens[caller]
			if caller == "noscope" {
				tok = tokens["noscope:"+rt.scope]
			}
			status := want(rt.access, rt.ok, caller)
			if status < 300 && rt.prepare != nil {
				rt.prepare(t)
			}
			q := request{method: rt.method, path: rt.path(), token: tok}
			if rt.body != nil {
				q.body = rt.body()
			}
			if rt.header != nil {
				q.header = rt.header()
			}
			a := e.do(t, q)
			if a.status != status {
				t.Errorf("%s %s as %s: %d, want %d: %s", q.method, q.path, caller, a.status, status, a.body)
			}
			if a.status == http.StatusUnauthorized && a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s as %s: 401 without WWW-Authenticate", q.method, q.path, caller)
			}
		}
	}
	// The table covers every route of the API.
	doc, _ := openSpec(t)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !seen[method+" "+path] {
				t.Errorf("the authorisation table lacks %s %s", method, path)
			}
		}
	}
}

// authTokens issues the callers' tokens: the owner's (tu-phap, every
// scope), another department's (bhxh, every scope), the owner's
// department's with only sources:read or only runs:read (the noscope
// caller of a route is the one without its scope), an expired and a
// revoked one of tu-phap with every scope.
func (e *regEnv) authTokens(t *testing.T) map[string]string {
	tok := map[string]string{"admin": adminTok, "none": ""}
	tok["owner"] = e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)
	tok["other"] = e.token(t, "bhxh", "can-bo-bhxh", ops.DepartmentScopes...)
	onlySources := e.token(t, "tu-phap", "chi-doc", ops.ScopeSourcesRead)
	onlyRuns := e.token(t, "tu-phap", "chi-xem-chay", ops.ScopeRunsRead)
	for _, s := range append(ops.DepartmentScopes, "", "prefill", "audit:subject") {
		tok["noscope:"+s] = onlySources
	}
	tok["noscope:"+ops.ScopeSourcesRead] = onlyRuns
	tok["expired"] = e.expiredToken(t, "tu-phap", "het-han")
	tok["revoked"] = e.token(t, "tu-phap", "thu-hoi", ops.DepartmentScopes...)
	e.must(t, "DELETE", "/v1/departments/tu-phap/tokens/thu-hoi", adminTok, nil, 204)
	return tok
}

// routePattern turns a concrete path of the table into its pattern in
// docs/openapi.yaml.
func routePattern(p string) string {
	for _, r := range []struct{ from, to string }{
		{"/v1/departments/tu-phap/sources/ho-tich/streams/khai-sinh/mappings/1", "/v1/departments/{dept}/sources/{source}/streams/{stream}/mappings/{version}"},
		{"/v1/departments/tu-phap/sources/ho-tich/streams/khai-sinh", "/v1/departments/{dept}/sources/{source}/streams/{stream}"},
		{"/v1/departments/tu-phap/sources/ho-tich/streams/xoa-st", "/v1/departments/{dept}/sources/{source}/streams/{stream}"},
		{"/v1/departments/tu-phap/sources/ho-tich", "/v1/departments/{dept}/sources/{source}"},
		{"/v1/departments/tu-phap/sources/xoa-nguon", "/v1/departments/{dept}/sources/{source}"},
		{"/v1/departments/tu-phap/tokens/", "/v1/departments/{dept}/tokens/{name}"},
		{"/v1/departments/tu-phap/runs/", "/v1/departments/{dept}/runs/{id}"},
		{"/v1/departments/tu-phap", "/v1/departments/{dept}"},
		{"/v1/departments/xoa", "/v1/departments/{dept}"},
		{"/v1/runs/", "/v1/runs/{id}"},
		{"/v1/prefill/", "/v1/prefill/{id_number}"},
		{"/v1/audit/subjects/", "/v1/audit/subjects/{id_number}"},
	} {
		if len(p) >= len(r.from) && p[:len(r.from)] == r.from {
			rest := p[len(r.from):]
			if i := indexAny(rest, "?"); i >= 0 {
				rest = rest[:i]
			}
			// Drop the concrete segment a trailing "/" stands for.
			if r.from[len(r.from)-1] == '/' {
				if i := indexAny(rest, "/"); i >= 0 {
					rest = rest[i:]
				} else {
					rest = ""
				}
			}
			return r.to + rest
		}
	}
	if i := indexAny(p, "?"); i >= 0 {
		return p[:i]
	}
	return p
}

func indexAny(s, chars string) int {
	for i := range s {
		for _, c := range chars {
			if rune(s[i]) == c {
				return i
			}
		}
	}
	return -1
}

// authRoutes is the table: every route, with a path to objects of
// tu-phap registered by its owner.
func (e *regEnv) authRoutes(t *testing.T, owner string) []authRoute {
	ctx := context.Background()
	admin := ops.Caller{Admin: true}
	done := e.registerBirths(t, owner)
	runPath := fmt.Sprintf("/v1/departments/tu-phap/runs/%d", done.ID)
	// running is a run in progress to cancel; each cancel gets a new one.
	first, err := e.st.StartRun(ctx, state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "huy-0"}, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	running := first.ID
	n := 0
	tokenName := "tam-0"
	revision := func(path string) func() map[string]string {
		return func() map[string]string {
			var v struct{ Revision int64 }
			e.must(t, "GET", path, adminTok, nil, 200).decode(t, &v)
			return map[string]string{"If-Match": fmt.Sprintf(`"%d"`, v.Revision)}
		}
	}
	body := func(v any) func() any { return func() any { return v } }
	streamBody := func(name string) map[string]any {
		return map[string]any{"name": name, "table": "khai_sinh", "primary_key": []string{"id"}, "cursor": "updated_at", "kind": "birth_registration"}
	}
	return []authRoute{
		{method: "GET", path: fixed("/healthz"), access: public, ok: 200},
		{method: "GET", path: fixed("/readyz"), access: public, ok: 200},
		{method: "GET", path: fixed("/metrics"), access: public, ok: 200},
		{method: "GET", path: fixed("/v1/openapi.yaml"), access: public, ok: 200},
		{method: "GET", path: fixed("/v1/forms"), access: public, ok: 200},
		{method: "GET", path: fixed(prefillPath(citizen, "cap-lai-the-bhyt", "p", "HS-1")), access: prefill, scope: "prefill", ok: 200},
		{method: "GET", path: fixed("/v1/audit/subjects/" + citizen), access: auditRead, scope: "audit:subject", ok: 200},

		{method: "GET", path: fixed("/v1/streams"), access: ledger, scope: ops.ScopeRunsRead, ok: 200},
		{method: "GET", path: fixed("/v1/runs"), access: ledger, scope: ops.ScopeRunsRead, ok: 200},
		{method: "GET", path: fixed(fmt.Sprintf("/v1/runs/%d", done.ID)), access: ledgerRun, scope: ops.ScopeRunsRead, ok: 200},
		{method: "GET", path: fixed("/v1/changes"), access: adminOnly, ok: 200},

		{method: "GET", path: fixed("/v1/departments"), access: adminOnly, ok: 200},
		{method: "POST", path: fixed("/v1/departments"), access: adminOnly, ok: 201,
			body: body(map[string]string{"name": "so-moi", "title": "Sở mới"})},
		{method: "GET", path: fixed("/v1/departments/tu-phap"), access: anyScope, ok: 200},
		{method: "DELETE", path: fixed("/v1/departments/xoa"), access: adminOnly, ok: 204, prepare: func(t *testing.T) {
			e.must(t, "POST", "/v1/departments", adminTok, map[string]string{"name": "xoa", "title": "Sở tạm"}, 201)
		}},
		{method: "GET", path: fixed("/v1/departments/tu-phap/tokens"), access: adminOnly, ok: 200},
		{method: "POST", path: fixed("/v1/departments/tu-phap/tokens"), access: adminOnly, ok: 201,
			body: body(map[string]any{"name": "moi", "scopes": []string{ops.ScopeRunsRead}, "expires_at": "2099-01-01T00:00:00Z"})},
		{method: "DELETE", path: func() string { return "/v1/departments/tu-phap/tokens/" + tokenName }, access: adminOnly, ok: 204,
			prepare: func(t *testing.T) {
				n++
				tokenName = fmt.Sprintf("tam-%d", n)
				if _, err := e.ops.IssueToken(ctx, admin, "tu-phap", tokenName, []string{ops.ScopeRunsRead}, nil); err != nil {
					t.Fatal(err)
				}
			}},

		{method: "GET", path: fixed("/v1/departments/tu-phap/sources"), access: scoped, scope: ops.ScopeSourcesRead, ok: 200},
		{method: "POST", path: fixed("/v1/departments/tu-phap/sources"), access: scoped, scope: ops.ScopeSourcesWrite, ok: 201,
			body:    func() any { return e.birthSource("moi") },
			prepare: func(t *testing.T) { e.ops.DeleteSource(ctx, admin, "tu-phap", "moi") }},
		{method: "GET", path: fixed(sourcePath), access: scoped, scope: ops.ScopeSourcesRead, ok: 200},
		{method: "PUT", path: fixed(sourcePath), access: scoped, scope: ops.ScopeSourcesWrite, ok: 200,
			body: body(map[string]any{"name": "ho-tich", "kind": "postgres", "timeout": "45s"}), header: revision(sourcePath)},
		{method: "DELETE", path: fixed("/v1/departments/tu-phap/sources/xoa-nguon"), access: scoped, scope: ops.ScopeSourcesWrite, ok: 204,
			prepare: func(t *testing.T) {
				e.must(t, "POST", "/v1/departments/tu-phap/sources", adminTok, map[string]any{"name": "xoa-nguon", "kind": "postgres", "secret": e.deptDSN}, 201)
			}},
		{method: "GET", path: fixed(sourcePath + "/discover"), access: scoped, scope: ops.ScopeSourcesRead, ok: 200},
		{method: "POST", path: fixed(sourcePath + "/streams"), access: scoped, scope: ops.ScopeSourcesWrite, ok: 201,
			body: body(streamBody("moi-st")),
			prepare: func(t *testing.T) {
				e.ops.DeleteStream(ctx, admin, state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "moi-st"})
			}},
		{method: "GET", path: fixed(streamPath), access: scoped, scope: ops.ScopeSourcesRead, ok: 200},
		{method: "PUT", path: fixed(streamPath), access: scoped, scope: ops.ScopeSourcesWrite, ok: 200,
			body: body(streamBody("khai-sinh")), header: revision(streamPath)},
		{method: "DELETE", path: fixed(sourcePath + "/streams/xoa-st"), access: scoped, scope: ops.ScopeSourcesWrite, ok: 204,
			prepare: func(t *testing.T) { e.must(t, "POST", sourcePath+"/streams", adminTok, streamBody("xoa-st"), 201) }},

		{method: "GET", path: fixed(streamPath + "/mappings"), access: scoped, scope: ops.ScopeSourcesRead, ok: 200},
		{method: "POST", path: fixed(streamPath + "/mappings"), access: scoped, scope: ops.ScopeMappingsWrite, ok: 201,
			body: func() any { return mappingFile(t, "khai-sinh.yaml") }},
		{method: "GET", path: fixed(streamPath + "/mappings/1"), access: scoped, scope: ops.ScopeSourcesRead, ok: 200},
		{method: "POST", path: fixed(streamPath + "/mappings/1/test?limit=2"), access: scoped, scope: ops.ScopeMappingsWrite, ok: 200},
		{method: "POST", path: fixed(streamPath + "/mappings/1/activate"), access: scoped, scope: ops.ScopeMappingsWrite, ok: 200},
		{method: "POST", path: fixed(streamPath + "/runs"), access: scoped, scope: ops.ScopeRunsWrite, ok: 202},

		{method: "GET", path: fixed("/v1/departments/tu-phap/runs?stream=khai-sinh&limit=5"), access: scoped, scope: ops.ScopeRunsRead, ok: 200},
		{method: "GET", path: fixed(runPath), access: scoped, scope: ops.ScopeRunsRead, ok: 200},
		{method: "GET", path: fixed(runPath + "/events"), access: scoped, scope: ops.ScopeRunsRead, ok: 200},
		{method: "POST", path: func() string { return fmt.Sprintf("/v1/departments/tu-phap/runs/%d/cancel", running) },
			access: scoped, scope: ops.ScopeRunsWrite, ok: 202, prepare: func(t *testing.T) {
				n++
				run, err := e.st.StartRun(ctx, state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: fmt.Sprintf("huy-%d", n)}, "incremental")
				if err != nil {
					t.Fatal(err)
				}
				running = run.ID
			}},
		{method: "GET", path: fixed("/v1/departments/tu-phap/rejects?reason=bad_certificate_number"), access: scoped, scope: ops.ScopeRejectsRead, ok: 200},
		{method: "GET", path: fixed("/v1/departments/tu-phap/rejects.csv"), access: scoped, scope: ops.ScopeRejectsRead, ok: 200},
		{method: "POST", path: fixed("/v1/departments/tu-phap/rejects/retry"), access: scoped, scope: ops.ScopeRejectsWrite, ok: 200,
			body: body(map[string]string{"source": "ho-tich", "stream": "khai-sinh"})},
	}
}
