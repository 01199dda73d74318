package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand"
	"strconv"
	"time"
)

// srcColumns are the department table's columns, in the order the
// generator fills them and the CSV drop writes them: the columns
// examples/mappings/khai-sinh.yaml reads, the primary key and the cursor.
var srcColumns = []string{"id", "so_dang_ky", "co_quan_dang_ky", "ngay_dang_ky", "ho_ten", "ngay_sinh", "gioi_tinh",
	"so_dinh_danh", "noi_sinh", "que_quan", "dan_toc", "quoc_tich", "ho_ten_me", "so_dinh_danh_me", "ho_ten_cha",
	"so_dinh_danh_cha", "ngay_cap_nhat"}

const createSource = `CREATE TABLE khai_sinh (
	id bigint PRIMARY KEY, so_dang_ky text NOT NULL, co_quan_dang_ky text NOT NULL, ngay_dang_ky text,
	ho_ten text, ngay_sinh text, gioi_tinh text, so_dinh_danh text, noi_sinh text, que_quan text,
	dan_toc text, quoc_tich text, ho_ten_me text, so_dinh_danh_me text, ho_ten_cha text, so_dinh_danh_cha text,
	ngay_cap_nhat timestamptz NOT NULL)`

// createSourceIndex is made after the load, as a department's table has it.
const createSourceIndex = `CREATE INDEX khai_sinh_cursor ON khai_sinh (ngay_cap_nhat, id)`

var (
	families  = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middlesM  = []string{"Văn", "Đức", "Minh", "Quốc", "Hữu", "Thành", "Gia"}
	middlesF  = []string{"Thị", "Ngọc", "Thu", "Thanh", "Mai", "Bảo", "Khánh"}
	givensM   = []string{"An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tâm", "Thắng", "Việt"}
	givensF   = []string{"Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Ngân", "Nhung", "Phương", "Thảo", "Trang", "Yến"}
	communes  = []string{"Thạch Kênh", "Thạch Liên", "Thạch Đài", "Cẩm Xuyên", "Kỳ Anh", "Hương Khê", "Đức Thọ", "Nghi Xuân", "Can Lộc", "Lộc Hà"}
	districts = []string{"Thạch Hà", "Cẩm Xuyên", "Kỳ Anh", "Hương Khê", "Đức Thọ"}
	ethnics   = []string{"Kinh", "Kinh", "Kinh", "Kinh", "Mường", "Thái", "", ""}
)

// cursorBase is the first row's cursor; row i's is i seconds later.
var cursorBase = time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("+07", 7*3600))

// generator makes the department's rows, deterministic by seed. About 3% of
// the rows are bad in a way the mapping rejects (no name, a certificate
// number not written number/year, an ID number whose sex digit contradicts
// the sex) and 0.5% are officers' test rows the mapping skips.
type generator struct {
	seed int64
}

// row returns row i (from 1) as the source table holds it.
func (g generator) row(i int64) []string {
	r := rand.New(rand.NewSource(g.seed*1_000_003 + i))
	male := r.Intn(2) == 0
	year := 2015 + r.Intn(10)
	dob := time.Date(year, time.Month(1+r.Intn(12)), 1+r.Intn(28), 0, 0, 0, 0, time.UTC)
	reg := dob.AddDate(0, 0, 1+r.Intn(60))
	if reg.After(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		reg = dob
	}
	sexWord, sexDigit, middles, givens := "Nữ", 3, middlesF, givensF
	if male {
		sexWord, sexDigit, middles, givens = "Nam", 2, middlesM, givensM
	}
	name := pick(r, families) + " " + pick(r, middles) + " " + pick(r, givens)
	if r.Intn(10) == 0 {
		name = "  " + name + "  " // officers' stray spaces: the mapping trims them
	}
	commune, district := pick(r, communes), pick(r, districts)
	agency := "UBND xã " + commune + ", huyện " + district
	cert := fmt.Sprintf("%d/%d", i, reg.Year())
	id := fmt.Sprintf("042%d%02d%06d", sexDigit, year%100, r.Intn(1_000_000))
	switch bad := r.Intn(1000); {
	case bad < 10:
		name = ""
	case bad < 20:
		cert = fmt.Sprintf("%d-%d", i, reg.Year())
	case bad < 30:
		id = fmt.Sprintf("042%d%02d%06d", 5-sexDigit, year%100, r.Intn(1_000_000))
	case bad < 35:
		cert = fmt.Sprintf("TEST-%d", i)
	}
	motherYear, fatherYear := 1985+r.Intn(15), 1980+r.Intn(18)
	nationality := "Việt Nam"
	if r.Intn(5) == 0 {
		nationality = ""
	}
	return []string{
		strconv.FormatInt(i, 10), cert, agency, reg.Format("02/01/2006"), name, dob.Format("02/01/2006"), sexWord, id,
		"Trạm y tế xã " + commune, "Xã " + pick(r, communes) + ", huyện " + pick(r, districts) + ", tỉnh Hà Tĩnh",
		pick(r, ethnics), nationality,
		pick(r, families) + " " + pick(r, middlesF) + " " + pick(r, givensF), fmt.Sprintf("0421%02d%06d", motherYear%100, r.Intn(1_000_000)),
		pick(r, families) + " " + pick(r, middlesM) + " " + pick(r, givensM), fmt.Sprintf("0420%02d%06d", fatherYear%100, r.Intn(1_000_000)),
		cursorBase.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
	}
}

func pick(r *rand.Rand, s []string) string { return s[r.Intn(len(s))] }

// writeCSV writes rows 1..n as a UTF-8 CSV export with a header line.
func (g generator) writeCSV(w io.Writer, n int64) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(srcColumns); err != nil {
		return err
	}
	for i := int64(1); i <= n; i++ {
		if err := cw.Write(g.row(i)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
