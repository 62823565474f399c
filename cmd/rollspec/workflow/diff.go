package workflow

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"rollspec.dev/rollspec/strategies"
)

// Reasons diff gives for an unsafe move. Each names one way a commit
// causes downtime or a rollout that cannot finish; --allow accepts one by
// name when the team has decided to live with it.
const (
	ReasonSelectorChange     = "selector-change"
	ReasonPausedRollout      = "paused-rollout"
	ReasonRecreateDefaulted  = "recreate-over-defaulted-rolling"
	ReasonRecreateDowntime   = "recreate-downtime"
	ReasonWholeFleet         = "rolling-whole-fleet"
	ReasonNoPods             = "service-without-pods"
	ReasonSelectorRemoved    = "service-selector-removed"
	ReasonNewPodsOnly        = "service-to-new-pods-only"
	ReasonFlipToFewer        = "flip-to-fewer-replicas"
	ReasonFlipToChanging     = "flip-to-changing-pods"
	ReasonFlipAndScaleDown   = "flip-and-scale-down"
	ReasonStableDuringCanary = "stable-template-during-canary"
	ReasonCanaryStepJump     = "canary-step-jump"
	ReasonCanaryNewImage     = "canary-new-image-past-first-step"
)

// Reasons lists every reason, for --help and --allow.
var Reasons = []string{
	ReasonSelectorChange, ReasonPausedRollout, ReasonRecreateDefaulted, ReasonRecreateDowntime,
	ReasonWholeFleet, ReasonNoPods, ReasonSelectorRemoved, ReasonNewPodsOnly, ReasonFlipToFewer, ReasonFlipToChanging,
	ReasonFlipAndScaleDown, ReasonStableDuringCanary, ReasonCanaryStepJump, ReasonCanaryNewImage,
}

// The messages, compared by the tests.
const (
	msgSelectorChange     = "Deployment %s: spec.selector changes from %s to %s; the API server rejects it (field is immutable) and the release stops there; allowed: the same selector, or a Deployment of another name"
	msgPausedRollout      = "Deployment %s: the pod template changes while spec.paused is true; the controller starts no rollout, so the step never completes; allowed: paused: false with a template change"
	msgRecreateDefaulted  = "Deployment %s: the strategy moves to Recreate from a RollingUpdate whose rollingUpdate block the API server filled in; server-side apply keeps that block and the API server rejects the Deployment (kubernetes/kubernetes#24198); allowed: one release with strategy rolling first (rollspec writes the block), or a client-side apply of this one"
	msgRecreateDowntime   = "Deployment %s: strategy Recreate and the pod template changes: all %d pods stop before the new ones start; allowed: strategy rolling, or --allow " + ReasonRecreateDowntime + " when the downtime is accepted"
	msgWholeFleet         = "Deployment %s: the pod template changes and maxUnavailable (%v) lets the controller take all %d pods down at once; allowed: a maxUnavailable below replicas (rolling.profile: surge-first)"
	msgNoPods             = "Service %s: selects no running pod in the new render (it selected %s); requests fail until something matches %s; allowed: keep pods behind the selector"
	msgSelectorRemoved    = "Service %s: spec.selector is removed (it selected %s): Kubernetes stops managing its endpoints, which keep the pods of now and point at nothing once the next rollout replaces them; allowed: keep the selector (a Service without one is for endpoints written by hand)"
	msgNewPodsOnly        = "Service %s: would select only pods of %s, which the old render does not have: no endpoints until they start and pass readiness, and with prune the pods it selects now go at once; allowed: apply the new Deployments and wait for them before the Service moves (Argo CD: the Service in a later sync wave, and PruneLast=true), or --allow " + ReasonNewPodsOnly
	msgFlipToFewer        = "Service %s: moves from %s (%d replicas) to %s, which runs %d in the old render: the Service would send all the traffic to fewer pods than serve it now; allowed: bring %s to %d replicas in a commit of its own, wait for rollspec status, then flip"
	msgRouteToFewer       = "%s: %s gets %.0f%% of the requests (was %.0f%%) on the %d pods it keeps of those it runs now: %.1f%% per pod, more than twice the %.1f%% any pod carries now; allowed: a weight step that keeps each pod within twice its load, or bring %s to more replicas in a commit of its own, wait for rollspec status, then move the weight"
	msgFlipToChanging     = "Service %s: moves to %s, whose pods are replaced in the same commit: the traffic arrives while they restart; allowed: change the idle colour in one commit, wait for rollspec status, flip in the next"
	msgFlipAndScaleDown   = "Service %s: moves from %s to %s, and %s scales from %d to %d pods in the same commit: its pods go while the new colour takes the traffic, and no fast way back is left; allowed: flip in one commit, scale the old colour down in a later one"
	msgStableDuringCanary = "Deployment %s: the stable track's pod template changes while its canary %s runs (or as it starts): every stable pod restarts during the canary; allowed: change the stable track after promote or abort"
	msgCanaryStepJump     = "Release %s: the canary of %s moves from step %d (%d%%) to step %d (%d%%), past %s; allowed: one step per commit (rollspec step)"
	msgCanaryShareJump    = "Release %s: the canary of %s moves from %d%% to %d%% in one commit, past %s; allowed: one step per commit (rollspec step), with the steps left as they are"
	msgCanaryStartJump    = "Release %s: the canary of %s starts at step %d (%d%%), past step 0 (%d%%); allowed: start at step 0 (rollspec set-image)"
	msgCanaryNewImage     = "Release %s: the canary image changes from %s to %s at step %d (%d%%): the new image starts on %d%% of the pods; allowed: a new canary image at step 0 (rollspec set-image does so)"
)

// Problem is one unsafe part of a move.
type Problem struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
	// Allowed is set when --allow accepted the reason.
	Allowed bool `json:"allowed,omitempty"`
}

// Judgement is diff's verdict on a move.
type Judgement struct {
	Problems []Problem `json:"problems,omitempty"`
	// Changes summarises the move, one line per changed object.
	Changes []string `json:"changes,omitempty"`
}

// Unsafe reports a problem that --allow did not accept.
func (j *Judgement) Unsafe() bool {
	for _, p := range j.Problems {
		if !p.Allowed {
			return true
		}
	}
	return false
}

// side is one end of a move: its render and its Releases.
type side struct {
	r        *rendered
	releases map[string]*release // by namespace/name
}

// Diff renders old and new (directories, files or git:REV:PATH) and
// judges the move between them. Render warnings go to errOut, prefixed
// with the side they come from.
func Diff(oldSpec, newSpec string, overrides map[string]string, allow []string, errOut io.Writer) (*Judgement, error) {
	for _, a := range allow {
		if !contains(Reasons, a) {
			return nil, fmt.Errorf("--allow %q is not a reason; allowed: %s", a, strings.Join(Reasons, ", "))
		}
	}
	old, err := readSide(oldSpec, overrides, errOut)
	if err != nil {
		return nil, err
	}
	cur, err := readSide(newSpec, overrides, errOut)
	if err != nil {
		return nil, err
	}
	j := judge(old, cur)
	for i := range j.Problems {
		j.Problems[i].Allowed = contains(allow, j.Problems[i].Reason)
	}
	return j, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readSide renders one end of the move.
func readSide(spec string, overrides map[string]string, errOut io.Writer) (*side, error) {
	path, cleanup, err := materialize(spec)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out, warnings bytes.Buffer
	if err := render([]string{path}, overrides, strings.NewReader(""), &out, &warnings); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", spec, err)
	}
	for _, line := range strings.SplitAfter(warnings.String(), "\n") {
		if line != "" {
			fmt.Fprintf(errOut, "%s: %s", spec, line)
		}
	}
	r, err := decodeStream(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("reading the render of %s: %w", spec, err)
	}
	s := &side{r: r, releases: map[string]*release{}}
	found, err := releasesIn(path)
	if err != nil {
		return nil, err
	}
	for _, l := range found {
		rel, err := parseRelease(l.node.Content[0])
		if err != nil {
			return nil, fmt.Errorf("%s: Release %q: %v", spec, l.name, err)
		}
		s.releases[l.name] = rel
	}
	return s, nil
}

// judge compares two renders. Checks run in a fixed order and over sorted
// keys, so the verdict reads the same every time.
func judge(old, cur *side) *Judgement {
	j := &Judgement{}
	add := func(reason, format string, args ...interface{}) {
		j.Problems = append(j.Problems, Problem{Reason: reason, Message: fmt.Sprintf(format, args...)})
	}
	for _, key := range sortedKeys(cur.r.deployments) {
		d, o := cur.r.deployments[key], old.r.deployments[key]
		if isCanaryTrack(d) {
			// During a canary, also at its start: the stable track must keep
			// the pods it runs.
			stable := strings.TrimSuffix(key, "-canary")
			if sd, so := cur.r.deployments[stable], old.r.deployments[stable]; sd != nil && so != nil && sd.Template != so.Template {
				add(ReasonStableDuringCanary, msgStableDuringCanary, stable, key)
			}
		}
		if o == nil {
			continue
		}
		changed := d.Template != o.Template
		reps := cur.r.replicas(key)
		if d.Selector != o.Selector {
			add(ReasonSelectorChange, msgSelectorChange, key, o.Selector, d.Selector)
		}
		if changed && d.Paused {
			add(ReasonPausedRollout, msgPausedRollout, key)
		}
		if d.StrategyType == "Recreate" && o.StrategyType == "RollingUpdate" && !o.HasRolling {
			add(ReasonRecreateDefaulted, msgRecreateDefaulted, key)
		}
		if changed && reps > 0 && d.StrategyType == "Recreate" {
			add(ReasonRecreateDowntime, msgRecreateDowntime, key, reps)
		}
		if changed && reps > 0 && d.StrategyType == "RollingUpdate" && resolveUnavailable(d.Unavailable, reps) >= reps {
			mu := d.Unavailable
			if mu == nil {
				mu = "25%"
			}
			add(ReasonWholeFleet, msgWholeFleet, key, mu, reps)
		}
	}
	for _, key := range sortedKeys(cur.r.services) {
		s, o := cur.r.services[key], old.r.services[key]
		if o == nil {
			continue
		}
		if len(s.Selector) == 0 {
			if before := old.r.selected(o); len(o.Selector) > 0 {
				add(ReasonSelectorRemoved, msgSelectorRemoved, key, orNone(before))
			}
			continue
		}
		before, after := old.r.selected(o), cur.r.selected(s)
		var oldPods, newPods int64
		for _, d := range before {
			oldPods += old.r.replicas(d)
		}
		for _, d := range after {
			newPods += cur.r.replicas(d)
		}
		if oldPods == 0 {
			continue // it served nothing before: nothing to lose
		}
		allNew := len(after) > 0
		for _, d := range after {
			allNew = allNew && old.r.deployments[d] == nil
		}
		switch {
		case newPods == 0:
			add(ReasonNoPods, msgNoPods, key, strings.Join(before, ", "), labelsOf(s.Selector))
		case allNew:
			add(ReasonNewPodsOnly, msgNewPodsOnly, key, strings.Join(after, ", "))
		case !overlap(before, after):
			// A flip: the Service moves to Deployments that exist.
			var ready int64
			changing := []string{}
			for _, d := range after {
				ready += old.r.replicas(d)
				if cur.r.deployments[d].Template != old.r.deployments[d].Template {
					changing = append(changing, d)
				}
			}
			if ready < oldPods {
				add(ReasonFlipToFewer, msgFlipToFewer, key, strings.Join(before, ", "), oldPods, strings.Join(after, ", "), ready, strings.Join(after, ", "), oldPods)
			}
			if len(changing) > 0 {
				add(ReasonFlipToChanging, msgFlipToChanging, key, strings.Join(changing, ", "))
			}
			for _, d := range before {
				if now := cur.r.replicas(d); now < old.r.replicas(d) {
					add(ReasonFlipAndScaleDown, msgFlipAndScaleDown, key, strings.Join(before, ", "), strings.Join(after, ", "), d, old.r.replicas(d), now)
				}
			}
		}
	}
	judgeRoutes(old, cur, add)
	for _, name := range sortedKeys(cur.releases) {
		r, o := cur.releases[name], old.releases[name]
		c := runningCanary(r)
		if c == nil {
			continue
		}
		var oc *strategies.Canary
		if o != nil {
			oc = runningCanary(o)
		}
		step := stepOf(c)
		switch {
		case oc == nil && len(c.Steps) > 0 && step > 0:
			add(ReasonCanaryStepJump, msgCanaryStartJump, name, c.Image, step, weightAt(c, step), c.Steps[0])
		case oc == nil:
		case oc.Image != c.Image && len(c.Steps) > 0 && step > 0:
			add(ReasonCanaryNewImage, msgCanaryNewImage, name, oc.Image, c.Image, step, weightAt(c, step), weightAt(c, step))
		case oc.Image != c.Image:
		case equalInts(oc.Steps, c.Steps) && len(c.Steps) > 0:
			if from := stepOf(oc); step-from > 1 {
				var past []string
				for s := from + 1; s < step; s++ {
					past = append(past, fmt.Sprintf("step %d (%d%%)", s, weightAt(c, s)))
				}
				add(ReasonCanaryStepJump, msgCanaryStepJump, name, c.Image, from, weightAt(oc, from), step, weightAt(c, step), strings.Join(past, ", "))
			}
		default:
			// steps rewritten, or traded for weight (or back): judge the
			// share the canary gets, against the ladder it climbed.
			if past := shareJump(oc, c); past != "" {
				add(ReasonCanaryStepJump, msgCanaryShareJump, name, c.Image, canaryShare(oc), canaryShare(c), past)
			}
		}
	}
	j.Changes = changes(old, cur)
	return j
}

func runningCanary(r *release) *strategies.Canary {
	if r.StrategyName() != strategyCanary {
		return nil
	}
	return canaryOf(r)
}

// maxLoadFactor is how much more of a route rule's requests per pod a
// move may put on a Deployment than the busiest pod carries now. A flip
// of a hot standby keeps the load per pod (factor 1); a canary step sized
// by the render stays under 2 while its new pods start; a route flip to a
// standby smaller than the active colour goes far past it.
const maxLoadFactor = 2

// judgeRoutes compares the requests each route rule sends to each
// Deployment with the pods behind it: with spec.traffic a flip or a
// canary step is a weight, and the Service selectors do not move.
// Only pods that run before the commit and stay count; a Deployment new
// in the commit is judged by the Service checks, not here.
func judgeRoutes(old, cur *side, add func(reason, format string, args ...interface{})) {
	before, after := old.r.routeShares(), cur.r.routeShares()
	for _, key := range sortedKeys(after) {
		prev, ok := before[key]
		if !ok {
			continue
		}
		was, now, rule := prev.shares, after[key].shares, after[key].label
		var busiest float64
		for d, share := range was {
			if n := old.r.replicas(d); n > 0 && share/float64(n) > busiest {
				busiest = share / float64(n)
			}
		}
		if busiest == 0 {
			continue
		}
		for _, d := range sortedKeys(now) {
			share := now[d]
			if share <= was[d] || old.r.deployments[d] == nil {
				continue
			}
			pods := min(old.r.replicas(d), cur.r.replicas(d))
			if pods == 0 || share/float64(pods) > maxLoadFactor*busiest {
				perPod := share
				if pods > 0 {
					perPod = share / float64(pods)
				}
				add(ReasonFlipToFewer, msgRouteToFewer, rule, d, share, was[d], pods, perPod, busiest, d)
			}
		}
	}
}

// canaryShare is the percent of pods (or, with traffic, requests) the
// canary block asks for: steps[step], else weight; -1 when it gives
// replicas only.
func canaryShare(c *strategies.Canary) int64 {
	switch {
	case len(c.Steps) > 0:
		return weightAt(c, stepOf(c))
	case c.Weight != nil:
		return *c.Weight
	}
	return -1
}

// shareJump describes what a move of the canary's share passes over on
// the ladder of steps it climbs (the old block's steps, else the new
// one's), "" when it goes at most one rung up. Without steps on either
// side there is no ladder to judge by.
func shareJump(oc, c *strategies.Canary) string {
	from, to := canaryShare(oc), canaryShare(c)
	ladder := oc.Steps
	if len(ladder) == 0 {
		ladder = c.Steps
	}
	if from < 0 || to <= from || len(ladder) == 0 {
		return ""
	}
	var next int64 = -1
	var past []string
	for _, w := range ladder {
		if w <= from {
			continue
		}
		if next < 0 {
			next = w
			continue
		}
		if w < to {
			past = append(past, fmt.Sprintf("%d%%", w))
		}
	}
	switch {
	case next < 0:
		return fmt.Sprintf("the last step of %s", flowInts(ladder))
	case to <= next:
		return ""
	}
	return strings.Join(append([]string{fmt.Sprintf("%d%%", next)}, past...), ", ") + " of the steps " + flowInts(ladder)
}

func weightAt(c *strategies.Canary, step int64) int64 {
	if step >= 0 && step < int64(len(c.Steps)) {
		return c.Steps[step]
	}
	return 0
}

func overlap(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// changes summarises a move: objects added and removed, and for
// Deployments and Services the fields a release moves.
func changes(old, cur *side) []string {
	var out []string
	oldIDs := map[string]*object{}
	for _, o := range old.r.objects {
		oldIDs[o.id()] = o
	}
	seen := map[string]bool{}
	for _, o := range cur.r.objects {
		seen[o.id()] = true
		prev := oldIDs[o.id()]
		key := nsName(o.Metadata.Namespace, o.Metadata.Name)
		switch {
		case prev == nil && o.Kind == "Deployment":
			out = append(out, fmt.Sprintf("%s: added, %d replicas of %s", o.ref(), cur.r.replicas(key), images(cur.r.deployments[key])))
		case prev == nil:
			out = append(out, o.ref()+": added")
		case o.Kind == "Deployment":
			d, p := cur.r.deployments[key], old.r.deployments[key]
			var parts []string
			if a, b := old.r.replicas(key), cur.r.replicas(key); a != b {
				parts = append(parts, fmt.Sprintf("replicas %d -> %d", a, b))
			}
			if a, b := images(p), images(d); a != b {
				parts = append(parts, fmt.Sprintf("image %s -> %s", a, b))
			} else if d.Template != p.Template {
				parts = append(parts, "pod template changes")
			}
			if len(parts) > 0 {
				out = append(out, o.ref()+": "+strings.Join(parts, ", "))
			}
		case o.Kind == "Service":
			a, b := old.r.selected(old.r.services[key]), cur.r.selected(cur.r.services[key])
			if strings.Join(a, ",") != strings.Join(b, ",") {
				out = append(out, fmt.Sprintf("%s: selects %s (was %s)", o.ref(), orNone(b), orNone(a)))
			}
		case canonical(o.Raw) != canonical(prev.Raw):
			out = append(out, o.ref()+": changed")
		}
	}
	for _, o := range old.r.objects {
		if !seen[o.id()] {
			out = append(out, o.ref()+": removed (the apply tool must prune it)")
		}
	}
	return out
}

func images(d *deployment) string {
	names := sortedKeys(d.Images)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = d.Images[n]
	}
	return strings.Join(parts, ", ")
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "no Deployment"
	}
	return strings.Join(list, ", ")
}
