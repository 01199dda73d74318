package schema

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// reportCPU runs a benchmark's loop on a locked OS thread and reports the
// thread's CPU time per operation as cpu-ns/op. On a shared machine the
// wall-clock ns/op includes time other processes had the core; cpu-ns/op
// does not.
func reportCPU(b *testing.B, op func()) {
	b.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
}

func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
