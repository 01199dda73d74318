package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
)

// TestDepartmentSystemDown: once the department's database stops
// answering, discover, a mapping test and a triggered run answer 502 Bad
// Gateway, as problem details that name the operation and the source or
// stream and say what the system did, without its password; no answer
// and no log line holds the password.
func TestDepartmentSystemDown(t *testing.T) {
	e := newRegEnv(t)
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)
	e.registerBirths(t, owner)

	// The department's server moves away: the source's secret now names
	// a port nothing listens on (written to the registry directly: no
	// check would let it through the API).
	ctx := context.Background()
	down := "postgres://postgres:" + deptPassword + "@127.0.0.1:1/khai_sinh?sslmode=disable&connect_timeout=5"
	src, err := e.reg.Source(ctx, "tu-phap", "ho-tich")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.UpdateSource(ctx, registry.Actor{Name: "admin"}, "tu-phap", "ho-tich", src.Revision,
		registry.SourceInput{Spec: src.Spec, Secret: &down}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		method, path, says string
	}{
		{"GET", sourcePath + "/discover", "discover source tu-phap/ho-tich: "},
		{"POST", streamPath + "/mappings/1/test?limit=5", "test mapping version 1 of stream tu-phap/ho-tich/khai-sinh: "},
		{"POST", streamPath + "/runs", "trigger a run of stream tu-phap/ho-tich/khai-sinh: "},
	} {
		t.Run(tc.path, func(t *testing.T) {
			a := e.do(t, request{method: tc.method, path: tc.path, token: owner})
			p := a.problem(t)
			if a.status != http.StatusBadGateway || p.Status != http.StatusBadGateway || a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s %s: %d, want 502 problem details: %s", tc.method, tc.path, a.status, a.body)
			}
			if !strings.HasPrefix(p.Detail, tc.says) || !strings.Contains(p.Detail, "127.0.0.1:1") {
				t.Errorf("detail %q: want it to start %q and say what failed", p.Detail, tc.says)
			}
		})
	}
	for what, text := range map[string]string{"an answer": e.bodies.String(), "the log": e.logs.String()} {
		if strings.Contains(text, deptPassword) {
			t.Errorf("%s holds the source's password", what)
		}
	}
}
