// Package demo makes a sample department for `lienthong demo`: a SQLite
// database of synthetic but realistic Hà Tĩnh birth registrations (some of
// them deliberately bad), the mapping files for it and a lienthong.yaml that
// syncs it into an embedded national store.
//
// The data is generated from a fixed seed, so every demo tells the same
// story. The package must not sync anything itself.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver

	"github.com/lienthong/lienthong/examples"
)

// Files are the paths Setup wrote.
type Files struct {
	Dir        string
	Config     string
	Department string // the department's SQLite database
}

// Setup writes the department database with n records, the mappings and the
// configuration into dir.
func Setup(ctx context.Context, dir string, n int) (Files, error) {
	f := Files{Dir: dir, Config: filepath.Join(dir, "lienthong.yaml"), Department: filepath.Join(dir, "so-tu-phap-ha-tinh.db")}
	if err := os.MkdirAll(filepath.Join(dir, "mappings"), 0o755); err != nil {
		return f, err
	}
	if err := WriteConfig(f, "", false); err != nil {
		return f, err
	}
	for _, name := range []string{"khai-sinh.yaml", "cong-dan.yaml", "the-bhyt.yaml", "bao-tro.yaml"} {
		body, err := examples.Mappings.ReadFile("mappings/" + name)
		if err != nil {
			return f, err
		}
		if err := os.WriteFile(filepath.Join(dir, "mappings", name), body, 0o644); err != nil {
			return f, err
		}
	}
	db, err := openDept(f.Department)
	if err != nil {
		return f, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, createTable); err != nil {
		return f, fmt.Errorf("create department table: %w", err)
	}
	g := newGen(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return f, err
	}
	defer tx.Rollback()
	base := time.Date(2025, 11, 1, 8, 0, 0, 0, time.UTC)
	var prev row
	for i := 1; i <= n; i++ {
		r := g.row(i, base.Add(time.Duration(i)*time.Minute))
		if i%211 == 0 {
			// The same certificate entered twice under two row ids.
			r.soDangKy, r.coQuan, r.bad = prev.soDangKy, prev.coQuan, true
		}
		prev = r
		if err := insert(ctx, tx, r); err != nil {
			return f, err
		}
	}
	return f, tx.Commit()
}

// Change edits the department database as a day of work would: officers fix
// the missing names, correct some native places and register new births.
// It returns how many rows it fixed, edited and added.
func Change(ctx context.Context, f Files) (fixed, edited, added int, err error) {
	db, err := openDept(f.Department)
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	now := time.Date(2025, 12, 15, 9, 0, 0, 0, time.UTC).Format(time.DateTime)
	res, err := db.ExecContext(ctx, `UPDATE khai_sinh SET ho_ten = 'Trần Thị Bích Ngọc', ngay_cap_nhat = ? WHERE ho_ten = ''`, now)
	if err != nil {
		return 0, 0, 0, err
	}
	n, _ := res.RowsAffected()
	fixed = int(n)
	res, err = db.ExecContext(ctx, `UPDATE khai_sinh SET que_quan = 'Xã Thạch Kênh, huyện Thạch Hà, tỉnh Hà Tĩnh', ngay_cap_nhat = ? WHERE id % 97 = 5`, now)
	if err != nil {
		return 0, 0, 0, err
	}
	n, _ = res.RowsAffected()
	edited = int(n)
	var maxID int
	if err := db.QueryRowContext(ctx, `SELECT MAX(id) FROM khai_sinh`).Scan(&maxID); err != nil {
		return 0, 0, 0, err
	}
	g := newGen(2)
	base := time.Date(2025, 12, 15, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= 15; i++ {
		r := g.row(maxID+i, base.Add(time.Duration(i)*time.Minute))
		r.bad = false
		if err := insert(ctx, db, g.clean(r)); err != nil {
			return 0, 0, 0, err
		}
		added++
	}
	return fixed, edited, added, nil
}

// Delete removes rows whose registrations were annulled, for the
// full-refresh part of the demo, and returns how many.
func Delete(ctx context.Context, f Files) (int, error) {
	db, err := openDept(f.Department)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	res, err := db.ExecContext(ctx, `DELETE FROM khai_sinh WHERE id IN (10, 20, 30, 40, 50, 60, 70)`)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// CitizenID returns the personal ID number of a citizen whose records are
// clean, for the pre-fill example.
func CitizenID(ctx context.Context, f Files) (string, error) {
	db, err := openDept(f.Department)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var id string
	err = db.QueryRowContext(ctx, `SELECT so_dinh_danh FROM khai_sinh WHERE id = 2`).Scan(&id)
	return id, err
}

func openDept(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("open department database: %w", err)
	}
	return db, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insert(ctx context.Context, db execer, r row) error {
	var cursor any = r.updated.Format(time.DateTime)
	if r.nullCursor {
		cursor = nil
	}
	_, err := db.ExecContext(ctx, `INSERT INTO khai_sinh (id, so_dang_ky, co_quan_dang_ky, ngay_dang_ky, ho_ten, ngay_sinh,
		gioi_tinh, so_dinh_danh, noi_sinh, que_quan, dan_toc, quoc_tich, ho_ten_me, so_dinh_danh_me, ho_ten_cha, so_dinh_danh_cha, ngay_cap_nhat)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.id, r.soDangKy, r.coQuan, r.ngayDangKy, r.hoTen, r.ngaySinh, r.gioiTinh, r.soDinhDanh, r.noiSinh, r.queQuan,
		r.danToc, r.quocTich, r.hoTenMe, r.soDinhDanhMe, r.hoTenCha, r.soDinhDanhCha, cursor)
	if err != nil {
		return fmt.Errorf("insert row %d: %w", r.id, err)
	}
	return nil
}

const createTable = `CREATE TABLE khai_sinh (
	id INTEGER PRIMARY KEY,
	so_dang_ky TEXT NOT NULL,
	co_quan_dang_ky TEXT NOT NULL,
	ngay_dang_ky TEXT,
	ho_ten TEXT,
	ngay_sinh TEXT,
	gioi_tinh TEXT,
	so_dinh_danh TEXT,
	noi_sinh TEXT,
	que_quan TEXT,
	dan_toc TEXT,
	quoc_tich TEXT,
	ho_ten_me TEXT,
	so_dinh_danh_me TEXT,
	ho_ten_cha TEXT,
	so_dinh_danh_cha TEXT,
	ngay_cap_nhat TEXT
);
CREATE INDEX khai_sinh_cap_nhat ON khai_sinh (ngay_cap_nhat, id);`

type row struct {
	id                                             int
	soDangKy, coQuan, ngayDangKy                   string
	hoTen, ngaySinh, gioiTinh, soDinhDanh          string
	noiSinh, queQuan, danToc, quocTich             string
	hoTenMe, soDinhDanhMe, hoTenCha, soDinhDanhCha string
	updated                                        time.Time
	nullCursor, bad                                bool
}

var (
	surnames = []string{"Nguyễn", "Trần", "Lê", "Phan", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Đinh", "Phạm", "Thái", "Đậu"}
	maleMid  = []string{"Văn", "Đức", "Minh", "Hữu", "Quang", "Xuân", "Đình", "Công", "Trọng", "Anh"}
	femMid   = []string{"Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Minh", "Phương", "Khánh"}
	maleGiv  = []string{"An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Khang", "Khôi", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tuấn", "Việt", "Vinh"}
	femGiv   = []string{"An", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung", "Phương", "Thảo", "Trang", "Uyên", "Yến"}
	// Communes of Hà Tĩnh before the 2025 reorganisation, with their district.
	communes = []string{
		"Phường Nam Hà, thành phố Hà Tĩnh", "Phường Bắc Hà, thành phố Hà Tĩnh", "Phường Bắc Hồng, thị xã Hồng Lĩnh",
		"Thị trấn Phố Châu, huyện Hương Sơn", "Xã Sơn Hồng, huyện Hương Sơn", "Thị trấn Đức Thọ, huyện Đức Thọ",
		"Xã Tùng Châu, huyện Đức Thọ", "Xã Ân Phú, huyện Vũ Quang", "Thị trấn Xuân An, huyện Nghi Xuân",
		"Xã Đan Trường, huyện Nghi Xuân", "Thị trấn Nghèn, huyện Can Lộc", "Xã Thiên Lộc, huyện Can Lộc",
		"Thị trấn Hương Khê, huyện Hương Khê", "Xã Tân Lộc, huyện Lộc Hà", "Thị trấn Cẩm Xuyên, huyện Cẩm Xuyên",
		"Xã Yên Hòa, huyện Cẩm Xuyên", "Xã Kỳ Xuân, huyện Kỳ Anh", "Phường Hưng Trí, thị xã Kỳ Anh",
	}
	hospitals = []string{"Bệnh viện Đa khoa tỉnh Hà Tĩnh", "Trung tâm Y tế huyện Hương Sơn", "Trung tâm Y tế huyện Cẩm Xuyên", "Bệnh viện Đa khoa thị xã Kỳ Anh"}
)

type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 42))} }

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) name(male bool, surname string) string {
	if male {
		return surname + " " + g.pick(maleMid) + " " + g.pick(maleGiv)
	}
	return surname + " " + g.pick(femMid) + " " + g.pick(femGiv)
}

// id makes a personal ID number: Hà Tĩnh's code 042, the sex-and-century
// digit, the birth year's last two digits and six serial digits.
func (g *gen) id(male bool, year int) string {
	d := 0
	if year >= 2000 {
		d = 2
	}
	if !male {
		d++
	}
	return fmt.Sprintf("042%d%02d%06d", d, year%100, g.r.IntN(1000000))
}

func (g *gen) row(i int, updated time.Time) row {
	male := g.r.IntN(2) == 0
	born := time.Date(2008+g.r.IntN(17), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), 0, 0, 0, 0, time.UTC)
	registered := born.AddDate(0, 0, 3+g.r.IntN(55))
	father := g.pick(surnames)
	commune := g.pick(communes)
	r := row{
		id: i, soDangKy: fmt.Sprintf("%d/%d", i, registered.Year()),
		coQuan:     "UBND " + strings.ToLower(commune[:1]) + commune[1:],
		ngayDangKy: registered.Format("02/01/2006"),
		hoTen:      g.name(male, father), ngaySinh: born.Format("02/01/2006"),
		soDinhDanh: g.id(male, born.Year()), noiSinh: g.pick(hospitals),
		queQuan: commune + ", tỉnh Hà Tĩnh", danToc: "Kinh", quocTich: "Việt Nam",
		hoTenMe: g.name(false, g.pick(surnames)), hoTenCha: father + " " + g.pick(maleMid) + " " + g.pick(maleGiv),
		updated: updated,
	}
	r.gioiTinh = "Nữ"
	if male {
		r.gioiTinh = "Nam"
	}
	r.soDinhDanhMe = g.id(false, 1980+g.r.IntN(20))
	r.soDinhDanhCha = g.id(true, 1978+g.r.IntN(20))
	if i%37 == 0 {
		r.danToc = "Mường"
	}
	// Deliberate mistakes, as found in real registers.
	switch {
	case i%53 == 0:
		r.hoTen, r.bad = "", true
	case i%71 == 0:
		r.ngaySinh, r.bad = fmt.Sprintf("31/02/%d", born.Year()), true
	case i%89 == 0:
		r.soDinhDanh, r.bad = r.soDinhDanh[1:], true
	case i%97 == 0:
		r.gioiTinh, r.bad = "Không rõ", true
	case i%101 == 0:
		// The sex-and-century digit of the ID number typed for the other sex.
		r.soDinhDanh, r.bad = r.soDinhDanh[:3]+string(r.soDinhDanh[3]^1)+r.soDinhDanh[4:], true
	case i%103 == 0:
		// The birth year in the ID number off by one.
		yy := (int(r.soDinhDanh[4]-'0')*10 + int(r.soDinhDanh[5]-'0') + 1) % 100
		r.soDinhDanh, r.bad = fmt.Sprintf("%s%02d%s", r.soDinhDanh[:4], yy, r.soDinhDanh[6:]), true
	}
	if i%401 == 0 {
		r.nullCursor = true
	}
	// Officers type in many ways: extra spaces, lower case.
	if i%17 == 0 {
		r.hoTen = "  " + strings.ReplaceAll(r.hoTen, " ", "  ") + " "
	}
	return r
}

func (g *gen) clean(r row) row {
	if r.hoTen == "" {
		r.hoTen = g.name(true, g.pick(surnames))
	}
	return r
}
