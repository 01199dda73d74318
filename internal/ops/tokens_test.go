package ops_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// TestTokens: the administrator issues a department its tokens with
// department scopes only; the token is shown once, the change log and
// listings never hold it; a revoked token stops; deleting a department
// revokes its tokens.
func TestTokens(t *testing.T) {
	for _, d := range dialects() {
		t.Run(d.name, func(t *testing.T) {
			e := newEnv(t, d.dsn(t))
			ctx := e.ctx
			var inv *ops.Invalid
			for _, tc := range []struct {
				name    string
				dept    string
				tok     string
				scopes  []string
				expires *time.Time
				field   string
			}{
				{"no scope", "tuphap", "a", nil, nil, "scopes"},
				{"a portal scope", "tuphap", "a", []string{clients.ScopePrefill}, nil, "scopes[0]"},
				{"an unknown scope", "tuphap", "a", []string{ops.ScopeRunsRead, "runs:admin"}, nil, "scopes[1]"},
				{"an expiry past", "tuphap", "a", []string{ops.ScopeRunsRead}, ptr(time.Now().Add(-time.Minute)), "expires_at"},
				{"a bad name", "tuphap", "Ống Nước", []string{ops.ScopeRunsRead}, nil, "name"},
			} {
				_, err := e.svc.IssueToken(ctx, e.admin, tc.dept, tc.tok, tc.scopes, tc.expires)
				if !errors.As(err, &inv) || inv.Fields[0].Field != tc.field {
					t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
				}
			}
			if _, err := e.svc.IssueToken(ctx, e.admin, "khong-co", "a", []string{ops.ScopeRunsRead}, nil); !errors.Is(err, ops.ErrNotFound) {
				t.Errorf("a token for a department that does not exist: %v", err)
			}
			if _, err := e.svc.IssueToken(ctx, e.admin, "yte", "tuphap-all", []string{ops.ScopeRunsRead}, nil); !errors.Is(err, ops.ErrConflict) {
				t.Errorf("a name another department's token holds: %v", err)
			}
			nt, err := e.svc.IssueToken(ctx, e.admin, "tuphap", "ci", []string{ops.ScopeRunsRead, ops.ScopeRunsWrite}, ptr(time.Now().Add(24*time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			e.tokens = append(e.tokens, nt.Token)
			if !strings.HasPrefix(nt.Token, "lt_") || nt.Department != "tuphap" || nt.ExpiresAt == nil {
				t.Errorf("issued %+v", nt.Client)
			}
			c, err := e.cl.Authenticate(ctx, nt.Token)
			if err != nil || c.Name != "ci" || !c.Has(ops.ScopeRunsWrite) {
				t.Fatalf("the new token: %+v %v", c, err)
			}
			list, err := e.svc.ListTokens(ctx, e.admin, "tuphap")
			if err != nil || len(list) != 3 {
				t.Errorf("tuphap's tokens: %+v %v", list, err)
			}
			e.noSecret(t, "the token list", list)
			if err := e.svc.RevokeToken(ctx, e.admin, "yte", "ci"); !errors.Is(err, ops.ErrNotFound) {
				t.Errorf("revoke tuphap's token under yte: %v", err)
			}
			if err := e.svc.RevokeToken(ctx, e.admin, "tuphap", "ci"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.cl.Authenticate(ctx, nt.Token); !errors.Is(err, clients.ErrRevoked) {
				t.Errorf("a revoked token: %v", err)
			}
			if err := e.svc.RevokeToken(ctx, e.admin, "tuphap", "ci"); !errors.Is(err, ops.ErrNotFound) {
				t.Errorf("revoke twice: %v", err)
			}

			// A department still holding sources stays; once empty it
			// goes, and its tokens stop.
			e.registered(t, "yte", "benhvien")
			if err := e.svc.DeleteDepartment(ctx, e.admin, "yte"); !errors.Is(err, ops.ErrConflict) {
				t.Errorf("delete a department with a source: %v", err)
			}
			if err := e.svc.DeleteSource(ctx, e.other, "yte", "benhvien"); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.DeleteDepartment(ctx, e.admin, "yte"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Department(ctx, e.admin, "yte"); !errors.Is(err, ops.ErrNotFound) {
				t.Errorf("a deleted department: %v", err)
			}
			if yte, _ := e.cl.ListDepartment(ctx, "yte"); len(yte) != 1 || yte[0].RevokedAt == nil {
				t.Errorf("the deleted department's tokens: %+v", yte)
			}

			changes, err := e.svc.Changes(ctx, e.admin, registry.ChangeFilter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			e.noSecret(t, "the change log", changes)
			var issued, revoked int
			for _, ch := range changes {
				switch {
				case ch.Action == "token.issue" && ch.Object == "tuphap/tokens/ci" && ch.Actor == "admin":
					issued++
				case ch.Action == "token.revoke" && ch.Object == "tuphap/tokens/ci":
					revoked++
				}
			}
			if issued != 1 || revoked != 1 {
				t.Errorf("the change log has %d issues and %d revocations of tuphap/ci", issued, revoked)
			}
			e.noSecretText(t, "the log", e.logs.String())
		})
	}
}

// TestFileManaged: a source the operator's file declares is read through
// the service like any other and refused to change, saying so.
func TestFileManaged(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	ctx := e.ctx
	dept := config.Department{Name: "tuphap", Title: "Sở Tư pháp", Sources: []config.Source{{Name: "hotich", Kind: "postgres", DSNEnv: "HOTICH_DSN",
		Streams: []config.Stream{{Name: "khai-sinh", Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat", Mapping: "/m/khai-sinh.yaml",
			Mode: "incremental", PageSize: 5000, MaxDeleteRatio: 0.1, Batch: &config.Batch{Size: 1000, Period: time.Second}}}}}}
	if _, err := e.reg.Apply(ctx, registry.Actor{Name: "apply:/etc/lienthong.yaml"}, []config.Department{dept},
		func(string) ([]byte, error) { return khaiSinh(t), nil }); err != nil {
		t.Fatal(err)
	}
	src, err := e.svc.Source(ctx, e.own, "tuphap", "hotich")
	if err != nil || src.Origin != registry.OriginFile || src.Spec.DSNEnv != "HOTICH_DSN" || len(src.Streams) != 1 || src.Streams[0].ActiveMapping != 1 {
		t.Fatalf("the file's source: %+v %v", src, err)
	}
	ref := state.Ref{Department: "tuphap", Source: "hotich", Stream: "khai-sinh"}
	for name, err := range map[string]error{
		"update source": func() error {
			_, err := e.svc.UpdateSource(ctx, e.own, "tuphap", "hotich", src.Revision, []byte(`{"name": "hotich", "kind": "postgres"}`))
			return err
		}(),
		"delete source": e.svc.DeleteSource(ctx, e.own, "tuphap", "hotich"),
		"create stream": func() error {
			_, err := e.svc.CreateStream(ctx, e.own, "tuphap", "hotich", []byte(`{"name": "x", "table": "t", "primary_key": ["id"]}`))
			return err
		}(),
		"upload mapping": func() error { _, err := e.svc.UploadMapping(ctx, e.own, ref, khaiSinh(t)); return err }(),
		"delete stream":  e.svc.DeleteStream(ctx, e.own, ref),
	} {
		if !errors.Is(err, ops.ErrConflict) || !errors.Is(err, registry.ErrFileManaged) || !strings.Contains(err.Error(), "lienthong apply") {
			t.Errorf("%s of a file's source: %v", name, err)
		}
	}
	// Its runs are the department's all the same.
	if _, err := e.svc.Trigger(ctx, e.own, ref); err != nil {
		t.Errorf("trigger a file's stream: %v", err)
	}
	run, err := e.st.StartRun(ctx, state.Ref{Department: "tuphap", Source: "hotich", Stream: "other"}, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Cancel(ctx, e.own, run.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(ctx, run.ID, run.Ref, state.Finish{Status: state.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Cancel(ctx, e.own, run.ID); !errors.Is(err, ops.ErrConflict) || !strings.Contains(err.Error(), "not running") {
		t.Errorf("cancel a run that ended: %v", err)
	}
}
