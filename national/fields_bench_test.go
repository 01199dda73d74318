package national

import (
	"fmt"
	"testing"

	"github.com/lienthong/lienthong/schema"
)

// BenchmarkFields encodes the field columns of a batch of 1,000 birth
// registrations as COPY text (pgFields), per batch.
func BenchmarkFields(b *testing.B) {
	items := make([]Item, 1000)
	write := make([]int, len(items))
	for i := range items {
		data := map[string]any{
			"certificate_number": fmt.Sprintf("%d/2024", i), "registering_agency": "UBND xã Thạch Kênh, huyện Thạch Hà",
			"registration_date": "2024-03-05", "full_name": "Nguyễn Thị Minh Châu", "date_of_birth": "2024-03-01", "sex": "F",
			"id_number": fmt.Sprintf("0423240%05d", i), "place_of_birth": "Bệnh viện Đa khoa tỉnh Hà Tĩnh",
			"native_place": "xã Thạch Hà, tỉnh Hà Tĩnh", "ethnicity": "Kinh", "nationality": "Việt Nam",
			"mother_full_name": "Trần Thị Bình", "mother_id_number": "042195000456", "father_full_name": "Nguyễn Văn Cường",
			"father_id_number": "042092000789"}
		d, h, err := schema.Canonical(data)
		if err != nil {
			b.Fatal(err)
		}
		items[i] = Item{Kind: "birth_registration", NaturalKey: fmt.Sprint(i), SourceKey: fmt.Sprint(i), Data: d, Hash: h, Values: ValuesOf("birth_registration", data)}
		write[i] = i
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		res := Result{Outcomes: make([]Outcome, len(items))}
		if _, kept, err := pgFields(items, write, &res, &buf); err != nil || len(kept) != len(items) {
			b.Fatal(err, len(kept))
		}
	}
}
