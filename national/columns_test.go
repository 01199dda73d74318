package national_test

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
)

// examples returns the first example record of every kind's JSON Schema.
func examples(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, k := range schema.Kinds() {
		var doc struct {
			Examples []map[string]any `json:"examples"`
		}
		if err := json.Unmarshal(k.JSONSchema(), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Examples) == 0 {
			t.Fatalf("kind %s has no example", k.Name)
		}
		out[k.Name] = doc.Examples[0]
	}
	return out
}

// TestRecordsReadBackAsWritten writes an example of every kind, once with
// the values beside the canonical JSON (as the engine writes) and once with
// the JSON alone (as the ingest service writes), and reads each back: the
// document must be the bytes that were hashed, whatever columns hold them.
func TestRecordsReadBackAsWritten(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s national.Store) {
		for kind, data := range examples(t) {
			for _, withFields := range []bool{true, false} {
				it := item(t, kind, "ex-"+kind, data)
				if withFields {
					it.Values = national.ValuesOf(kind, data)
				}
				p := hotich
				p.RunID++
				if res := write(t, s, p, it); res.Outcomes[0] != national.Inserted && res.Outcomes[0] != national.Unchanged {
					t.Fatalf("%s: outcome %v", kind, res.Outcomes[0])
				}
				d := get(t, s, kind, it.NaturalKey)
				if string(d.Data) != string(it.Data) {
					t.Errorf("%s (fields given: %v): read back\n%s\nwant\n%s", kind, withFields, d.Data, it.Data)
				}
				if sha256.Sum256(d.Data) != it.Hash {
					t.Errorf("%s: the document read back does not have the hash written", kind)
				}
				docs, err := s.Prefill(t.Context(), "no-such-id")
				if err != nil || len(docs) != 0 {
					t.Fatalf("prefill of an unknown ID: %v, %v", docs, err)
				}
			}
		}
	})
}

// TestColumnsFollowSchema: every field of the schema is a column of
// national_records of the type its field needs, and Migrate gives back a
// column that is missing (a field a later schema brings).
func TestColumnsFollowSchema(t *testing.T) {
	db, s := openDB(t, testdb.Postgres(t))
	want := map[string]string{}
	for _, k := range schema.Kinds() {
		for _, f := range k.Fields {
			typ := "text"
			switch {
			case f.Type == schema.Date && !f.Partial:
				typ = "date"
			case f.Type == schema.Integer:
				typ = "bigint"
			case f.Type == schema.Number:
				typ = "double precision"
			}
			if prev, ok := want[f.Name]; ok && prev != typ {
				typ = "text"
			}
			want[f.Name] = typ
		}
	}
	check := func() {
		t.Helper()
		have := columnTypes(t, db)
		for name, typ := range want {
			if have[name] != typ {
				t.Errorf("column %s: %q, want %q", name, have[name], typ)
			}
		}
		if _, ok := have["data"]; ok {
			t.Error("national_records still has the jsonb data column")
		}
	}
	check()
	if _, err := db.ExecContext(t.Context(), `ALTER TABLE national_records DROP COLUMN ethnicity`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	check()
	// A column whose type no longer holds its field is refused, by name.
	if _, err := db.ExecContext(t.Context(), `ALTER TABLE national_records DROP COLUMN registration_date;
		ALTER TABLE national_records ADD COLUMN registration_date bigint`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(t.Context()); err == nil {
		t.Error("Migrate accepted registration_date as bigint")
	} else if want := "registration_date is bigint"; !strings.Contains(err.Error(), want) {
		t.Errorf("Migrate: %v; want it to say %q", err, want)
	}
}

func columnTypes(t *testing.T, db *database.DB) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'national_records'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	have := map[string]string{}
	for rows.Next() {
		var n, typ string
		if err := rows.Scan(&n, &typ); err != nil {
			t.Fatal(err)
		}
		have[n] = typ
	}
	return have
}

// TestUnstorableValueKeptBack: a value its column cannot hold (year 0000,
// which PostgreSQL's date refuses) keeps that record back with the field
// and the reason; the rest of the batch is written.
func TestUnstorableValueKeptBack(t *testing.T) {
	s := openStore(t, testdb.Postgres(t))
	good := birth(t, "b1", "1/2024", "042224000123", "042195000456")
	bad := birth(t, "b2", "2/2024", "042224000124", "042195000456")
	var data map[string]any
	if err := json.Unmarshal(bad.Data, &data); err != nil {
		t.Fatal(err)
	}
	data["registration_date"] = "0000-03-05"
	bad.Values = national.ValuesOf(bad.Kind, data)
	res := write(t, s, hotich, good, bad)
	if res.Outcomes[0] != national.Inserted {
		t.Errorf("good record: %v, want inserted", res.Outcomes[0])
	}
	rj, ok := res.Rejections[1]
	if res.Outcomes[1] != national.Rejected || !ok || rj.Field != "registration_date" || rj.Code != schema.ReasonBadDate {
		t.Errorf("bad record: %v %+v; want rejected, registration_date, %s", res.Outcomes[1], rj, schema.ReasonBadDate)
	}
	if _, found, err := s.Get(t.Context(), "birth_registration", bad.NaturalKey); err != nil || found {
		t.Errorf("the kept-back record was stored (%v)", err)
	}
}

// TestAwkwardTextReadsBack: text with COPY's separators and a backslash
// is stored as the canonical JSON wrote it; text that is not UTF-8, which
// no column can give back as it was hashed, keeps its record back.
func TestAwkwardTextReadsBack(t *testing.T) {
	s := openStore(t, testdb.Postgres(t))
	person := func(id, name string) national.Item {
		data := map[string]any{"id_number": id, "full_name": name, "date_of_birth": "2024-03-01",
			"sex": "M", "permanent_residence": "Thạch Hà\tHà Tĩnh"}
		b, h, err := schema.Canonical(data)
		if err != nil {
			t.Fatal(err)
		}
		return national.Item{Kind: "person", NaturalKey: id, SourceKey: id, Data: b, Hash: h, Values: national.ValuesOf("person", data)}
	}
	good := person("042224000123", "Nguyễn\tVăn\n\\An\r end")
	bad := person("042224000124", "Nguyễn \xff\xfe An")
	res := write(t, s, hotich, good, bad)
	if res.Outcomes[0] != national.Inserted {
		t.Fatalf("outcome %v", res.Outcomes[0])
	}
	if d := get(t, s, "person", good.NaturalKey); string(d.Data) != string(good.Data) {
		t.Errorf("read back\n%s\nwant\n%s", d.Data, good.Data)
	}
	if rj := res.Rejections[1]; res.Outcomes[1] != national.Rejected || rj.Field != "full_name" || !strings.Contains(rj.Message, "UTF-8") {
		t.Errorf("text that is not UTF-8: %v %+v; want rejected on full_name", res.Outcomes[1], rj)
	}
}
