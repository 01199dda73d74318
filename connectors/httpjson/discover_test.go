package httpjson_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

// withoutEncodings is columns with their encodings cleared, for tests of
// the rest of discovery.
func withoutEncodings(cols []connectors.Column) []connectors.Column {
	out := make([]connectors.Column, len(cols))
	for i, c := range cols {
		c.Encoding, c.EncodingConfidence = "", 0
		out[i] = c
	}
	return out
}

// TestDiscoverEncoding: an API in front of a legacy database serves its
// TCVN3 and VNI text misread as Windows-1252, raw or as \u escapes;
// discovery names the encoding decode() needs, and clean fields are utf-8.
func TestDiscoverEncoding(t *testing.T) {
	type person struct{ clean, tcvn3, vni string }
	people := []person{
		{"Nguyễn Văn Đức", "NguyÔn V¨n §øc", "Nguyeãn Vaên Ñöùc"},
		{"Trần Thị Lan", "TrÇn ThÞ Lan", "Traàn Thò Lan"},
		{"Phạm Ngọc Ánh", "Ph¹m Ngäc ƒnh", "Phaïm Ngoïc AÙnh"}, // ƒ is 0x83, VN1's Á
		{"Hà Tĩnh", "Hµ TÜnh", "Haø Tónh"},
		{"Nghệ An", "NghÖ An", "Ngheä An"},
	}
	for _, p := range people {
		// The test's own data must be what it claims.
		for enc, s := range map[vn.Encoding]string{vn.TCVN3: p.tcvn3, vn.VNI: p.vni} {
			if got, err := vn.DecodeText(enc, s); err != nil || got != p.clean {
				t.Fatalf("DecodeText(%s, %q) = %q, %v; want %q", enc, s, got, err, p.clean)
			}
		}
	}
	api := newAPI(t, stylePage)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		var items []string
		for i, p := range people {
			clean, _ := json.Marshal(p.clean)
			tcvn3, _ := json.Marshal(p.tcvn3)
			items = append(items, fmt.Sprintf(`{"id":%d,"ho_ten":%s,"ho_ten_cu":%s,"que_quan":"%s","ma":"HS-%d","ghi_chu":null}`,
				i+1, clean, tcvn3, escapeAll(p.vni), i+1))
		}
		fmt.Fprintf(w, `{"data":{"items":[%s]}}`, strings.Join(items, ","))
		return true
	}
	src := api.open(t, map[string]any{"discover": []any{"items"}})
	infos, err := src.(connectors.Discoverer).Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		enc string
		min float64
	}{
		"id":        {"", 0},
		"ho_ten":    {"utf-8", 0.9},
		"ho_ten_cu": {"tcvn3", 0.9},
		"que_quan":  {"vni", 0.9},
		"ma":        {"utf-8", 1},
		"ghi_chu":   {"", 0},
	}
	if len(infos) != 1 || len(infos[0].Columns) != len(want) {
		t.Fatalf("discovered %+v; want one stream of %d columns", infos, len(want))
	}
	for _, c := range infos[0].Columns {
		t.Logf("%s: %q %.3f", c.Name, c.Encoding, c.EncodingConfidence)
		w := want[c.Name]
		if c.Encoding != w.enc || c.EncodingConfidence < w.min || c.EncodingConfidence > 1 || (w.enc == "" && c.EncodingConfidence != 0) {
			t.Errorf("field %s: encoding %q, %.3f; want %q, at least %.2f", c.Name, c.Encoding, c.EncodingConfidence, w.enc, w.min)
		}
	}
}

// escapeAll writes every non-ASCII character of s as a \u escape, as PHP
// and Java APIs do.
func escapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}
