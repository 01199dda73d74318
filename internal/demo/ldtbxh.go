package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lienthong/lienthong/mapping/vn"
)

// DropDir is where the labour and social affairs department drops its
// exports, relative to the demo directory.
const DropDir = "drop/ld-tbxh"

// beneficiary is one row of the department's export.
type beneficiary struct {
	id, name, born, sex, category, allowance, decision, decided, commune string
}

var header = []string{"so_dinh_danh", "ho_ten", "ngay_sinh", "gioi_tinh", "doi_tuong", "muc_tro_cap", "so_quyet_dinh", "ngay_quyet_dinh", "xa_phuong"}

// standard is the social assistance standard rate from 2021 (đồng/month);
// an allowance is the rate times the category's coefficient.
const standard = 360000

// Beneficiaries makes the department's register: elderly people, and the
// orphaned or disabled children of the civil-status register (so their
// pre-fill gathers three departments), with a few mistakes.
func Beneficiaries(ctx context.Context, f Files, elderly int) ([]beneficiary, error) {
	g := newGen(4)
	var out []beneficiary
	for i := 0; i < elderly; i++ {
		male := g.r.IntN(2) == 0
		year := 1930 + g.r.IntN(15)
		b := beneficiary{
			id: g.id(male, year), name: g.name(male, g.pick(surnames)), sex: "Nữ",
			born:     fmt.Sprintf("00/00/%d", year),
			category: "Người cao tuổi", allowance: money(standard * 3 / 2),
			decision: fmt.Sprintf("%d/QĐ-UBND", 100+i), decided: "15/07/2024",
			commune: g.pick(communes),
		}
		if male {
			b.sex = "Nam"
		}
		if i%5 == 0 {
			// Some registers hold the full date of birth.
			b.born = fmt.Sprintf("%02d/%02d/%d", 1+g.r.IntN(28), 1+g.r.IntN(12), year)
		}
		out = append(out, b)
	}
	db, err := openDept(f.Department)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT so_dinh_danh, ho_ten, ngay_sinh, gioi_tinh, que_quan FROM khai_sinh
		WHERE id % 19 = 4 AND length(so_dinh_danh) = 12 AND ho_ten <> '' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for i := 0; rows.Next(); i++ {
		var b beneficiary
		if err := rows.Scan(&b.id, &b.name, &b.born, &b.sex, &b.commune); err != nil {
			return nil, err
		}
		b.category, b.allowance = "Trẻ em mồ côi", money(standard*5/2)
		if i%3 == 0 {
			b.category, b.allowance = "Trẻ em khuyết tật", money(standard*2)
		}
		if i%29 == 0 {
			b.category = "Hộ nghèo" // not a category of Decree 20: the mapping's table rejects it
		}
		b.decision, b.decided = fmt.Sprintf("%d/QĐ-UBND", 500+i), "02/01/2025"
		out = append(out, b)
	}
	return out, rows.Err()
}

// money writes an amount the way the export does: 540.000.
func money(n int) string {
	s := fmt.Sprint(n)
	var b []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, '.')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// DropExport writes an export file in TCVN3, as the department's old
// software does, then its done marker, so lienthong reads it only whole.
// broken adds a row cut short, the kind a hand edit leaves.
func DropExport(f Files, name string, rows []beneficiary, broken bool) error {
	dir := filepath.Join(f.Dir, DropDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	for i, b := range rows {
		w.Write([]string{b.id, b.name, b.born, b.sex, b.category, b.allowance, b.decision, b.decided, b.commune})
		if broken && i == len(rows)/2 {
			w.Write([]string{b.id[:11], "Thiếu cột"})
		}
	}
	w.Flush()
	enc, err := vn.Encode(vn.TCVN3, buf.String())
	if err != nil {
		return fmt.Errorf("write export %s: %w", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, enc, 0o644); err != nil {
		return err
	}
	// Files must look settled: the connector also refuses a file modified
	// while it reads.
	past := time.Now().Add(-time.Minute)
	os.Chtimes(path, past, past)
	return os.WriteFile(path+".done", nil, 0o644)
}

// Raise returns the rows with the allowance of every tenth raised, as after
// a new decision, and the number raised.
func Raise(rows []beneficiary) ([]beneficiary, int) {
	var out []beneficiary
	for i, b := range rows {
		if i%10 == 0 {
			b.allowance = money(standard * 2)
			b.decision, b.decided = b.decision+"-BS", "01/12/2025"
			out = append(out, b)
		}
	}
	return out, len(out)
}
