package sqlsource_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

// hoTen are names as a civil-status register holds them.
var hoTen = []string{
	"Nguyễn Văn Đức", "Trần Thị Hồng Nhung", "Lê Quang Vũ", "Phạm Ngọc Ánh",
	"Hoàng Thị Thuỷ", "Đặng Hữu Phước", "Bùi Thị Lan", "Võ Văn Kiệt",
}

// tcvn3 is a name as a TCVN3 (ABC font) application wrote it.
func tcvn3(t testing.TB, s string) []byte {
	t.Helper()
	b, err := vn.Encode(vn.TCVN3, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// misread is legacy bytes read as Windows-1252, as a latin1 column read
// over a Unicode connection gives them; the five bytes Windows-1252 leaves
// unassigned read as Latin-1, as MySQL reads them.
func misread(b []byte) string {
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

// TestDiscoverEncoding discovers a register migrated from a TCVN3
// application: a clean Unicode column beside the old names, misread into a
// text column (a latin1 column on MySQL, where the application's bytes
// really sit) and raw in a binary one. Each text column reports the
// encoding decode() needs; other columns report none.
func TestDiscoverEncoding(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE so_ho_tich (
			id INTEGER PRIMARY KEY,
			ho_ten `+b.pick("character varying(60)", "TEXT", "VARCHAR(60)")+`,
			ho_ten_cu `+b.pick("TEXT", "TEXT", "VARCHAR(60) CHARACTER SET latin1")+`,
			ho_ten_goc `+b.pick("bytea", "BLOB", "VARBINARY(60)")+`,
			anh `+b.pick("bytea", "BLOB", "VARBINARY(60)")+`,
			ghi_chu TEXT,
			so_con INTEGER)`)
		for i, name := range hoTen {
			b.exec(t, `INSERT INTO so_ho_tich (id, ho_ten, ho_ten_cu, ho_ten_goc, anh, so_con) VALUES (?, ?, ?, ?, ?, ?)`,
				i+1, name, misread(tcvn3(t, name)), tcvn3(t, name), []byte{0x89, 'P', 'N', 'G', 0, 0, 0, 0x0d}, i)
		}
		if b.kind == "mysql" {
			// The latin1 column holds the application's bytes, as a
			// department's MySQL does.
			var stored []byte
			if err := b.db.Get(&stored, `SELECT CAST(ho_ten_cu AS BINARY) FROM so_ho_tich WHERE id = 1`); err != nil {
				t.Fatal(err)
			}
			if want := tcvn3(t, hoTen[0]); string(stored) != string(want) {
				t.Fatalf("latin1 column holds % x; want the TCVN3 bytes % x", stored, want)
			}
		}
		if b.kind == "sqlite" {
			// SQLite keeps whatever bytes a TEXT value is given.
			b.exec(t, `ALTER TABLE so_ho_tich ADD COLUMN ho_ten_tho TEXT`)
			for i, name := range hoTen {
				b.exec(t, `UPDATE so_ho_tich SET ho_ten_tho = ? WHERE id = ?`, string(tcvn3(t, name)), i+1)
			}
		}
		src := b.open(t)
		infos, err := src.(connectors.Discoverer).Discover(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var info connectors.StreamInfo
		for _, i := range infos {
			if strings.HasSuffix(i.Name, "so_ho_tich") {
				info = i
			}
		}
		want := map[string]struct {
			enc string
			min float64
		}{
			"ho_ten":     {"utf-8", 0.9},
			"ho_ten_cu":  {"tcvn3", 0.9},
			"ho_ten_goc": {"tcvn3", 0.9},
			"anh":        {"", 0},
			"ghi_chu":    {"", 0},
			"so_con":     {"", 0},
			"id":         {"", 0},
		}
		if b.kind == "sqlite" {
			want["ho_ten_tho"] = struct {
				enc string
				min float64
			}{"tcvn3", 0.9}
		}
		if len(info.Columns) != len(want) {
			t.Fatalf("so_ho_tich columns %+v; want %d", info.Columns, len(want))
		}
		for _, c := range info.Columns {
			t.Logf("%s %s: %q %.3f", c.Name, c.Type, c.Encoding, c.EncodingConfidence)
			w := want[c.Name]
			if c.Encoding != w.enc || c.EncodingConfidence < w.min || c.EncodingConfidence > 1 || (w.enc == "" && c.EncodingConfidence != 0) {
				t.Errorf("column %s (%s): encoding %q, %.3f; want %q, at least %.2f", c.Name, c.Type, c.Encoding, c.EncodingConfidence, w.enc, w.min)
			}
		}

		// What discovery reports, decode() turns into the names.
		st := connectors.Stream{Name: info.Name, Table: info.Name, PrimaryKey: []string{"id"}}
		recs, _ := readAll(t, src, fullRefresh(st, nil, 100))
		if len(recs) != len(hoTen) {
			t.Fatalf("read %d records; want %d", len(recs), len(hoTen))
		}
		for i, r := range recs {
			cu, ok := r.Fields["ho_ten_cu"].(string)
			if !ok {
				t.Fatalf("ho_ten_cu is %T; want a string", r.Fields["ho_ten_cu"])
			}
			if got, err := vn.DecodeText(vn.TCVN3, cu); err != nil || got != hoTen[i] {
				t.Errorf("decode(ho_ten_cu %q, tcvn3) = %q, %v; want %q", cu, got, err, hoTen[i])
			}
			goc, ok := r.Fields["ho_ten_goc"].([]byte)
			if !ok {
				t.Fatalf("ho_ten_goc is %T; want bytes", r.Fields["ho_ten_goc"])
			}
			if got, err := vn.Decode(vn.TCVN3, goc); err != nil || got != hoTen[i] {
				t.Errorf("decode(ho_ten_goc % x, tcvn3) = %q, %v; want %q", goc, got, err, hoTen[i])
			}
		}
	})
}

func TestDiscoverEncodingOfView(t *testing.T) {
	// A view is sampled too, within its LIMIT.
	each(t, func(t *testing.T, b *backend) {
		b.exec(t, `CREATE TABLE nguoi (id INTEGER PRIMARY KEY, ten TEXT)`)
		for i, name := range hoTen {
			b.exec(t, `INSERT INTO nguoi VALUES (?, ?)`, i+1, misread(tcvn3(t, name)))
		}
		b.exec(t, `CREATE VIEW v_nguoi AS SELECT id, ten FROM nguoi`)
		if b.kind == "postgres" {
			// A view that fails when read is discovered without encodings.
			b.exec(t, `CREATE VIEW v_hong AS SELECT id, (1 / (id - id))::text AS ten FROM nguoi`)
		}
		infos, err := b.open(t).(connectors.Discoverer).Discover(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, i := range infos {
			switch {
			case strings.HasSuffix(i.Name, "v_nguoi"):
				found++
				if c := i.Columns[1]; c.Encoding != "tcvn3" || c.EncodingConfidence < 0.9 {
					t.Errorf("view column %+v; want tcvn3", c)
				}
			case strings.HasSuffix(i.Name, "v_hong"):
				found++
				if c := i.Columns[1]; c.Encoding != "" {
					t.Errorf("failing view column %+v; want no encoding", c)
				}
			}
		}
		if want := b.pick("2", "1", "1"); fmt.Sprint(found) != want {
			t.Fatalf("found %d of the views in %+v; want %s", found, infos, want)
		}
	})
}
