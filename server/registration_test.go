package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/server"
	"github.com/lienthong/lienthong/sync/state"
)

// TestRegistrationFlow: a department registers its database through its
// token, uploads, tests and activates a mapping, runs the stream and
// reads its run and rejects back; the answers carry no secret and say
// what the registry holds.
func TestRegistrationFlow(t *testing.T) {
	e := newRegEnv(t)
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)

	a := e.must(t, "POST", "/v1/departments/tu-phap/sources", owner, e.birthSource("ho-tich"), 201)
	var src struct {
		Name, Kind, Origin string
		Revision           int64
		Secret             registry.SecretInfo
		Streams            []struct{ Name, Cursor string }
	}
	a.decode(t, &src)
	if src.Name != "ho-tich" || src.Origin != registry.OriginAPI || !src.Secret.Set || src.Secret.KeyID == "" ||
		len(src.Streams) != 1 || src.Streams[0].Cursor != "updated_at" {
		t.Errorf("registered source: %s", a.body)
	}
	if a.header.Get("ETag") != fmt.Sprintf(`"%d"`, src.Revision) || a.header.Get("Location") != sourcePath {
		t.Errorf("ETag %q Location %q", a.header.Get("ETag"), a.header.Get("Location"))
	}

	var mv registry.MappingVersion
	e.must(t, "POST", streamPath+"/mappings", owner, mappingFile(t, "khai-sinh.yaml"), 201).decode(t, &mv)
	if mv.Version != 1 || mv.Active || mv.Kind != "birth_registration" {
		t.Errorf("uploaded mapping: %+v", mv)
	}
	var rep mappingtest.Report
	e.must(t, "POST", streamPath+"/mappings/1/test?limit=10", owner, nil, 200).decode(t, &rep)
	if rep.Summary.Records != 4 || rep.Summary.Mapped != 3 || rep.Summary.Rejected != 1 {
		t.Errorf("mapping test summary: %+v", rep.Summary)
	}
	e.must(t, "POST", streamPath+"/mappings/1/activate", owner, nil, 200).decode(t, &mv)
	if !mv.Active {
		t.Errorf("activated mapping: %+v", mv)
	}

	var job struct {
		JobID int64 `json:"job_id"`
	}
	e.must(t, "POST", streamPath+"/runs", owner, nil, 202).decode(t, &job)
	var run state.Run
	e.must(t, "GET", fmt.Sprintf("/v1/departments/tu-phap/runs/%d", job.JobID), owner, nil, 200).decode(t, &run)
	if run.Status != state.StatusSucceeded || run.Read != 4 || run.Inserted != 3 || run.Rejected != 1 {
		t.Errorf("run: %+v", run)
	}
	for query, n := range map[string]int{
		"stream=khai-sinh": 1, "field=certificate_number": 1, "kind=birth_registration&reason=bad_certificate_number": 1,
		"field=full_name": 0, "reason=other": 0, "source=other": 0, "kind=person": 0,
	} {
		var rejects struct{ Rejects []state.Reject }
		e.must(t, "GET", "/v1/departments/tu-phap/rejects?"+query, owner, nil, 200).decode(t, &rejects)
		if len(rejects.Rejects) != n || n == 1 && (rejects.Rejects[0].Reason != "bad_certificate_number" || rejects.Rejects[0].SourceKey != "4") {
			t.Errorf("rejects?%s: %+v, want %d", query, rejects.Rejects, n)
		}
	}

	// The CSV export: UTF-8 with a byte-order mark, as an attachment.
	csv := e.must(t, "GET", "/v1/departments/tu-phap/rejects.csv", owner, nil, 200)
	if csv.header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(csv.header.Get("Content-Disposition"), "attachment;") ||
		!bytes.HasPrefix(csv.body, []byte("\ufeff")) || !strings.Contains(string(csv.body), "Đỗ Thị Giang") {
		t.Errorf("CSV: %v\n%s", csv.header, csv.body)
	}

	// Retry: the reject is still rejected by the same mapping.
	var retry state.Run
	e.must(t, "POST", "/v1/departments/tu-phap/rejects/retry", owner, map[string]string{"source": "ho-tich", "stream": "khai-sinh"}, 200).decode(t, &retry)
	if retry.Mode != "retry" || retry.Read != 1 || retry.Rejected != 1 {
		t.Errorf("retry run: %+v", retry)
	}

	// The change log names who did what.
	var changes struct{ Changes []registry.Change }
	e.must(t, "GET", "/v1/changes?department=tu-phap", adminTok, nil, 200).decode(t, &changes)
	var actions []string
	for _, c := range changes.Changes {
		actions = append(actions, c.Actor+":"+c.Action)
	}
	for _, want := range []string{"can-bo:source.create", "can-bo:mapping.activate", "can-bo:run.trigger"} {
		if !slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, want) }) {
			t.Errorf("change log %v lacks %s", actions, want)
		}
	}
	var disc struct{ Streams []struct{ Name string } }
	e.must(t, "GET", sourcePath+"/discover", owner, nil, 200).decode(t, &disc)
	if !slices.ContainsFunc(disc.Streams, func(s struct{ Name string }) bool { return strings.Contains(s.Name, "khai_sinh") }) {
		t.Errorf("discover: %+v", disc.Streams)
	}
}

// TestBadRegistrationNamesField: a registration refused for its content
// answers 422 problem details whose errors name the field at fault (by
// its path in the body) and whose detail says it; one refused by the
// check against the real system lists what failed; nothing is saved.
func TestBadRegistrationNamesField(t *testing.T) {
	e := newRegEnv(t)
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)
	with := func(change func(m map[string]any)) map[string]any {
		m := e.birthSource("sai")
		change(m)
		return m
	}
	stream := func(m map[string]any) map[string]any { return m["streams"].([]any)[0].(map[string]any) }
	for _, c := range []struct {
		name, field string
		body        map[string]any
	}{
		{"a typo in a stream's key", "streams[0].curser", with(func(m map[string]any) {
			delete(stream(m), "cursor")
			stream(m)["curser"] = "updated_at"
		})},
		{"a kind only the operator may declare", "kind", with(func(m map[string]any) { m["kind"] = "exec" })},
		{"no name", "name", with(func(m map[string]any) { delete(m, "name") })},
		{"a bad name", "name", with(func(m map[string]any) { m["name"] = "Hộ Tịch" })},
		{"a password in the DSN", "dsn", with(func(m map[string]any) { delete(m, "secret"); m["dsn"] = e.deptDSN })},
		{"a bad duration", "timeout", with(func(m map[string]any) { m["timeout"] = "soon" })},
		{"a bad mode", "streams[0].mode", with(func(m map[string]any) { stream(m)["mode"] = "sometimes" })},
		{"a secret that is not text", "secret", with(func(m map[string]any) { m["secret"] = 42 })},
	} {
		a := e.do(t, request{method: "POST", path: "/v1/departments/tu-phap/sources", token: owner, body: c.body})
		p := a.problem(t)
		var fields []string
		for _, f := range p.Errors {
			fields = append(fields, f.Field)
		}
		if a.status != http.StatusUnprocessableEntity || !slices.Contains(fields, c.field) || !strings.Contains(p.Detail, c.field) {
			t.Errorf("%s: %d, fields %v, detail %q; want 422 naming %s", c.name, a.status, fields, p.Detail, c.field)
		}
	}

	// The body is valid but the table is not in the department's database.
	missing := e.birthSource("sai")
	stream(missing)["table"] = "khong_co_bang"
	a := e.do(t, request{method: "POST", path: "/v1/departments/tu-phap/sources", token: owner, body: missing})
	p := a.problem(t)
	if a.status != http.StatusUnprocessableEntity || len(p.Problems) == 0 || !strings.Contains(strings.Join(p.Problems, " "), "khong_co_bang") ||
		!strings.Contains(p.Detail, "khong_co_bang") || len(p.Errors) != 0 {
		t.Errorf("check failure: %d %s", a.status, a.body)
	}
	e.must(t, "GET", "/v1/departments/tu-phap/sources/sai", owner, nil, 404)

	// A stream added to a source is judged the same way.
	e.must(t, "POST", "/v1/departments/tu-phap/sources", owner, e.birthSource("ho-tich"), 201)
	a = e.do(t, request{method: "POST", path: sourcePath + "/streams", token: owner,
		body: map[string]any{"name": "moi", "table": "khai_sinh", "primary_key": "id"}})
	if p := a.problem(t); a.status != 422 || len(p.Errors) == 0 || !strings.Contains(p.Detail, "primary_key") {
		t.Errorf("bad stream: %d %s", a.status, a.body)
	}
	// A mapping that does not compile names its line or key.
	a = e.do(t, request{method: "POST", path: streamPath + "/mappings", token: owner, body: "kind: birth_registration\nfields:\n  full_name: nope(ho_ten)\n"})
	if p := a.problem(t); a.status != 422 || !strings.Contains(p.Detail, "full_name") {
		t.Errorf("bad mapping: %d %s", a.status, a.body)
	}
	// Token issuance: an unknown scope is named.
	a = e.do(t, request{method: "POST", path: "/v1/departments/tu-phap/tokens", token: adminTok,
		body: map[string]any{"name": "x", "scopes": []string{"everything"}}})
	if p := a.problem(t); a.status != 422 || !strings.Contains(p.Detail, "scopes") {
		t.Errorf("bad scope: %d %s", a.status, a.body)
	}
	a = e.do(t, request{method: "POST", path: "/v1/departments", token: adminTok, body: map[string]any{"name": "x", "titel": "typo"}})
	if p := a.problem(t); a.status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "titel" {
		t.Errorf("unknown key in a department: %d %s", a.status, a.body)
	}
}

// TestIfMatch: a source or stream changes only with the ETag it was read
// with: 428 without one, 412 with an old one, and the change moves the
// ETag.
func TestIfMatch(t *testing.T) {
	e := newRegEnv(t)
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)
	e.must(t, "POST", "/v1/departments/tu-phap/sources", owner, e.birthSource("ho-tich"), 201)
	for _, c := range []struct {
		path string
		body map[string]any
	}{
		{sourcePath, map[string]any{"name": "ho-tich", "kind": "postgres", "timeout": "1m"}},
		{streamPath, map[string]any{"name": "khai-sinh", "table": "khai_sinh", "primary_key": []string{"id"}, "cursor": "updated_at", "schedule": "@hourly"}},
	} {
		tag := e.must(t, "GET", c.path, owner, nil, 200).header.Get("ETag")
		if a := e.do(t, request{method: "PUT", path: c.path, token: owner, body: c.body}); a.status != http.StatusPreconditionRequired {
			t.Errorf("PUT %s without If-Match: %d %s", c.path, a.status, a.body)
		}
		a := e.do(t, request{method: "PUT", path: c.path, token: owner, body: c.body, header: map[string]string{"If-Match": tag}})
		if a.status != 200 || a.header.Get("ETag") == tag || a.header.Get("ETag") == "" {
			t.Fatalf("PUT %s with If-Match %s: %d ETag %q %s", c.path, tag, a.status, a.header.Get("ETag"), a.body)
		}
		if a := e.do(t, request{method: "PUT", path: c.path, token: owner, body: c.body, header: map[string]string{"If-Match": tag}}); a.status != http.StatusPreconditionFailed {
			t.Errorf("PUT %s with the old ETag: %d %s", c.path, a.status, a.body)
		}
		if a := e.do(t, request{method: "PUT", path: c.path, token: owner, body: c.body, header: map[string]string{"If-Match": "*"}}); a.status != http.StatusPreconditionFailed {
			t.Errorf("PUT %s with If-Match *: %d %s", c.path, a.status, a.body)
		}
	}
	var src struct{ Timeout string }
	e.must(t, "GET", sourcePath, owner, nil, 200).decode(t, &src)
	if src.Timeout != "1m0s" {
		t.Errorf("the source's timeout after PUT: %q", src.Timeout)
	}
}

// TestBodyLimit: a source or a mapping over the body limit is refused
// with 413 problem details, whether it says its length or not.
func TestBodyLimit(t *testing.T) {
	e := newRegEnv(t, func(o *server.Options) { o.MaxBody = 4096 })
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)
	big := e.birthSource("lon")
	big["options"] = map[string]any{"note": strings.Repeat("x", 5000)}
	if a := e.do(t, request{method: "POST", path: "/v1/departments/tu-phap/sources", token: owner, body: big}); a.status != 413 || a.problem(t).Status != 413 {
		t.Errorf("big source: %d %s", a.status, a.body)
	}
	e.must(t, "POST", "/v1/departments/tu-phap/sources", owner, e.birthSource("ho-tich"), 201)
	// Sent chunked, without a length: the limit is found while reading.
	req, _ := http.NewRequest("POST", e.srv.URL+streamPath+"/mappings", io.MultiReader(strings.NewReader(strings.Repeat("# comment\n", 1000))))
	req.Header.Set("Authorization", "Bearer "+owner)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/problem+json" || req.ContentLength != 0 {
		t.Errorf("big mapping sent chunked: %d %s (length %d)", resp.StatusCode, body, req.ContentLength)
	}
	if _, err := e.reg.Mappings(context.Background(), "tu-phap", "ho-tich", "khai-sinh"); err != nil {
		t.Fatal(err)
	}
}

// TestRunEvents follows a run as server-sent events: the run at once,
// again when its counts change, and again when it ends, then the end of
// the stream; the answer outlives the request deadline (here 100ms) and
// follows a run of another department only for the administrator.
func TestRunEvents(t *testing.T) {
	// The request deadline is short, and the follow outlives it below; it
	// is long enough for the set-up's requests on a loaded machine.
	const deadline = 2 * time.Second
	e := newRegEnv(t, func(o *server.Options) { o.Timeout = deadline })
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)
	other := e.token(t, "bhxh", "can-bo-bhxh", ops.DepartmentScopes...)
	ctx := context.Background()
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}
	run, err := e.st.StartRun(ctx, ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/v1/departments/tu-phap/runs/%d/events", run.ID)
	e.must(t, "GET", path, other, nil, 404)
	e.must(t, "GET", fmt.Sprintf("/v1/departments/bhxh/runs/%d/events", run.ID), adminTok, nil, 404)

	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+owner)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	next := func() state.Run {
		t.Helper()
		var event, data string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("the event stream ended: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "" && data != "":
				if event != "run" {
					t.Fatalf("event %q", event)
				}
				var r state.Run
				if err := json.Unmarshal([]byte(data), &r); err != nil {
					t.Fatal(err)
				}
				return r
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			}
		}
	}
	if r := next(); r.ID != run.ID || r.Status != state.StatusRunning || r.Read != 0 {
		t.Errorf("first event: %+v", r)
	}
	time.Sleep(deadline + deadline/4) // past the request deadline, the follow goes on
	if err := e.st.CommitBatch(ctx, run.ID, ref, state.Batch{Checkpoint: json.RawMessage(`{"cursor":"1"}`),
		Counts: state.Counts{Read: 2, Inserted: 2}}); err != nil {
		t.Fatal(err)
	}
	if r := next(); r.Status != state.StatusRunning || r.Read != 2 || r.Inserted != 2 {
		t.Errorf("event after a batch: %+v", r)
	}
	if err := e.st.FinishRun(ctx, run.ID, ref, state.Finish{Status: state.StatusSucceeded, ReadSource: true}); err != nil {
		t.Fatal(err)
	}
	if r := next(); r.Status != state.StatusSucceeded || r.EndedAt == nil {
		t.Errorf("last event: %+v", r)
	}
	if rest, err := io.ReadAll(rd); err != nil || strings.TrimSpace(string(rest)) != "" {
		t.Errorf("after the run ended: %q %v", rest, err)
	}

	// A follower that goes away ends the handler, though the run goes on:
	// its request is then logged (the log line is written on return).
	run2, err := e.st.StartRun(ctx, state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khac"}, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	path2 := fmt.Sprintf("/v1/departments/tu-phap/runs/%d/events", run2.ID)
	cctx, cancel := context.WithCancel(ctx)
	req, _ = http.NewRequestWithContext(cctx, "GET", e.srv.URL+path2, nil)
	req.Header.Set("Authorization", "Bearer "+owner)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(resp2.Body).ReadString('\n'); err != nil || line != "event: run\n" {
		t.Fatalf("second follower: %q %v", line, err)
	}
	if strings.Contains(e.logs.String(), `"path":"`+path2+`"`) {
		t.Fatal("the follow ended while the run and its follower were there")
	}
	cancel()
	resp2.Body.Close()
	for !strings.Contains(e.logs.String(), `"path":"`+path2+`"`) {
		time.Sleep(10 * time.Millisecond) // the test's own timeout bounds this wait
	}
}

// TestConsoleMounted: the console given in Options serves /console/ behind
// the same middleware (request ids, logging); without one, /console/ is
// not found.
func TestConsoleMounted(t *testing.T) {
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "console "+r.URL.Path) })
	e := newRegEnv(t, func(o *server.Options) { o.Console = console })
	resp, err := http.Get(e.srv.URL + "/console/dang-nhap?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "console /console/dang-nhap" || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("console: %d %q request id %q", resp.StatusCode, body, resp.Header.Get("X-Request-Id"))
	}
	none := newRegEnv(t)
	resp, err = http.Get(none.srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("no console: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestRegistryChecks: migrated, the registry is ready; one migration
// behind the binary, it is not.
func TestRegistryChecks(t *testing.T) {
	e := newRegEnv(t)
	check := server.RegistryChecks(e.reg, e.clients)["registry_migrations"]
	if err := check(t.Context()); err != nil {
		t.Errorf("migrated: %v", err)
	}
	if _, err := e.db.ExecContext(t.Context(), `DELETE FROM lienthong_migrations WHERE set_name = 'clients' AND version = 2`); err != nil {
		t.Fatal(err)
	}
	if err := check(t.Context()); err == nil || !strings.Contains(err.Error(), "1 client register migrations pending") {
		t.Errorf("one pending: %v", err)
	}
}

// TestRunEventsHeartbeat: while a followed run changes nothing, the
// stream sends comment lines, so that proxies keep the connection.
func TestRunEventsHeartbeat(t *testing.T) {
	e := newRegEnv(t, func(o *server.Options) { server.Heartbeat(o, 50*time.Millisecond) })
	run, err := e.st.StartRun(t.Context(), state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/departments/tu-phap/runs/%d/events", e.srv.URL, run.ID), nil)
	req.Header.Set("Authorization", "Bearer "+adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for beats := 0; beats < 2; {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended before two heartbeats: %v", err)
		}
		if line == ": heartbeat\n" {
			beats++
		}
	}
}
