package file

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// parseAll parses CSV text (UTF-8) with a delimiter, as the reader does.
func parseAll(t *testing.T, text string, delim rune) []csvRecord {
	t.Helper()
	p := &plan{settings: settings{header: 1, maxRowBytes: 1 << 10, encoding: "utf-8", declared: true, delimiter: delim}}
	c, err := newCSVRows(strings.NewReader(text), p)
	if err != nil {
		t.Fatal(err)
	}
	var out []csvRecord
	for {
		rec, err := c.r.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

func TestCSVParse(t *testing.T) {
	type rec struct {
		line   int
		fields []string
		bad    string // a substring of the reason
	}
	tests := []struct {
		name string
		in   string
		want []rec
	}{
		{"plain", "a,b\n1,2\n", []rec{{1, []string{"a", "b"}, ""}, {2, []string{"1", "2"}, ""}}},
		{"crlf and no final line break", "a,b\r\n1,2", []rec{{1, []string{"a", "b"}, ""}, {2, []string{"1", "2"}, ""}}},
		{"blank lines skipped", "a\n\n\nb\n", []rec{{1, []string{"a"}, ""}, {4, []string{"b"}, ""}}},
		{"empty fields", ",,\n", []rec{{1, []string{"", "", ""}, ""}}},
		{"quoted delimiter", `"Hà Tĩnh, Việt Nam",2` + "\n", []rec{{1, []string{"Hà Tĩnh, Việt Nam", "2"}, ""}}},
		{"doubled quote", `"say ""hi""",x` + "\n", []rec{{1, []string{`say "hi"`, "x"}, ""}}},
		{"empty quoted", `"",x` + "\n", []rec{{1, []string{"", "x"}, ""}}},
		{"embedded newline", "1,\"dòng 1\r\ndòng 2\n\ndòng 4\",z\n2,b,c\n",
			[]rec{{1, []string{"1", "dòng 1\ndòng 2\n\ndòng 4", "z"}, ""}, {5, []string{"2", "b", "c"}, ""}}},
		{"bare quote", "1,ab\"c,d\n2,e,f\n", []rec{{1, nil, `line 1: a quote inside an unquoted field`}, {2, []string{"2", "e", "f"}, ""}}},
		{"text after closing quote", "1,\"ab\"c,d\n2,e,f\n", []rec{{1, nil, `line 1: a closing quote is followed by 'c'`}, {2, []string{"2", "e", "f"}, ""}}},
		{"unclosed quote costs one line", "1,\"ab,c\n2,e,f\n3,g,h\n",
			[]rec{{1, nil, "line 1: the quoted field opened here is not closed"}, {2, []string{"2", "e", "f"}, ""}, {3, []string{"3", "g", "h"}, ""}}},
		{"quote error on a later line", "1,\"ab\nc\"d,e\n2,f\n",
			[]rec{{1, nil, "line 1: on line 2, a closing quote is followed by 'd'"}, {2, nil, "line 2: a quote inside an unquoted field"}, {3, []string{"2", "f"}, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseAll(t, tt.in, ',')
			if len(got) != len(tt.want) {
				t.Fatalf("got %d records %+v; want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.line != w.line {
					t.Errorf("record %d: line %d; want %d", i, g.line, w.line)
				}
				if w.bad != "" {
					if !strings.Contains(g.bad, w.bad) {
						t.Errorf("record %d: bad = %q; want it to contain %q", i, g.bad, w.bad)
					}
					continue
				}
				if g.bad != "" || !reflect.DeepEqual(g.fields, w.fields) {
					t.Errorf("record %d: fields %q bad %q; want %q", i, g.fields, g.bad, w.fields)
				}
			}
		})
	}
}

func TestCSVLongLine(t *testing.T) {
	long := strings.Repeat("x", 3000)
	got := parseAll(t, "a,b\n1,"+long+"\n2,y\n", ',')
	if len(got) != 3 || !strings.Contains(got[1].bad, "more than max_row_bytes") || got[2].bad != "" || got[2].fields[0] != "2" {
		t.Errorf("records = %+v; want the long line malformed and the next one read", got)
	}
	got = parseAll(t, "a,b\n1,\""+long+"\n2,y\n", ',')
	if len(got) != 3 || !strings.Contains(got[1].bad, "max_row_bytes") || got[2].fields[0] != "2" {
		t.Errorf("records = %+v; want the quoted field that runs on malformed and the next line read", got)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want rune
	}{
		{"comma", "a,b,c\n1,2,3\n", ','},
		{"semicolon with commas in values", "so_dk;ho_ten;dia_chi\n1;Nguyễn Văn Đức;Thạch Hà, Hà Tĩnh\n2;Lê Lan;Cẩm Xuyên, Hà Tĩnh\n", ';'},
		{"tab", "so_dk\tho_ten\tdia_chi\n1\tĐức\tHà Tĩnh, Việt Nam\n", '\t'},
		{"pipe", "a|b\n1|2\n", '|'},
		{"quoted semicolons in a comma file", "a,b\n\"x;y;z\",2\n\"p;q;r\",3\n", ','},
		{"one column", "so_dk\n1\n2\n", ','},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []line
			for i, s := range strings.Split(strings.TrimSuffix(tt.in, "\n"), "\n") {
				lines = append(lines, line{text: s, num: i + 1})
			}
			if got := sniff(lines, 1<<20); got != tt.want {
				t.Errorf("sniff = %q; want %q", got, tt.want)
			}
		})
	}
}

// End to end: sniffed delimiters, quoted fields and a malformed row in the
// middle, which is rejected while the rest syncs.
func TestReadRows(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantKeys []string
		wantBad  map[string]string // key → message substring
		check    func(t *testing.T, recs []connectors.Record)
	}{
		{
			name:     "semicolon",
			content:  "so_dk;ho_ten;dia_chi\n1;Nguyễn Văn Đức;Thạch Hà, Hà Tĩnh\n2;Lê Lan;Cẩm Xuyên, Hà Tĩnh\n",
			wantKeys: []string{"1", "2"},
			check: func(t *testing.T, recs []connectors.Record) {
				if got := recs[0].Fields["dia_chi"]; got != "Thạch Hà, Hà Tĩnh" {
					t.Errorf("dia_chi = %q", got)
				}
			},
		},
		{
			// The reader reuses a row's slice of fields for the next row:
			// every record must keep its own values.
			name:     "each record keeps its values",
			content:  "so_dk,ho_ten,dia_chi\n1,Nguyễn Văn Đức,\"Thạch Hà, Hà Tĩnh\"\n2,Lê Lan,\n3,\"Trần\nAn\",Kỳ Anh\n",
			wantKeys: []string{"1", "2", "3"},
			check: func(t *testing.T, recs []connectors.Record) {
				want := []map[string]any{
					{"so_dk": "1", "ho_ten": "Nguyễn Văn Đức", "dia_chi": "Thạch Hà, Hà Tĩnh"},
					{"so_dk": "2", "ho_ten": "Lê Lan", "dia_chi": nil},
					{"so_dk": "3", "ho_ten": "Trần\nAn", "dia_chi": "Kỳ Anh"},
				}
				for i, r := range recs {
					if !reflect.DeepEqual(r.Fields, want[i]) {
						t.Errorf("record %s: %#v, want %#v", r.Key, r.Fields, want[i])
					}
				}
			},
		},
		{
			name:     "tab",
			content:  "so_dk\tho_ten\n1\tNguyễn Văn Đức\n2\tLê Lan\n",
			wantKeys: []string{"1", "2"},
		},
		{
			name: "quoted fields with line breaks and delimiters",
			content: "so_dk,ho_ten,ghi_chu\n" +
				"1,Nguyễn Văn Đức,\"Khai sinh, lần 1\r\nCấp lại \"\"bản sao\"\"\"\n" +
				"2,Lê Lan,\n",
			wantKeys: []string{"1", "2"},
			check: func(t *testing.T, recs []connectors.Record) {
				if got := recs[0].Fields["ghi_chu"]; got != "Khai sinh, lần 1\nCấp lại \"bản sao\"" {
					t.Errorf("ghi_chu = %q", got)
				}
				if got, ok := recs[1].Fields["ghi_chu"]; !ok || got != nil {
					t.Errorf("empty ghi_chu = %#v, present %v; want nil", got, ok)
				}
			},
		},
		{
			name:     "malformed rows in the middle",
			content:  "so_dk,ho_ten\n1,An\n2,Bình,extra\n3,\"Chi\n4,Dũng\n5,E\"x\n6,Giang\n",
			wantKeys: []string{"1", "4", "6"},
			wantBad: map[string]string{
				"rows.csv:3": "rows.csv line 3: 3 fields, the header has 2",
				"rows.csv:4": "rows.csv line 4: on line 6, a closing quote is followed by 'x'",
				"rows.csv:6": "rows.csv line 6: a quote inside an unquoted field",
			},
			check: func(t *testing.T, recs []connectors.Record) {
				for _, r := range recs {
					if r.Key == "rows.csv:3" && r.Fields[rawField] != "2,Bình,extra" {
						t.Errorf("raw of the wide row = %q", r.Fields[rawField])
					}
					if r.Key == "rows.csv:6" && r.Fields[rawField] != `5,E"x` {
						t.Errorf("raw of the bare quote row = %q", r.Fields[rawField])
					}
				}
			},
		},
		{
			name:     "missing key",
			content:  "so_dk,ho_ten\n1,An\n  ,Bình\n3,Chi\n",
			wantKeys: []string{"1", "3"},
			wantBad:  map[string]string{"rows.csv:3": `rows.csv line 3: key column "so_dk" is empty`},
			check: func(t *testing.T, recs []connectors.Record) {
				if p := recs[1].Problem; p == nil || p.Code != CodeMissingKey || p.Field != "so_dk" || recs[1].Fields["ho_ten"] != "Bình" {
					t.Errorf("missing key record = %+v, problem %+v", recs[1], p)
				}
			},
		},
		{
			name:     "all-empty rows are skipped",
			content:  "so_dk,ho_ten\n1,An\n,\n\n2,Bình\n",
			wantKeys: []string{"1", "2"},
		},
		{
			name:     "header trimmed, NFC, BOM inside",
			content:  "\uFEFF so_dk , Họ tên\n1,An\n",
			wantKeys: []string{"1"},
			check: func(t *testing.T, recs []connectors.Record) {
				if recs[0].Fields["Họ tên"] != "An" {
					t.Errorf("fields = %v", recs[0].Fields)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			drop(t, dir, "rows.csv", []byte(tt.content), old)
			src := openSource(t, dir, nil)
			recs, _ := readAll(t, src, stream("rows.csv", "so_dk"), connectors.Incremental, nil)
			if got := keys(good(recs)); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("good keys = %q; want %q", got, tt.wantKeys)
			}
			bad := problems(recs)
			if len(bad) != len(tt.wantBad) {
				t.Errorf("%d problems %+v; want %d", len(bad), bad, len(tt.wantBad))
			}
			for _, r := range bad {
				want, ok := tt.wantBad[r.Key]
				if !ok || !strings.Contains(r.Problem.Message, want) {
					t.Errorf("problem %s: %q; want %q", r.Key, r.Problem.Message, want)
				}
			}
			if tt.check != nil {
				tt.check(t, recs)
			}
		})
	}
}
