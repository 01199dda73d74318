//go:build unix

package testio

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time the process used so far, in user and system mode,
// garbage collection included: benchmarks report it per record as well as
// wall time, since it holds on a machine busy with other work.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
