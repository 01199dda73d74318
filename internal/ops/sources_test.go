package ops_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/sync/state"
)

// TestRegistrationFlow walks a department's registration through the
// service as its token: source and stream, check, discover, mapping
// versions (upload, test, activate, roll back), a run, updates at a
// revision, deletion; then every answer, the change log and the log lines
// are searched for the source's password and the tokens.
func TestRegistrationFlow(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	ctx, c := e.ctx, e.own
	var results []any
	keep := func(v any) { results = append(results, v) }

	src, err := e.svc.CreateSource(ctx, c, "tuphap", e.sourceBody("hotich", "khai-sinh"))
	if err != nil {
		t.Fatal(err)
	}
	keep(src)
	if !src.Secret.Set || src.Spec.Kind != "postgres" || src.Origin != "api" || src.Revision != 1 || len(src.Streams) != 1 ||
		src.Streams[0].Spec.Table != "khai_sinh" || src.Streams[0].ActiveMapping != 0 {
		t.Fatalf("created %+v", src)
	}
	b, _ := json.Marshal(src)
	var shown map[string]any
	json.Unmarshal(b, &shown)
	if shown["name"] != "hotich" || shown["kind"] != "postgres" || shown["timeout"] != "1m0s" || shown["secret"].(map[string]any)["set"] != true {
		t.Errorf("the source as JSON: %s", b)
	}
	if st := shown["streams"].([]any)[0].(map[string]any); st["table"] != "khai_sinh" || st["cursor"] != "ngay_cap_nhat" || st["rejects_outstanding"] != 0.0 {
		t.Errorf("the stream as JSON: %v", st)
	}
	if _, err := e.svc.CreateSource(ctx, c, "tuphap", e.sourceBody("hotich")); !errors.Is(err, ops.ErrConflict) {
		t.Errorf("the same source again: %v", err)
	}

	infos, err := e.svc.Discover(ctx, c, "tuphap", "hotich")
	if err != nil {
		t.Fatal(err)
	}
	keep(infos)
	if !slices.ContainsFunc(infos, func(i connectorsInfo) bool { return strings.HasSuffix(i.Name, "khai_sinh") }) {
		t.Errorf("discover: %+v", infos)
	}

	ref := state.Ref{Department: "tuphap", Source: "hotich", Stream: "khai-sinh"}
	if _, err := e.svc.Trigger(ctx, c, ref); !errors.Is(err, ops.ErrConflict) || !strings.Contains(err.Error(), "no active mapping") {
		t.Errorf("a run before a mapping is active: %v", err)
	}
	bad := []byte("kind: birth_registration\nversion: \"1\"\ncolumns: [ho_ten]\nfields:\n  full_name: nosuchfunc(ho_ten)\n")
	_, err = e.svc.UploadMapping(ctx, c, ref, bad)
	var inv *ops.Invalid
	if !errors.As(err, &inv) || !slices.ContainsFunc(inv.Fields, func(f configFieldError) bool {
		return f.Field == "fields.full_name" && strings.Contains(f.Reason, "line 5, column 14: unknown function")
	}) {
		t.Errorf("a mapping that does not compile: %#v", err)
	}
	v1, err := e.svc.UploadMapping(ctx, c, ref, khaiSinh(t))
	if err != nil {
		t.Fatal(err)
	}
	keep(v1)
	if v1.Version != 1 || v1.Active || v1.Kind != "birth_registration" || v1.CreatedBy != "tuphap-all" {
		t.Errorf("version 1: %+v", v1)
	}
	rep, err := e.svc.TestMapping(ctx, c, ref, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Records != 5 || rep.Kind != "birth_registration" {
		t.Errorf("mapping test: %+v", rep.Summary)
	}
	if _, err := e.svc.ActivateMapping(ctx, c, ref, 1); err != nil {
		t.Fatal(err)
	}
	v2, err := e.svc.UploadMapping(ctx, c, ref, append(khaiSinh(t), []byte("\n# v2\n")...))
	if err != nil || v2.Version != 2 {
		t.Fatalf("version 2: %+v %v", v2, err)
	}
	if _, err := e.svc.ActivateMapping(ctx, c, ref, 2); err != nil {
		t.Fatal(err)
	}
	if back, err := e.svc.ActivateMapping(ctx, c, ref, 1); err != nil || !back.Active || back.Version != 1 {
		t.Errorf("roll back to version 1: %+v %v", back, err)
	}
	vs, err := e.svc.Mappings(ctx, c, ref)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions %+v %v", vs, err)
	}
	keep(vs)
	if one, err := e.svc.Mapping(ctx, c, ref, 2); err != nil || !strings.Contains(one.Text, "# v2") {
		t.Errorf("version 2's text: %v", err)
	}

	job, err := e.svc.Trigger(ctx, c, ref)
	if err != nil || job == 0 {
		t.Fatalf("trigger: %d %v", job, err)
	}
	sv, err := e.svc.Stream(ctx, c, ref)
	if err != nil {
		t.Fatal(err)
	}
	keep(sv)
	if sv.ActiveMapping != 1 || sv.LastRun == nil || sv.LastRun.ID != job {
		t.Errorf("the stream after a run: %+v", sv)
	}

	// Updates go at the revision read.
	upd := []byte(`{"name": "hotich", "kind": "postgres", "timeout": "2m"}`)
	if _, err := e.svc.UpdateSource(ctx, c, "tuphap", "hotich", 0, upd); !errors.Is(err, ops.ErrRevisionRequired) || !errors.Is(err, ops.ErrConflict) {
		t.Errorf("an update without a revision: %v", err)
	}
	if _, err := e.svc.UpdateSource(ctx, c, "tuphap", "hotich", 7, upd); !errors.Is(err, ops.ErrConflict) || !strings.Contains(err.Error(), "revision") {
		t.Errorf("a stale update: %v", err)
	}
	src2, err := e.svc.UpdateSource(ctx, c, "tuphap", "hotich", 1, upd)
	if err != nil {
		t.Fatal(err)
	}
	keep(src2)
	if src2.Revision != 2 || src2.Spec.Timeout.String() != "2m0s" || !src2.Secret.Set {
		t.Errorf("updated %+v", src2)
	}
	// A secret that does not connect is refused, and nothing changes.
	wrong := strings.Replace(e.secretDSN, "/lt_test_", "/nosuchdb_", 1)
	body, _ := json.Marshal(map[string]any{"name": "hotich", "kind": "postgres", "secret": wrong})
	_, err = e.svc.UpdateSource(ctx, c, "tuphap", "hotich", 2, body)
	var cf *ops.CheckFailed
	if !errors.As(err, &cf) {
		t.Fatalf("an update with a DSN that does not connect: %v", err)
	}
	e.noSecretText(t, "the check's problems", err.Error())
	if cur, _ := e.svc.Source(ctx, c, "tuphap", "hotich"); cur.Revision != 2 {
		t.Errorf("a refused update changed the source: revision %d", cur.Revision)
	}

	// Streams.
	ref2 := state.Ref{Department: "tuphap", Source: "hotich", Stream: "khai-sinh-2"}
	_, err = e.svc.CreateStream(ctx, c, "tuphap", "hotich", []byte(`{"name": "khai-sinh-2", "table": "no_such_table", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}`))
	if !errors.As(err, &cf) || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("a stream of a table that does not exist: %v", err)
	}
	if _, err := e.svc.Stream(ctx, c, ref2); !errors.Is(err, ops.ErrNotFound) {
		t.Errorf("a refused stream was saved: %v", err)
	}
	_, err = e.svc.CreateStream(ctx, c, "tuphap", "hotich", []byte(`{"name": "khai-sinh-2", "tabel": "khai_sinh", "primary_key": ["id"]}`))
	if !errors.As(err, &inv) || !slices.ContainsFunc(inv.Fields, func(f configFieldError) bool { return f.Field == "tabel" }) {
		t.Errorf("a stream with a misspelt key: %#v", err)
	}
	st2, err := e.svc.CreateStream(ctx, c, "tuphap", "hotich", []byte(`{"name": "khai-sinh-2", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat"}`))
	if err != nil {
		t.Fatal(err)
	}
	keep(st2)
	st2b, err := e.svc.UpdateStream(ctx, c, ref2, st2.Revision, []byte(`{"name": "khai-sinh-2", "table": "khai_sinh", "primary_key": ["id"], "cursor": "ngay_cap_nhat", "page_size": 100}`))
	if err != nil || st2b.Spec.PageSize != 100 || st2b.Revision != st2.Revision+1 {
		t.Errorf("update stream: %+v %v", st2b, err)
	}
	if _, err := e.svc.UpdateStream(ctx, c, ref2, st2.Revision, []byte(`{"name": "khai-sinh-2", "table": "khai_sinh", "primary_key": ["id"]}`)); !errors.Is(err, ops.ErrConflict) {
		t.Errorf("a stale stream update: %v", err)
	}
	if err := e.svc.DeleteStream(ctx, c, ref2); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.ListSources(ctx, c, "tuphap")
	if err != nil || len(list) != 1 || len(list[0].Streams) != 1 {
		t.Fatalf("sources %+v %v", list, err)
	}
	keep(list)

	changes, err := e.svc.Changes(ctx, e.admin, registryChangeFilter("tuphap"))
	if err != nil {
		t.Fatal(err)
	}
	keep(changes)
	var actions []string
	for _, ch := range changes {
		actions = append(actions, ch.Action+" by "+ch.Actor)
	}
	for _, want := range []string{"source.create by tuphap-all", "mapping.activate by tuphap-all", "run.trigger by tuphap-all",
		"source.update by tuphap-all", "stream.create by tuphap-all", "stream.delete by tuphap-all", "token.issue by admin"} {
		if !slices.Contains(actions, want) {
			t.Errorf("the change log lacks %q: %v", want, actions)
		}
	}

	if err := e.svc.DeleteSource(ctx, c, "tuphap", "hotich"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Source(ctx, c, "tuphap", "hotich"); !errors.Is(err, ops.ErrNotFound) {
		t.Errorf("a deleted source: %v", err)
	}

	for i, r := range results {
		e.noSecret(t, "result "+string(rune('a'+i)), r)
	}
	e.noSecretText(t, "the log", e.logs.String())
	if !strings.Contains(e.logs.String(), "source registered") {
		t.Errorf("the log says nothing of the registration: %s", e.logs.String())
	}
}

// TestUpdateSourceSecret: an update keeps the stored secret when it says
// nothing of it, replaces or removes it when it does, and never leaves a
// SQL source without a connection string.
func TestUpdateSourceSecret(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	ctx, c := e.ctx, e.own
	if _, err := e.svc.CreateSource(ctx, c, "tuphap", e.sourceBody("hotich", "khai-sinh")); err != nil {
		t.Fatal(err)
	}
	var inv *ops.Invalid
	put := func(rev int64, body string) (ops.SourceView, error) {
		return e.svc.UpdateSource(ctx, c, "tuphap", "hotich", rev, []byte(body))
	}
	if _, err := put(1, `{"name": "hotich", "kind": "postgres", "dsn": `+quote(e.deptDB)+`}`); !errors.As(err, &inv) || inv.Fields[0].Field != "dsn" {
		t.Errorf("a dsn beside a stored secret: %v", err)
	}
	if _, err := put(1, `{"name": "hotich", "kind": "postgres", "secret": ""}`); !errors.As(err, &inv) || inv.Fields[0].Field != "secret" {
		t.Errorf("removing the only connection string: %v", err)
	}
	if _, err := put(1, `{"name": "hotich-moi", "kind": "postgres"}`); !errors.As(err, &inv) || inv.Fields[0].Field != "name" {
		t.Errorf("a rename: %v", err)
	}
	if _, err := put(1, `{"name": "hotich", "kind": "postgres", "streams": [{"name": "x", "table": "khai_sinh", "primary_key": ["id"]}]}`); !errors.As(err, &inv) || inv.Fields[0].Field != "streams" {
		t.Errorf("streams in an update: %v", err)
	}
	v, err := put(1, `{"name": "hotich", "kind": "postgres", "dsn": `+quote(e.deptDB)+`, "secret": ""}`)
	if err != nil || v.Secret.Set || v.Spec.DSN != e.deptDB || v.Revision != 2 {
		t.Fatalf("the secret replaced by a dsn without a password: %+v %v", v, err)
	}
	v, err = put(2, `{"name": "hotich", "kind": "postgres", "secret": `+quote(e.secretDSN)+`}`)
	if err != nil || !v.Secret.Set || v.Spec.DSN != "" || v.Revision != 3 {
		t.Fatalf("a secret again: %+v %v", v, err)
	}
	if got, err := e.reg.SourceSecret(ctx, "tuphap", "hotich"); err != nil || got != e.secretDSN {
		t.Errorf("the stored secret is not the one sent (%v)", err)
	}
	v, err = put(3, `{"name": "hotich", "kind": "postgres", "timeout": "45s"}`)
	if err != nil || !v.Secret.Set || v.Spec.Timeout.String() != "45s" {
		t.Errorf("an update that says nothing of the secret: %+v %v", v, err)
	}
	e.noSecret(t, "the source", v)
}
