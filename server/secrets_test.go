package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/sync/state"
)

// TestSecretsNeverLeave registers a database with its password and an API
// with its token, runs both, fails registrations on purpose, changes a
// secret, and reads everything back through every route as every caller.
// Then neither secret is in any line the server, ops, the engine or the
// connectors logged, in any answer, in the metrics, or in clear in any
// table of the state store.
func TestSecretsNeverLeave(t *testing.T) {
	e := newRegEnv(t)
	ctx := context.Background()
	tokens := e.authTokens(t)
	bhxh := tokens["other"]

	// The card API, registered by its department with its token.
	a := e.must(t, "POST", "/v1/departments/bhxh/sources", bhxh, e.cardSource(), 201)
	if !strings.Contains(string(a.body), `"set": true`) && !strings.Contains(string(a.body), `"set":true`) {
		t.Errorf("the card API's secret is not set: %s", a.body)
	}
	e.must(t, "POST", apiPath+"/streams/the-bhyt/mappings", bhxh, mappingFile(t, "the-bhyt.yaml"), 201)
	e.must(t, "POST", apiPath+"/streams/the-bhyt/mappings/1/test", bhxh, nil, 200)
	e.must(t, "POST", apiPath+"/streams/the-bhyt/mappings/1/activate", bhxh, nil, 200)
	var job struct {
		JobID int64 `json:"job_id"`
	}
	e.must(t, "POST", apiPath+"/streams/the-bhyt/runs", bhxh, nil, 202).decode(t, &job)
	var run state.Run
	e.must(t, "GET", fmt.Sprintf("/v1/departments/bhxh/runs/%d", job.JobID), bhxh, nil, 200).decode(t, &run)
	if run.Status != state.StatusSucceeded || run.Read != 5 {
		t.Errorf("the card API's run (it reads only with the token): %+v", run)
	}

	// Registrations refused with a secret in them: a database that is not
	// there, an API that refuses the token, a DSN with its password where
	// the secret belongs, the secret of the wrong type.
	bad := e.birthSource("khong-co")
	bad["secret"] = strings.Replace(e.deptDSN, "/lt_test_", "/khong_co_", 1)
	e.must(t, "POST", "/v1/departments/tu-phap/sources", tokens["owner"], bad, 422)
	wrongAPI := e.cardSource()
	wrongAPI["name"], wrongAPI["secret"] = "api-sai", apiToken+"-cu"
	e.must(t, "POST", "/v1/departments/bhxh/sources", bhxh, wrongAPI, 422)
	inline := map[string]any{"name": "noi-dong", "kind": "postgres", "dsn": e.deptDSN}
	e.must(t, "POST", "/v1/departments/tu-phap/sources", tokens["owner"], inline, 422)
	typed := map[string]any{"name": "kieu-sai", "kind": "postgres", "secret": []string{apiToken}}
	e.must(t, "POST", "/v1/departments/tu-phap/sources", tokens["owner"], typed, 422)

	// Every route, by every caller (the births register is registered
	// there with its password and run).
	for _, rt := range e.authRoutes(t, tokens["owner"]) {
		for _, caller := range callers {
			tok := tokens[caller]
			if caller == "noscope" {
				tok = tokens["noscope:"+rt.scope]
			}
			if want(rt.access, rt.ok, caller) < 300 && rt.prepare != nil {
				rt.prepare(t)
			}
			q := request{method: rt.method, path: rt.path(), token: tok}
			if rt.body != nil {
				q.body = rt.body()
			}
			if rt.header != nil {
				q.header = rt.header()
			}
			e.do(t, q)
		}
	}

	// A new secret for the card API: the old one and the new one stay out.
	var src struct{ Revision int64 }
	e.must(t, "GET", apiPath, bhxh, nil, 200).decode(t, &src)
	change := e.cardSource()
	change["secret"] = apiToken
	delete(change, "streams")
	changed := e.do(t, request{method: "PUT", path: apiPath, token: bhxh, body: change, header: map[string]string{"If-Match": fmt.Sprintf(`"%d"`, src.Revision)}})
	if changed.status != 200 {
		t.Errorf("PUT the card API with its secret: %d %s", changed.status, changed.body)
	}
	e.must(t, "GET", "/v1/changes?limit=1000", adminTok, nil, 200)
	e.must(t, "GET", "/metrics", "", nil, 200)

	secrets := map[string]string{"the database password": deptPassword, "the API token": apiToken, "the DSN": e.deptDSN}
	logs := e.logs.String()
	if !strings.Contains(logs, "source registered") || !strings.Contains(logs, "http request") || len(logs) < 10000 {
		t.Fatalf("the scenario logged too little to prove anything (%d bytes)", len(logs))
	}
	e.mu.Lock()
	answers := e.bodies.String()
	e.mu.Unlock()
	if !strings.Contains(answers, "lienthong_") || !strings.Contains(answers, `"key_id"`) {
		t.Fatalf("the answers read hold no metrics or no source: %d bytes", len(answers))
	}
	stored := e.storedText(t, ctx)
	for what, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("%s is in the log", what)
		}
		if strings.Contains(answers, secret) {
			t.Errorf("%s is in an answer", what)
		}
		if strings.Contains(stored, secret) {
			t.Errorf("%s is stored in clear", what)
		}
	}
	// The registrations did happen: the secret is sealed, not absent.
	if s, err := e.reg.SourceSecret(ctx, "bhxh", "the-bhyt-api"); err != nil || s != apiToken {
		t.Errorf("the card API's sealed secret does not open to its token: %v", err)
	}
	if _, err := e.reg.Source(ctx, "tu-phap", "khong-co"); err == nil {
		t.Error("a source whose check failed was saved")
	}
}

// storedText is every row of every table of the test's state store, as
// text.
func (e *regEnv) storedText(t *testing.T, ctx context.Context) string {
	t.Helper()
	var tables []string
	if err := e.db.SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	var b strings.Builder
	for _, name := range tables {
		var rows []string
		if err := e.db.SelectContext(ctx, &rows, `SELECT row_to_json(t)::text FROM "`+name+`" t`); err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join(rows, "\n"))
	}
	return b.String()
}
