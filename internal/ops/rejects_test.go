package ops_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/sync/state"
)

// seedRejects writes n rejects of a stream through a real run, with keys
// k00000.. and the extra ones given.
func (e *env) seedRejects(t testing.TB, ref state.Ref, n int, extra ...state.Reject) {
	t.Helper()
	run, err := e.st.StartRun(e.ctx, ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	var rs []state.Reject
	for i := range n {
		rs = append(rs, state.Reject{SourceKey: fmt.Sprintf("k%05d", i), Kind: "birth_registration", Raw: json.RawMessage(fmt.Sprintf(`{"id": %d}`, i)),
			Field: "date_of_birth", Stage: state.StageMap, Reason: "invalid_date", Message: "ngày sinh không hợp lệ", Violations: json.RawMessage(`[]`)})
	}
	for _, r := range extra {
		if r.Violations == nil {
			r.Violations = json.RawMessage(`[]`)
		}
		rs = append(rs, r)
	}
	if err := e.st.CommitBatch(e.ctx, run.ID, ref, state.Batch{Rejects: rs, Counts: state.Counts{Read: int64(len(rs)), Rejected: int64(len(rs))}}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishRun(e.ctx, run.ID, ref, state.Finish{Status: state.StatusSucceeded, ReadSource: true}); err != nil {
		t.Fatal(err)
	}
}

// TestExportRejects: the CSV opens in a spreadsheet as written (a UTF-8
// byte-order mark, a header, quoting), a cell a spreadsheet would run as a
// formula is defused, the raw record is JSON, a department's token gets
// only its own rejects, and a thousand rejects come out whole, in order.
func TestExportRejects(t *testing.T) {
	for _, d := range dialects() {
		t.Run(d.name, func(t *testing.T) {
			e := newEnv(t, d.dsn(t))
			ks := state.Ref{Department: "tuphap", Source: "hotich", Stream: "khai-sinh"}
			special := []state.Reject{
				{SourceKey: "x-formula", Kind: "birth_registration", Raw: json.RawMessage(`{"ho_ten": "Nguyễn Văn \"Tí\", con", "ghi_chu": "dòng 1\ndòng 2"}`),
					Field: "full_name", Stage: state.StageMap, Reason: "required_missing", Message: `=HYPERLINK("http://x.example","bấm")`},
				{SourceKey: "x-plus", Kind: "birth_registration", Raw: json.RawMessage(`{}`), Field: "@sum", Stage: state.StageMap, Reason: "required_missing", Message: "+84 912"},
				{SourceKey: "-5", Kind: "birth_registration", Raw: json.RawMessage(`{}`), Field: "id_number", Stage: state.StageRead, Reason: "malformed_row", Message: "-1+1"},
			}
			e.seedRejects(t, ks, 1203, special...)
			e.seedRejects(t, state.Ref{Department: "tuphap", Source: "hotich", Stream: "cong-dan"}, 2)
			e.seedRejects(t, state.Ref{Department: "yte", Source: "benhvien", Stream: "kcb"}, 3)

			export := func(c ops.Caller, f state.Filter) [][]string {
				t.Helper()
				var buf bytes.Buffer
				if err := e.svc.ExportRejects(e.ctx, c, f, &buf); err != nil {
					t.Fatal(err)
				}
				b := buf.Bytes()
				if !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
					t.Fatalf("no byte-order mark: % x", b[:min(8, len(b))])
				}
				rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(rows[0], ops.RejectColumns) || rows[0][0] != "department" || rows[0][11] != "raw" {
					t.Fatalf("header %v", rows[0])
				}
				return rows[1:]
			}

			rows := export(e.own, state.Filter{})
			if len(rows) != 1203+3+2 {
				t.Errorf("tuphap's export has %d rows, want %d", len(rows), 1203+3+2)
			}
			byKey := map[string][]string{}
			var keys []string
			for _, r := range rows {
				if r[0] != "tuphap" {
					t.Fatalf("tuphap's export holds %v", r)
				}
				if r[2] == "khai-sinh" {
					keys = append(keys, r[3])
				}
				byKey[r[3]] = r
			}
			var ks0 []string
			for _, k := range keys {
				if len(k) == 6 && k[0] == 'k' {
					ks0 = append(ks0, k)
				}
			}
			if len(ks0) != 1203 || !slices.IsSorted(ks0) || len(slices.Compact(slices.Clone(ks0))) != 1203 {
				t.Errorf("khai-sinh's %d keys, in order and once each? %v...", len(ks0), ks0[:min(5, len(ks0))])
			}
			f := byKey["x-formula"]
			if f[8] != `'=HYPERLINK("http://x.example","bấm")` || f[7] != "full_name" || f[6] != "required_missing" || f[4] != "birth_registration" || f[5] != "map" {
				t.Errorf("the formula row: %q", f)
			}
			var raw map[string]string
			if err := json.Unmarshal([]byte(f[11]), &raw); err != nil || raw["ho_ten"] != `Nguyễn Văn "Tí", con` || raw["ghi_chu"] != "dòng 1\ndòng 2" {
				t.Errorf("the raw record %q: %v", f[11], err)
			}
			if p := byKey["x-plus"]; p[8] != "'+84 912" || p[7] != "'@sum" {
				t.Errorf("the plus row: %q", p)
			}
			if m := byKey["'-5"]; m == nil || m[8] != "'-1+1" || m[5] != "read" {
				t.Errorf("the minus row: %q", m)
			}
			if _, err := timeParse(f[9]); err != nil {
				t.Errorf("first_seen_at %q: %v", f[9], err)
			}

			if rows := export(e.own, state.Filter{Limit: 10}); len(rows) != 10 {
				t.Errorf("a limit of 10 gave %d rows", len(rows))
			}
			if rows := export(e.own, state.Filter{Reason: "required_missing"}); len(rows) != 2 {
				t.Errorf("reason required_missing gave %d rows", len(rows))
			}
			if rows := export(e.own, state.Filter{Field: "full_name"}); len(rows) != 1 || rows[0][3] != "x-formula" {
				t.Errorf("field full_name gave %v", rows)
			}
			if rows := export(e.admin, state.Filter{}); len(rows) != 1203+3+2+3 {
				t.Errorf("the administrator's export has %d rows", len(rows))
			}
			if rows := export(e.other, state.Filter{}); len(rows) != 3 || rows[0][0] != "yte" {
				t.Errorf("yte's export: %v", rows)
			}

			// The listing: forced to the token's department, bounded.
			list, err := e.svc.Rejects(e.ctx, e.other, state.Filter{})
			if err != nil || len(list) != 3 {
				t.Errorf("yte's rejects: %d %v", len(list), err)
			}
			list, err = e.svc.Rejects(e.ctx, e.own, state.Filter{})
			if err != nil || len(list) != ops.DefaultListLimit {
				t.Errorf("tuphap's rejects: %d %v", len(list), err)
			}
			reasons, err := e.svc.RejectReasons(e.ctx, e.own, state.Filter{})
			if err != nil || len(reasons) != 3 || reasons[0].Reason != "invalid_date" || reasons[0].Count != 1205 {
				t.Errorf("reasons %+v %v", reasons, err)
			}
			// The stream's health counts them.
			ref := e.registered(t, "tuphap", "hotich")
			sv, err := e.svc.Stream(e.ctx, e.own, ref)
			if err != nil || sv.RejectsOutstanding != 1206 || sv.LastSuccessAt == nil {
				t.Errorf("the stream's health: %+v %v", sv, err)
			}
		})
	}
}

// BenchmarkExportRejects writes 20,000 rejects of one department as CSV
// from PostgreSQL (MB/s of CSV written).
func BenchmarkExportRejects(b *testing.B) {
	e := newEnv(b, testdb.Postgres(b))
	e.seedRejects(b, state.Ref{Department: "tuphap", Source: "hotich", Stream: "khai-sinh"}, 20000)
	for b.Loop() {
		var n countWriter
		if err := e.svc.ExportRejects(e.ctx, e.own, state.Filter{}, &n); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(n))
	}
}

type countWriter int

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

// TestRejectsPaging: pages go by source key within one stream: paging
// one stream reaches each of its rejects once; a page after a key
// without its stream is refused on the field, as it would skip the next
// streams' rejects.
func TestRejectsPaging(t *testing.T) {
	e := newEnv(t, testdb.Postgres(t))
	ks := state.Ref{Department: "tuphap", Source: "hotich", Stream: "khai-sinh"}
	e.seedRejects(t, ks, 5)
	e.seedRejects(t, state.Ref{Department: "tuphap", Source: "hotich", Stream: "cong-dan"}, 3)
	var keys []string
	f := state.Filter{Source: ks.Source, Stream: ks.Stream, Limit: 2}
	for {
		page, err := e.svc.Rejects(e.ctx, e.own, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			keys = append(keys, r.Stream+":"+r.SourceKey)
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].SourceKey
	}
	if want := []string{"khai-sinh:k00000", "khai-sinh:k00001", "khai-sinh:k00002", "khai-sinh:k00003", "khai-sinh:k00004"}; !slices.Equal(keys, want) {
		t.Errorf("paging khai-sinh: %v, want %v", keys, want)
	}
	for _, f := range []state.Filter{{After: "k00001"}, {Source: "hotich", After: "k00001"}} {
		_, err := e.svc.Rejects(e.ctx, e.own, f)
		var inv *ops.Invalid
		if !errors.As(err, &inv) || inv.Fields[0].Field != "after" {
			t.Errorf("after without the stream (%+v): %v", f, err)
		}
		if err := e.svc.ExportRejects(e.ctx, e.own, f, &bytes.Buffer{}); !errors.As(err, &inv) {
			t.Errorf("the CSV after without the stream (%+v): %v", f, err)
		}
	}
}
