//go:build !linux

package schema

import "testing"

// reportCPU runs a benchmark's loop; only Linux reports CPU time per op.
func reportCPU(b *testing.B, op func()) {
	b.Helper()
	for b.Loop() {
		op()
	}
}
