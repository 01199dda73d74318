package conformance_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/conformance"
	_ "github.com/lienthong/lienthong/connectors/file"
	"github.com/lienthong/lienthong/mapping/vn"
)

// fileOptions are the source's options as a department's lienthong.yaml
// writes them: change files in TCVN3, complete exports in Windows-1258
// with semicolons (as Excel writes CSV under a Vietnamese locale), each
// file ready once its done marker exists. A UTF-8 file's byte order mark
// wins over the declared encoding.
const fileOptions = `
dir: drop
encoding: tcvn3
done_suffix: .done
streams:
  people-snapshot:
    snapshot: true
    encoding: windows-1258
`

var (
	changeStream   = connectors.Stream{Name: "people", Table: "people-*.csv", PrimaryKey: []string{"id"}, Cursor: "updated_at"}
	snapshotStream = connectors.Stream{Name: "people-snapshot", Table: "snapshot-*.csv", PrimaryKey: []string{"id"}}
)

// filePeer is a department that drops CSV exports into a folder. Each Put
// drops a change file holding the rows put (read incrementally, each file
// once) and a snapshot of every current row (read by full refresh, the
// newest file whole); each Delete drops a snapshot only, as a change file
// can not say that a row is gone. Every file gets its done marker once
// written.
//
// The folder starts with an empty change file and an empty snapshot, each
// a header line: the department's export has run once over an empty
// system. The connector rightly refuses a full refresh of a folder with no
// snapshot (it would delete everything), and Check reports a folder with
// no file at all, so "empty" has to be an empty export.
type filePeer struct {
	base, dir string
	rows      map[string]conformance.Row
	// seq numbers the files dropped, by name prefix; mtime is the
	// modification time the next one gets, a second after the last, so
	// that the order files are read in does not hang on the file system's
	// timestamp granularity.
	seq   map[string]int
	mtime time.Time
}

func newFilePeer(t *testing.T) conformance.Peer {
	base := t.TempDir()
	p := &filePeer{base: base, dir: filepath.Join(base, "drop"), rows: map[string]conformance.Row{},
		seq: map[string]int{}, mtime: time.Now().Add(-time.Hour).Truncate(time.Second)}
	if err := os.Mkdir(p.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p.drop(t, "people", nil)
	p.drop(t, "snapshot", nil)
	return p
}

// Caps: files have no cursor semantics. A file is read once, so a row
// without a cursor value is delivered once like any other and never again,
// unlike a database's NULL-cursor row, which is read on every run. A row
// changed and put again lands in a new file, which is read, so Updates
// holds. Reads resume at the row, exactly.
func (p *filePeer) Caps() conformance.Caps {
	return conformance.Caps{NullCursor: false, FullRefresh: true, Updates: true, Columns: true}
}

func (p *filePeer) Open(t *testing.T, _ int) (connectors.Source, connectors.Stream) {
	t.Helper()
	var opts map[string]any
	if err := yaml.Unmarshal([]byte(fileOptions), &opts); err != nil {
		t.Fatal(err)
	}
	// dir is relative, resolved against the configuration file's folder.
	src, err := connectors.Open(context.Background(), connectors.Config{Name: "peer", Kind: "file", Options: opts, Dir: p.base,
		Log: peerLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	return byMode{Source: src, snapshot: snapshotStream}, changeStream
}

func (p *filePeer) Put(t *testing.T, rows ...conformance.Row) {
	t.Helper()
	for _, r := range rows {
		p.rows[r.ID] = r
	}
	p.drop(t, "people", rows)
	p.snapshot(t)
}

func (p *filePeer) Delete(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		delete(p.rows, id)
	}
	p.snapshot(t)
}

// snapshot drops a complete export of the current rows, by id.
func (p *filePeer) snapshot(t *testing.T) {
	t.Helper()
	all := make([]conformance.Row, 0, len(p.rows))
	for _, r := range p.rows {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b conformance.Row) int {
		x, _ := strconv.Atoi(a.ID)
		y, _ := strconv.Atoi(b.ID)
		return cmp.Compare(x, y)
	})
	p.drop(t, "snapshot", all)
}

// drop writes <prefix>-<n>.csv, then its done marker. Files alternate,
// from the first after the empty one, between the stream's legacy encoding (TCVN3 for change files,
// Windows-1258 for snapshots) and UTF-8 with a byte order mark; snapshots
// are separated by semicolons.
func (p *filePeer) drop(t *testing.T, prefix string, rows []conformance.Row) {
	t.Helper()
	var text bytes.Buffer
	w := csv.NewWriter(&text)
	w.UseCRLF = true
	if prefix == "snapshot" {
		w.Comma = ';'
	}
	w.Write([]string{"id", "name", "place", "updated_at"})
	for _, r := range rows {
		updated := ""
		if !r.NullCursor {
			updated = epoch.Add(time.Duration(r.Cursor) * time.Second).In(ict).Format(time.DateTime)
		}
		w.Write([]string{r.ID, r.Name, r.Place, updated})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	content := append([]byte("\uFEFF"), text.Bytes()...)
	n := p.seq[prefix]
	p.seq[prefix]++
	if n%2 == 1 {
		enc := vn.TCVN3
		if prefix == "snapshot" {
			enc = vn.CP1258
		}
		var err error
		if content, err = vn.Encode(enc, text.String()); err != nil {
			t.Fatal(err)
		}
	}
	name := fmt.Sprintf("%s-%06d.csv", prefix, n)
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	p.mtime = p.mtime.Add(time.Second)
	if err := os.Chtimes(path, p.mtime, p.mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".done", nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// byMode is the file source as the suite sees it: one stream, read in both
// modes. A file stream is either incremental (change files) or snapshot
// (complete exports, full refresh), and the connector refuses the other
// mode rather than guess which records to delete; a department that drops
// both is configured as two streams over one folder. byMode sends each
// read to the stream of its mode and checks both.
type byMode struct {
	connectors.Source
	snapshot connectors.Stream
}

func (b byMode) Check(ctx context.Context, st connectors.Stream) error {
	if err := b.Source.Check(ctx, st); err != nil {
		return err
	}
	return b.Source.Check(ctx, b.snapshot)
}

// Columns lists the change files' columns, which must be the snapshots'
// too.
func (b byMode) Columns(ctx context.Context, st connectors.Stream) ([]string, bool, error) {
	cl := b.Source.(connectors.ColumnLister)
	cols, ok, err := cl.Columns(ctx, st)
	if err != nil || !ok {
		return cols, ok, err
	}
	snap, ok, err := cl.Columns(ctx, b.snapshot)
	if err != nil || !ok {
		return snap, ok, err
	}
	if !slices.Equal(cols, snap) {
		return nil, false, fmt.Errorf("the change files' columns %q differ from the snapshots' %q", cols, snap)
	}
	return cols, true, nil
}

func (b byMode) Read(ctx context.Context, req connectors.ReadRequest) (connectors.Reader, error) {
	if req.Mode == connectors.FullRefresh {
		req.Stream = b.snapshot
	}
	return b.Source.Read(ctx, req)
}
