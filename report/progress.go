package report

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress draws a progress bar on a terminal and nothing otherwise, so
// piped output (JSON, SARIF) and CI logs stay clean. A nil *Progress is
// valid and silent.
type Progress struct {
	bar *progressbar.ProgressBar
}

// NewProgress starts a bar on w when terminal is true. total < 0 means
// unknown (a spinner with a count).
func NewProgress(w io.Writer, terminal bool, total int64, label string) *Progress {
	if !terminal {
		return nil
	}
	return &Progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// Add counts n more items done.
func (p *Progress) Add(n int) {
	if p != nil {
		p.bar.Add(n)
	}
}

// SetTotal changes the expected total (once it is known).
func (p *Progress) SetTotal(n int64) {
	if p != nil {
		p.bar.ChangeMax64(n)
	}
}

// Finish clears the bar.
func (p *Progress) Finish() {
	if p != nil {
		p.bar.Finish()
	}
}
