package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// misread is legacy bytes read as Windows-1252, as a MySQL latin1 column
// hands them to a Unicode column: the five bytes Windows-1252 leaves
// unassigned become the Latin-1 control characters (MySQL's latin1 is
// Windows-1252 with those five).
func misread(t *testing.T, b []byte) string {
	t.Helper()
	var sb strings.Builder
	for _, c := range b {
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func tcvn3(t *testing.T, s string) []byte {
	t.Helper()
	b, err := vn.Encode(vn.TCVN3, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMixedMojibakeRegister syncs a register whose rows mix clean text,
// legacy text misread into its Unicode columns (TCVN3, VNI, UTF-8 read as
// Windows-1252) and misreadings no reading of which is certain: no value
// is stored garbled, the repaired ones are stored repaired and counted in
// the ledger per field, and the uncertain ones are rejected as
// encoding_suspect with both readings in the message.
func TestMixedMojibakeRegister(t *testing.T) {
	for _, d := range storeDialects {
		t.Run(d, func(t *testing.T) {
			h := newHarnessOn(t, d)
			h.seed(1, 30, 1)
			set := func(id int, col, v string) {
				h.exec(`UPDATE khai_sinh SET `+col+` = $1 WHERE id = $2`, v, id)
			}
			set(2, "ho_ten", misread(t, tcvn3(t, "Nguyễn Thị Hương")))            // NguyÔn ThÞ H­¬ng
			set(3, "ho_ten", misread(t, []byte("Nguyễn Thị Hương")))              // Nguyá»…n Thá»‹ HÆ°Æ¡ng
			set(3, "noi_sinh", misread(t, []byte("Bệnh viện Đa khoa Hương Khê"))) // Đ's 0x90 is a C1 control
			set(4, "ho_ten_me", "Traàn Thò Lan")                                  // VNI
			set(5, "que_quan", misread(t, tcvn3(t, "Xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh")))
			set(6, "ho_ten", "BiÒm Sõn")              // TCVN3 "Biềm Sừn" or Windows-1258 "Bỉm Sơn"
			set(7, "noi_sinh", "B\ufffdnh vi\ufffdn") // lost before it reached lienthong
			set(8, "so_dinh_danh", "042\u00a0224\u00a0000\u00a0008")
			r := h.mustRun(connectors.Incremental)
			if r.Read != 30 || r.Rejected != 2 || r.Inserted != 28 {
				t.Fatalf("counts %+v; want 30 read, 28 inserted, 2 rejected", r.Counts)
			}

			// Nothing stored is garbled: every text of every record is clean
			// by RepairText, and the repaired rows hold the repairs.
			want := map[int]map[string]string{
				2: {"full_name": "Nguyễn Thị Hương"},
				3: {"full_name": "Nguyễn Thị Hương", "place_of_birth": "Bệnh viện Đa khoa Hương Khê"},
				4: {"mother_full_name": "Trần Thị Lan"},
				5: {"native_place": "Xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh"},
				8: {"id_number": "042224000008"},
			}
			for id := 1; id <= 30; id++ {
				if id == 6 || id == 7 {
					continue
				}
				sex := map[bool]string{true: "2", false: "3"}[id%2 == 0]
				docs, err := h.nat.Prefill(t.Context(), fmt.Sprintf("042%s24%06d", sex, id))
				if err != nil || len(docs) != 1 {
					t.Fatalf("row %d: %d records, %v; want 1", id, len(docs), err)
				}
				var data map[string]any
				if err := json.Unmarshal(docs[0].Data, &data); err != nil {
					t.Fatal(err)
				}
				for field, v := range data {
					s, _ := v.(string)
					if out, from, err := vn.RepairText(s); err != nil || from != "" || out != s {
						t.Errorf("row %d: %s = %q is stored garbled (%q, %q, %v)", id, field, s, out, from, err)
					}
				}
				for field, w := range want[id] {
					if data[field] != w {
						t.Errorf("row %d: %s = %q; want %q", id, field, data[field], w)
					}
				}
			}

			rejects, err := h.st.Rejects(t.Context(), state.Filter{Stream: h.ref.Stream})
			if err != nil || len(rejects) != 2 {
				t.Fatalf("rejects %d, %v; want 2", len(rejects), err)
			}
			shows := map[string][]string{
				"6": {"full_name: column ho_ten", `as stored "BiÒm Sõn"`, `"Biềm Sừn"`, `"Bỉm Sơn"`},
				"7": {"place_of_birth: column noi_sinh", "[U+FFFD]"},
			}
			for _, rj := range rejects {
				if rj.Reason != schema.ReasonEncoding {
					t.Errorf("reject %s: reason %s; want %s", rj.SourceKey, rj.Reason, schema.ReasonEncoding)
				}
				for _, s := range shows[rj.SourceKey] {
					if !strings.Contains(rj.Message, s) {
						t.Errorf("reject %s: message %q lacks %q", rj.SourceKey, rj.Message, s)
					}
				}
			}

			// The ledger counts, per field, what the mapping changed.
			for field, w := range map[string]state.FieldCounts{
				"full_name":        {Repaired: 2, Reformatted: 26, Rejected: 1},
				"place_of_birth":   {Repaired: 1, Rejected: 1},
				"mother_full_name": {Repaired: 1},
				"native_place":     {Repaired: 1},
				"id_number":        {Reformatted: 1},
				"date_of_birth":    {Reformatted: 28},
			} {
				if got := r.Normalised[field]; got != w {
					t.Errorf("ledger: %s = %+v; want %+v", field, got, w)
				}
			}
			t.Logf("ledger: %v", r.Normalised)
		})
	}
}
