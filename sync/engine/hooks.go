package engine

// Hooks are optional callbacks a caller sets on a Job to follow its run;
// the engine works the same without them.
type Hooks struct {
	// Progress, when set, is called by the read stage after each record
	// it reads, with the number read so far in this run. It runs once per
	// record on the read path, so it must be quick (an atomic store).
	Progress func(read int64)
}

// progress reports n records read, if the job asked to hear.
func (h Hooks) progress(n int64) {
	if h.Progress != nil {
		h.Progress(n)
	}
}
