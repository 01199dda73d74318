package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// spec is docs/openapi-prefill.yaml, loaded and validated once per test.
func spec(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join("..", "docs", "openapi-prefill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi-prefill.yaml: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// conforms checks a request and its answer against the OpenAPI
// description, so the API and its documentation cannot drift apart.
func conforms(t *testing.T, router routers.Router, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	// The description's server is another host; match by path.
	r := req.Clone(context.Background())
	r.URL.Scheme, r.URL.Host, r.Host = "http", "127.0.0.1:8080", "127.0.0.1:8080"
	route, params, err := router.FindRoute(r)
	if err != nil {
		t.Fatalf("%s %s: not in the description: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s answered %d, not as described: %v\n%s", req.Method, req.URL, resp.StatusCode, err, body)
	}
}

// TestOpenAPI: the routes' answers, successes and problems, are as
// docs/openapi-prefill.yaml describes them.
func TestOpenAPI(t *testing.T) {
	router := spec(t)
	eachPrefillDialect(t, false, func(t *testing.T, e *prefillEnv) {
		for _, c := range []struct{ token, path string }{
			{"", "/v1/forms"},
			{e.tokens["portal"], prefillPath(citizen, "cap-lai-the-bhyt", "cấp lại thẻ BHYT", "HS-1")},
			{e.tokens["portal"], prefillPath(citizen, "tro-cap-xa-hoi", "trợ cấp", "HS-2")},
			{e.tokens["portal"], prefillPath(stranger, "khai-sinh-con-thu-hai", "khai sinh", "HS-3")},
			{e.tokens["portal"], prefillPath(citizen, "cap-lai-the-bhyt", "", "HS-1")},
			{"", prefillPath(citizen, "cap-lai-the-bhyt", "p", "HS-1")},
			{e.tokens["auditor"], prefillPath(citizen, "cap-lai-the-bhyt", "p", "HS-1")},
			{e.tokens["portal"], prefillPath(citizen, "nope", "p", "HS-1")},
			{e.tokens["auditor"], "/v1/audit/subjects/" + citizen},
			{adminTok, "/v1/audit/subjects/" + citizen + "?limit=1"},
			{e.tokens["portal"], "/v1/audit/subjects/" + citizen},
		} {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+c.path, nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			conforms(t, router, req, resp, body)
		}
	})
}
