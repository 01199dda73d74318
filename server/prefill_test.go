package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/forms"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/server"
)

// The citizen the pre-fill tests read, and one the store knows nothing of.
const (
	citizen  = "042090001234"
	stranger = "042090009999"
	adminTok = "lt_administrator-token-for-tests"
)

// prefillEnv is an API with the pre-fill routes, its audit log, client
// register and a token per kind of caller.
type prefillEnv struct {
	*env
	audit   *audit.Store
	clients *clients.Store
	// tokens: portal (prefill, every form), narrow (prefill, one form),
	// auditor (audit:subject), nobody (audit:subject only, no prefill).
	tokens map[string]string
	logs   *syncBuffer
}

// syncBuffer is a log sink the server's goroutines write to at once.
type syncBuffer = testio.Buffer

func eachPrefillDialect(t *testing.T, demo bool, f func(t *testing.T, e *prefillEnv)) {
	eachDialect(t, func(t *testing.T, base *env) {
		f(t, newPrefillEnv(t, base, demo))
	})
}

// newPrefillEnv serves, on base's stores, an API with the pre-fill routes,
// and seeds the citizen's records.
func newPrefillEnv(t *testing.T, base *env, demo bool) *prefillEnv {
	t.Helper()
	ctx := context.Background()
	e := &prefillEnv{env: base, audit: audit.New(base.db), clients: clients.New(base.db), tokens: map[string]string{}, logs: &syncBuffer{}}
	t.Cleanup(e.audit.Close)
	if _, err := e.audit.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for name, nc := range map[string]clients.NewClient{
		"portal":  {Scopes: []string{clients.ScopePrefill}},
		"narrow":  {Scopes: []string{clients.ScopePrefill}, Forms: []string{"khai-sinh-con-thu-hai"}},
		"auditor": {Scopes: []string{clients.ScopeAuditSubject}},
	} {
		nc.Name = name
		_, tok, err := e.clients.Add(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	seed(t, base.nat)
	admin := clients.HashToken(adminTok)
	h := server.New(server.Options{State: base.st, National: base.nat,
		Log:    slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Access: server.Access{Forms: forms.Builtin(), Audit: e.audit, Clients: e.clients, AdminTokenHash: &admin, DemoForms: demo}})
	base.srv.Config.Handler = h
	return e
}

// seed writes the citizen's records: a person, two health insurance
// cards (the newer valid from 2025), and a third card that was deleted.
func seed(t testing.TB, nat national.Store) {
	t.Helper()
	ctx := context.Background()
	write := func(p national.Provenance, kind string, key, sourceKey string, data map[string]any) {
		b, h, err := schema.Canonical(data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nat.Write(ctx, p, []national.Item{{Kind: kind, NaturalKey: key, SourceKey: sourceKey, Data: b, Hash: h}}); err != nil {
			t.Fatal(err)
		}
	}
	people := national.Provenance{Department: "tu-phap", Source: "ho-tich", Stream: "cong-dan", RunID: 1, MappingVersion: "test"}
	write(people, "person", citizen, "p1", map[string]any{"id_number": citizen, "full_name": "Nguyễn Thị Hoa",
		"date_of_birth": "1990-04-12", "sex": "female", "ethnicity": "Kinh", "nationality": "Việt Nam",
		"permanent_residence": "Xã Thạch Hà, tỉnh Hà Tĩnh"})
	cards := national.Provenance{Department: "bhxh", Source: "the-bhyt-api", Stream: "the-bhyt", RunID: 1, MappingVersion: "test"}
	card := func(number, from, address string) map[string]any {
		return map[string]any{"card_number": number, "id_number": citizen, "full_name": "Nguyễn Thị Hoa", "date_of_birth": "1990-04-12",
			"sex": "female", "initial_facility_name": "Bệnh viện đa khoa tỉnh Hà Tĩnh", "valid_from": from, "address": address,
			"social_insurance_number": "4201234567"}
	}
	write(cards, "health_insurance_card", "GD4424201234567", "c1", card("GD4424201234567", "2025-01-01", "Xã Thạch Hà"))
	write(cards, "health_insurance_card", "GD4424201234500", "c0", card("GD4424201234500", "2023-01-01", "Xã cũ"))
	write(cards, "health_insurance_card", "GD4424201239999", "c9", card("GD4424201239999", "2026-06-01", "thẻ đã hủy"))
	if n, err := nat.Retire(ctx, cards, []string{"c9"}); err != nil || n != 1 {
		t.Fatalf("retire card c9: %d %v", n, err)
	}
}

// call makes an authenticated GET and decodes the JSON body into v.
func call(t *testing.T, base, token, path string, v any) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return resp, body
}

func prefillPath(id, form, purpose, reference string) string {
	q := url.Values{}
	for k, v := range map[string]string{"form": form, "purpose": purpose, "reference": reference} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return "/v1/prefill/" + id + "?" + q.Encode()
}

type prefillAnswer struct {
	Form     string
	IDNumber string `json:"id_number"`
	Filled   []forms.Filled
	Missing  []forms.Missing
	Audit    struct {
		Seq       int64
		Reference string
	}
}

// TestPrefillRefuses: who may ask, and what a request must carry.
func TestPrefillRefuses(t *testing.T) {
	eachPrefillDialect(t, false, func(t *testing.T, e *prefillEnv) {
		ok := prefillPath(citizen, "cap-lai-the-bhyt", "cấp lại thẻ BHYT", "HS-2026-000123")
		for _, tc := range []struct {
			name, token, path string
			status            int
			says              string
		}{
			{"no token", "", ok, 401, "bearer token"},
			{"unknown token", "lt_nope", ok, 401, "not known"},
			{"without the prefill scope", e.tokens["auditor"], ok, 403, "does not hold the prefill scope"},
			{"administrator", adminTok, ok, 403, "administrator token does not read"},
			{"form not allowed", e.tokens["narrow"], ok, 403, "may not fill the form cap-lai-the-bhyt"},
			{"no purpose", e.tokens["portal"], prefillPath(citizen, "cap-lai-the-bhyt", "", "HS-1"), 400, "?purpose="},
			{"no reference", e.tokens["portal"], prefillPath(citizen, "cap-lai-the-bhyt", "p", ""), 400, "?reference="},
			{"no form", e.tokens["portal"], prefillPath(citizen, "", "p", "HS-1"), 400, "?form="},
			{"unknown form", e.tokens["portal"], prefillPath(citizen, "giay-phep-lai-xe", "p", "HS-1"), 404, "no form is named"},
			{"bad ID number", e.tokens["portal"], prefillPath("12345", "cap-lai-the-bhyt", "p", "HS-1"), 400, "12 digits"},
		} {
			var p server.Problem
			resp, _ := call(t, e.srv.URL, tc.token, tc.path, &p)
			if resp.StatusCode != tc.status || !strings.Contains(p.Detail, tc.says) {
				t.Errorf("%s: %d %q; want %d saying %q", tc.name, resp.StatusCode, p.Detail, tc.status, tc.says)
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
			}
		}
		// A refused request reads nothing, so it is not in the log.
		if rep, err := e.audit.Verify(context.Background()); err != nil || rep.Entries != 0 {
			t.Errorf("audit log after refusals: %+v %v", rep, err)
		}
		if err := e.clients.Revoke(context.Background(), "portal"); err != nil {
			t.Fatal(err)
		}
		if resp, _ := call(t, e.srv.URL, e.tokens["portal"], ok, nil); resp.StatusCode != 401 {
			t.Errorf("revoked token: %d", resp.StatusCode)
		}
	})
}

// TestPrefill: a form filled from the store, each value with its source;
// the deleted card never fills; the read is in the audit log with field
// names only; the citizen's access report shows it; the log names no
// citizen.
func TestPrefill(t *testing.T) {
	eachPrefillDialect(t, false, func(t *testing.T, e *prefillEnv) {
		ctx := context.Background()
		var ans prefillAnswer
		resp, body := call(t, e.srv.URL, e.tokens["portal"], prefillPath(citizen, "cap-lai-the-bhyt", "cấp lại thẻ BHYT", "HS-2026-000123"), &ans)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		got := map[string]forms.Filled{}
		for _, f := range ans.Filled {
			got[f.Field] = f
		}
		person, _, _ := e.nat.Get(ctx, "person", citizen)
		newest, _, _ := e.nat.Get(ctx, "health_insurance_card", "GD4424201234567")
		for field, want := range map[string]struct {
			value string
			doc   national.Document
		}{
			"full_name":               {"Nguyễn Thị Hoa", person},
			"id_number":               {citizen, person},
			"date_of_birth":           {"1990-04-12", person},
			"card_number":             {"GD4424201234567", newest},
			"address":                 {"Xã Thạch Hà", newest},
			"social_insurance_number": {"4201234567", newest},
		} {
			f := got[field]
			if f.Value != want.value || f.Kind != want.doc.Kind || f.Key != want.doc.Key || f.Department != want.doc.Department ||
				f.SourceKey != want.doc.SourceKey || !f.AsOf.Equal(want.doc.LastSyncedAt) {
				t.Errorf("%s = %+v; want %q from %s %s (%s), as of %v", field, f, want.value, want.doc.Kind, want.doc.Key, want.doc.Department, want.doc.LastSyncedAt)
			}
		}
		if strings.Contains(string(body), "GD4424201239999") || strings.Contains(string(body), "thẻ đã hủy") {
			t.Error("the deleted card filled a field")
		}
		var missing []string
		for _, m := range ans.Missing {
			missing = append(missing, m.Field)
		}
		if strings.Join(missing, ",") != "phone,reason" {
			t.Errorf("missing %v, want phone and reason", missing)
		}

		// A citizen the store does not know: every field is asked, and the
		// read is still logged.
		var none prefillAnswer
		call(t, e.srv.URL, e.tokens["narrow"], prefillPath(stranger, "khai-sinh-con-thu-hai", "khai sinh", "HS-9"), &none)
		if len(none.Filled) != 0 || len(none.Missing) != 11 {
			t.Errorf("unknown citizen: %+v", none)
		}

		// The audit log: one entry per read, field names only.
		rep, err := e.audit.Verify(ctx)
		if err != nil || rep.Entries != 2 {
			t.Fatalf("audit log %+v %v, want 2 entries", rep, err)
		}
		entries, _ := e.audit.Subject(ctx, citizen, 0)
		if len(entries) != 1 {
			t.Fatalf("%d entries about the citizen", len(entries))
		}
		en := entries[0]
		if en.Seq != ans.Audit.Seq || en.Client != "portal" || en.Form != "cap-lai-the-bhyt" || en.Purpose != "cấp lại thẻ BHYT" ||
			en.Reference != "HS-2026-000123" || strings.Join(en.Fields, ",") != strings.Join(fieldNames(ans.Filled), ",") || en.RequestID == "" {
			t.Errorf("audit entry %+v", en)
		}

		// The access report: the auditor and the administrator may read it,
		// a portal may not.
		for _, tok := range []string{e.tokens["auditor"], adminTok} {
			var report struct {
				IDNumber string `json:"id_number"`
				Reads    []struct {
					Seq                              int64
					Client, Form, Purpose, Reference string
					Fields                           []string
				}
			}
			resp, body := call(t, e.srv.URL, tok, "/v1/audit/subjects/"+citizen, &report)
			if resp.StatusCode != 200 || len(report.Reads) != 1 || report.Reads[0].Client != "portal" ||
				report.Reads[0].Reference != "HS-2026-000123" || len(report.Reads[0].Fields) != 8 {
				t.Errorf("access report: %d %s", resp.StatusCode, body)
			}
			if strings.Contains(string(body), "Nguyễn Thị Hoa") {
				t.Error("the access report carries a value read")
			}
		}
		if resp, _ := call(t, e.srv.URL, e.tokens["portal"], "/v1/audit/subjects/"+citizen, nil); resp.StatusCode != 403 {
			t.Errorf("a portal read the access report: %d", resp.StatusCode)
		}
		if logs := e.logs.String(); strings.Contains(logs, citizen) || strings.Contains(logs, stranger) || !strings.Contains(logs, "/v1/prefill/{id_number}") {
			t.Errorf("the log names a citizen, or no pre-fill request:\n%s", logs)
		}
	})
}

func fieldNames(fs []forms.Filled) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Field)
	}
	return out
}

// TestPrefillUnaudited: a read that cannot be audited is refused and
// returns nothing of the citizen.
func TestPrefillUnaudited(t *testing.T) {
	eachPrefillDialect(t, false, func(t *testing.T, e *prefillEnv) {
		e.audit.Close()
		resp, body := call(t, e.srv.URL, e.tokens["portal"], prefillPath(citizen, "cap-lai-the-bhyt", "p", "HS-1"), nil)
		if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), "Nguyễn") {
			t.Errorf("unaudited read: %d %s", resp.StatusCode, body)
		}
	})
}
