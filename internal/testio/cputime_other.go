//go:build !unix

package testio

import "time"

// CPUTime is 0 where the process's CPU time is not read; benchmarks then
// report wall time only.
func CPUTime() time.Duration { return 0 }
