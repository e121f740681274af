//go:build !linux

package emulator

import "os"

// preallocate is a no-op where fallocate is not available.
func preallocate(*os.File, int64) int64 { return 0 }

// syncData flushes the file to stable storage.
func syncData(f *os.File) error { return f.Sync() }
