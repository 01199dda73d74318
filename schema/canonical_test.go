package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"
)

// goldenRecord is a birth registration whose canonical hash is pinned: the
// national store skips writes by this hash, so a change in the encoding would
// rewrite every national record. The value was computed by the encoding
// before the hand-written encoder replaced json.Marshal.
func goldenRecord() map[string]any {
	return map[string]any{
		"certificate_number": "12/2024", "registering_agency": "UBND xã Thạch Hà", "registration_date": "2024-03-05",
		"full_name": "Nguyễn Văn An", "date_of_birth": "2024-03-01", "sex": "M", "id_number": "042224000123",
		"place_of_birth": "Bệnh viện Đa khoa tỉnh Hà Tĩnh", "native_place": "Thạch Hà, Hà Tĩnh", "ethnicity": "Kinh",
		"nationality": "Việt Nam", "mother_full_name": "Trần Thị Bình", "mother_id_number": "042195000456",
		"father_full_name": "Nguyễn Văn Cường", "father_id_number": "042092000789",
	}
}

const (
	goldenJSON = `{"certificate_number":"12/2024","date_of_birth":"2024-03-01","ethnicity":"Kinh","father_full_name":"Nguyễn Văn Cường","father_id_number":"042092000789","full_name":"Nguyễn Văn An","id_number":"042224000123","mother_full_name":"Trần Thị Bình","mother_id_number":"042195000456","nationality":"Việt Nam","native_place":"Thạch Hà, Hà Tĩnh","place_of_birth":"Bệnh viện Đa khoa tỉnh Hà Tĩnh","registering_agency":"UBND xã Thạch Hà","registration_date":"2024-03-05","sex":"M"}`
	goldenHash = "428ebbe3d5ec5c7d5a7a44e47073988f59379cb55089e0788474e171cbc6978a"
)

func TestCanonicalGolden(t *testing.T) {
	b, h, err := Canonical(goldenRecord())
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != goldenJSON {
		t.Errorf("canonical JSON changed:\n got %s\nwant %s", b, goldenJSON)
	}
	if got := hex.EncodeToString(h[:]); got != goldenHash {
		t.Errorf("canonical hash changed: got %s, want %s; changing the canonical form rewrites every national record", got, goldenHash)
	}
	// A mixed record pins escaping and number forms too.
	b, _, err = Canonical(map[string]any{"a": "<&>\u2028\t\"\\", "b": "x\xffy", "c": 1.5, "d": int64(3), "e": 1e21, "f": 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"\u003c\u0026\u003e\u2028\t\"\\","b":"x\ufffdy","c":1.5,"d":3,"e":1e+21,"f":1e-7}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestCanonicalSameContent(t *testing.T) {
	want, wantHash, _ := Canonical(goldenRecord())
	tests := []struct {
		name string
		data func() map[string]any
	}{
		{"reverse insertion order", func() map[string]any {
			g := goldenRecord()
			keys := make([]string, 0, len(g))
			for _, f := range mustKind(t, "birth_registration").Fields {
				keys = append(keys, f.Name)
			}
			m := map[string]any{}
			for i := len(keys) - 1; i >= 0; i-- {
				m[keys[i]] = g[keys[i]]
			}
			return m
		}},
		{"decoded from JSON", func() map[string]any {
			var m map[string]any
			if err := json.Unmarshal([]byte(goldenJSON), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}},
		{"absent values dropped", func() map[string]any {
			m := goldenRecord()
			m["place_of_death"], m["cause_of_death"], m["x"] = nil, "", "  "
			return m
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, h, err := Canonical(tt.data())
			if err != nil {
				t.Fatal(err)
			}
			if h != wantHash || !bytes.Equal(b, want) {
				t.Errorf("got %s, want %s", b, want)
			}
		})
	}
}

func TestCanonicalNumbers(t *testing.T) {
	same := []any{int(750000), int64(750000), uint32(750000), float64(750000), json.Number("750000"), json.Number("7.5e5"), json.Number("750000.0")}
	_, want, _ := Canonical(map[string]any{"monthly_allowance": same[0]})
	for _, v := range same {
		b, h, err := Canonical(map[string]any{"monthly_allowance": v})
		if err != nil || h != want {
			t.Errorf("%T %v: %s, %v; want the hash of 750000", v, v, b, err)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(-1), json.Number("x")} {
		if _, _, err := Canonical(map[string]any{"n": v}); err == nil {
			t.Errorf("%v: want an error", v)
		}
	}
}

// FuzzCanonical proves the hand-written encoder writes what json.Marshal
// writes for records of text and numbers.
func FuzzCanonical(f *testing.F) {
	f.Add("full_name", "Nguyễn Văn An", "x\xffy<>&\u2028", 1.5, int64(-3))
	f.Add("", "\x00\x1f\"\\", "\u2029\b\f", 1e21, int64(1<<62))
	f.Add("a", "b", "c", 1e-7, int64(0))
	f.Fuzz(func(t *testing.T, k1, v1, v2 string, x float64, i int64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Skip()
		}
		data := map[string]any{k1: v1, v2: x, v1 + "_": i, "k": v2, "f": float32(x)}
		if math.IsInf(float64(float32(x)), 0) {
			delete(data, "f")
		}
		want, err := json.Marshal(compact(data))
		if err != nil {
			t.Fatal(err)
		}
		got, h, err := Canonical(data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || h != sha256.Sum256(want) {
			t.Fatalf("Canonical %s, json.Marshal %s", got, want)
		}
	})
}

func mustKind(t testing.TB, name string) *Kind {
	t.Helper()
	k, ok := Lookup(name)
	if !ok {
		t.Fatalf("no kind %s", name)
	}
	return k
}

// pinnedRecords are representative records whose canonical JSON is pinned
// byte for byte, with the hash the national store keeps: text with every
// escape, a partial record, numbers of every Go type a record holds, and a
// key the kind does not have (written all the same, sorted).
var pinnedRecords = []struct {
	name, kind string
	data       map[string]any
	json       string
}{
	{"escapes and absent values", "birth_registration", map[string]any{
		"certificate_number": "7/2025", "full_name": "Đặng Thị <Hạnh> & \"Mai\"", "date_of_birth": "2025-01-31", "sex": "F",
		"registering_agency": "UBND xã\tKỳ Anh\u2028", "registration_date": "2025-02-03", "place_of_birth": "x\xffy",
		"nationality": "  ", "ethnicity": nil, "mother_full_name": "",
	}, `{"certificate_number":"7/2025","date_of_birth":"2025-01-31","full_name":"Đặng Thị \u003cHạnh\u003e \u0026 \"Mai\"","place_of_birth":"x\ufffdy","registering_agency":"UBND xã\tKỳ Anh\u2028","registration_date":"2025-02-03","sex":"F"}`},
	{"numbers", "social_assistance_beneficiary", map[string]any{
		"id_number": "042195000456", "full_name": "Trần Thị Bình", "monthly_allowance": int64(750000), "x_int": 3, "x_float": 1.5,
		"x_big": 1e21, "x_small": 1e-7, "x_number": json.Number("7.5e5"), "x_f32": float32(0.1),
	}, `{"full_name":"Trần Thị Bình","id_number":"042195000456","monthly_allowance":750000,"x_big":1e+21,"x_f32":0.1,"x_float":1.5,"x_int":3,"x_number":750000,"x_small":1e-7}`},
	{"golden", "birth_registration", goldenRecord(), goldenJSON},
}

// TestCanonicalPinned holds the canonical JSON of representative records to
// the bytes it had when the national store first kept them, through both
// Canonical and Kind.Canonical.
func TestCanonicalPinned(t *testing.T) {
	for _, tt := range pinnedRecords {
		t.Run(tt.name, func(t *testing.T) {
			k := mustKind(t, tt.kind)
			for name, canon := range map[string]func(map[string]any) ([]byte, [32]byte, error){
				"Canonical": Canonical, "Kind.Canonical": k.Canonical,
			} {
				b, h, err := canon(tt.data)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if string(b) != tt.json || h != sha256.Sum256([]byte(tt.json)) {
					t.Errorf("%s:\n got %s\nwant %s", name, b, tt.json)
				}
			}
		})
	}
}

// TestKindCanonical proves Kind.Canonical writes what Canonical writes, for
// every kind, with every subset of fields a rotation of the kind's fields
// makes present, absent or blank, and with a key the kind lacks.
func TestKindCanonical(t *testing.T) {
	values := []any{"Nguyễn Văn An", "2024-03-01", "<&>", int64(42), 2.5, "", "  ", nil, json.Number("12"), "\u2029x"}
	for _, k := range Kinds() {
		for shift := range len(values) {
			data := map[string]any{}
			for i, f := range k.Fields {
				if (i+shift)%4 == 3 {
					continue // not in the map at all
				}
				data[f.Name] = values[(i+shift)%len(values)]
			}
			for _, extra := range []bool{false, true} {
				if extra {
					data["zz_not_a_field"], data["a_not_a_field"] = "x", nil
				}
				want, wantHash, err := Canonical(data)
				if err != nil {
					t.Fatal(err)
				}
				got, h, err := k.Canonical(data)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) || h != wantHash {
					t.Errorf("%s, shift %d, extra key %v:\n got %s\nwant %s", k.Name, shift, extra, got, want)
				}
			}
		}
	}
	k := mustKind(t, "birth_registration")
	if _, _, err := k.Canonical(map[string]any{"full_name": math.NaN()}); err == nil {
		t.Error("NaN: want an error")
	}
}

// TestCanonicalFields proves CanonicalFields writes what Canonical writes
// for the map of the same values, for every kind, with every subset of
// fields a rotation of the kind's fields makes present, absent or blank,
// and with fields shorter than the kind's.
func TestCanonicalFields(t *testing.T) {
	values := []any{"Nguyễn Văn An", "2024-03-01", "<&>", int64(42), 2.5, "", "  ", nil, json.Number("12"), "\u2029x"}
	for _, k := range Kinds() {
		for shift := range len(values) {
			fields := make([]any, len(k.Fields))
			data := map[string]any{}
			for i, f := range k.Fields {
				if (i+shift)%4 == 3 {
					continue // no value
				}
				fields[i] = values[(i+shift)%len(values)]
				data[f.Name] = fields[i]
			}
			for _, n := range []int{len(fields), len(fields) / 2, 0} {
				for _, f := range k.Fields[n:] {
					delete(data, f.Name)
				}
				want, wantHash, err := Canonical(data)
				if err != nil {
					t.Fatal(err)
				}
				got, h, err := k.CanonicalFields(fields[:n])
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) || h != wantHash {
					t.Errorf("%s, shift %d, %d fields:\n got %s\nwant %s", k.Name, shift, n, got, want)
				}
			}
		}
	}
	k := mustKind(t, "birth_registration")
	if _, _, err := k.CanonicalFields([]any{math.NaN()}); err == nil {
		t.Error("NaN: want an error")
	}
	defer func() {
		if recover() == nil {
			t.Error("more values than fields: want a panic")
		}
	}()
	k.CanonicalFields(make([]any, len(k.Fields)+1))
}

func BenchmarkCanonical(b *testing.B) {
	rec := goldenRecord()
	k := mustKind(b, "birth_registration")
	b.Run("kind", func(b *testing.B) {
		b.ReportAllocs()
		reportCPU(b, func() {
			if _, _, err := k.Canonical(rec); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("fields", func(b *testing.B) {
		fields := make([]any, len(k.Fields))
		for i, f := range k.Fields {
			fields[i] = rec[f.Name]
		}
		b.ReportAllocs()
		reportCPU(b, func() {
			if _, _, err := k.CanonicalFields(fields); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		reportCPU(b, func() {
			if _, _, err := Canonical(rec); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		reportCPU(b, func() {
			data, err := json.Marshal(rec)
			if err != nil {
				b.Fatal(err)
			}
			_ = sha256.Sum256(data)
		})
	})
}
