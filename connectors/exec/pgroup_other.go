//go:build !unix

package exec

import (
	"os"
	osexec "os/exec"
)

// setProcessGroup does nothing where there are no process groups: a
// timeout kills the program but not the children it started.
func setProcessGroup(*osexec.Cmd) {}

func killGroup(p *os.Process) error {
	if p == nil {
		return nil
	}
	return p.Kill()
}

func signalOf(*os.ProcessState) string { return "unknown" }
