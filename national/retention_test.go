package national_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
)

// row is a national_records row as stored, every column as text.
type row struct {
	kind, key, data, department, source, stream, sourceKey, hash, firstSynced, lastSynced, deletedAt string
	anonymised                                                                                       bool
}

func (r row) text() string {
	return strings.Join([]string{r.kind, r.key, r.data, r.department, r.source, r.stream, r.sourceKey, r.hash,
		r.firstSynced, r.lastSynced, r.deletedAt}, " ")
}

// rowsOf reads a source record's rows straight from the table, to see what
// the store really keeps rather than what its reads return.
func rowsOf(t *testing.T, db *database.DB, p national.Provenance, sourceKey string) []row {
	t.Helper()
	// On PostgreSQL the record is its fields' columns: what is left of the
	// row's JSON without the provenance and without NULLs.
	q := `SELECT kind, natural_key, jsonb_strip_nulls(to_jsonb(r) - ARRAY['kind', 'natural_key', 'content_hash',
	'department', 'source', 'stream', 'source_key', 'mapping_version', 'first_synced_at', 'last_synced_at',
	'last_run_id', 'seen_generation', 'deleted_at', 'deleted_generation', 'anonymised_at'])::text, department, source, stream, source_key, encode(content_hash, 'hex'),
	first_synced_at::text, last_synced_at::text, COALESCE(deleted_at::text, ''), anonymised_at IS NOT NULL
	FROM national_records r WHERE department = $1 AND source = $2 AND stream = $3 AND source_key = $4 ORDER BY natural_key`
	if db.Dialect == database.SQLite {
		q = `SELECT kind, natural_key, data, department, source, stream, source_key, lower(hex(content_hash)),
		first_synced_at, last_synced_at, COALESCE(deleted_at, ''), anonymised_at IS NOT NULL
		FROM national_records WHERE department = ? AND source = ? AND stream = ? AND source_key = ? ORDER BY natural_key`
	}
	rs, err := db.QueryContext(t.Context(), q, p.Department, p.Source, p.Stream, sourceKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.kind, &r.key, &r.data, &r.department, &r.source, &r.stream, &r.sourceKey, &r.hash,
			&r.firstSynced, &r.lastSynced, &r.deletedAt, &r.anonymised); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// deletedAgo backdates the deletion of a source record's deleted records,
// as if it had been marked deleted that long ago.
func deletedAgo(t *testing.T, db *database.DB, p national.Provenance, sourceKey string, ago time.Duration) {
	t.Helper()
	var at any = time.Now().Add(-ago)
	if db.Dialect == database.SQLite {
		// The store's text form of times, see migrations/sqlite/0001_init.sql.
		at = time.Now().Add(-ago).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	q := db.Rebind(`UPDATE national_records SET deleted_at = ?
	WHERE department = ? AND source = ? AND stream = ? AND source_key = ? AND deleted_at IS NOT NULL`)
	res, err := db.ExecContext(t.Context(), q, at, p.Department, p.Source, p.Stream, sourceKey)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("backdate deletion of %s: %d rows, want 1", sourceKey, n)
	}
}

// TestAnonymise: a record deleted longer ago than the retention keeps its
// provenance but loses its personal data, in the row itself; a record
// deleted more recently, a live one and another stream's are untouched,
// and the pre-fill read never returns the tombstone.
func TestAnonymise(t *testing.T) {
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"postgres", testdb.Postgres},
		{"sqlite", testdb.SQLite},
	} {
		t.Run(d.name, func(t *testing.T) {
			db, s := openDB(t, d.dsn(t))
			ctx := t.Context()
			const day = 24 * time.Hour
			write(t, s, dancu, person(t, "c1", idAn, "Nguyễn Thị An"), person(t, "c2", idBinh, "Lê Văn Bình"),
				person(t, "c3", idChi, "Trần Văn Chí"))
			write(t, s, hotich, birth(t, "b1", "12/2024", idBinh, idAn))
			for _, p := range []struct {
				prov national.Provenance
				key  string
			}{{dancu, "c2"}, {dancu, "c3"}, {hotich, "b1"}} {
				if n, err := s.Retire(ctx, p.prov, []string{p.key}); err != nil || n != 1 {
					t.Fatalf("Retire %s: %d, %v", p.key, n, err)
				}
			}
			deletedAgo(t, db, dancu, "c2", 40*day)
			deletedAgo(t, db, dancu, "c3", 10*day)
			deletedAgo(t, db, hotich, "b1", 40*day)
			before := rowsOf(t, db, dancu, "c2")
			live, recent := rowsOf(t, db, dancu, "c1"), rowsOf(t, db, dancu, "c3")

			n, err := s.Anonymise(ctx, dancu.Department, dancu.Source, dancu.Stream, time.Now().Add(-30*day))
			if err != nil || n != 1 {
				t.Fatalf("Anonymise = %d, %v; want 1 (Bình's record only)", n, err)
			}

			after := rowsOf(t, db, dancu, "c2")
			if len(after) != 1 || len(before) != 1 {
				t.Fatalf("rows of c2: before %v, after %v; want one each", before, after)
			}
			a, b := after[0], before[0]
			for _, personal := range []string{idBinh, "Bình", "1990-05-17"} {
				if strings.Contains(a.text(), personal) {
					t.Errorf("anonymised row still holds %q: %+v", personal, a)
				}
			}
			if a.data != "{}" || !strings.HasPrefix(a.key, "anonymised:") || len(a.key) != len("anonymised:")+32 || !a.anonymised {
				t.Errorf("anonymised row: key %q, data %s, anonymised %v; want a random anonymised: key, {} and true", a.key, a.data, a.anonymised)
			}
			if a.kind != b.kind || a.department != b.department || a.source != b.source || a.stream != b.stream ||
				a.sourceKey != b.sourceKey || a.hash != b.hash || a.firstSynced != b.firstSynced ||
				a.lastSynced != b.lastSynced || a.deletedAt != b.deletedAt {
				t.Errorf("provenance changed:\nbefore %+v\nafter  %+v", b, a)
			}
			if got := rowsOf(t, db, dancu, "c1"); !slices.Equal(got, live) {
				t.Errorf("live record changed: %+v, was %+v", got, live)
			}
			if got := rowsOf(t, db, dancu, "c3"); !slices.Equal(got, recent) || recent[0].anonymised {
				t.Errorf("record deleted 10 days ago changed: %+v, was %+v", got, recent)
			}
			if got := rowsOf(t, db, hotich, "b1"); len(got) != 1 || got[0].anonymised || !strings.Contains(got[0].data, idBinh) {
				t.Errorf("another stream's deleted record was anonymised: %+v", got)
			}

			if _, ok, err := s.Get(ctx, "person", idBinh); ok || err != nil {
				t.Errorf("Get by the old ID number found the tombstone (err %v)", err)
			}
			for _, id := range []string{idBinh, a.key} {
				if docs, err := s.Prefill(ctx, id); err != nil || len(docs) != 0 {
					t.Errorf("Prefill(%s) = %v, %v; want none", id, docs, err)
				}
			}
			if docs, err := s.Prefill(ctx, idAn); err != nil || len(docs) != 1 || docs[0].Key != idAn {
				t.Errorf("Prefill(%s) = %v, %v; want An's live record", idAn, docs, err)
			}

			if n, err := s.Anonymise(ctx, dancu.Department, dancu.Source, dancu.Stream, time.Now().Add(-30*day)); err != nil || n != 0 {
				t.Errorf("second Anonymise = %d, %v; want 0", n, err)
			}

			// Bình's record comes back to the source: it is a new record,
			// and the tombstone stays as it was.
			res := write(t, s, dancu, person(t, "c2", idBinh, "Lê Văn Bình"))
			if !slices.Equal(res.Outcomes, []national.Outcome{national.Inserted}) {
				t.Errorf("record back after anonymisation: %v, want [inserted]", res.Outcomes)
			}
			if got := rowsOf(t, db, dancu, "c2"); len(got) != 2 || !slices.Contains(got, a) {
				t.Errorf("rows of c2 after it came back = %+v, want the tombstone and the new record", got)
			}
			if docs, err := s.Prefill(ctx, idBinh); err != nil || len(docs) != 1 || get(t, s, "person", idBinh).Deleted {
				t.Errorf("Prefill(%s) after it came back = %v, %v; want the live record", idBinh, docs, err)
			}
		})
	}
}
