package server_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong"
	"github.com/lienthong/lienthong/server"
)

// TestOpenAPI: the pre-fill routes' answers, successes and problems, are
// as docs/openapi.yaml describes them.
func TestOpenAPI(t *testing.T) {
	_, router := openSpec(t)
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
			{"", "/healthz"},
			{"", "/metrics"},
			{"", "/v1/openapi.yaml"},
			{adminTok, "/v1/streams"},
			{adminTok, "/v1/runs?limit=2"},
			{adminTok, "/v1/runs/1"},
			{"", "/v1/runs"},
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
			validate(t, router, req, nil, resp, body)
		}
	})
}

// TestRoutesMatchSpec: every route the server serves is in
// docs/openapi.yaml with its method, and every operation there is a route:
// neither can grow without the other. The demo forms and the console are
// HTML pages for people, outside the API.
func TestRoutesMatchSpec(t *testing.T) {
	doc, _ := openSpec(t)
	var described []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+path)
		}
	}
	var served []string
	for _, p := range server.Patterns(server.Options{Gatherer: prometheus.NewRegistry(), Console: http.NotFoundHandler()}) {
		method, path, ok := strings.Cut(p, " ")
		if !ok || strings.HasPrefix(path, "/forms/") {
			continue // the catch-all, the console; the demo forms
		}
		served = append(served, method+" "+path)
	}
	slices.Sort(described)
	slices.Sort(served)
	for _, r := range served {
		if !slices.Contains(described, r) {
			t.Errorf("%s is served but not in docs/openapi.yaml", r)
		}
	}
	for _, r := range described {
		if !slices.Contains(served, r) {
			t.Errorf("%s is in docs/openapi.yaml but not served", r)
		}
	}
	if len(served) < 40 {
		t.Errorf("only %d routes found: %v", len(served), served)
	}
}

// TestOpenAPIServed: GET /v1/openapi.yaml, without a token, answers the
// repository's docs/openapi.yaml byte for byte.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, "file:"+filepath.Join(t.TempDir(), "x.db"), server.Options{})
	resp, err := http.Get(e.srv.URL + "/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	file, err := os.ReadFile(filepath.Join("..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/yaml" || !bytes.Equal(body, file) ||
		!bytes.Equal(body, lienthong.OpenAPI) || !bytes.HasPrefix(body, []byte("openapi: 3.1")) {
		t.Errorf("GET /v1/openapi.yaml: %d %s, %d bytes; the file has %d", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(file))
	}
}
