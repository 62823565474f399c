package plan

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
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
			fmt.Fprintf(w, "%s %s: %s\n", ro.kind(), ro.Deployment, header(ro))
			fmt.Fprintf(w, "  %4s  %5s  %-18s  %3s  %3s  %5s  %9s\n", "step", "time", "action", "old", "new", "total", "available")
			for j, s := range ro.Steps {
				fmt.Fprintf(w, "  %4d  %4ds  %-18s  %3d  %3d  %5d  %9d\n", j, s.Time, s.Action, s.Old, s.New, s.Total, s.Available)
			}
			if ro.Truncated {
				fmt.Fprintf(w, "  ... the plan stops after %d steps; the rollout goes on the same way until all %d new pods are available\n", len(ro.Steps), ro.Replicas)
			}
			fmt.Fprintln(w)
			writeChart(w, ro)
		}
	}
}

// header says in one line what the rollout does and within which limits.
// When the replica count changes with the template, the controller
// resizes the old ReplicaSet first, so the limits hold from then on.
func header(ro WorkloadRollout) string {
	startup := ""
	if ro.StartupLimit > 0 {
		startup = fmt.Sprintf(" (its startup probe lets it take up to %ds)", ro.StartupLimit)
	}
	ready := fmt.Sprintf("a new pod is available ~%ds after it starts%s", ro.ReadySeconds, startup)
	switch ro.Kind {
	case kindStatefulSet:
		return statefulSetHeader(ro, ready)
	case kindDaemonSet:
		return daemonSetHeader(ro, ready)
	}
	first := ""
	if ro.ScalesFirst {
		first = fmt.Sprintf("%d→%d replicas with a new pod template: the controller first scales the old ReplicaSet to %d (a scaling event), then ", ro.From, ro.Replicas, ro.Replicas)
	}
	if ro.Recreate {
		if first == "" {
			return fmt.Sprintf("Recreate, %d replicas: all old pods stop before new ones start (downtime); %s", ro.Replicas, ready)
		}
		return fmt.Sprintf("Recreate, %sstops all old pods before new ones start (downtime); %s", first, ready)
	}
	if first == "" {
		return fmt.Sprintf("%d replicas, maxSurge %d, maxUnavailable %d: at most %d pods, at least %d available; %s",
			ro.Replicas, ro.MaxSurge, ro.MaxUnavailable, ro.MaxTotal, ro.MinAvailable, ready)
	}
	return fmt.Sprintf("%srolls with maxSurge %d, maxUnavailable %d: at most %d pods, and at least %d available once the old ReplicaSet's pods are ready; %s",
		first, ro.MaxSurge, ro.MaxUnavailable, ro.MaxTotal, ro.MinAvailable, ready)
}

// kind is the workload's kind; a plan made before rollouts had kinds is
// a Deployment's.
func (ro WorkloadRollout) kind() string {
	if ro.Kind == "" {
		return "Deployment"
	}
	return ro.Kind
}

// statefulSetHeader says which pods a StatefulSet's update replaces, in
// which order, and within which limits.
func statefulSetHeader(ro WorkloadRollout, ready string) string {
	var b strings.Builder
	if ro.From != ro.Replicas {
		fmt.Fprintf(&b, "%d→%d replicas: the controller first ", ro.From, ro.Replicas)
		if ro.From < ro.Replicas {
			b.WriteString("creates the new ordinals, then ")
		} else {
			b.WriteString("deletes the surplus ordinals from the highest, then ")
		}
	} else {
		fmt.Fprintf(&b, "%d replicas, ", ro.Replicas)
	}
	fmt.Fprintf(&b, "partition %d: replaces %s", ro.Partition, ordinalsText(ro))
	switch {
	case ro.MaxUnavailable <= 1:
		b.WriteString(", one pod at a time from the highest ordinal")
	case ro.Parallel:
		fmt.Fprintf(&b, ", %d pods at a time from the highest ordinal (maxUnavailable %d, honoured from Kubernetes 1.35 or with the MaxUnavailableStatefulSet feature gate; elsewhere one at a time)", ro.MaxUnavailable, ro.MaxUnavailable)
	default:
		fmt.Fprintf(&b, ", %d pods at a time from the highest ordinal, brought back one by one (OrderedReady; maxUnavailable %d, honoured from Kubernetes 1.35 or with the MaxUnavailableStatefulSet feature gate; elsewhere one at a time)", ro.MaxUnavailable, ro.MaxUnavailable)
	}
	fmt.Fprintf(&b, ": at most %d pods, at least %d available; %s", ro.MaxTotal, ro.MinAvailable, ready)
	return b.String()
}

// ordinalsText names the pods a StatefulSet's update replaces.
func ordinalsText(ro WorkloadRollout) string {
	n := len(ro.Replaced)
	switch {
	case n == 0:
		return "no existing pod"
	case n == 1:
		return fmt.Sprintf("pod %s-%d", ro.Deployment, ro.Start+ro.Replaced[0])
	case ro.Replaced[0]-ro.Replaced[n-1] == int64(n-1):
		return fmt.Sprintf("pods %s-%d down to %s-%d", ro.Deployment, ro.Start+ro.Replaced[0], ro.Deployment, ro.Start+ro.Replaced[n-1])
	}
	return fmt.Sprintf("%d pods from %s-%d down to %s-%d", n, ro.Deployment, ro.Start+ro.Replaced[0], ro.Deployment, ro.Start+ro.Replaced[n-1])
}

// daemonSetHeader says how a DaemonSet's update goes node by node.
func daemonSetHeader(ro WorkloadRollout, ready string) string {
	nodes := func(n int64) string {
		if n == 1 {
			return "one node"
		}
		return fmt.Sprintf("up to %d nodes", n)
	}
	how := fmt.Sprintf("maxUnavailable %d: on %s at a time the old pod stops before the new one starts", ro.MaxUnavailable, nodes(ro.MaxUnavailable))
	if ro.MaxSurge > 0 {
		how = fmt.Sprintf("maxSurge %d: on %s at a time the new pod starts beside the old one, which stops once the new one is available", ro.MaxSurge, nodes(ro.MaxSurge))
	}
	return fmt.Sprintf("planned on %d nodes (--nodes), one pod each, %s: at most %d pods, at least %d available; %s", ro.Nodes, how, ro.MaxTotal, ro.MinAvailable, ready)
}

// writeChart draws pods (rows) over steps (columns), bottom up: o old pod,
// . old pod not ready yet, N new pod available, n new pod not ready yet.
func writeChart(w io.Writer, ro WorkloadRollout) {
	if len(ro.Steps) > maxChartSteps {
		fmt.Fprintf(w, "  (no chart: %d steps are more than a terminal shows; see the table)\n", len(ro.Steps))
		return
	}
	top := maxTotal(ro)
	// A row stands for per pods, so that a large fleet fits the screen.
	per := (top + maxChartRows - 1) / maxChartRows
	// The row labels are as wide as the largest, at least 3 digits; pad
	// lines the axis up under them.
	width := max(3, len(strconv.FormatInt(top, 10)))
	pad := strings.Repeat(" ", width+5)
	for r := (top + per - 1) / per; r >= 1; r-- {
		row := r * per
		mark := "   "
		switch {
		case !ro.Recreate && ro.MaxTotal > row-per && ro.MaxTotal <= row:
			mark = "max"
		case !ro.Recreate && ro.MinAvailable > row-per && ro.MinAvailable <= row:
			mark = "min"
		}
		var b strings.Builder
		for _, s := range ro.Steps {
			newAvail := s.Available - s.OldAvailable
			c := ' '
			switch {
			case row <= s.OldAvailable:
				c = 'o'
			case row <= s.Old:
				c = '.'
			case row <= s.Old+newAvail:
				c = 'N'
			case row <= s.Total:
				c = 'n'
			}
			b.WriteString(" ")
			b.WriteRune(c)
			b.WriteString(" ")
		}
		fmt.Fprintf(w, "  %s %*d |%s\n", mark, width, row, strings.TrimRight(b.String(), " "))
	}
	if per > 1 {
		fmt.Fprintf(w, "%s(each row is %d pods)\n", pad, per)
	}
	fmt.Fprintf(w, "%s+%s\n", pad, strings.Repeat("---", len(ro.Steps)))
	var steps strings.Builder
	for j := range ro.Steps {
		fmt.Fprintf(&steps, "%3d", j)
	}
	fmt.Fprintf(w, "%sstep  %s\n", pad[:len(pad)-5], strings.TrimLeft(steps.String(), " "))
	if ro.ScalesFirst {
		fmt.Fprintln(w, pad+" o old pod   . old pod, not ready yet   N new pod, available   n new pod, not ready yet")
		return
	}
	fmt.Fprintln(w, pad+" o old pod   N new pod, available   n new pod, not ready yet")
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
		ro    WorkloadRollout
		y     int
	}
	var panels []panel
	var skipped []string
	for _, p := range plans {
		for _, ro := range p.Rollouts {
			if len(ro.Steps) > maxSVGSteps {
				// A table's worth, not a picture's.
				skipped = append(skipped, fmt.Sprintf("%s: %s: %d steps, more than a chart shows; see rollspec plan -o text", p.Release, ro.Deployment, len(ro.Steps)))
			}
		}
	}
	y, width := top+len(skipped)*16, 720
	for _, p := range plans {
		for _, ro := range p.Rollouts {
			if len(ro.Steps) > maxSVGSteps {
				continue
			}
			height := chartRows(ro) * cell
			panels = append(panels, panel{fmt.Sprintf("%s: %s", p.Release, ro.Deployment), ro, y})
			y += height + gap
			width = max(width, left+len(ro.Steps)*col+40)
		}
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, y+legend)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for i, text := range skipped {
		fmt.Fprintf(w, `<text x="%d" y="%d">%s</text>`+"\n", left, top-20+i*16, xmlEscape(text))
	}
	for _, pn := range panels {
		ro := pn.ro
		// px converts pods to pixels: cell pixels a row of per pods.
		per := podsPerRow(ro)
		px := func(pods int64) int { return int(pods * cell / per) }
		h := chartRows(ro) * cell
		base := pn.y + h
		desc := fmt.Sprintf("replicas %d, maxSurge %d, maxUnavailable %d", ro.Replicas, ro.MaxSurge, ro.MaxUnavailable)
		switch {
		case ro.Recreate:
			desc = fmt.Sprintf("replicas %d, Recreate", ro.Replicas)
		case ro.Kind == kindStatefulSet:
			desc = fmt.Sprintf("replicas %d, partition %d, maxUnavailable %d", ro.Replicas, ro.Partition, ro.MaxUnavailable)
		case ro.Kind == kindDaemonSet:
			desc = fmt.Sprintf("%d nodes, maxSurge %d, maxUnavailable %d", ro.Nodes, ro.MaxSurge, ro.MaxUnavailable)
		}
		fmt.Fprintf(w, `<text x="%d" y="%d" font-weight="bold">%s (%s)</text>`+"\n", left, pn.y-12, xmlEscape(pn.title), desc)
		for j, s := range ro.Steps {
			x := left + j*col + 4
			newAvail := s.Available - s.OldAvailable
			for _, seg := range []struct {
				from, n int64
				fill    string
			}{
				{0, s.OldAvailable, "#9aa5b1"},
				{s.OldAvailable, s.Old - s.OldAvailable, "#d5dae0"},
				{s.Old, newAvail, "#2f80ed"},
				{s.Old + newAvail, s.Total - s.Old - newAvail, "#a8c8f5"},
			} {
				if seg.n > 0 {
					fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="white"/>`+"\n", x, base-px(seg.from+seg.n), col-8, px(seg.from+seg.n)-px(seg.from), seg.fill)
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
				ly := base - px(l.v)
				fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d33" stroke-dasharray="4 3"/>`+"\n", left, ly, right, ly)
				fmt.Fprintf(w, `<text x="%d" y="%d" fill="#d33" text-anchor="end">%s %d</text>`+"\n", left-4, ly+4, l.label, l.v)
			}
		}
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, base, right, base)
	}
	ly := y - gap + legend + 10
	legends := []struct{ fill, text string }{{"#9aa5b1", "old pod"}, {"#2f80ed", "new pod, available"}, {"#a8c8f5", "new pod, not ready yet"}}
	for _, pn := range panels {
		if pn.ro.ScalesFirst {
			legends = append(legends, struct{ fill, text string }{"#d5dae0", "old pod, not ready yet"})
			break
		}
	}
	for i, l := range legends {
		x := left + i*190
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", x, ly, l.fill, x+16, ly+11, l.text)
	}
	fmt.Fprintln(w, "</svg>")
}

// Bounds of the charts: a plan of a large fleet is drawn with several pods
// a row, and one of many steps only as a table.
const (
	maxChartRows  = 40
	maxChartSteps = 120
	maxSVGSteps   = 400
)

// podsPerRow is how many pods one row of a chart stands for.
func podsPerRow(ro WorkloadRollout) int64 {
	return (maxTotal(ro) + maxChartRows - 1) / maxChartRows
}

// chartRows is the height of a chart in rows.
func chartRows(ro WorkloadRollout) int {
	per := podsPerRow(ro)
	return int((maxTotal(ro) + per - 1) / per)
}

func maxTotal(ro WorkloadRollout) int64 {
	m := max(ro.MaxTotal, 1)
	for _, s := range ro.Steps {
		m = max(m, s.Total)
	}
	return m
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
