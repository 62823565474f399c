package strategies

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Canary is strategy canary, with its options (spec.canary).
type Canary struct {
	Image    string  `json:"image,omitempty" doc:"Image of the canary Deployment."`
	Version  string  `json:"version,omitempty" doc:"Version label of the canary pods. Default: the image tag."`
	Weight   *int64  `json:"weight,omitempty" doc:"Percent of replicas on the canary, rounded up, at least 1; with spec.traffic, the exact percent of requests (0 to 100)."`
	Replicas *int64  `json:"replicas,omitempty" doc:"Absolute canary replicas (instead of weight); with spec.traffic, the canary's pod count next to weight or steps."`
	Steps    []int64 `json:"steps,omitempty" doc:"Weights of the canary steps; with step, the weight is steps[step]."`
	Step     *int64  `json:"step,omitempty" doc:"Index into steps."`
	Service  bool    `json:"service,omitempty" doc:"Also emit <service>-canary selecting only canary pods."`
	// ServiceLoadBalancers is the canary's counterpart of
	// BlueGreen.PreviewLoadBalancers.
	ServiceLoadBalancers []string `json:"serviceLoadBalancers,omitempty" doc:"Steered LoadBalancer Services whose <service>-canary stays a LoadBalancer (an external address for the canary pods only). Default: none; they are ClusterIP Services."`
}

// canaryRegistration registers the strategy.
var canaryRegistration = Registration{
	Name: "canary", Block: "canary", Doc: "Canary parameters (strategy canary).",
	BlockHint: "spec.canary with strategy canary (delete the block to abort, or move its image to spec.image to promote)",
	Required:  "a canary block with image and one of weight, replicas or steps",
	New:       func() Strategy { return &Canary{} },
	Roles: []Role{
		{Name: RoleCanary, Parent: OfTarget, Kinds: []string{kindDeployment}, Suffix: canarySuffix, Path: "spec.canary"},
		{Name: RoleCanaryService, Parent: OfService, Kinds: []string{kindService}, Suffix: canarySuffix, Path: "spec.canary.service"},
		{Name: RoleStableService, Parent: OfService, Kinds: []string{kindService}, Suffix: stableSuffix, Path: "spec.traffic"},
	},
}

// Canary naming and messages.
const (
	canarySuffix = "-canary"
	// trackCanary is the value of rollspec.dev/track on canary pods.
	trackCanary = "canary"

	msgCanarySplit     = "the canary runs %d of %d pods (%s of the traffic that the Services spread by pod)%s"
	msgCanaryWhole     = "the canary takes all %d pods: no stable pod remains; allowed: a weight or replicas below the fleet"
	msgCanaryOverFleet = "%d canary replicas exceed the %d replicas of the release; allowed: 1 to %d"
	msgCanaryRequests  = "the canary takes exactly %d%% of the requests through HTTPRoute %s, on %s; the stable track keeps %s for the other %d%%"
	msgCanaryRoughly   = "the canary takes %[1]d%% of the requests that the split backendRefs of HTTPRoute %[2]s carry, on %[3]s (not exactly %[1]d%% of all: see the warning on the unsteered Service); the stable track keeps %[4]s for the other %[5]d%%"
)

// CanaryRelease renders strategy canary. The target stays the stable track
// with its selector untouched and its pod template as the rolling release
// of the same spec renders it, its replicas lowered by the canary count; <name>-canary runs spec.canary.image with the stable
// selector plus rollspec.dev/track: canary. Services keep selecting both,
// so traffic splits by pod count, and the split holds until the spec
// changes: a paused canary, one commit per step.
func (cs *Canary) Expand(t Target) Result {
	if t.Workload.Partitioned {
		return cs.expandPartitioned(t)
	}
	o := t.Options
	stable := t.Base
	// Before plainServices: the color the Services select says which
	// color's autoscaler to rebuild from.
	sc := findScaling(t)
	res := Result{Services: plainServices(t)}
	res.Related, res.Joined = sc.plainResult(), sc.joined()
	c, f := Container(stable, o.Container)
	if c == nil {
		res.Findings = f
		return res
	}
	z := cs.sizes(t, sc)
	if z.n > z.total && !sc.autoscaled() {
		res.Findings = append(res.Findings, errorf("spec.canary.replicas", msgCanaryOverFleet, z.n, z.total, z.total))
		return res
	}
	// The stable track runs what the spec says outside its canary block,
	// exactly as the rolling release before it rendered it: after a
	// promote, spec.image is the image the stable pods run, and leaving it
	// out would take them back to the manifest's image as the next canary
	// starts (a restart of every stable pod). A change of it while a canary
	// runs is a move rollspec diff refuses (stable-template-during-canary).
	stableEdit := releaseImage(o, scalar(field(c, "image")))
	res.Findings = append(res.Findings, versionInSelector(stable, stableEdit)...)
	res.Findings = append(res.Findings, editPod(stable, c, o, stableEdit)...)

	canary, fs := cs.canaryTrack(t, z, sc.autoscaled())
	res.Findings = append(res.Findings, fs...)
	res.Findings = append(res.Findings, stableTrack(t, z, sc.autoscaled())...)
	res.Workloads = []*yaml.RNode{stable, canary}
	res.Findings = append(res.Findings, cs.splitFindings(t, sc, z)...)
	res.Findings = append(res.Findings, servicesSelect(t, PodLabels(stable), Name(stable))...)

	var steered steeredRoutes
	if z.traffic {
		steered = steerRoutes(t, routeSplit{weight: z.w,
			current: func(svc *yaml.RNode, _ string) string { return Name(svc) + stableSuffix },
			next:    func(svc *yaml.RNode) string { return Name(svc) + canarySuffix }})
		res.Findings = append(res.Findings, steered.findings...)
		res.Related[kindHTTPRoute] = steered.related
	}
	cs.addTrackServices(t, &res, steered.named)
	return res
}

// podEdit is what the canary's pods run: its image, and its version
// label (the image's tag unless the Release names a version).
func (cs *Canary) podEdit() podEdit {
	edit := podEdit{image: cs.Image, version: cs.Version}
	if edit.version == "" {
		edit.version = ImageTag(cs.Image)
	}
	return edit
}

// canarySizes is how a canary splits the fleet.
type canarySizes struct {
	// total is the fleet the weight applies to; n the canary's pods,
	// stableN the stable track's; w the weight.
	total, n, stableN, w int64
	// asked describes the weight for messages ("" for an absolute count).
	asked string
	// traffic says requests are split through routes (spec.traffic).
	traffic bool
}

// sizes works out the fleet, the canary's pods and the stable track's.
func (cs *Canary) sizes(t Target, sc scaling) canarySizes {
	o := t.Options
	z := canarySizes{total: Replicas(t.Base), w: canaryWeight(cs), traffic: o.Traffic != nil}
	if o.Replicas != nil {
		z.total = *o.Replicas
	}
	if sc.autoscaled() {
		// The autoscaler decides the stable track's size; its floor is the
		// fleet the weight applies to.
		z.total = sc.minReplicas()
	}
	z.n, z.asked = CanaryReplicas(cs, z.total)
	if z.traffic && !sc.autoscaled() {
		z.n = trafficCanaryReplicas(cs, z.total)
	}
	z.stableN = z.total - z.n
	if z.traffic {
		// The stable track keeps the pods its share of requests needs at
		// the fleet's load per pod, rounded up.
		z.stableN = ((100-z.w)*z.total + 99) / 100
	}
	return z
}

// canaryTrack builds <name>-canary: a copy of the stable track running
// spec.canary.image, its selector and pods labelled rollspec.dev/track:
// canary.
func (cs *Canary) canaryTrack(t Target, z canarySizes, autoscaled bool) (*yaml.RNode, []Finding) {
	o := t.Options
	stable := t.Base
	canary := CopyRNode(stable)
	setName(canary, Name(stable)+canarySuffix)
	own(canary, t.Options.Release, RoleCanary)
	cc, _ := Container(canary, o.Container)
	edit := cs.podEdit()
	findings := versionInSelector(stable, edit)
	findings = append(findings, editPod(canary, cc, o, edit)...)
	setField(mapping(canary.YNode(), "spec", "selector", "matchLabels"), LabelTrack, strNode(trackCanary))
	podLabels := mapping(canary.YNode(), "spec", "template", "metadata", "labels")
	setField(podLabels, LabelTrack, strNode(trackCanary))
	// A comment the user wrote on the stable track's label is not about
	// the canary's.
	field(podLabels, LabelTrack).LineComment = ""
	n := z.n
	t.Workload.setSpec(canary, o, &n)
	findings = append(findings, t.Workload.SetUpdate(canary, o, false)...)
	if z.traffic && !autoscaled {
		// Each track is sized for its share of requests, so the stable
		// track plus the canary is not the fleet: Revert reads it here.
		SetAnnotation(canary, AnnotationFleet, strconv.FormatInt(z.total, 10))
	}
	return canary, findings
}

// stableTrack sets the stable track's Deployment-level fields and
// replicas only. Under an autoscaler it keeps its replicas (spec.replicas
// aside): lowering them would fight the autoscaler, and 0 would switch it
// off.
func stableTrack(t Target, z canarySizes, autoscaled bool) []Finding {
	o := t.Options
	stable := t.Base
	stableN := z.stableN
	stableReplicas := &stableN
	if autoscaled {
		stableReplicas = o.Replicas
	}
	t.Workload.setSpec(stable, o, stableReplicas)
	findings := t.Workload.SetUpdate(stable, o, false)
	if z.traffic {
		findings = append(findings, labelStableTrack(stable, z.w)...)
	}
	return findings
}

// splitFindings says how the canary splits the traffic: by requests
// through routes, by pods beside an autoscaler, or by pods.
func (cs *Canary) splitFindings(t Target, sc scaling, z canarySizes) []Finding {
	note := ""
	if z.asked != "" && z.n*100 != canaryWeight(cs)*z.total {
		note = fmt.Sprintf("; asked for %s, rounded up to whole pods", z.asked)
	}
	switch {
	case z.traffic:
		stablePods := podCount(z.stableN)
		if sc.autoscaled() {
			stablePods = fmt.Sprintf("the pods HorizontalPodAutoscaler %q gives it", Name(sc.hpas[0].plain))
		}
		var findings []Finding
		msg := msgCanaryRequests
		if shared := sharedBackends(t); len(shared) > 0 {
			findings = append(findings, shared...)
			msg = msgCanaryRoughly
		}
		return append(findings, infof("spec.canary", msg, z.w, strings.Join(t.Options.Traffic.Routes, ", "), podCount(z.n), stablePods, 100-z.w))
	case sc.autoscaled():
		share := fmt.Sprintf("%.1f%%", float64(z.n)*100/float64(z.n+z.total))
		return []Finding{infof("spec.canary", msgCanaryHPASplit, podCount(z.n), Name(sc.hpas[0].plain), z.total, sc.maxReplicas(), share, note)}
	default:
		share := fmt.Sprintf("%.1f%%", float64(z.n)*100/float64(max(z.total, 1)))
		findings := []Finding{infof("spec.canary", msgCanarySplit, z.n, z.total, share, note)}
		if z.n == z.total {
			findings = append(findings, warningf("spec.canary", msgCanaryWhole, z.total))
		}
		return findings
	}
}

// addTrackServices adds the Services that select one track: the routes'
// backends (only the stable pods, and unless canary.service makes it for
// every steered Service, only the canary's) and, with canary.service,
// <service>-canary for every Service.
func (cs *Canary) addTrackServices(t Target, res *Result, named map[int]bool) {
	if !cs.Service && len(named) == 0 {
		return
	}
	res.ensureServices(t)
	stables := trafficServices(t, named, stableSuffix, RoleStableService, LabelTrack, trackStable)
	canaries := trafficServices(t, named, canarySuffix, RoleCanaryService, LabelTrack, trackCanary)
	if cs.Service {
		derived, fs := derivedServices(t, canarySuffix, RoleCanaryService, LabelTrack, trackCanary,
			cs.ServiceLoadBalancers, "spec.canary.serviceLoadBalancers", "canary pods")
		res.Findings = append(res.Findings, fs...)
		for i := range t.Services {
			canaries[i] = derived[i]
		}
	}
	for i := range t.Services {
		for _, g := range []*yaml.RNode{stables[i], canaries[i]} {
			if g != nil {
				res.Services[i] = append(res.Services[i], g)
			}
		}
	}
}

// trafficCanaryReplicas is the canary's pod count when requests are split
// through routes: canary.replicas, else the weight's share of the fleet
// rounded up, at least 1 (a share of requests needs a pod to take it)
// and at most the fleet.
func trafficCanaryReplicas(cs *Canary, total int64) int64 {
	if cs.Replicas != nil {
		return *cs.Replicas
	}
	n := (canaryWeight(cs)*total + 99) / 100
	return min(max(n, 1), max(total, 1))
}

// labelStableTrack gives the stable track's pods rollspec.dev/track:
// stable, which <service>-stable selects: the stable pods must carry a
// label the canary's do not, as a Service cannot select by a label's
// absence. When the user's template lacks it, the label is added (with
// AnnotationTrackLabel, so Revert takes it out again) and the restart
// that costs is a warning.
func labelStableTrack(stable *yaml.RNode, w int64) []Finding {
	labels := mapping(stable.YNode(), "spec", "template", "metadata", "labels")
	switch v := field(labels, LabelTrack); {
	case v == nil:
		setField(labels, LabelTrack, strNode(trackStable))
		SetAnnotation(stable, AnnotationTrackLabel, trackLabelGenerated)
		return []Finding{warningf("spec.traffic", msgTrafficTrackLabel, Name(stable), LabelTrack, trackStable, 100-w)}
	case scalar(v) != trackStable:
		return []Finding{errorf("spec.traffic", msgTrafficTrackValue, Name(stable), LabelTrack, scalar(v), trackStable, LabelTrack, trackStable)}
	}
	return nil
}

// CanaryReplicas is the canary's pod count for a fleet of total: the
// absolute replicas, or the weight (or steps[step]) as a percent of total,
// rounded up, at least 1 and at most total. asked describes the weight for
// messages ("" for an absolute count).
func CanaryReplicas(cs *Canary, total int64) (n int64, asked string) {
	if cs.Replicas != nil {
		return *cs.Replicas, ""
	}
	w := canaryWeight(cs)
	n = (w*total + 99) / 100
	n = min(max(n, 1), total)
	return n, fmt.Sprintf("%d%%", w)
}

// canaryWeight is weight, or steps[step] (step 0 when unset).
func canaryWeight(cs *Canary) int64 {
	if cs.Weight != nil {
		return *cs.Weight
	}
	step := int64(0)
	if cs.Step != nil {
		step = *cs.Step
	}
	if step >= 0 && step < int64(len(cs.Steps)) {
		return cs.Steps[step]
	}
	return 0
}

// Validate checks spec.canary.
func (cs *Canary) Validate(o *Options) []Finding {
	var out []Finding
	if cs.Image == "" {
		out = append(out, errorf("spec.canary.image", "is missing; allowed: the image the canary runs"))
	} else if err := CheckImage(cs.Image); err != nil {
		out = append(out, errorf("spec.canary.image", "%v", err))
	}
	if cs.Version != "" {
		if err := CheckLabelValue(cs.Version); err != nil {
			out = append(out, errorf("spec.canary.version", "%v", err))
		}
	}
	// With spec.traffic the weight is a share of requests and replicas the
	// canary's pod count, so both may be set; without, each says how many
	// pods the canary runs, and only one may.
	low, unit := int64(1), "percent of replicas"
	if o.Traffic != nil {
		low, unit = 0, "percent of requests"
		switch {
		case cs.Weight == nil && len(cs.Steps) == 0:
			out = append(out, errorf("spec.canary", "sets neither weight nor steps, and with spec.traffic they are the share of requests; allowed: weight or steps, and replicas for the canary's pod count"))
		case cs.Weight != nil && len(cs.Steps) > 0:
			out = append(out, errorf("spec.canary", "sets both weight and steps; allowed: one of them"))
		}
	} else {
		set := 0
		for _, b := range []bool{cs.Weight != nil, cs.Replicas != nil, len(cs.Steps) > 0} {
			if b {
				set++
			}
		}
		if set != 1 {
			out = append(out, errorf("spec.canary", "sets %d of weight, replicas and steps; allowed: exactly one of them", set))
		}
	}
	if len(cs.ServiceLoadBalancers) > 0 && !cs.Service {
		out = append(out, errorf("spec.canary.serviceLoadBalancers", "is set without service: true; allowed: serviceLoadBalancers together with service: true"))
	}
	out = append(out, validateNames("spec.canary.serviceLoadBalancers", cs.ServiceLoadBalancers)...)
	if cs.Weight != nil && (*cs.Weight < low || *cs.Weight > 100) {
		out = append(out, errorf("spec.canary.weight", "%d is out of range; allowed: %d to 100 (%s)", *cs.Weight, low, unit))
	}
	switch {
	case cs.Replicas != nil && *cs.Replicas < 1 && o.Traffic != nil:
		out = append(out, errorf("spec.canary.replicas", "%d is below 1: the requests that spec.canary's weight and spec.traffic's header and mirror send to the canary would reach no pod; allowed: an integer >= 1 (delete the canary block to abort)", *cs.Replicas))
	case cs.Replicas != nil && *cs.Replicas < 1:
		out = append(out, errorf("spec.canary.replicas", "%d is below 1; allowed: an integer >= 1 (delete the canary block to abort)", *cs.Replicas))
	}
	for i, w := range cs.Steps {
		p := fmt.Sprintf("spec.canary.steps[%d]", i)
		switch {
		case w < low || w > 100:
			out = append(out, errorf(p, "%d is out of range; allowed: %d to 100 (%s)", w, low, unit))
		case i > 0 && w <= cs.Steps[i-1]:
			out = append(out, errorf(p, "%d is not above the step before it (%d); allowed: increasing weights", w, cs.Steps[i-1]))
		}
	}
	if cs.Step != nil {
		switch {
		case len(cs.Steps) == 0:
			out = append(out, errorf("spec.canary.step", "is set without steps; allowed: step with a steps list"))
		case *cs.Step < 0 || *cs.Step >= int64(len(cs.Steps)):
			out = append(out, errorf("spec.canary.step", "%d is not an index of steps; allowed: 0 to %d", *cs.Step, len(cs.Steps)-1))
		}
	}
	return out
}

// podCount says "1 pod" or "n pods".
func podCount(n int64) string {
	if n == 1 {
		return "1 pod"
	}
	return fmt.Sprintf("%d pods", n)
}

// Revert gives the target back the pods the canary took from it: unless
// an autoscaler scales it, the canary's replicas were taken from the
// stable track's (after a split by requests, the fleet is recorded on
// the canary). It also takes out the stable track label a split by
// requests added.
func (*Canary) Revert(t Target) *yaml.RNode {
	base := t.Base
	if base == nil {
		return nil
	}
	// A partitioned canary's workload: the stable pods' template back.
	// Only there: the index refuses the record on any other kind.
	if w := WorkloadOf(Kind(base)); w != nil && w.Partitioned {
		restoreStable(base)
	}
	meta := path(base.YNode(), "metadata")
	annotations := field(meta, "annotations")
	if scalar(field(annotations, AnnotationTrackLabel)) == trackLabelGenerated {
		removeField(path(base.YNode(), "spec", "template", "metadata", "labels"), LabelTrack)
		removeField(annotations, AnnotationTrackLabel)
		if len(annotations.Content) == 0 {
			removeField(meta, "annotations")
		}
	}
	autoscaled := findScaling(Target{Options: t.Options, Base: base, Related: t.Related}).autoscaled()
	for _, o := range t.Owned {
		if role(o) == RoleCanary && !autoscaled {
			if _, ok := intField(base.YNode(), "spec", "replicas"); ok {
				n := Replicas(base) + Replicas(o)
				if fleet, err := strconv.ParseInt(scalar(path(o.YNode(), "metadata", "annotations", AnnotationFleet)), 10, 64); err == nil {
					n = fleet
				}
				setField(mapping(base.YNode(), "spec"), "replicas", intNode(n))
			}
		}
	}
	return base
}

// Describe gives each track's pods and its share of the traffic: of the
// requests through the routes when spec.traffic split them, else of the
// traffic that the Services spread by pod.
func (*Canary) Describe(workloads, output []*yaml.RNode, replicas func(*yaml.RNode) int64) []string {
	shares, routeNotes := requestShares(workloads, output, replicas)
	var total int64
	for _, d := range workloads {
		total += replicas(d)
	}
	var notes []string
	for _, d := range workloads {
		n := replicas(d)
		if w := WorkloadOf(Kind(d)); w != nil && w.Partitioned {
			notes = append(notes, describePartitioned(d, n))
			continue
		}
		if s := shares[Name(d)]; len(s) > 0 {
			notes = append(notes, fmt.Sprintf("%s: %s, %s, %s", Name(d), podCount(n), strings.Join(s, ", "), podImage(d)))
			continue
		}
		notes = append(notes, fmt.Sprintf("%s: %d of %d pods (%.1f%% of the traffic), %s", Name(d), n, total, float64(n)*100/float64(max(total, 1)), podImage(d)))
	}
	return append(notes, routeNotes...)
}
