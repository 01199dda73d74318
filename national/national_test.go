package national_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
)

// forEachDialect runs f against a freshly migrated store on PostgreSQL and on
// SQLite: every behaviour must hold on both.
func forEachDialect(t *testing.T, f func(t *testing.T, s national.Store)) {
	t.Helper()
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"postgres", testdb.Postgres},
		{"sqlite", testdb.SQLite},
	} {
		t.Run(d.name, func(t *testing.T) {
			f(t, openStore(t, d.dsn(t)))
		})
	}
}

func openStore(t testing.TB, dsn string) national.Store {
	t.Helper()
	_, s := openDB(t, dsn)
	return s
}

// openDB opens and migrates a store and also returns its database, for
// benchmarks that must act as the server's maintenance would.
func openDB(t testing.TB, dsn string) (*database.DB, national.Store) {
	t.Helper()
	db, err := database.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := national.New(db)
	n, err := s.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("Migrate on a new database applied no migration")
	}
	return db, s
}

var (
	hotich = national.Provenance{Department: "tuphap", Source: "hotich", Stream: "khaisinh", RunID: 1, MappingVersion: "khaisinh-v1"}
	dancu  = national.Provenance{Department: "congan", Source: "dancu", Stream: "congdan", RunID: 1, MappingVersion: "congdan-v1"}
)

// owner formats a provenance and source key as Result.ConflictWith does.
func owner(p national.Provenance, sourceKey string) string {
	return fmt.Sprintf("%s/%s/%s %s", p.Department, p.Source, p.Stream, sourceKey)
}

func withGeneration(p national.Provenance, g int64) national.Provenance {
	p.Generation = g
	return p
}

func item(t testing.TB, kind, sourceKey string, data map[string]any) national.Item {
	t.Helper()
	k, ok := schema.Lookup(kind)
	if !ok {
		t.Fatalf("unknown kind %q", kind)
	}
	if vs := k.Validate(data); vs != nil {
		t.Fatalf("invalid %s test record: %v", kind, vs)
	}
	b, h, err := schema.Canonical(data)
	if err != nil {
		t.Fatal(err)
	}
	return national.Item{Kind: kind, NaturalKey: k.NaturalKey(data), SourceKey: sourceKey, Data: b, Hash: h}
}

// bornAs returns a date of birth and sex that agree with a personal ID
// number: its 4th digit gives sex and century, digits 5-6 the year.
func bornAs(id string) (dob, sex string) {
	d := int(id[3] - '0')
	year := 1900 + 100*(d/2) + int(id[4]-'0')*10 + int(id[5]-'0')
	sex = "M"
	if d%2 == 1 {
		sex = "F"
	}
	return fmt.Sprintf("%04d-05-17", year), sex
}

// person is a person record whose natural key is its ID number.
func person(t testing.TB, sourceKey, id, name string) national.Item {
	t.Helper()
	dob, sex := bornAs(id)
	return item(t, "person", sourceKey, map[string]any{
		"id_number": id, "full_name": name, "date_of_birth": dob, "sex": sex,
	})
}

func birth(t testing.TB, sourceKey, number, childID, motherID string) national.Item {
	t.Helper()
	data := map[string]any{
		"certificate_number": number, "registering_agency": "UBND xã Thạch Hà",
		"registration_date": "2024-03-02", "full_name": "Trần Bảo Ngọc",
		"date_of_birth": "2024-02-20", "sex": "F", "mother_full_name": "Nguyễn Thị Lan",
	}
	if childID != "" {
		data["id_number"] = childID
		data["date_of_birth"], data["sex"] = bornAs(childID)
		data["registration_date"] = data["date_of_birth"]
	}
	if motherID != "" {
		data["mother_id_number"] = motherID
	}
	return item(t, "birth_registration", sourceKey, data)
}

func write(t *testing.T, s national.Store, p national.Provenance, items ...national.Item) national.Result {
	t.Helper()
	res, err := s.Write(t.Context(), p, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != len(items) {
		t.Fatalf("Write returned %d outcomes for %d items", len(res.Outcomes), len(items))
	}
	return res
}

func get(t *testing.T, s national.Store, kind, key string) national.Document {
	t.Helper()
	d, ok, err := s.Get(t.Context(), kind, key)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("Get(%s, %q): not found", kind, key)
	}
	return d
}

func count(t *testing.T, s national.Store, p national.Provenance) int64 {
	t.Helper()
	n, err := s.Count(t.Context(), p.Department, p.Source, p.Stream)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fullName(t *testing.T, d national.Document) string {
	t.Helper()
	var data struct {
		FullName string `json:"full_name"`
	}
	if err := json.Unmarshal(d.Data, &data); err != nil {
		t.Fatalf("data of %s %q: %v", d.Kind, d.Key, err)
	}
	return data.FullName
}

const (
	idAn   = "001190000001"
	idBinh = "001190000002"
	idChi  = "001190000003"
)

func TestWrite(t *testing.T) {
	type batch struct {
		p         national.Provenance
		items     func(t testing.TB) []national.Item
		want      []national.Outcome
		conflicts map[int]string
	}
	// stored is what a person record must look like after the batches.
	type stored struct {
		owner   string
		name    string
		deleted bool
	}
	const (
		I = national.Inserted
		U = national.Updated
		N = national.Unchanged
		C = national.Conflict
	)
	people := func(ps ...[3]string) func(t testing.TB) []national.Item {
		return func(t testing.TB) []national.Item {
			var items []national.Item
			for _, p := range ps {
				items = append(items, person(t, p[0], p[1], p[2]))
			}
			return items
		}
	}
	tests := []struct {
		name    string
		batches []batch
		// want holds the expected person records by ID; absent lists IDs
		// that must not be stored at all.
		want   map[string]stored
		absent []string
		// live is the number of live records of the hotich stream.
		live int64
	}{{
		name: "new records are inserted",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}, [3]string{"s2", idBinh, "Bình"}), want: []national.Outcome{I, I}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s1"), "An", false}, idBinh: {owner(hotich, "s2"), "Bình", false}},
		live: 2,
	}, {
		name: "changed content is updated and the rest left unchanged",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}, [3]string{"s2", idBinh, "Bình"}), want: []national.Outcome{I, I}},
			{p: hotich, items: people([3]string{"s1", idAn, "An"}, [3]string{"s2", idBinh, "Bình Minh"}), want: []national.Outcome{N, U}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s1"), "An", false}, idBinh: {owner(hotich, "s2"), "Bình Minh", false}},
		live: 2,
	}, {
		name: "key held by another source is a conflict",
		batches: []batch{
			{p: dancu, items: people([3]string{"c1", idAn, "An"}), want: []national.Outcome{I}},
			{p: hotich, items: people([3]string{"s1", idAn, "An khác"}), want: []national.Outcome{C}, conflicts: map[int]string{0: owner(dancu, "c1")}},
		},
		want: map[string]stored{idAn: {owner(dancu, "c1"), "An", false}},
		live: 0,
	}, {
		name: "key held by another source key of the same stream is a conflict",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}), want: []national.Outcome{I}},
			{p: hotich, items: people([3]string{"s2", idAn, "An khác"}), want: []national.Outcome{C}, conflicts: map[int]string{0: owner(hotich, "s1")}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s1"), "An", false}},
		live: 1,
	}, {
		name: "new natural key retires the record under the old one",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}), want: []national.Outcome{I}},
			{p: hotich, items: people([3]string{"s1", idBinh, "An"}), want: []national.Outcome{I}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s1"), "An", true}, idBinh: {owner(hotich, "s1"), "An", false}},
		live: 1,
	}, {
		name: "conflicting new natural key does not retire the old record",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}, [3]string{"s2", idBinh, "Bình"}), want: []national.Outcome{I, I}},
			{p: hotich, items: people([3]string{"s1", idBinh, "An"}), want: []national.Outcome{C}, conflicts: map[int]string{0: owner(hotich, "s2")}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s1"), "An", false}, idBinh: {owner(hotich, "s2"), "Bình", false}},
		live: 2,
	}, {
		name: "same key and source key twice in a batch: the last wins",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An cũ"}, [3]string{"s1", idAn, "An mới"}), want: []national.Outcome{N, I}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s1"), "An mới", false}},
		live: 1,
	}, {
		name: "same key from two source keys in a batch: the later conflicts",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}, [3]string{"s2", idAn, "An khác"}), want: []national.Outcome{I, C}, conflicts: map[int]string{1: owner(hotich, "s1")}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s1"), "An", false}},
		live: 1,
	}, {
		name: "same key from two source keys in a batch: the stored owner keeps it",
		batches: []batch{
			{p: hotich, items: people([3]string{"s2", idAn, "An"}), want: []national.Outcome{I}},
			{p: hotich, items: people([3]string{"s1", idAn, "An khác"}, [3]string{"s2", idAn, "An mới"}), want: []national.Outcome{C, U}, conflicts: map[int]string{0: owner(hotich, "s2")}},
		},
		want: map[string]stored{idAn: {owner(hotich, "s2"), "An mới", false}},
		live: 1,
	}, {
		name: "duplicates of a conflicting item all conflict",
		batches: []batch{
			{p: dancu, items: people([3]string{"c1", idAn, "An"}), want: []national.Outcome{I}},
			{p: hotich, items: people([3]string{"s1", idAn, "An cũ"}, [3]string{"s1", idAn, "An mới"}), want: []national.Outcome{C, C}, conflicts: map[int]string{0: owner(dancu, "c1"), 1: owner(dancu, "c1")}},
		},
		want: map[string]stored{idAn: {owner(dancu, "c1"), "An", false}},
		live: 0,
	}, {
		name: "source key under two natural keys in a batch: the last wins",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}, [3]string{"s1", idBinh, "An"}), want: []national.Outcome{N, I}},
		},
		want:   map[string]stored{idBinh: {owner(hotich, "s1"), "An", false}},
		absent: []string{idAn},
		live:   1,
	}, {
		name: "deleted record is taken over by another source record",
		batches: []batch{
			{p: hotich, items: people([3]string{"s1", idAn, "An"}), want: []national.Outcome{I}},
			{p: hotich, items: people([3]string{"s1", idBinh, "An"}), want: []national.Outcome{I}},
			{p: dancu, items: people([3]string{"c3", idAn, "An Nhiên"}), want: []national.Outcome{U}},
		},
		want: map[string]stored{idAn: {owner(dancu, "c3"), "An Nhiên", false}, idBinh: {owner(hotich, "s1"), "An", false}},
		live: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDialect(t, func(t *testing.T, s national.Store) {
				for b, bt := range tt.batches {
					res := write(t, s, bt.p, bt.items(t)...)
					if !slices.Equal(res.Outcomes, bt.want) {
						t.Errorf("batch %d: outcomes %v, want %v", b, res.Outcomes, bt.want)
					}
					if !maps.Equal(res.ConflictWith, bt.conflicts) {
						t.Errorf("batch %d: conflicts %v, want %v", b, res.ConflictWith, bt.conflicts)
					}
				}
				for id, want := range tt.want {
					d := get(t, s, "person", id)
					got := stored{owner(national.Provenance{Department: d.Department, Source: d.Source, Stream: d.Stream}, d.SourceKey), fullName(t, d), d.Deleted}
					if got != want {
						t.Errorf("person %s: %+v, want %+v", id, got, want)
					}
				}
				for _, id := range tt.absent {
					if _, ok, err := s.Get(t.Context(), "person", id); err != nil || ok {
						t.Errorf("Get(person, %s) = found %v, error %v; want not found", id, ok, err)
					}
				}
				if n := count(t, s, hotich); n != tt.live {
					t.Errorf("Count = %d, want %d", n, tt.live)
				}
			})
		})
	}
}

func TestWriteSameBatchTwice(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		items := []national.Item{
			person(t, "s1", idAn, "Nguyễn Thị An"),
			birth(t, "b1", "12/2024", idBinh, idAn),
			birth(t, "b2", "13/2024", "", idAn),
		}
		first := write(t, s, hotich, items...)
		if want := []national.Outcome{national.Inserted, national.Inserted, national.Inserted}; !slices.Equal(first.Outcomes, want) {
			t.Fatalf("first write: %v, want %v", first.Outcomes, want)
		}
		before := make([]national.Document, len(items))
		for i, it := range items {
			before[i] = get(t, s, it.Kind, it.NaturalKey)
		}

		again := hotich
		again.RunID = 2
		second := write(t, s, again, items...)
		if want := []national.Outcome{national.Unchanged, national.Unchanged, national.Unchanged}; !slices.Equal(second.Outcomes, want) {
			t.Errorf("second write: %v, want %v", second.Outcomes, want)
		}
		for i, it := range items {
			after := get(t, s, it.Kind, it.NaturalKey)
			if !after.LastSyncedAt.Equal(before[i].LastSyncedAt) {
				t.Errorf("%s %q: last synced moved from %v to %v: an unchanged record was rewritten",
					it.Kind, it.NaturalKey, before[i].LastSyncedAt, after.LastSyncedAt)
			}
			if string(after.Data) != string(before[i].Data) {
				t.Errorf("%s %q: data changed from %s to %s", it.Kind, it.NaturalKey, before[i].Data, after.Data)
			}
		}
		if n := count(t, s, hotich); n != 3 {
			t.Errorf("Count = %d, want 3", n)
		}
	})
}

// TestWriteConcurrentSources has sources claim the same natural keys at the
// same time. Whatever the interleaving, each key must end with exactly one
// owner that no other source overwrote, and every other source must be told
// it conflicted with that owner.
func TestWriteConcurrentSources(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		const writers, rounds, keys = 4, 3, 200
		provenance := func(w int) national.Provenance {
			return national.Provenance{Department: "congan", Source: fmt.Sprintf("tinh%d", w), Stream: "congdan", RunID: 1}
		}
		batches := make([][][]national.Item, writers)
		for w := range writers {
			for r := range rounds {
				items := make([]national.Item, keys)
				for k := range items {
					items[k] = person(t, fmt.Sprintf("cd-%d", k), fmt.Sprintf("0012%08d", k), fmt.Sprintf("Người %d lần %d", w, r))
				}
				batches[w] = append(batches[w], items)
			}
		}
		results := make([][]national.Result, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for _, items := range batches[w] {
					res, err := s.Write(t.Context(), provenance(w), items)
					if err != nil {
						errs[w] = err
						return
					}
					results[w] = append(results[w], res)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}

		for k := range keys {
			id := fmt.Sprintf("0012%08d", k)
			d := get(t, s, "person", id)
			holder := owner(national.Provenance{Department: d.Department, Source: d.Source, Stream: d.Stream}, d.SourceKey)
			for w := range writers {
				mine := owner(provenance(w), fmt.Sprintf("cd-%d", k))
				for r, res := range results[w] {
					o := res.Outcomes[k]
					switch {
					case mine == holder && o == national.Conflict:
						t.Errorf("person %s, writer %d round %d: owner was told it conflicted with %s", id, w, r, res.ConflictWith[k])
					case mine != holder && o != national.Conflict:
						t.Errorf("person %s, writer %d round %d: %v, but %s holds it", id, w, r, o, holder)
					case mine != holder && res.ConflictWith[k] != holder:
						t.Errorf("person %s, writer %d round %d: conflict with %q, want %q", id, w, r, res.ConflictWith[k], holder)
					}
				}
			}
			if want := fmt.Sprintf("Người %s lần %d", d.Source[len("tinh"):], rounds-1); fullName(t, d) != want {
				t.Errorf("person %s: %q, want the holder's last write %q", id, fullName(t, d), want)
			}
		}
	})
}

func TestWriteEmptyBatch(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		res := write(t, s, hotich)
		if len(res.Outcomes) != 0 || res.ConflictWith != nil {
			t.Errorf("empty batch: %+v", res)
		}
	})
}

func TestMarkDeleted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		ctx := t.Context()
		a := person(t, "s1", idAn, "An")
		b := person(t, "s2", idBinh, "Bình")
		c := person(t, "s3", idChi, "Chi")
		write(t, s, withGeneration(dancu, 5), person(t, "c9", "001190000099", "Dũng"))

		write(t, s, withGeneration(hotich, 1), a, b, c)
		res := write(t, s, withGeneration(hotich, 2), a, b, person(t, "s3", idChi, "Chi Mai"))
		if want := []national.Outcome{national.Unchanged, national.Unchanged, national.Updated}; !slices.Equal(res.Outcomes, want) {
			t.Fatalf("generation 2: %v, want %v", res.Outcomes, want)
		}
		// An incremental run between full reads must leave the stamp alone.
		write(t, s, hotich, person(t, "s2", idBinh, "Bình Minh"))

		n, err := s.MarkDeleted(ctx, withGeneration(hotich, 2))
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("MarkDeleted(2) after a full read that saw every record marked %d", n)
		}

		write(t, s, withGeneration(hotich, 3), a)
		if n, err = s.MarkDeleted(ctx, withGeneration(hotich, 3)); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("MarkDeleted(3) marked %d, want 2", n)
		}
		for id, deleted := range map[string]bool{idAn: false, idBinh: true, idChi: true, "001190000099": false} {
			if d := get(t, s, "person", id); d.Deleted != deleted {
				t.Errorf("person %s: deleted %v, want %v", id, d.Deleted, deleted)
			}
		}
		if n := count(t, s, hotich); n != 1 {
			t.Errorf("Count(hotich) = %d, want 1", n)
		}
		if n := count(t, s, dancu); n != 1 {
			t.Errorf("Count(dancu) = %d, want 1: MarkDeleted reached another stream", n)
		}

		// Again, as a refresh resumed after a crash between marking and
		// finishing does: nothing more is marked, and the generation's
		// deletions are still counted for the ledger.
		if n, err = s.MarkDeleted(ctx, withGeneration(hotich, 3)); err != nil || n != 2 {
			t.Errorf("MarkDeleted(3) again = %d, %v; want the generation's 2, nil", n, err)
		}
		if n := count(t, s, hotich); n != 1 {
			t.Errorf("Count(hotich) after marking again = %d, want 1", n)
		}
		if _, err := s.MarkDeleted(ctx, hotich); err == nil {
			t.Error("MarkDeleted without a generation succeeded; it would mark every stamped record")
		}
	})
}

func TestDeletedRecordComesBack(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		a := person(t, "s1", idAn, "An")
		b := person(t, "s2", idBinh, "Bình")
		write(t, s, withGeneration(hotich, 1), a, b)
		write(t, s, withGeneration(hotich, 2), a)
		if n, err := s.MarkDeleted(t.Context(), withGeneration(hotich, 2)); err != nil || n != 1 {
			t.Fatalf("MarkDeleted = %d, %v; want 1, nil", n, err)
		}
		if d := get(t, s, "person", idBinh); !d.Deleted {
			t.Fatal("person not marked deleted")
		}

		res := write(t, s, hotich, b)
		if !slices.Equal(res.Outcomes, []national.Outcome{national.Updated}) {
			t.Errorf("outcomes %v, want [updated]", res.Outcomes)
		}
		if d := get(t, s, "person", idBinh); d.Deleted {
			t.Error("person still deleted after it came back")
		}
		if n := count(t, s, hotich); n != 2 {
			t.Errorf("Count = %d, want 2", n)
		}
	})
}

func TestPrefill(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		write(t, s, dancu, person(t, "c1", idAn, "Nguyễn Thị An"), person(t, "c2", idBinh, "Lê Văn Bình"))
		write(t, s, hotich,
			birth(t, "b1", "12/2024", idAn, ""),     // An's own birth registration
			birth(t, "b2", "13/2024", idChi, idAn),  // An is the mother: not about An
			birth(t, "b3", "14/2024", idAn, idBinh), // moves to 15/2024 below
		)
		write(t, s, hotich, birth(t, "b3", "15/2024", idChi, idBinh))

		docs, err := s.Prefill(t.Context(), idAn)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range docs {
			got = append(got, d.Kind+" "+d.Key)
			if d.Deleted {
				t.Errorf("%s %q: Prefill returned a deleted record", d.Kind, d.Key)
			}
		}
		want := []string{"birth_registration UBND xã Thạch Hà|12/2024", "person " + idAn}
		if !slices.Equal(got, want) {
			t.Errorf("Prefill(%s) = %q, want %q", idAn, got, want)
		}
		if len(docs) == 2 && fullName(t, docs[1]) != "Nguyễn Thị An" {
			t.Errorf("person data: %s", docs[1].Data)
		}

		// Bình's person record moves to another ID number: the old one is
		// deleted and nothing live is about Bình any more.
		write(t, s, dancu, person(t, "c2", "001190000004", "Lê Văn Bình"))
		for _, id := range []string{idBinh, "079000000000"} {
			if docs, err := s.Prefill(t.Context(), id); err != nil || len(docs) != 0 {
				t.Errorf("Prefill(%s) = %v, %v; want none", id, docs, err)
			}
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		n, err := s.Migrate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("second Migrate applied %d migrations, want 0", n)
		}
	})
}

// A record whose source row is now rejected still exists at the source:
// Touch keeps a full refresh from marking its last good version deleted.
func TestTouchKeepsRejectedRecordsLive(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		ctx := context.Background()
		write(t, s, withGeneration(dancu, 1), person(t, "c1", idAn, "An"), person(t, "c2", idBinh, "Bình"))
		gen2 := withGeneration(dancu, 2)
		// Generation 2 sees c1 delivered, and c2 only as a reject.
		write(t, s, gen2, person(t, "c1", idAn, "An"))
		if err := s.Touch(ctx, gen2, []string{"c2", "no-such-key"}); err != nil {
			t.Fatal(err)
		}
		n, err := s.MarkDeleted(ctx, gen2)
		if err != nil || n != 0 {
			t.Fatalf("MarkDeleted after Touch: %d, %v; want 0 deleted", n, err)
		}
		if d := get(t, s, "person", idBinh); d.Deleted {
			t.Fatal("the rejected row's record was marked deleted")
		}
		// Without the touch, generation 3 deletes it.
		gen3 := withGeneration(dancu, 3)
		write(t, s, gen3, person(t, "c1", idAn, "An"))
		if n, err := s.MarkDeleted(ctx, gen3); err != nil || n != 1 {
			t.Fatalf("MarkDeleted without Touch: %d, %v; want 1", n, err)
		}
	})
}

// A run that lost its lease must not write over what a later run of the
// same stream wrote.
func TestOlderRunCannotOverwriteNewer(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		newer := dancu
		newer.RunID = 7
		write(t, s, newer, person(t, "c1", idAn, "Version Hai"))
		older := dancu
		older.RunID = 6
		_, err := s.Write(context.Background(), older, []national.Item{person(t, "c1", idAn, "Version Mot")})
		if !errors.Is(err, national.ErrNewerRun) {
			t.Fatalf("older run's write: %v, want ErrNewerRun", err)
		}
		if got := fullName(t, get(t, s, "person", idAn)); got != "Version Hai" {
			t.Fatalf("record holds %q after the older run's write, want %q", got, "Version Hai")
		}
		// The same or a later run still writes.
		newer.RunID = 8
		write(t, s, newer, person(t, "c1", idAn, "Version Ba"))
		if got := fullName(t, get(t, s, "person", idAn)); got != "Version Ba" {
			t.Fatalf("record holds %q, want %q", got, "Version Ba")
		}
	})
}

func TestRetire(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		write(t, s, dancu, person(t, "c1", idAn, "An"), person(t, "c2", idBinh, "Bình"))
		n, err := s.Retire(context.Background(), dancu, []string{"c1", "no-such"})
		if err != nil || n != 1 {
			t.Fatalf("Retire: %d, %v; want 1", n, err)
		}
		if !get(t, s, "person", idAn).Deleted || get(t, s, "person", idBinh).Deleted {
			t.Fatal("Retire marked the wrong records")
		}
		if n, _ := s.Retire(context.Background(), dancu, []string{"c1"}); n != 0 {
			t.Fatalf("retiring again marked %d", n)
		}
	})
}

// WriteBatch settles a whole batch of a full refresh: the rows rejected
// before the store and the items it refuses keep their last good version
// from deletion, the skipped rows' records are retired, and what the
// generation saw nowhere is what MarkDeleted marks.
func TestWriteBatch(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		ctx := context.Background()
		const idDung, idGiang = "001190000004", "001190000005"
		write(t, s, hotich, person(t, "h1", idGiang, "Giang"))
		write(t, s, withGeneration(dancu, 1), person(t, "c1", idAn, "An"), person(t, "c2", idBinh, "Bình"),
			person(t, "c3", idChi, "Chi"), person(t, "c4", idDung, "Dũng"), person(t, "c5", "001190000006", "Hà"))
		gen2 := withGeneration(dancu, 2)
		// c1 unchanged; c5 now names Giang's ID, which another stream
		// holds: a conflict, its old record stays; c2 was rejected by the
		// mapping; c3 is skipped on purpose; c4 is not read at all.
		items := []national.Item{person(t, "c1", idAn, "An"), person(t, "c5", idGiang, "Hà")}
		res, err := s.WriteBatch(ctx, gen2, national.Batch{Items: items, Unwritten: []string{"c2"}, Skipped: []string{"c3"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []national.Outcome{national.Unchanged, national.Conflict}; !slices.Equal(res.Outcomes, want) {
			t.Fatalf("outcomes %v, want %v", res.Outcomes, want)
		}
		if res.Retired != 1 || !get(t, s, "person", idChi).Deleted {
			t.Fatalf("retired %d, Chi deleted %v; want c3's record retired", res.Retired, get(t, s, "person", idChi).Deleted)
		}
		n, err := s.MarkDeleted(ctx, gen2)
		if err != nil || n != 1 {
			t.Fatalf("MarkDeleted: %d, %v; want only c4's record", n, err)
		}
		for id, deleted := range map[string]bool{idAn: false, idBinh: false, idDung: true, "001190000006": false, idGiang: false} {
			if got := get(t, s, "person", id).Deleted; got != deleted {
				t.Errorf("record %s deleted = %v, want %v", id, got, deleted)
			}
		}
	})
}

// On PostgreSQL a batch is one transaction: when its last step fails,
// none of it stays.
func TestWriteBatchIsOneTransaction(t *testing.T) {
	db, s := openDB(t, testdb.Postgres(t))
	ctx := context.Background()
	write(t, s, dancu, person(t, "c1", idAn, "An"))
	if _, err := db.ExecContext(ctx, `CREATE FUNCTION refuse_retire() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'retire refused'; END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TRIGGER refuse_retire BEFORE UPDATE ON national_records_person FOR EACH ROW
		WHEN (NEW.deleted_at IS NOT NULL) EXECUTE FUNCTION refuse_retire()`); err != nil {
		t.Fatal(err)
	}
	_, err := s.WriteBatch(ctx, dancu, national.Batch{Items: []national.Item{person(t, "c2", idBinh, "Bình")}, Skipped: []string{"c1"}})
	if err == nil {
		t.Fatal("WriteBatch succeeded although its retire was refused")
	}
	if _, ok, err := s.Get(ctx, "person", idBinh); err != nil || ok {
		t.Fatalf("the batch's item is stored (%v, %v) although its retire failed", ok, err)
	}
}
