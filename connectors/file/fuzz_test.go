package file

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzCSV drives the CSV reading path (encoding detection, line decoding,
// sniffing, parsing, header and rows) with arbitrary bytes. It must never
// panic or loop, must number rows in order, and must give only valid NFC
// text. Where encoding/csv (strict quotes) reads valid UTF-8 without an
// error, the parser must read the same records.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		birthsCSV,
		"a;b\n1;\"x;y\"\n",
		"a,b\n1,\"dòng 1\r\ndòng 2\"\n2,\"\"\"\"\n",
		"a,b\n1,\"unclosed\n2,x\n",
		"a\tb\n1\tab\"c\n",
		"\xef\xbb\xbfa,b\n1,2\n",
		"\xff\xfea\x00,\x00b\x00\n\x00",
		"so_dk,ho_ten\n1,Nguy\xd4n V\xa8n \xa7\xf8c\n",
		"a,b\r\n\r\n\"\",\n",
		"\"a\"\"b\",c\nd,\"e\nf\"g\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readEverything(t, data)
		if utf8.Valid(data) && norm.NFC.IsNormal(data) && !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			compareWithEncodingCSV(t, data)
		}
	})
}

func readEverything(t *testing.T, data []byte) {
	p := &plan{keys: []string{}, settings: settings{header: 1, maxRowBytes: 1024}}
	c, err := newCSVRows(bytes.NewReader(data), p)
	if isProblem(err) {
		return
	}
	if err != nil {
		t.Fatalf("newCSVRows: %v", err)
	}
	tbl, err := newTable("f.csv", c, p, true)
	if isProblem(err) {
		return
	}
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	last := 0
	for n := 0; ; n++ {
		if n > len(data)+1 {
			t.Fatalf("more rows than bytes: the reader loops")
		}
		r, err := c.next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if r.line <= last {
			t.Fatalf("row on line %d after line %d", r.line, last)
		}
		last = r.line
		if r.bad != "" && !strings.HasPrefix(r.bad, fmt.Sprintf("line %d: ", r.line)) {
			t.Fatalf("reason %q does not start with its line %d", r.bad, r.line)
		}
		for _, s := range append(append([]string{}, r.fields...), r.raw) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
			if r.bad == "" && !norm.NFC.IsNormalString(s) {
				t.Fatalf("not NFC: %q", s)
			}
		}
		rec, ok := tbl.record(r)
		if ok && rec.Problem == nil && len(rec.Fields) > len(tbl.columns) {
			t.Fatalf("%d fields for %d columns", len(rec.Fields), len(tbl.columns))
		}
	}
}

func compareWithEncodingCSV(t *testing.T, data []byte) {
	std := csv.NewReader(bytes.NewReader(data))
	std.FieldsPerRecord = -1
	var want [][]string
	for {
		rec, err := std.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return // the strict parsers agree to disagree only on what is valid
		}
		want = append(want, rec)
	}
	p := &plan{settings: settings{header: 1, maxRowBytes: 1 << 20, encoding: "utf-8", declared: true, delimiter: ','}}
	c, err := newCSVRows(bytes.NewReader(data), p)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for {
		rec, err := c.r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.bad != "" {
			t.Fatalf("record on line %d is malformed (%s); encoding/csv reads %q", rec.line, rec.bad, want)
		}
		got = append(got, rec.fields)
	}
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("records %q; encoding/csv reads %q", got, want)
	}
}
