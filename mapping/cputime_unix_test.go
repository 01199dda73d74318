//go:build unix

package mapping_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the test process used so far, in user and system
// mode: benchmarks report records per CPU second as well as per second, so
// that the figure holds on a machine busy with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
