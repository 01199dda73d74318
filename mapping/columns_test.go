package mapping_test

import (
	"slices"
	"testing"

	"github.com/lienthong/lienthong/mapping"
)

// TestColumns lists exactly the source columns the expressions read: the
// fields', lets', skips' and rejects' columns, not the lets themselves or
// the functions.
func TestColumns(t *testing.T) {
	m, err := mapping.Parse("cols.yaml", []byte(`kind: person
version: "1"
let:
  dob: date(ngay_sinh)
fields:
  id_number: id(so_dinh_danh, sex(gioi_tinh), dob)
  full_name: name(ho_ten)
  date_of_birth: dob
  sex: sex(gioi_tinh)
skip:
  - {when: 'ghi_chu == "TEST"', reason: test row}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ghi_chu", "gioi_tinh", "ho_ten", "ngay_sinh", "so_dinh_danh"}
	if got := m.Columns(); !slices.Equal(got, want) {
		t.Fatalf("Columns() = %v, want %v", got, want)
	}
}
