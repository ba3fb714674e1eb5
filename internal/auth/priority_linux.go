package auth

import "syscall"

// lowestPriority is the nice value of bcrypt's threads.
const lowestPriority = 19

// lowerThreadPriority sets the calling thread's nice value to 19. On Linux
// PRIO_PROCESS with a thread id names that thread alone. A refusal (a
// sandbox without setpriority) leaves the thread as it was: bcrypt is still
// bounded by its slots.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), lowestPriority)
}
