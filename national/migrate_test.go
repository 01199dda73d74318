package national

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/lib/pq"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/schema"
)

// TestTypedColumnsMigration: a store holding records as jsonb documents
// (migrations 1 to 4) moves them into the typed columns, and they read
// back as they were written.
func TestTypedColumnsMigration(t *testing.T) {
	db, err := database.Open(t.Context(), testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := database.LoadMigrations(migrations, "migrations", db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if ms[4].Version != 5 || ms[4].Name != "typed_columns" {
		t.Fatalf("migration 5 is %04d_%s", ms[4].Version, ms[4].Name)
	}
	if _, err := db.Migrate(t.Context(), "national", ms[:4]); err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"certificate_number": "12/2024", "registering_agency": "UBND xã Thạch Hà",
		"registration_date": "2024-03-05", "full_name": "Nguyễn Văn An", "date_of_birth": "2024-03-01", "sex": "M",
		"id_number": "042224000123"}
	land := map[string]any{"certificate_serial": "CS 123456", "area_m2": 120.5, "holder_full_name": "Trần Thị Bình"}
	for _, r := range []struct {
		kind, key string
		data      map[string]any
	}{{"birth_registration", "UBND xã Thạch Hà|12/2024", data}, {"land_use_certificate", "CS 123456", land}} {
		b, h, err := schema.Canonical(r.data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(t.Context(), `INSERT INTO national_records (kind, natural_key, data, content_hash,
			department, source, stream, source_key, mapping_version, first_synced_at, last_synced_at, last_run_id)
			VALUES ($1, $2, $3::jsonb, $4, 'd', 's', 'st', $2, 'v1', now(), now(), 1)`, r.kind, r.key, string(b), h[:]); err != nil {
			t.Fatal(err)
		}
	}
	s := New(db)
	if n, err := s.Migrate(t.Context()); err != nil || n != len(ms)-4 {
		t.Fatalf("Migrate: %d, %v; want %d", n, err, len(ms)-4)
	}
	for _, r := range []struct {
		kind, key string
		data      map[string]any
	}{{"birth_registration", "UBND xã Thạch Hà|12/2024", data}, {"land_use_certificate", "CS 123456", land}} {
		d, ok, err := s.Get(t.Context(), r.kind, r.key)
		if err != nil || !ok {
			t.Fatalf("get %s: %v %v", r.key, ok, err)
		}
		want, h, _ := schema.Canonical(r.data)
		if string(d.Data) != string(want) || sha256.Sum256(d.Data) != h {
			t.Errorf("%s after the migration:\n%s\nwant\n%s", r.kind, d.Data, want)
		}
	}
	var typ string
	if err := db.QueryRowContext(t.Context(), `SELECT pg_typeof(registration_date)::text FROM national_records
		WHERE kind = 'birth_registration'`).Scan(&typ); err != nil || typ != "date" {
		t.Errorf("registration_date is %q (%v), want a date", typ, err)
	}
	docs, err := s.Prefill(t.Context(), "042224000123")
	if err != nil || len(docs) != 1 || docs[0].Kind != "birth_registration" {
		t.Errorf("prefill after the migration: %+v, %v", docs, err)
	}
}

// TestCopyReportsUniqueViolation: a COPY that meets a key already there
// fails with PostgreSQL's own error, which Write's insert-only path must
// recognise to fall back to the merge.
func TestCopyReportsUniqueViolation(t *testing.T) {
	db, err := database.Open(t.Context(), testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := New(db).Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var rows copyRows
	h := sha256.Sum256([]byte("x"))
	for range 2 {
		rows.row()
		rows.text(true, "person")
		rows.text(false, "042224000123")
		rows.hash(&h)
		for _, v := range []string{"d", "s", "st", "k", "v1"} {
			rows.text(false, v)
		}
		rows.int(1)
		rows.int(0)
	}
	err = pgCopy(t.Context(), conn, `COPY national_records (kind, natural_key, content_hash, department, source, stream,
		source_key, mapping_version, last_run_id, seen_generation) FROM STDIN`, &rows)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" {
		t.Fatalf("COPY of a key twice: %v (%T), want a unique violation", err, err)
	}
}
