package database_test

import (
	"context"
	"slices"
	"testing"

	"github.com/lib/pq"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
)

// TestTextArray sends awkward keys through PostgreSQL as a text[] and
// reads them back unchanged, as pq.Array would.
func TestTextArray(t *testing.T) {
	db, err := database.Open(context.Background(), testdb.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := []string{"", "NULL", "null", "a,b", "{x}", `say "hi"`, `back\slash`, `\"`, " lead", "trail ", "tab\there",
		"new\nline", "UBND xã Thạch Kênh|12/2024", "42"}
	var got pq.StringArray
	if err := db.QueryRowContext(context.Background(), `SELECT $1::text[]`, database.TextArray(keys)).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, keys) {
		t.Errorf("read back %q, want %q", got, keys)
	}
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT cardinality($1::text[])`, database.TextArray{}).Scan(&n); err != nil || n != 0 {
		t.Errorf("empty array: %d elements (%v), want 0", n, err)
	}
	var isNull bool
	if err := db.QueryRowContext(context.Background(), `SELECT $1::text[] IS NULL`, database.TextArray(nil)).Scan(&isNull); err != nil || !isNull {
		t.Errorf("nil array: IS NULL = %v (%v), want true", isNull, err)
	}
}

func BenchmarkTextArray(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "UBND xã Thạch Kênh, huyện Thạch Hà|" + string(rune('0'+i%10)) + "/2024"
	}
	b.Run("database.TextArray", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = database.TextArray(keys).Value()
		}
	})
	b.Run("pq.Array", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = pq.StringArray(keys).Value()
		}
	})
}
