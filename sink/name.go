package sink

// Name is the sink's name, as configured.
func (r *Runner) Name() string { return r.name }
