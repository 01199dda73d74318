package exec

import (
	"syscall"
	"unsafe"
)

// waitExited blocks until the process has exited without reaping it, so
// that its id, and its process group's, stay reserved while the group is
// killed. It reports whether it could wait.
func waitExited(pid int) bool {
	const pPID = 1 // P_PID in <sys/wait.h>
	// siginfo_t is 128 bytes; its content is not needed.
	var info [16]uint64
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			return errno == 0
		}
	}
}
