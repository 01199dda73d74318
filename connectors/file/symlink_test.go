package file

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

// TestSymlinkOutsideRefused: symbolic links in the drop folder that lead
// outside it (to a file, through a linked directory, through "..") are
// never read, the read logs them by name and Check fails naming them; a
// link from one file of the folder to another is read.
func TestSymlinkOutsideRefused(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "drop")
	outside := filepath.Join(base, "secrets")
	for _, d := range []string{dir, outside, filepath.Join(dir, "kho")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "BI_MAT_CUA_SO_KHAC"
	drop(t, outside, "other.csv", []byte("id,ten\n99,"+secret+"\n"), old)
	drop(t, dir, "khai-sinh-1.csv", []byte("id,ten\n1,Nguyễn Văn An\n"), 3*old)
	drop(t, filepath.Join(dir, "kho"), "that.csv", []byte("id,ten\n2,Trần Thị Bình\n"), 3*old)
	links := map[string]string{
		"khai-sinh-2.csv": filepath.Join(outside, "other.csv"), // absolute, outside
		"khai-sinh-3.csv": "../secrets/other.csv",              // relative, up and out
		"khai-sinh-4.csv": "lan/other.csv",                     // through a linked directory
		"lan":             outside,
		"khai-sinh-5.csv": "kho/that.csv", // inside the folder
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	src, err := Open(context.Background(), connectors.Config{Name: "test", Kind: "file", Options: map[string]any{"dir": dir},
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	st := stream("khai-sinh-*.csv", "id")
	st.Cursor = "id"
	recs, _ := readAll(t, src, st, connectors.Incremental, nil)
	for _, r := range recs {
		for _, v := range r.Fields {
			if s, _ := v.(string); strings.Contains(s, secret) {
				t.Fatalf("record %s holds the data of a file outside the folder", r.Key)
			}
		}
	}
	if got := strings.Join(keys(recs), ","); got != "1,2" {
		t.Errorf("records %s, want 1 (the file) and 2 (the link inside the folder)", got)
	}
	for _, name := range []string{"khai-sinh-2.csv", "khai-sinh-3.csv", "khai-sinh-4.csv"} {
		if !strings.Contains(logs.String(), "file="+name) {
			t.Errorf("the log does not name the refused link %s:\n%s", name, logs.String())
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the log holds the outside file's data")
	}
	err = src.Check(context.Background(), st)
	if !errors.Is(err, ErrOutsideLink) || !strings.Contains(err.Error(), `"khai-sinh-2.csv"`) {
		t.Errorf("check: err = %v, want ErrOutsideLink naming the link", err)
	}
	// A pattern can not climb out either: it names files of the folder.
	if _, _, err := tryReadAll(src, stream("../secrets/*.csv", "id"), connectors.Incremental, nil); !errors.Is(err, ErrInvalidStream) {
		t.Errorf("pattern ../secrets/*.csv: err = %v, want ErrInvalidStream", err)
	}
	if recs, _, err := tryReadAll(src, stream("..", "id"), connectors.Incremental, nil); err != nil || len(recs) != 0 {
		t.Errorf(`pattern "..": %d records, err %v; want nothing read`, len(recs), err)
	}
	// A full refresh of the newest file never takes an outside link for it.
	snap := openSource(t, dir, map[string]any{"streams": map[string]any{"s": map[string]any{"snapshot": true}}})
	recs, _ = readAll(t, snap, st, connectors.FullRefresh, nil)
	if got := strings.Join(keys(recs), ","); got != "2" {
		t.Errorf("full refresh: records %s, want the newest file inside the folder's", got)
	}
}
