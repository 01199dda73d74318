package national_test

import (
	"testing"

	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
)

// TestFullRefreshDoesNotRewriteUnchanged checks, on PostgreSQL, that a full
// refresh finding records unchanged leaves their rows alone (no new row
// version) and still marks deleted only the record it did not see, also
// when MarkDeleted is run again as a resumed refresh would.
func TestFullRefreshDoesNotRewriteUnchanged(t *testing.T) {
	ctx := t.Context()
	db, s := openDB(t, testdb.Postgres(t))
	a, b, c := person(t, "s1", idAn, "An"), person(t, "s2", idBinh, "Bình"), person(t, "s3", idChi, "Chi")
	if _, err := s.Write(ctx, withGeneration(hotich, 1), []national.Item{a, b, c}); err != nil {
		t.Fatal(err)
	}
	versions := func() map[string]string {
		rows, err := db.QueryContext(ctx, `SELECT natural_key, xmin::text || ctid::text FROM national_records`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			m[k] = v
		}
		return m
	}
	before := versions()
	g2 := withGeneration(hotich, 2)
	res, err := s.Write(ctx, g2, []national.Item{a, b})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if o != national.Unchanged {
			t.Fatalf("item %d: %v, want unchanged", i, o)
		}
	}
	after := versions()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("record %s was rewritten by a refresh that found it unchanged (%s → %s)", k, v, after[k])
		}
	}
	if n, err := s.Unseen(ctx, g2); err != nil || n != 1 {
		t.Fatalf("Unseen = %d, %v; want 1 (Chi's record)", n, err)
	}
	for range 2 { // the second as a refresh resumed between marking and finishing
		if n, err := s.MarkDeleted(ctx, g2); err != nil || n != 1 {
			t.Fatalf("MarkDeleted = %d, %v; want 1", n, err)
		}
	}
	for _, it := range []national.Item{a, b, c} {
		d, ok, err := s.Get(ctx, it.Kind, it.NaturalKey)
		if err != nil || !ok {
			t.Fatalf("Get %s: %v %v", it.NaturalKey, ok, err)
		}
		if want := it.SourceKey == "s3"; d.Deleted != want {
			t.Errorf("%s deleted = %v, want %v", it.SourceKey, d.Deleted, want)
		}
	}
	// The next generation's marking drops generation 2's seen keys.
	g3 := withGeneration(hotich, 3)
	if _, err := s.Write(ctx, g3, []national.Item{a, b}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDeleted(ctx, g3); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM national_seen WHERE generation < 3`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d seen rows of earlier generations left (%v), want 0", left, err)
	}
}

// TestSupersedeAfterQuietBatch checks that a source record whose natural
// key changes retires its old record also when the stream's previous batch
// wrote nothing and the other records of its batch are unchanged (the
// write then asks only about the moved record's source key), and when it
// moves back to a key it held before, deleted since.
func TestSupersedeAfterQuietBatch(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, testdb.Postgres(t))
	old := birth(t, "b1", "12/2024", "", idAn)
	other := birth(t, "b2", "13/2024", "", idAn)
	if _, err := s.Write(ctx, hotich, []national.Item{old, other}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, hotich, []national.Item{other}); err != nil { // writes nothing
		t.Fatal(err)
	}
	moved := birth(t, "b1", "14/2024", "", idAn) // b1's certificate number was corrected
	res, err := s.Write(ctx, hotich, []national.Item{other, moved})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcomes[1] != national.Inserted {
		t.Fatalf("moved record: %v, want inserted", res.Outcomes[1])
	}
	d, ok, err := s.Get(ctx, old.Kind, old.NaturalKey)
	if err != nil || !ok || !d.Deleted {
		t.Errorf("old record of b1: found %v, deleted %v (%v); want it marked deleted", ok, d.Deleted, err)
	}
	if n, err := s.Count(ctx, hotich.Department, hotich.Source, hotich.Stream); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2 live records", n, err)
	}
	// The correction is undone: b1 takes its old, deleted key back.
	res, err = s.Write(ctx, hotich, []national.Item{other, old})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcomes[1] != national.Updated {
		t.Fatalf("record back under its old key: %v, want updated", res.Outcomes[1])
	}
	if d, _, err := s.Get(ctx, moved.Kind, moved.NaturalKey); err != nil || !d.Deleted {
		t.Errorf("b1's corrected record: deleted %v (%v); want it marked deleted", d.Deleted, err)
	}
	if n, err := s.Count(ctx, hotich.Department, hotich.Source, hotich.Stream); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2 live records", n, err)
	}
}
