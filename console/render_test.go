package console

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// TestPagesRender executes every page with data of each kind it shows, in
// both languages: a template that fails to execute, leaves a key
// untranslated or lets markup through is caught without a browser.
func TestPagesRender(t *testing.T) {
	c := &console{Options: Options{Log: slog.New(slog.DiscardHandler)}, pages: parsePages()}
	now := time.Now()
	ended := now.Add(-time.Minute)
	run := state.Run{ID: 7, Ref: state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}, Mode: "incremental",
		Status: state.StatusSucceeded, StartedAt: now.Add(-2 * time.Minute), EndedAt: &ended,
		Counts: state.Counts{Read: 120, Inserted: 118, Rejected: 2}}
	sv := ops.StreamView{Stream: registry.Stream{Department: "tu-phap", Source: "ho-tich",
		Spec:          config.Stream{Name: "khai-sinh", Table: "khai_sinh", PrimaryKey: []string{"id"}, Cursor: "ngay_cap_nhat", Mode: "incremental"},
		ActiveMapping: 2}, LastRun: &run, LastSuccessAt: &ended, RejectsOutstanding: 2}
	evil := `<script>alert(1)</script>`
	who := &sess{Caller: ops.Caller{Client: clients.Client{Name: "can-bo", Department: "tu-phap"}}, CSRF: "csrf-value", token: "lt_x"}
	raw, _ := json.Marshal(map[string]any{"id": 50, "ho_ten": evil, "so_dang_ky": "50/2024"})
	viol, _ := json.Marshal([]schema.Violation{{Field: "full_name", Code: "required_missing", Message: "full_name is required"}})
	rep := mappingtest.Report{Kind: "birth_registration", Summary: mappingtest.Summary{Records: 2, Mapped: 1, Rejected: 1,
		Reasons: []state.ReasonCount{{Reason: "required_missing", Count: 1}}},
		Records: []mappingtest.Record{
			{Key: "49", Source: map[string]any{"ho_ten": "Nguyễn Văn 49"}, Record: map[string]any{"full_name": "Nguyễn Văn 49"}},
			{Key: "50", Source: map[string]any{"ho_ten": evil}, Record: map[string]any{"full_name": nil},
				Violations: []schema.Violation{{Field: "full_name", Code: "required_missing", Message: "full_name is required"}}},
		}}
	mv := registry.MappingVersion{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh", Version: 1, Kind: "birth_registration",
		SHA256: strings.Repeat("ab", 32), CreatedAt: now, CreatedBy: "can-bo", Text: "kind: birth_registration\n# " + evil}
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}
	cases := []struct {
		name, page string
		data       any
		want       map[string]string // language: a text the page must show
	}{
		{"login", "login", loginData{Message: "login.m.expired", Nonce: "n"}, map[string]string{"vi": "Mã truy cập đã hết hạn", "en": "The token has expired"}},
		{"error", "error", errorData{Message: "err.notfound"}, map[string]string{"vi": "Không tìm thấy", "en": "no such page"}},
		{"sources", "sources", sourcesData{Depts: []deptSources{{Name: "tu-phap", Sources: []ops.SourceView{{
			Source: registry.Source{Department: "tu-phap", Spec: config.Source{Name: "ho-tich", Kind: "postgres"}, Origin: "api",
				Secret: registry.SecretInfo{Set: true}}, Streams: []ops.StreamView{sv}}}}}},
			map[string]string{"vi": "Có bản ghi bị từ chối", "en": "Has rejects"}},
		{"newsource", "newsource", sourceForm{Kinds: defaultKinds, Modes: []string{"incremental"}, Name: evil,
			Errors: map[string]string{"cursor": "column ngay_cap_nhat does not exist"}, Problems: []string{"stream khai-sinh: " + evil}},
			map[string]string{"vi": "column ngay_cap_nhat does not exist", "en": "Check and register"}},
		{"stream", "stream", streamData{Ref: ref, Path: streamPath(ref), Stream: sv,
			Mappings: []registry.MappingVersion{{Version: 2, Active: true, Kind: "birth_registration"}, mv}, Runs: []state.Run{run}},
			map[string]string{"vi": "Quay lại phiên bản này", "en": "Roll back to this version"}},
		{"mapping", "mapping", mappingData{Ref: ref, Path: streamPath(ref), Mapping: mv, Active: 2, Limit: 20},
			map[string]string{"vi": "Thử với dữ liệu thật", "en": "Test on live records"}},
		{"report", "report", mappingData{Ref: ref, Path: streamPath(ref), Mapping: mv, Active: 2, Limit: 20, Report: viewReport(rep)},
			map[string]string{"vi": "Thiếu trường bắt buộc", "en": "A required field has no value"}},
		{"runs", "runs", runsData{Dept: "tu-phap", Runs: []state.Run{run}}, map[string]string{"vi": "thành công", "en": "succeeded"}},
		{"run", "run", runData{Dept: "tu-phap", Run: run}, map[string]string{"vi": "Lượt đồng bộ số 7", "en": "Run 7"}},
		{"rejects", "rejects", rejectsData{Dept: "tu-phap", Reasons: []state.ReasonCount{{Reason: "required_missing", Count: 1}}, Total: 1,
			Rejects: []rejectView{{Reject: state.Reject{Ref: ref, SourceKey: "50", Field: "full_name", Reason: "required_missing",
				Message: "full_name is required " + evil, Raw: raw, Violations: viol, RunID: 7},
				Fields: fieldsOf(decodeObject(raw), map[string]bool{"ho_ten": true})}}},
			map[string]string{"vi": "Bản ghi gốc", "en": "Record as read"}},
	}
	for _, tc := range cases {
		for _, lang := range []string{"vi", "en"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodGet, "/console/x?done=created&arg=ho-tich", nil)
				s := *who
				s.Lang = lang
				c.render(w, r, http.StatusOK, tc.page, &s, tc.data)
				body := w.Body.String()
				if w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, body)
				}
				if !strings.Contains(body, tc.want[lang]) {
					t.Errorf("the page does not show %q:\n%s", tc.want[lang], body)
				}
				if strings.Contains(body, evil) {
					t.Errorf("markup went through unescaped")
				}
				if strings.Contains(body, "lt_x") {
					t.Errorf("the session token is on the page")
				}
				// A key the table lacks comes back as itself.
				for _, prefix := range []string{">nav.", ">sources.", ">stream.", ">report.", ">rejects.", ">runs.", ">run.", ">count.", ">health.", ">login.", ">err.", ">done."} {
					if strings.Contains(body, prefix) {
						t.Errorf("an untranslated key %s... on the page", prefix[1:])
					}
				}
				if !strings.Contains(body, `lang="`+lang+`"`) {
					t.Errorf("the page is not marked %s", lang)
				}
			})
		}
	}
}

// TestHealth: the one word a stream's health is summed up in.
func TestHealth(t *testing.T) {
	run := func(status string) *state.Run { return &state.Run{Status: status} }
	p := &page{}
	for _, tc := range []struct {
		name string
		sv   ops.StreamView
		want string
	}{
		{"never run", ops.StreamView{}, "none"},
		{"running", ops.StreamView{LastRun: run(state.StatusRunning), ConsecutiveFailures: 2}, "running"},
		{"failed", ops.StreamView{LastRun: run(state.StatusFailed)}, "bad"},
		{"abandoned", ops.StreamView{LastRun: run(state.StatusAbandoned)}, "bad"},
		{"failures in a row", ops.StreamView{LastRun: run(state.StatusSucceeded), ConsecutiveFailures: 1}, "bad"},
		{"rejects", ops.StreamView{LastRun: run(state.StatusSucceeded), RejectsOutstanding: 3}, "warn"},
		{"cancelled", ops.StreamView{LastRun: run(state.StatusCancelled)}, "ok"},
		{"healthy", ops.StreamView{LastRun: run(state.StatusSucceeded)}, "ok"},
	} {
		if got := p.Health(tc.sv); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
