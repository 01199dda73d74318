package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/sync/state"
)

// progressTick is how often a progress line is redrawn.
const progressTick = 250 * time.Millisecond

// estimateTimeout bounds asking a source how many records a stream holds:
// the estimate only decorates the progress line.
const estimateTimeout = 10 * time.Second

// progress follows one run on a terminal: the engine's read stage stores
// the count (Job.Progress), a ticker redraws the line from it, so the read
// path pays one atomic store per record.
type progress struct {
	con   *console
	name  string
	start time.Time
	read  atomic.Int64
	// total is how many records the run should read, 0 when unknown.
	total atomic.Int64
	stop  chan struct{}
	ended chan struct{}
	// wg waits for an estimate still asking the source, so it never uses
	// the source after the run closed it; cancel releases its context.
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startProgress draws name's progress line until finish.
func startProgress(con *console, name string, now time.Time) *progress {
	p := &progress{con: con, name: name, start: now, stop: make(chan struct{}), ended: make(chan struct{}), cancel: func() {}}
	go func() {
		defer close(p.ended)
		t := time.NewTicker(progressTick)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case now := <-t.C:
				p.con.draw(p.line(now))
			}
		}
	}()
	return p
}

// set is the engine's progress hook.
func (p *progress) set(read int64) { p.read.Store(read) }

// finish stops redrawing and leaves the final line.
//
// An estimate still being asked for is waited for (at most
// estimateTimeout, less when the run was interrupted), so the last line
// says how the count compares with it.
func (p *progress) finish(now time.Time) {
	p.wg.Wait()
	p.cancel()
	close(p.stop)
	<-p.ended
	p.con.done(p.line(now))
}

// line is the progress line at now: records read, rate and elapsed time,
// and with a total, the share done and the time left at the current rate.
func (p *progress) line(now time.Time) string {
	read, total := p.read.Load(), p.total.Load()
	elapsed := now.Sub(p.start)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", p.name, read)
	if total > 0 {
		fmt.Fprintf(&b, " of about %d", total)
	}
	b.WriteString(" read")
	if total > 0 {
		fmt.Fprintf(&b, " (%d%%)", min(100, read*100/total))
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(read) / s
	}
	fmt.Fprintf(&b, ", %.0f/s, %s elapsed", rate, elapsed.Round(time.Second))
	if total > read && rate > 0 {
		left := time.Duration(float64(total-read) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", about %s left", left.Round(time.Second))
	}
	return b.String()
}

// estimate sets the progress total from what the source can count: a
// retry reads the stream's rejects, a full refresh the whole stream, whose
// size a Discoverer estimates. An incremental read has no total: only the
// source knows how much changed.
func (a *app) estimate(ctx context.Context, p *progress, job jobInfo) {
	switch {
	case job.retry:
		byReason, err := a.state.RejectsByReason(ctx, state.Filter{Department: job.ref.Department, Source: job.ref.Source,
			Stream: job.ref.Stream, Reason: job.reason})
		if err != nil {
			return
		}
		var n int64
		for _, r := range byReason {
			n += r.Count
		}
		p.total.Store(n)
	case job.mode == connectors.FullRefresh && job.stream.Table != "":
		d, ok := job.source.(connectors.Discoverer)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, estimateTimeout)
		p.cancel = cancel
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			infos, err := d.Discover(ctx)
			if err != nil {
				return
			}
			for _, info := range infos {
				if info.EstimatedRecords > 0 && (info.Name == job.stream.Table || strings.HasSuffix(info.Name, "."+job.stream.Table)) {
					p.total.Store(info.EstimatedRecords)
					return
				}
			}
		}()
	}
}

// jobInfo is what estimate needs of a run.
type jobInfo struct {
	ref    state.Ref
	mode   connectors.Mode
	stream connectors.Stream
	source connectors.Source
	retry  bool
	reason string
}
