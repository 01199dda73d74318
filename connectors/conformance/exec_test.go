package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/conformance"
	_ "github.com/lienthong/lienthong/connectors/exec"
)

// bin holds the exec peer's Singer tap, built from testdata/peertap by
// TestMain.
var bin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "lienthong-conformance-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		build := osexec.Command("go", "build", "-o", dir+string(filepath.Separator), "./testdata/peertap")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build the exec peer's tap:", err)
			return 1
		}
		bin = dir
		return m.Run()
	}())
}

// tapPeer is a department system whose export tap is a child process
// (testdata/peertap) reading a JSON file of rows.
type tapPeer struct {
	file string
	rows map[string]conformance.Row
}

func newTapPeer(t *testing.T) conformance.Peer {
	return &tapPeer{file: filepath.Join(t.TempDir(), "rows.json"), rows: map[string]conformance.Row{}}
}

// Caps: the tap resumes by STATE, so a failed read replays the records
// after the last STATE it handed over. It offers --discover, so the
// connector lists its columns.
func (p *tapPeer) Caps() conformance.Caps {
	return conformance.Caps{NullCursor: true, FullRefresh: true, Updates: true, AtLeastOnce: true, Columns: true}
}

func (p *tapPeer) Open(t *testing.T, _ int) (connectors.Source, connectors.Stream) {
	src, err := connectors.Open(context.Background(), connectors.Config{Name: "peer", Kind: "exec", DSN: "unused", Dir: bin, Log: peerLog(t),
		Options: map[string]any{"command": "./peertap", "discover": true, "env": map[string]any{"PEER_FILE": p.file}}})
	if err != nil {
		t.Fatal(err)
	}
	return src, connectors.Stream{Name: "people", Table: "people", PrimaryKey: []string{"id"}, Cursor: "updated"}
}

func (p *tapPeer) Put(t *testing.T, rows ...conformance.Row) {
	for _, r := range rows {
		p.rows[r.ID] = r
	}
	p.save(t)
}

func (p *tapPeer) Delete(t *testing.T, ids ...string) {
	for _, id := range ids {
		delete(p.rows, id)
	}
	p.save(t)
}

func (p *tapPeer) save(t *testing.T) {
	t.Helper()
	type row struct {
		ID     int    `json:"id"`
		Cursor *int   `json:"cursor"`
		Name   string `json:"name"`
		Place  string `json:"place"`
	}
	var out []row
	for _, r := range p.rows {
		id, err := strconv.Atoi(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		w := row{ID: id, Name: r.Name, Place: r.Place}
		if !r.NullCursor {
			c := r.Cursor
			w.Cursor = &c
		}
		out = append(out, w)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
