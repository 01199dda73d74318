package cli_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lienthong/lienthong/examples"
)

// sqliteDepartment writes a civil-status register of rows in a SQLite file
// and a configuration syncing it into the embedded store; rows for which
// nameless is true have no name and are rejected (required_missing).
// extraStreams are appended to the source's streams.
func sqliteDepartment(t *testing.T, rows int, nameless func(id int) bool, extraStreams string) (cfg string) {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "hotich.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE khai_sinh (id INTEGER PRIMARY KEY, so_dang_ky TEXT, co_quan_dang_ky TEXT, ngay_dang_ky TEXT,
		ho_ten TEXT, ngay_sinh TEXT, gioi_tinh TEXT, so_dinh_danh TEXT, noi_sinh TEXT, que_quan TEXT, dan_toc TEXT, quoc_tich TEXT,
		ho_ten_me TEXT, so_dinh_danh_me TEXT, ho_ten_cha TEXT, so_dinh_danh_cha TEXT, ngay_cap_nhat TEXT)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= rows; id++ {
		name := fmt.Sprintf("Nguyễn Văn An %d", id)
		if nameless(id) {
			name = ""
		}
		if _, err := tx.Exec(`INSERT INTO khai_sinh VALUES (?, ?, 'UBND xã Thạch Kênh', '05/03/2024', ?, '01/03/2024', 'Nam', '',
			'Bệnh viện Đa khoa tỉnh Hà Tĩnh', 'Thạch Hà', 'Kinh', 'Việt Nam', '', '', '', '', ?)`,
			id, fmt.Sprintf("%d/2024", id), name, fmt.Sprintf("2025-01-01 00:%02d:%02d", id/60%60, id%60)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "mappings"), 0o755)
	os.WriteFile(filepath.Join(dir, "mappings", "khai-sinh.yaml"), body, 0o644)
	cfg = filepath.Join(dir, "lienthong.yaml")
	err = os.WriteFile(cfg, []byte(`departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: sqlite
        dsn: hotich.db
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: mappings/khai-sinh.yaml
`+extraStreams), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
