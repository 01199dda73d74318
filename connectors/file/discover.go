package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/mapping/vn"
)

// discoverRows is how many rows of a file discovery samples.
const discoverRows = 1000

// Discovered is what discovery learns about the files of one pattern,
// beyond what connectors.StreamInfo holds.
type Discovered struct {
	connectors.StreamInfo
	// Pattern is the stream's table: a glob matching the group's files.
	Pattern string `json:"pattern"`
	// Files is how many files match; File is the newest, which was
	// sampled.
	Files int    `json:"files"`
	File  string `json:"file"`
	// Format is csv or xlsx.
	Format string `json:"format"`
	// Encoding, EncodingBy (declared, bom or detected) and Confidence are
	// the CSV file's encoding and how sure detection was.
	Encoding   string  `json:"encoding,omitempty"`
	EncodingBy string  `json:"encoding_by,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Delimiter  string  `json:"delimiter,omitempty"`
	Sheet      string  `json:"sheet,omitempty"`
	// Problem says why the file could not be sampled.
	Problem string `json:"problem,omitempty"`
}

// Discover lists the streams the folder offers: files grouped by their
// name with the digits (dates, sequence numbers) replaced by *, each named
// by that pattern, with the columns of the newest file's header, their
// types and text encodings guessed from up to 1000 rows (see
// columnEncoding), and a suggested key.
func (s *Source) Discover(ctx context.Context) ([]connectors.StreamInfo, error) {
	ds, err := s.DiscoverFiles(ctx)
	if err != nil {
		return nil, err
	}
	infos := make([]connectors.StreamInfo, len(ds))
	for i, d := range ds {
		infos[i] = d.StreamInfo
		s.log.Info("discovered files", "pattern", d.Pattern, "files", d.Files, "newest", d.File, "format", d.Format,
			"encoding", d.Encoding, "encoding_by", d.EncodingBy, "confidence", d.Confidence, "delimiter", d.Delimiter,
			"problem", d.Problem)
	}
	return infos, nil
}

// DiscoverFiles is Discover with what StreamInfo has no room for: the
// pattern, the file sampled, its format, encoding and the confidence of
// its detection.
func (s *Source) DiscoverFiles(ctx context.Context) ([]Discovered, error) {
	groups := map[string]bool{}
	l, err := s.list(&plan{pattern: "*", settings: s.sourceSettings()})
	if err != nil {
		return nil, fmt.Errorf("discover source %q: %w", s.name, err)
	}
	l.close()
	l.warnOutside(s.log)
	for _, f := range l.files {
		if ext := strings.ToLower(f.name); strings.HasSuffix(ext, ".csv") || strings.HasSuffix(ext, ".txt") ||
			strings.HasSuffix(ext, ".tsv") || strings.HasSuffix(ext, ".xlsx") || strings.HasSuffix(ext, ".xlsm") {
			groups[patternOf(f.name)] = true
		}
	}
	var out []Discovered
	for pattern := range groups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := s.discover(pattern)
		if err != nil {
			return nil, fmt.Errorf("discover source %q: %w", s.name, err)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	return out, nil
}

// sourceSettings are the source-level options with the defaults.
func (s *Source) sourceSettings() settings {
	st, err := s.opts.fileOptions.settle(fileOptions{}, false, "options")
	if err != nil {
		panic("file: options validated at Open fail now: " + err.Error())
	}
	return st
}

var digitRuns = regexp.MustCompile(`[0-9]+`)
var starRuns = regexp.MustCompile(`\*([-_. ]*\*)+`)

// patternOf turns a file name into the glob of its series:
// khai-sinh-2024-05-01.csv into khai-sinh-*.csv.
func patternOf(name string) string {
	p := digitRuns.ReplaceAllString(name, "*")
	return starRuns.ReplaceAllString(p, "*")
}

func (s *Source) discover(pattern string) (Discovered, error) {
	p := &plan{pattern: pattern, settings: s.sourceSettings()}
	d := Discovered{Pattern: pattern, StreamInfo: connectors.StreamInfo{Name: pattern}}
	l, err := s.list(p)
	if err != nil {
		return d, err
	}
	defer l.close()
	d.Files = len(l.files)
	files := l.ready()
	if len(files) == 0 {
		files = l.files // sample a file still being written rather than none
	}
	if len(files) == 0 {
		return d, nil
	}
	f := files[len(files)-1]
	d.File = f.name
	o, err := openFile(f, p)
	if isProblem(err) || errors.Is(err, ErrTooLarge) {
		d.Problem = err.Error()
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("open %s: %w", f.path, err)
	}
	defer o.close()
	d.Format = o.format
	if o.format == formatCSV {
		d.Encoding, d.EncodingBy, d.Confidence = string(o.enc.enc), o.enc.by, o.enc.confidence
		d.Delimiter = string(o.delim)
	} else if x, ok := o.src.(*xlsxRows); ok {
		d.Sheet = x.sheet
	}
	cols := make([]columnStats, len(o.columns))
	rows := 0
	var textBytes int64
	for rows < discoverRows {
		r, err := o.src.next()
		if err == io.EOF {
			d.EstimatedRecords = int64(rows)
			break
		}
		if isProblem(err) || errors.Is(err, ErrTooLarge) {
			d.Problem = err.Error()
			break
		}
		if err != nil {
			return d, fmt.Errorf("read %s: %w", f.path, err)
		}
		if r.bad != "" {
			continue
		}
		rows++
		for i := range cols {
			v := ""
			if i < len(r.fields) {
				v = r.fields[i]
			}
			cols[i].add(v)
			textBytes += int64(len(v)) + 1
		}
	}
	if rows == discoverRows && o.format == formatCSV && textBytes > 0 {
		d.EstimatedRecords = f.size * int64(rows) / textBytes
	}
	for i, name := range o.columns {
		if name == "" {
			continue
		}
		c := connectors.Column{Name: name, Type: cols[i].kind(), Nullable: cols[i].empty > 0 || rows == 0}
		c.Encoding, c.EncodingConfidence = d.columnEncoding(&cols[i])
		d.Columns = append(d.Columns, c)
	}
	for i, name := range o.columns {
		if name != "" && keyName.MatchString(fold(name)) && rows > 0 && cols[i].empty == 0 && !cols[i].dup {
			d.SuggestedKey = []string{name}
			break
		}
	}
	return d, nil
}

// columnEncoding is the encoding a column's text was written in. A CSV
// file is decoded whole, so each of its columns has the file's encoding;
// but a Unicode file (a UTF-8 export of a latin1 database) may still hold
// legacy text misread as Windows-1252, which vn.DetectText finds and
// decode(col, enc) in a mapping repairs. The cells of an XLSX file are
// Unicode: those typed in a TCVN3 or VNI font are misread text of that
// encoding. A column with no sampled value in an XLSX file has none.
func (d *Discovered) columnEncoding(c *columnStats) (string, float64) {
	unicodeFile := d.Encoding == string(vn.UTF8) || d.Encoding == string(vn.UTF16LE) || d.Encoding == string(vn.UTF16BE)
	if d.Format == formatCSV && !unicodeFile {
		return d.Encoding, d.Confidence
	}
	if len(c.texts) > 0 {
		if enc, conf := vn.DetectText(c.texts); enc != vn.UTF8 || d.Format != formatCSV {
			return string(enc), conf
		}
	}
	if d.Format == formatCSV {
		return d.Encoding, d.Confidence
	}
	return "", 0
}

// keyName matches folded column names that usually hold an identifier:
// id, ma (mã: code), so (số: number), as a word.
var keyName = regexp.MustCompile(`(^|[^a-z])(id|ma|so)([^a-z]|$)`)

// fold lowercases a column name and takes the diacritics off, so that
// "Số định danh" and so_dinh_danh read alike.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// columnStats gathers what the sampled values of one column look like.
type columnStats struct {
	empty  int
	kinds  map[string]int
	seen   map[string]bool
	dup    bool
	values int
	// texts are the non-blank values, in file order, for DetectText.
	texts []string
}

func (c *columnStats) add(v string) {
	if strings.TrimSpace(v) == "" {
		c.empty++
		return
	}
	if c.kinds == nil {
		c.kinds, c.seen = map[string]int{}, map[string]bool{}
	}
	c.values++
	c.texts = append(c.texts, v)
	c.kinds[kindOf(v)]++
	if c.seen[v] {
		c.dup = true
	}
	c.seen[v] = true
}

// kind is the one type every sampled value fits: integer, decimal, date,
// datetime or text.
func (c *columnStats) kind() string {
	switch {
	case c.values == 0:
		return "text"
	case c.kinds["integer"] == c.values:
		return "integer"
	case c.kinds["integer"]+c.kinds["decimal"] == c.values:
		return "decimal"
	case c.kinds["date"] == c.values:
		return "date"
	case c.kinds["date"]+c.kinds["datetime"] == c.values:
		return "datetime"
	}
	return "text"
}

var (
	integerRE  = regexp.MustCompile(`^[+-]?(0|[1-9][0-9]*)$`)
	decimalRE  = regexp.MustCompile(`^[+-]?[0-9]+[.,][0-9]+$`)
	dateRE     = regexp.MustCompile(`^([0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})$`)
	datetimeRE = regexp.MustCompile(`^([0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?`)
)

// kindOf guesses one value's type. Digits with a leading zero are text: an
// ID such as 042090123456 loses its zero as a number.
func kindOf(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case integerRE.MatchString(v):
		return "integer"
	case decimalRE.MatchString(v):
		return "decimal"
	case dateRE.MatchString(v):
		return "date"
	case datetimeRE.MatchString(v):
		return "datetime"
	}
	return "text"
}
