package fn

import (
	"fmt"
	"io"
	"strings"
)

// WritePlanText prints each plan as a table of steps and a chart of pods
// over the steps: old pods, new pods that are available, and new pods not
// ready yet, with the limits the controller keeps.
func WritePlanText(w io.Writer, plans []ReleasePlan) {
	for i, p := range plans {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Release %s (strategy %s)\n", p.Release, p.Strategy)
		for _, n := range p.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
		for _, ro := range p.Rollouts {
			fmt.Fprintln(w)
			if ro.Recreate {
				fmt.Fprintf(w, "Deployment %s: Recreate, %d replicas: all old pods stop before new ones start (downtime)\n", ro.Deployment, ro.Replicas)
			} else {
				fmt.Fprintf(w, "Deployment %s: %d replicas, maxSurge %d, maxUnavailable %d: at most %d pods, at least %d available; a new pod is available ~%ds after it starts\n",
					ro.Deployment, ro.Replicas, ro.MaxSurge, ro.MaxUnavailable, ro.MaxTotal, ro.MinAvailable, ro.ReadySeconds)
			}
			fmt.Fprintf(w, "  %4s  %5s  %-18s  %3s  %3s  %5s  %9s\n", "step", "time", "action", "old", "new", "total", "available")
			for j, s := range ro.Steps {
				fmt.Fprintf(w, "  %4d  %4ds  %-18s  %3d  %3d  %5d  %9d\n", j, s.Time, s.Action, s.Old, s.New, s.Total, s.Available)
			}
			fmt.Fprintln(w)
			writeChart(w, ro)
		}
	}
}

// writeChart draws pods (rows) over steps (columns), bottom up: o old pod,
// N new pod available, n new pod not ready yet.
func writeChart(w io.Writer, ro DeploymentRollout) {
	top := ro.MaxTotal
	for _, s := range ro.Steps {
		top = max(top, s.Total)
	}
	for row := top; row >= 1; row-- {
		mark := "   "
		switch {
		case !ro.Recreate && row == ro.MaxTotal:
			mark = "max"
		case !ro.Recreate && row == ro.MinAvailable:
			mark = "min"
		}
		var b strings.Builder
		for _, s := range ro.Steps {
			newAvail := s.Available - s.Old
			c := ' '
			switch {
			case row <= s.Old:
				c = 'o'
			case row <= s.Old+newAvail:
				c = 'N'
			case row <= s.Total:
				c = 'n'
			}
			b.WriteString(" ")
			b.WriteRune(c)
			b.WriteString(" ")
		}
		fmt.Fprintf(w, "  %s %3d |%s\n", mark, row, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintf(w, "        +%s\n", strings.Repeat("---", len(ro.Steps)))
	var steps strings.Builder
	for j := range ro.Steps {
		fmt.Fprintf(&steps, "%3d", j)
	}
	fmt.Fprintf(w, "   step  %s\n", strings.TrimLeft(steps.String(), " "))
	fmt.Fprintln(w, "         o old pod   N new pod, available   n new pod, not ready yet")
}

// WritePlanSVG draws the same chart as an SVG picture, one panel per
// rollout, for docs and reviews.
func WritePlanSVG(w io.Writer, plans []ReleasePlan) {
	const (
		cell   = 16 // pixels per pod row
		col    = 28 // pixels per step
		left   = 110
		top    = 40
		gap    = 70
		legend = 30
	)
	type panel struct {
		title string
		ro    DeploymentRollout
		y     int
	}
	var panels []panel
	y, width := top, 720
	for _, p := range plans {
		for _, ro := range p.Rollouts {
			height := int(maxTotal(ro)) * cell
			panels = append(panels, panel{fmt.Sprintf("%s: %s", p.Release, ro.Deployment), ro, y})
			y += height + gap
			width = max(width, left+len(ro.Steps)*col+40)
		}
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, y+legend)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for _, pn := range panels {
		ro := pn.ro
		h := int(maxTotal(ro)) * cell
		base := pn.y + h
		desc := fmt.Sprintf("replicas %d, maxSurge %d, maxUnavailable %d", ro.Replicas, ro.MaxSurge, ro.MaxUnavailable)
		if ro.Recreate {
			desc = fmt.Sprintf("replicas %d, Recreate", ro.Replicas)
		}
		fmt.Fprintf(w, `<text x="%d" y="%d" font-weight="bold">%s (%s)</text>`+"\n", left, pn.y-12, xmlEscape(pn.title), desc)
		for j, s := range ro.Steps {
			x := left + j*col + 4
			newAvail := s.Available - s.Old
			for _, seg := range []struct {
				from, n int64
				fill    string
			}{
				{0, s.Old, "#9aa5b1"},
				{s.Old, newAvail, "#2f80ed"},
				{s.Old + newAvail, s.Total - s.Old - newAvail, "#a8c8f5"},
			} {
				if seg.n > 0 {
					fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="white"/>`+"\n", x, base-int(seg.from+seg.n)*cell, col-8, int(seg.n)*cell, seg.fill)
				}
			}
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" fill="#555">%d</text>`+"\n", x+(col-8)/2, base+14, j)
		}
		right := left + len(ro.Steps)*col
		if !ro.Recreate {
			for _, l := range []struct {
				v     int64
				label string
			}{{ro.MaxTotal, "max pods"}, {ro.MinAvailable, "min available"}} {
				ly := base - int(l.v)*cell
				fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d33" stroke-dasharray="4 3"/>`+"\n", left, ly, right, ly)
				fmt.Fprintf(w, `<text x="%d" y="%d" fill="#d33" text-anchor="end">%s %d</text>`+"\n", left-4, ly+4, l.label, l.v)
			}
		}
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, base, right, base)
	}
	ly := y - gap + legend + 10
	for i, l := range []struct{ fill, text string }{{"#9aa5b1", "old pod"}, {"#2f80ed", "new pod, available"}, {"#a8c8f5", "new pod, not ready yet"}} {
		x := left + i*190
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, ly, l.fill, x+16, ly+11, l.text)
	}
	fmt.Fprintln(w, "</svg>")
}

func maxTotal(ro DeploymentRollout) int64 {
	m := max(ro.MaxTotal, 1)
	for _, s := range ro.Steps {
		m = max(m, s.Total)
	}
	return m
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
