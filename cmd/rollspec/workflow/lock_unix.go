//go:build unix

package workflow

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on the file path names, so
// two verbs on one file run one after the other instead of the last
// rename dropping the other's edit. The lock is on the inode; a verb's
// rename gives the path a new one, so after waiting the lock is taken
// again until it is on the file the path names now. unlock releases it.
func lockFile(path string) (unlock func(), err error) {
	for range maxLockTries {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return func() { f.Close() }, nil // closing releases the lock
		}
		f.Close()
	}
	return nil, fmt.Errorf("locking %s: the file was replaced %d times while waiting for it", path, maxLockTries)
}

// canWrite reports whether the user may write the file itself. The
// rename that replaces it needs only the directory, so without this a
// read-only file would be replaced all the same.
func canWrite(path string) bool {
	const wOK = 2 // W_OK
	return syscall.Access(path, wOK) == nil
}
