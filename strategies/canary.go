package strategies

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Canary is strategy canary, with its options (spec.canary).
type Canary struct {
	Image    string  `json:"image,omitempty" doc:"Image of the canary Deployment."`
	Version  string  `json:"version,omitempty" doc:"Version label of the canary pods. Default: the image tag."`
	Weight   *int64  `json:"weight,omitempty" doc:"Percent of replicas on the canary, rounded up, at least 1."`
	Replicas *int64  `json:"replicas,omitempty" doc:"Absolute canary replicas (instead of weight)."`
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
	},
}

// Canary naming and messages.
const (
	canarySuffix = "-canary"
	// trackCanary is the value of rollspec.dev/track on canary pods.
	trackCanary = "canary"

	msgCanarySplit     = "the canary runs %d of %d pods (%s of the traffic that the Services spread by pod)%s"
	msgCanaryWhole     = "the canary takes all %d pods: no stable pod remains; allowed: a weight or replicas below the fleet"
	msgCanaryTemplate  = "%s is ignored while the canary runs: the stable track keeps its pod template (a change would restart every stable pod); put the new image in spec.canary.image, and move it to spec.image to promote"
	msgCanaryOverFleet = "%d canary replicas exceed the %d replicas of the release; allowed: 1 to %d"
)

// CanaryRelease renders strategy canary. The target stays the stable track
// with its selector and pod template untouched, its replicas lowered by
// the canary count; <name>-canary runs spec.canary.image with the stable
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
	res.Related = sc.plainResult()
	c, f := Container(stable, o.Container)
	if c == nil {
		res.Findings = f
		return res
	}
	total := Replicas(stable)
	if o.Replicas != nil {
		total = *o.Replicas
	}
	if sc.autoscaled() {
		// The autoscaler decides the stable track's size; its floor is the
		// fleet the weight applies to.
		total = sc.minReplicas()
	}
	n, asked := CanaryReplicas(cs, total)
	if n > total && !sc.autoscaled() {
		res.Findings = append(res.Findings, errorf("spec.canary.replicas", msgCanaryOverFleet, n, total, total))
		return res
	}
	if edit := releaseImage(o, scalar(field(c, "image"))); edit.image != "" && edit.image != scalar(field(c, "image")) {
		res.Findings = append(res.Findings, warningf("spec.image", msgCanaryTemplate, "spec.image/spec.tag"))
	}

	canary := CopyRNode(stable)
	setName(canary, Name(stable)+canarySuffix)
	own(canary, t.Options.Release, RoleCanary)
	cc, _ := Container(canary, o.Container)
	edit := podEdit{image: cs.Image, version: cs.Version}
	if edit.version == "" {
		edit.version = ImageTag(cs.Image)
	}
	res.Findings = append(res.Findings, versionInSelector(stable, edit)...)
	res.Findings = append(res.Findings, editPod(canary, cc, o, edit)...)
	setField(mapping(canary.YNode(), "spec", "selector", "matchLabels"), LabelTrack, strNode(trackCanary))
	setField(mapping(canary.YNode(), "spec", "template", "metadata", "labels"), LabelTrack, strNode(trackCanary))
	t.Workload.setSpec(canary, o, &n)
	res.Findings = append(res.Findings, t.Workload.SetUpdate(canary, o, false)...)

	// The stable track: Deployment-level fields and replicas only. Under
	// an autoscaler it keeps its replicas (spec.replicas aside): lowering
	// them would fight the autoscaler, and 0 would switch it off.
	stableN := total - n
	stableReplicas := &stableN
	if sc.autoscaled() {
		stableReplicas = o.Replicas
	}
	t.Workload.setSpec(stable, o, stableReplicas)
	res.Findings = append(res.Findings, t.Workload.SetUpdate(stable, o, false)...)
	res.Workloads = []*yaml.RNode{stable, canary}

	note := ""
	if asked != "" && n*100 != canaryWeight(cs)*total {
		note = fmt.Sprintf("; asked for %s, rounded up to whole pods", asked)
	}
	if sc.autoscaled() {
		share := fmt.Sprintf("%.1f%%", float64(n)*100/float64(n+total))
		res.Findings = append(res.Findings, infof("spec.canary", msgCanaryHPASplit, podCount(n), Name(sc.hpas[0].plain), total, sc.maxReplicas(), share, note))
	} else {
		share := fmt.Sprintf("%.1f%%", float64(n)*100/float64(max(total, 1)))
		res.Findings = append(res.Findings, infof("spec.canary", msgCanarySplit, n, total, share, note))
		if n == total {
			res.Findings = append(res.Findings, warningf("spec.canary", msgCanaryWhole, total))
		}
	}
	res.Findings = append(res.Findings, servicesSelect(t, PodLabels(stable), Name(stable))...)

	if cs.Service {
		if res.Services == nil {
			res.Services = make([][]*yaml.RNode, len(t.Services))
			for i, s := range t.Services {
				res.Services[i] = []*yaml.RNode{s}
			}
		}
		derived, fs := derivedServices(t, canarySuffix, RoleCanaryService, LabelTrack, trackCanary,
			cs.ServiceLoadBalancers, "spec.canary.serviceLoadBalancers", "canary pods")
		res.Findings = append(res.Findings, fs...)
		for i := range t.Services {
			res.Services[i] = append(res.Services[i], derived[i])
		}
	}
	return res
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
	}
	if cs.Version != "" {
		if err := CheckLabelValue(cs.Version); err != nil {
			out = append(out, errorf("spec.canary.version", "%v", err))
		}
	}
	set := 0
	for _, b := range []bool{cs.Weight != nil, cs.Replicas != nil, len(cs.Steps) > 0} {
		if b {
			set++
		}
	}
	if set != 1 {
		out = append(out, errorf("spec.canary", "sets %d of weight, replicas and steps; allowed: exactly one of them", set))
	}
	if len(cs.ServiceLoadBalancers) > 0 && !cs.Service {
		out = append(out, errorf("spec.canary.serviceLoadBalancers", "is set without service: true; allowed: serviceLoadBalancers together with service: true"))
	}
	out = append(out, validateNames("spec.canary.serviceLoadBalancers", cs.ServiceLoadBalancers)...)
	if cs.Weight != nil && (*cs.Weight < 1 || *cs.Weight > 100) {
		out = append(out, errorf("spec.canary.weight", "%d is out of range; allowed: 1 to 100 (percent of replicas)", *cs.Weight))
	}
	if cs.Replicas != nil && *cs.Replicas < 1 {
		out = append(out, errorf("spec.canary.replicas", "%d is below 1; allowed: an integer >= 1 (delete the canary block to abort)", *cs.Replicas))
	}
	for i, w := range cs.Steps {
		p := fmt.Sprintf("spec.canary.steps[%d]", i)
		switch {
		case w < 1 || w > 100:
			out = append(out, errorf(p, "%d is out of range; allowed: 1 to 100 (percent of replicas)", w))
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
// stable track's.
func (*Canary) Revert(t Target) *yaml.RNode {
	base := t.Base
	if base == nil {
		return nil
	}
	// A partitioned canary's workload: the stable pods' template back.
	restoreStable(base)
	autoscaled := findScaling(Target{Options: t.Options, Base: base, Related: t.Related}).autoscaled()
	for _, o := range t.Owned {
		if role(o) == RoleCanary && !autoscaled {
			if _, ok := intField(base.YNode(), "spec", "replicas"); ok {
				setField(mapping(base.YNode(), "spec"), "replicas", intNode(Replicas(base)+Replicas(o)))
			}
		}
	}
	return base
}

// Describe gives each track's pods and its share of the traffic that the
// Services spread by pod.
func (*Canary) Describe(workloads, _ []*yaml.RNode, replicas func(*yaml.RNode) int64) []string {
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
		notes = append(notes, fmt.Sprintf("%s: %d of %d pods (%.1f%% of the traffic), %s", Name(d), n, total, float64(n)*100/float64(max(total, 1)), podImage(d)))
	}
	return notes
}
