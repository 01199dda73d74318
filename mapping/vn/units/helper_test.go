package units

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// dataDir is /work/shared/data/admin-units, read in place: the project must
// not carry a copy of the official lists.
const dataDir = "../../../../shared/data/admin-units"

// realFiles are the reference lists as an operator would configure them.
func realFiles() Files {
	return Files{
		Before:   filepath.Join(dataDir, "units-pre-2025-07-01.json"),
		Current:  filepath.Join(dataDir, "units-current.json"),
		OldToNew: filepath.Join(dataDir, "mapping-old-to-new-2025-07-01.json"),
		NewToOld: filepath.Join(dataDir, "mapping-new-to-old-2025-07-01.json"),
	}
}

var (
	loadOnce sync.Once
	loaded   *Registry
	loadErr  error
)

// registry loads the reference lists once per test binary. Missing files
// fail the test: nothing here is skipped.
func registry(tb testing.TB) *Registry {
	tb.Helper()
	loadOnce.Do(func() {
		f := realFiles()
		for _, p := range []string{f.Before, f.Current, f.OldToNew, f.NewToOld} {
			if _, err := os.Stat(p); err != nil {
				wd, _ := os.Getwd()
				loadErr = &missingData{path: p, wd: wd, err: err}
				return
			}
		}
		loaded, loadErr = Load(f)
	})
	if loadErr != nil {
		tb.Fatalf("load the reference lists: %v", loadErr)
	}
	return loaded
}

type missingData struct {
	path, wd string
	err      error
}

func (m *missingData) Error() string {
	return "reference list " + m.path + " (relative to " + m.wd + ") is missing: the tests read /work/shared/data/admin-units in place; restore it there (" + m.err.Error() + ")"
}

// Dates on either side of the reform.
var (
	in2020 = time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC)
	in2026 = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
)
