package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/sync/state"
)

// TestServeSecretsNeverLeave runs the full scenario against lienthong
// serve itself (the real Systems of internal/cli: its check, mapping
// test, scheduler and engine): two departments register a database with
// its password and an API with its token, run them through the
// scheduler, fail registrations on purpose and read everything back.
// Every line serve logged, every answer and the metrics are free of both
// secrets, and every answer is as docs/openapi.yaml describes it.
func TestServeSecretsNeverLeave(t *testing.T) {
	ctx := context.Background()
	_, router := openSpec(t)
	stderr := &testio.Buffer{}
	var answers bytes.Buffer

	deptDSN := testdb.Postgres(t)
	dept, err := sql.Open("postgres", deptDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer dept.Close()
	if _, err := dept.Exec(birthsTable); err != nil {
		t.Fatal(err)
	}
	secretDSN := strings.Replace(deptDSN, "postgres@", "postgres:"+deptPassword+"@", 1)
	api := newTokenCardAPI(t)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "lienthong.yaml")
	if err := os.WriteFile(cfg, []byte(`national:
  dsn_env: LT_NATIONAL_DSN
batch:
  size: 50
  period: 5s
registration:
  kinds: [postgres, httpjson]
  allow_networks: [127.0.0.0/8]
serve:
  max_concurrent_runs: 2
  shutdown_grace: 5s
`), 0o644); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	vars := map[string]string{
		"LT_NATIONAL_DSN":         testdb.Postgres(t),
		"LIENTHONG_ADMIN_TOKEN":   adminTok,
		"LIENTHONG_SECRET_KEYS":   "k1:" + base64.StdEncoding.EncodeToString(key),
		"LIENTHONG_PLAN_INTERVAL": "1s",
		"LIENTHONG_POLL_INTERVAL": "200ms",
		"LIENTHONG_BUSY_WAIT":     "500ms",
		"LIENTHONG_ORPHAN_AFTER":  "5s",
		"LIENTHONG_LOG_LEVEL":     "debug",
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	base := "http://" + addr
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan int, 1)
	go func() {
		stopped <- cli.Main(runCtx, []string{"serve", "--config", cfg, "--listen", addr},
			cli.Env{Stdout: io.Discard, Stderr: stderr, Getenv: func(k string) string { return vars[k] }})
	}()
	defer func() {
		stop()
		<-stopped
	}()
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case code := <-stopped:
			t.Fatalf("lienthong serve exited with %d:\n%s", code, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}

	call := func(method, path, token string, body any, status int) answer {
		t.Helper()
		var b []byte
		ct := "application/json"
		switch v := body.(type) {
		case nil:
		case []byte:
			b, ct = v, "application/yaml"
		default:
			b, _ = json.Marshal(v)
		}
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		if b != nil {
			req.Header.Set("Content-Type", ct)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(&answers, "%s %s %d\n%s\n", method, path, resp.StatusCode, got)
		vreq, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		vreq.Header = req.Header.Clone()
		validate(t, router, vreq, b, resp, got)
		if status != 0 && resp.StatusCode != status {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, got)
		}
		return answer{status: resp.StatusCode, header: resp.Header, body: got}
	}
	issue := func(dept, name string) string {
		var nt struct{ Token string }
		call("POST", "/v1/departments/"+dept+"/tokens", adminTok, map[string]any{"name": name, "scopes": ops.DepartmentScopes}, 201).decode(t, &nt)
		return nt.Token
	}
	call("POST", "/v1/departments", adminTok, map[string]string{"name": "tu-phap", "title": "Sở Tư pháp tỉnh Hà Tĩnh"}, 201)
	call("POST", "/v1/departments", adminTok, map[string]string{"name": "bhxh", "title": "Bảo hiểm xã hội tỉnh Hà Tĩnh"}, 201)
	owner, bhxh := issue("tu-phap", "can-bo"), issue("bhxh", "can-bo-bhxh")

	births := map[string]any{"name": "ho-tich", "kind": "postgres", "secret": secretDSN,
		"streams": []any{map[string]any{"name": "khai-sinh", "table": "khai_sinh", "primary_key": []string{"id"}, "cursor": "updated_at"}}}
	cards := map[string]any{"name": "the-bhyt-api", "kind": "httpjson", "secret": apiToken,
		"options": map[string]any{"base_url": api.URL, "records_path": "data.items", "auth": map[string]any{"type": "bearer"},
			"pagination": map[string]any{"type": "page", "size_param": "page_size"}},
		"streams": []any{map[string]any{"name": "the-bhyt", "table": "the-bhyt", "primary_key": []string{"maThe"}, "mode": "full_refresh"}}}
	call("POST", "/v1/departments/tu-phap/sources", owner, births, 201)
	call("POST", "/v1/departments/bhxh/sources", bhxh, cards, 201)

	// Refused: a database that is not there, an API that refuses the
	// token; both carry a secret.
	wrongDB := map[string]any{"name": "sai", "kind": "postgres", "secret": strings.Replace(secretDSN, "/lt_test_", "/khong_co_", 1),
		"streams": births["streams"]}
	call("POST", "/v1/departments/tu-phap/sources", owner, wrongDB, 422)
	wrongAPI := map[string]any{"name": "sai", "kind": "httpjson", "secret": apiToken + "-cu", "options": cards["options"], "streams": cards["streams"]}
	call("POST", "/v1/departments/bhxh/sources", bhxh, wrongAPI, 422)

	type stream struct{ dept, token, path, mapping string }
	for _, s := range []stream{
		{"tu-phap", owner, "/v1/departments/tu-phap/sources/ho-tich/streams/khai-sinh", "khai-sinh.yaml"},
		{"bhxh", bhxh, "/v1/departments/bhxh/sources/the-bhyt-api/streams/the-bhyt", "the-bhyt.yaml"},
	} {
		call("POST", s.path+"/mappings", s.token, mappingFile(t, s.mapping), 201)
		call("POST", s.path+"/mappings/1/test?limit=5", s.token, nil, 200)
		call("POST", s.path+"/mappings/1/activate", s.token, nil, 200)
		call("POST", s.path+"/runs", s.token, nil, 202)
	}
	// The scheduler runs them; wait for both runs to end.
	for _, s := range []struct{ dept, token string }{{"tu-phap", owner}, {"bhxh", bhxh}} {
		for {
			var list struct{ Runs []state.Run }
			call("GET", "/v1/departments/"+s.dept+"/runs", s.token, nil, 200).decode(t, &list)
			if len(list.Runs) > 0 && list.Runs[0].Status != state.StatusRunning {
				if list.Runs[0].Status != state.StatusSucceeded {
					t.Fatalf("%s's run: %+v", s.dept, list.Runs[0])
				}
				call("GET", fmt.Sprintf("/v1/departments/%s/runs/%d/events", s.dept, list.Runs[0].ID), s.token, nil, 200)
				break
			}
			select {
			case code := <-stopped:
				t.Fatalf("serve exited with %d", code)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	for _, p := range []string{"", "/ho-tich", "/ho-tich/discover", "/ho-tich/streams/khai-sinh", "/ho-tich/streams/khai-sinh/mappings",
		"/ho-tich/streams/khai-sinh/mappings/1"} {
		call("GET", "/v1/departments/tu-phap/sources"+p, owner, nil, 200)
	}
	call("GET", "/v1/departments/bhxh/sources/the-bhyt-api", bhxh, nil, 200)
	call("GET", "/v1/departments/tu-phap/rejects", owner, nil, 200)
	call("GET", "/v1/departments/tu-phap/rejects.csv", owner, nil, 200)
	call("POST", "/v1/departments/tu-phap/rejects/retry", owner, map[string]string{"source": "ho-tich", "stream": "khai-sinh"}, 200)
	call("GET", "/v1/departments/tu-phap/sources/ho-tich", bhxh, nil, 404)
	call("GET", "/v1/changes", adminTok, nil, 200)
	call("GET", "/v1/runs", adminTok, nil, 200)
	call("GET", "/v1/streams", owner, nil, 200)
	metricsText := call("GET", "/metrics", "", nil, 200)
	if !strings.Contains(string(metricsText.body), "lienthong_") {
		t.Errorf("no lienthong metrics: %.300s", metricsText.body)
	}
	stop()
	if code := <-stopped; code != 0 {
		t.Errorf("serve exited with %d", code)
	}
	stopped <- 0

	logs := stderr.String()
	if !strings.Contains(logs, "source registered") || !strings.Contains(logs, "http request") {
		t.Fatalf("serve logged too little to prove anything:\n%s", logs)
	}
	for what, secret := range map[string]string{"the database password": deptPassword, "the API token": apiToken, "the DSN": secretDSN} {
		if strings.Contains(logs, secret) {
			t.Errorf("%s is in serve's log", what)
		}
		if strings.Contains(answers.String(), secret) {
			t.Errorf("%s is in an answer", what)
		}
	}
}
