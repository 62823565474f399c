package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Exit codes of status: a pipeline gates on them.
const (
	ExitHealthy = 0 // the current step is healthy
	ExitFailed  = 1 // a rollout failed (ProgressDeadlineExceeded)
	ExitTimeout = 2 // not healthy within --timeout (at once without --wait)
)

// WaitOptions say how long status waits for a step to become healthy.
type WaitOptions struct {
	Wait     bool
	Timeout  time.Duration
	Interval time.Duration
	// Progress gets a line each time what status waits for changes.
	Progress io.Writer
}

// Outcome is status's verdict.
type Outcome struct {
	*Report
	TimedOut bool          `json:"timedOut,omitempty"`
	Elapsed  time.Duration `json:"-"`
}

// ExitCode is the exit code for the outcome.
func (o *Outcome) ExitCode() int {
	switch o.State {
	case Healthy:
		return ExitHealthy
	case Failed:
		return ExitFailed
	}
	return ExitTimeout
}

// Status checks the cluster against a rendered stream, and with Wait
// checks again every Interval until the step is healthy, a rollout fails,
// or Timeout passes. While waiting, a read that fails is retried (the
// API server may restart under a rollout); the last error counts at the
// deadline.
func Status(ctx context.Context, stream []byte, c Cluster, namespace string, o WaitOptions) (*Outcome, error) {
	start := time.Now()
	deadline := start.Add(o.Timeout)
	last := ""
	for {
		rep, err := Check(ctx, stream, c, namespace)
		if err == nil && (!o.Wait || rep.State != Progressing) {
			return &Outcome{Report: rep, Elapsed: time.Since(start)}, nil
		}
		if !o.Wait {
			return nil, err
		}
		if time.Now().Add(o.Interval).After(deadline) {
			if err != nil {
				return nil, fmt.Errorf("timed out after %s: %w", o.Timeout, err)
			}
			return &Outcome{Report: rep, TimedOut: true, Elapsed: time.Since(start)}, nil
		}
		line := ""
		if err != nil {
			line = "retrying: " + err.Error()
		} else {
			line = "waiting: " + strings.Join(pending(rep), "; ")
		}
		if line != last && o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s %s\n", time.Since(start).Truncate(time.Second), line)
			last = line
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.Interval):
		}
	}
}

func pending(rep *Report) []string {
	var out []string
	for _, s := range rep.Objects {
		if s.State != Healthy {
			out = append(out, s.Object+": "+s.Message)
		}
	}
	return out
}

// WriteText writes the outcome for a person: a verdict line, then one line
// per object.
func WriteText(w io.Writer, o *Outcome) {
	healthy := 0
	for _, s := range o.Objects {
		if s.State == Healthy {
			healthy++
		}
	}
	verdict := string(o.State)
	if o.TimedOut {
		verdict = fmt.Sprintf("timed out after %s, still %s", o.Elapsed.Truncate(time.Second), o.State)
	}
	fmt.Fprintf(w, "%s: %d of %d objects healthy\n", verdict, healthy, len(o.Objects))
	for _, s := range o.Objects {
		fmt.Fprintf(w, "  %-11s %s: %s\n", s.State, s.Object, s.Message)
	}
}

// WriteJSON writes the outcome for a pipeline.
func WriteJSON(w io.Writer, o *Outcome) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Outcome
		ElapsedSeconds float64 `json:"elapsedSeconds"`
	}{o, o.Elapsed.Seconds()})
}
