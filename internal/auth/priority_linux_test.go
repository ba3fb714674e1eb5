package auth_test

import (
	"runtime"
	"syscall"
	"testing"

	"users/internal/auth"
)

// threadNice is the nice value of the calling thread. getpriority's raw
// system call returns 20 - nice; syscall.Getpriority passes it on as is.
func threadNice(t *testing.T) int {
	t.Helper()
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatalf("getpriority: %v", err)
	}
	return 20 - prio
}

// TestBcryptThreadPriority: a computation runs on a thread at nice 19, and
// the thread that asked for it keeps its own priority.
func TestBcryptThreadPriority(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNice(t)
	var inside int
	if err := auth.OnLowPriorityThread(func() error { inside = threadNice(t); return nil }); err != nil {
		t.Fatal(err)
	}
	if inside != 19 {
		t.Errorf("nice inside = %d, want 19", inside)
	}
	if after := threadNice(t); after != before {
		t.Errorf("the caller's nice went from %d to %d", before, after)
	}
}
