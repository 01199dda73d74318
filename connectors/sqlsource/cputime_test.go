package sqlsource_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the test process used so far, user and system:
// the read benchmarks report the client's CPU per row, which holds on a
// machine whose database server shares the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
