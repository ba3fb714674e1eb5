package auth

// ObserveCosts makes p call f with the cost of every bcrypt computation it
// starts. Set it before p is used.
func (p *Passwords) ObserveCosts(f func(cost int)) { p.observe = f }

// OnLowPriorityThread runs f as Passwords runs a bcrypt computation.
func OnLowPriorityThread(f func() error) error { return onLowPriorityThread(f) }
