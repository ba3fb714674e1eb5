//go:build !linux

package auth

// lowerThreadPriority does nothing where threads have no priority of their
// own that Go can reach; bcrypt is still bounded by its slots.
func lowerThreadPriority() {}
