package console_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/sync/state"
)

// seedRejects leaves a run of tu-phap's births with rejects on two
// fields: two on ngay_sinh (bad_date), one on ho_ten (required_missing).
func seedRejects(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}
	run, err := e.st.StartRun(ctx, ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	rej := func(key, field, reason string) state.Reject {
		return state.Reject{SourceKey: key, Kind: "birth_registration", Raw: json.RawMessage(`{"id": ` + key + `}`), Field: field, Reason: reason,
			Stage: "map", Message: "record " + key + ": " + field + " is wrong", Violations: json.RawMessage(`[]`)}
	}
	if err := e.st.CommitBatch(ctx, run.ID, ref, state.Batch{Checkpoint: json.RawMessage(`{"cursor":"2026-12-01","key":["9"]}`),
		Counts:  state.Counts{Read: 9, Inserted: 6, Rejected: 3},
		Rejects: []state.Reject{rej("3", "ngay_sinh", "bad_date"), rej("4", "ngay_sinh", "bad_date"), rej("5", "ho_ten", "required_missing")}}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(ctx, run.ID, ref, state.Finish{Status: state.StatusSucceeded, ReadSource: true}); err != nil {
		t.Fatal(err)
	}
}

var csvLink = regexp.MustCompile(`id="csv" href="([^"]+)"`)

// TestRejectsByField: the rejects page filters by the field a reject
// names, beside the stream and the reason; its CSV link keeps the whole
// filter, and the CSV holds only the rejects the page lists.
func TestRejectsByField(t *testing.T) {
	e := newEnv(t)
	seedRejects(t, e)
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])

	all := u.get("/console/d/tu-phap/rejects")
	if all.status != http.StatusOK || strings.Count(all.body, `class="reject"`) != 3 || !strings.Contains(all.body, `id="f-field"`) {
		t.Fatalf("the rejects page without a filter: %d\n%s", all.status, all.body)
	}
	p := u.get("/console/d/tu-phap/rejects?stream=ho-tich/khai-sinh&field=ngay_sinh")
	if p.status != http.StatusOK || strings.Count(p.body, `class="reject"`) != 2 || strings.Contains(p.body, "ho_ten is wrong") {
		t.Fatalf("filtered by ngay_sinh: %d, want its two rejects only\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, `name="field" value="ngay_sinh"`) {
		t.Errorf("the filter form does not keep the field")
	}
	m := csvLink.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSV link:\n%s", p.body)
	}
	link := html.UnescapeString(m[1])
	if !strings.Contains(link, "field=ngay_sinh") || !strings.Contains(link, "stream=ho-tich%2Fkhai-sinh") {
		t.Errorf("the CSV link %q does not keep the filter", link)
	}
	got := u.get(link)
	if got.status != http.StatusOK || !strings.HasPrefix(got.body, "\uFEFF") {
		t.Fatalf("CSV: %d %.200q", got.status, got.body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(got.body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("CSV of ngay_sinh: %d rows, want the header and 2: %v", len(rows), rows)
	}
	for _, r := range rows[1:] {
		if r[7] != "ngay_sinh" {
			t.Errorf("CSV row of field %q: %v", r[7], r)
		}
	}
}

// TestFreshness: the sources page says how fresh each stream's data is:
// its last success, and the cursor of the newest record delivered.
func TestFreshness(t *testing.T) {
	e := newEnv(t)
	seedRejects(t, e)
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	p := u.get("/console/sources")
	if !strings.Contains(p.body, `<td class="dataupto"><code>2026-12-01</code></td>`) || !strings.Contains(p.body, "Dữ liệu đến") {
		t.Errorf("the sources page does not show the data's cursor:\n%s", p.body)
	}
}

var nextLink = regexp.MustCompile(`id="next" href="([^"]+)"`)

// TestRejectsNextPage: a stream's rejects beyond one page are reached
// through the next page's link, each once.
func TestRejectsNextPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ref := state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}
	run, err := e.st.StartRun(ctx, ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	var rs []state.Reject
	for i := range 205 {
		key := fmt.Sprintf("k%04d", i)
		rs = append(rs, state.Reject{SourceKey: key, Kind: "birth_registration", Raw: json.RawMessage(`{}`), Field: "ngay_sinh",
			Reason: "bad_date", Stage: "map", Message: "record " + key, Violations: json.RawMessage(`[]`)})
	}
	if err := e.st.CommitBatch(ctx, run.ID, ref, state.Batch{Counts: state.Counts{Read: 205, Rejected: 205}, Rejects: rs}); err != nil {
		t.Fatal(err)
	}
	u := e.user(t)
	u.login(e.tokens["tu-phap-can-bo"])
	if p := u.get("/console/d/tu-phap/rejects"); strings.Count(p.body, `class="reject"`) != 200 || nextLink.MatchString(p.body) {
		t.Errorf("every stream's rejects: want the first 200 and no next page (pages go within one stream)")
	}
	p := u.get("/console/d/tu-phap/rejects?stream=ho-tich/khai-sinh")
	m := nextLink.FindStringSubmatch(p.body)
	if strings.Count(p.body, `class="reject"`) != 200 || m == nil {
		t.Fatalf("page 1: %d rejects, next link %v", strings.Count(p.body, `class="reject"`), m)
	}
	p = u.get(html.UnescapeString(m[1]))
	if p.status != http.StatusOK || strings.Count(p.body, `class="reject"`) != 5 || !strings.Contains(p.body, "record k0200") ||
		strings.Contains(p.body, "record k0199") || nextLink.MatchString(p.body) {
		t.Errorf("page 2: %d, %d rejects\n%s", p.status, strings.Count(p.body, `class="reject"`), p.body)
	}
}
