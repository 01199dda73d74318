package engine

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the test process used so far, user and system,
// garbage collection included: BenchmarkMapRecord reports it per record,
// which holds better than time per record on a machine busy with other
// work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
