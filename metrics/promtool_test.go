package metrics_test

import (
	"os/exec"
	"testing"
)

// Promtool returns the path of promtool, failing the test when it is not
// installed: the suite checks the exposition with Prometheus's own tool,
// never a stand-in.
func Promtool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: run scripts/test, which installs the Debian package prometheus, or apt-get install prometheus")
	}
	return p
}
