package emulator

import (
	"os"
	"syscall"
)

// preallocate reserves the file up to size bytes without changing its length and returns
// how much is reserved; on failure nothing is reserved and writes extend the file as usual.
func preallocate(f *os.File, size int64) int64 {
	if err := syscall.Fallocate(int(f.Fd()), 0x01 /* FALLOC_FL_KEEP_SIZE */, 0, size); err != nil {
		return 0
	}
	return size
}

// syncData flushes the file's data (and its size only when it changed) to stable storage.
func syncData(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
