package strategies

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// BlueGreen is strategy blue-green, with its options (spec.blueGreen).
type BlueGreen struct {
	Active  string     `json:"active,omitempty" doc:"The color the Services select: blue | green." enum:"blue,green"`
	Blue    *ColorSpec `json:"blue,omitempty" doc:"The blue Deployment."`
	Green   *ColorSpec `json:"green,omitempty" doc:"The green Deployment."`
	Preview bool       `json:"preview,omitempty" doc:"Also emit <service>-preview selecting the inactive color."`
	// PreviewLoadBalancers is a per-Service opt-in: by default the preview
	// of a LoadBalancer Service is a ClusterIP Service, so an unreleased
	// color never gets a public address by accident.
	PreviewLoadBalancers []string `json:"previewLoadBalancers,omitempty" doc:"Steered LoadBalancer Services whose preview stays a LoadBalancer (a second external address for the idle color). Default: none; previews of LoadBalancer Services are ClusterIP Services."`
	InactiveReplicas     *int64   `json:"inactiveReplicas,omitempty" doc:"Replicas of the inactive color. Default: replicas (hot standby); 0 scales it down."`
	// Weight is a progressive flip: with spec.traffic, the routes send
	// this share of requests to the idle color.
	Weight *int64 `json:"weight,omitempty" doc:"With spec.traffic: the exact percent of requests the routes send to the idle color (0 to 100), a progressive flip. Default: none; the routes stay as written and flipping active moves all traffic."`
}

// ColorSpec is what one color of a blue/green pair runs.
type ColorSpec struct {
	Image   string `json:"image,omitempty" doc:"Image of this color."`
	Version string `json:"version,omitempty" doc:"Version label of this color. Default: the image tag."`
}

// blueGreenRegistration registers the strategy.
var blueGreenRegistration = Registration{
	Name: "blue-green", Block: "blueGreen", Doc: "Blue/green parameters (strategy blue-green).",
	BlockHint: "spec.blueGreen with strategy blue-green",
	Required:  "a blueGreen block with at least active: blue or green",
	New:       func() Strategy { return &BlueGreen{} },
	Roles: []Role{
		{Name: RoleBlue, Parent: OfTarget, Kinds: []string{kindDeployment}, Suffix: "-" + RoleBlue, Path: "spec.blueGreen"},
		{Name: RoleGreen, Parent: OfTarget, Kinds: []string{kindDeployment}, Suffix: "-" + RoleGreen, Path: "spec.blueGreen"},
		{Name: RolePreviewService, Parent: OfService, Kinds: []string{kindService}, Suffix: previewSuffix, Path: "spec.blueGreen.preview"},
		{Name: RoleBlue, Parent: OfFollower, Kinds: []string{kindHPA, kindPDB}, Suffix: "-" + RoleBlue, Path: "spec.blueGreen"},
		{Name: RoleGreen, Parent: OfFollower, Kinds: []string{kindHPA, kindPDB}, Suffix: "-" + RoleGreen, Path: "spec.blueGreen"},
	},
}

// Colors of a blue/green pair, in output order.
var colors = []string{RoleBlue, RoleGreen}

// previewSuffix names the Service that selects the idle color.
const previewSuffix = "-preview"

// AnnotationVersionLabel on a color's Deployment says that the target's
// pods had no app.kubernetes.io/version label of their own: blue/green
// labels each color's pods with its version, and Rebase removes the label
// again, so that moving on to another strategy gives what that strategy
// gives on the user's manifest (a canary would otherwise keep the label
// on the stable track, which it never edits).
const (
	AnnotationVersionLabel = "rollspec.dev/version-label"
	versionLabelGenerated  = "generated"
)

// Messages of the blue/green checks.
const (
	msgBothColors    = "Service %q selects pods of both colors (selector %s) while it is not steered; allowed: list it in spec.services so it follows spec.blueGreen.active, or give it a selector that excludes the release's pods"
	msgRWOBlueGreen  = "Deployment %q mounts the ReadWriteOnce PersistentVolumeClaim %q, and blue/green runs both colors at once: the second color cannot mount it; use strategy recreate or a StatefulSet"
	msgPreviewNoPods = "the preview Services select the %s color, which has 0 replicas, so they select no pod; allowed: spec.blueGreen.inactiveReplicas above 0 while you test the preview"
	msgBGRequests    = "the idle color %s takes exactly %d%% of the requests through HTTPRoute %s, the active color %s the other %d%%"
	msgBGRoughly     = "the idle color %[1]s takes %[2]d%% of the requests that the split backendRefs of HTTPRoute %[3]s carry (not exactly %[2]d%% of all: see the warning on the unsteered Service), the active color %[4]s the other %[5]d%%"
)

// BlueGreenRelease renders strategy blue-green. The target Deployment
// becomes <name>-blue and <name>-green, each with rollspec.dev/color in
// its selector and pod labels, its own image and version; the active color
// runs spec.replicas, the idle one spec.blueGreen.inactiveReplicas. Each
// steered Service selects the active color, and with preview a
// <service>-preview Service selects the idle one. Colors are fixed names,
// so a release changes images, replicas and Service selectors, never a
// Deployment's selector.
func (bg *BlueGreen) Expand(t Target) Result {
	res := Result{}
	c, f := Container(t.Base, t.Options.Container)
	if c == nil {
		res.Findings = f
		return res
	}
	sc := findScaling(t)
	counts, inactive := bg.replicaCounts(t, sc)
	_, hadVersion := PodLabels(t.Base)[LabelVersion]
	baseImage := scalar(field(c, "image"))
	name := Name(t.Base)
	for i, color := range colors {
		// The target is a copy already: the last color takes it over.
		dep := t.Base
		if i < len(colors)-1 {
			dep = CopyRNode(t.Base)
		}
		res.Findings = append(res.Findings, bg.color(t, dep, name, color, baseImage, counts[color], hadVersion)...)
		res.Workloads = append(res.Workloads, dep)
	}
	res.Findings = append(res.Findings, bg.followers(t, &res, sc, name, inactive)...)
	res.Findings = append(res.Findings, bg.steer(t, &res, name, inactive)...)
	return res
}

// replicaCounts says what each color's replicas field becomes: a count,
// or nil to leave the field as the base has it; and the idle color's
// count. Under an autoscaler the active color keeps the base's field
// (absent in the normal shape), and so does a running idle color, which
// its own pinned autoscaler holds at the standby count; a color scaled to
// 0 says so.
func (bg *BlueGreen) replicaCounts(t Target, sc scaling) (map[string]*int64, int64) {
	o := t.Options
	active, idle := bg.Active, otherColor(bg.Active)
	replicas := Replicas(t.Base)
	if o.Replicas != nil {
		replicas = *o.Replicas
	}
	_, fixed := intField(t.Base.YNode(), "spec", "replicas")
	fixed = fixed || o.Replicas != nil
	inactive := replicas
	if sc.autoscaled() && !fixed {
		// The normal autoscaled shape has no replicas: the standby is the
		// autoscaler's floor.
		inactive = sc.minReplicas()
	}
	if bg.InactiveReplicas != nil {
		inactive = *bg.InactiveReplicas
	}
	counts := map[string]*int64{active: &replicas, idle: &inactive}
	if sc.autoscaled() {
		counts[active] = o.Replicas
		if !fixed && inactive > 0 {
			counts[idle] = nil
		}
	}
	return counts, inactive
}

// color turns dep, a copy of the target, into the workload of one color:
// its name, ownership, image, color label and replicas. The findings of
// the active color are the release's; of the idle one only those about
// its own image.
func (bg *BlueGreen) color(t Target, dep *yaml.RNode, name, color, baseImage string, replicas *int64, hadVersion bool) []Finding {
	o := t.Options
	setName(dep, name+"-"+color)
	own(dep, o.Release, color)
	dc, _ := Container(dep, o.Container)
	edit := bg.colorImage(t, color, baseImage)
	fs := versionInSelector(dep, edit)
	fs = append(fs, editPod(dep, dc, o, edit)...)
	// After editPod, so the labels come out in the same order when
	// re-rendered from the function's own output.
	addColor(dep, color)
	if _, has := PodLabels(dep)[LabelVersion]; has && !hadVersion {
		// Rebase takes the label out again when the release leaves
		// blue/green, so the next strategy starts from the pods the user
		// wrote.
		setField(mapping(dep.YNode(), "metadata", "annotations"), AnnotationVersionLabel, strNode(versionLabelGenerated))
	}
	t.Workload.setSpec(dep, o, replicas)
	fs = append(fs, t.Workload.SetUpdate(dep, o, false)...)
	if color == bg.Active {
		// The checks read the same for both colors; say them once.
		return append(fs, rolloutChecks(dep, dc, Target{Workload: t.Workload})...)
	}
	var own []Finding
	for _, f := range fs {
		if f.Path == edit.versionPath && edit.versionPath != "" {
			own = append(own, f)
		}
	}
	return own
}

// followers gives each color its autoscaler and budget, and checks the
// ones that cannot follow the colors and volumes the colors cannot share.
func (bg *BlueGreen) followers(t Target, res *Result, sc scaling, name string, inactive int64) []Finding {
	idle := otherColor(bg.Active)
	hpaColors := colors
	if inactive == 0 {
		// An autoscaler cannot hold a Deployment at 0 (minReplicas >= 1),
		// and one left on it would be switched off by the 0 anyway.
		hpaColors = []string{bg.Active}
	}
	related, fs := sc.colorResult(t, name, hpaColors, func(color string, hpa *yaml.RNode) {
		if color == idle {
			setField(mapping(hpa.YNode(), "spec"), "minReplicas", intNode(inactive))
			setField(mapping(hpa.YNode(), "spec"), "maxReplicas", intNode(inactive))
		}
	})
	res.Related, res.Joined = related, sc.joined()
	fs = append(fs, sc.pdbStandbyChecks(inactive)...)
	for _, pdb := range sc.broad {
		fs = append(fs, warningf("spec.strategy", msgBroadPDB, Name(pdb)))
	}
	for _, claim := range readWriteOnceClaims(res.Workloads[0], t.Related[kindPVC]) {
		fs = append(fs, warningf("spec.strategy", msgRWOBlueGreen, name, claim))
	}
	return fs
}

// steer points each steered Service at the active color and, with
// preview, derives <service>-preview for the idle one; it checks the
// Services that would select both colors.
func (bg *BlueGreen) steer(t Target, res *Result, name string, inactive int64) []Finding {
	o := t.Options
	idle := otherColor(bg.Active)
	pods := PodLabels(res.Workloads[0])
	delete(pods, LabelColor)
	fs := servicesSelect(t, pods, name)
	var previews []*yaml.RNode
	if bg.Preview {
		var pf []Finding
		previews, pf = derivedServices(t, previewSuffix, RolePreviewService, LabelColor, idle,
			bg.PreviewLoadBalancers, "spec.blueGreen.previewLoadBalancers", "idle color "+idle)
		fs = append(fs, pf...)
	}
	// With spec.traffic and a weight, header or mirror, the routes split
	// between each steered Service (the active color) and its preview
	// (the idle color), which the split generates when preview does not.
	var steered steeredRoutes
	if steer, w := bg.steersRoutes(o); steer {
		fs = append(fs, bg.trafficChecks(o, w, idle, inactive)...)
		// Read before the split: the routes as written.
		shared := sharedBackends(t)
		steered = steerRoutes(t, routeSplit{weight: w,
			current: func(_ *yaml.RNode, ref string) string { return ref },
			next:    func(svc *yaml.RNode) string { return Name(svc) + previewSuffix }})
		fs = append(fs, steered.findings...)
		if res.Related == nil {
			res.Related = map[string]map[int][]*yaml.RNode{}
		}
		res.Related[kindHTTPRoute] = steered.related
		at := "spec.traffic"
		if bg.Weight != nil {
			at = "spec.blueGreen.weight"
		}
		msg := msgBGRequests
		if len(shared) > 0 {
			fs = append(fs, shared...)
			msg = msgBGRoughly
		}
		fs = append(fs, infof(at, msg, idle, w, strings.Join(o.Traffic.Routes, ", "), bg.Active, 100-w))
	}
	var trafficPreviews map[int]*yaml.RNode
	if !bg.Preview {
		trafficPreviews = trafficServices(t, steered.named, previewSuffix, RolePreviewService, LabelColor, idle)
	}
	res.Services = make([][]*yaml.RNode, len(t.Services))
	for i, svc := range t.Services {
		setField(mapping(svc.YNode(), "spec", "selector"), LabelColor, strNode(bg.Active))
		res.Services[i] = []*yaml.RNode{svc}
		if bg.Preview {
			res.Services[i] = append(res.Services[i], previews[i])
		} else if p := trafficPreviews[i]; p != nil {
			res.Services[i] = append(res.Services[i], p)
		}
	}
	if bg.Preview && inactive == 0 && len(t.Services) > 0 {
		fs = append(fs, warningf("spec.blueGreen.preview", msgPreviewNoPods, idle))
	}
	for _, other := range t.Unsteered {
		if sel := ServiceSelector(other); sel[LabelColor] == "" && sel.SelectsAll(pods) {
			fs = append(fs, warningf("spec.services", msgBothColors, Name(other), sel))
		}
	}
	return fs
}

// steersRoutes reports whether the routes split, and the idle color's
// share: with spec.traffic, when a weight, a header or a mirror asks for
// the idle color. Otherwise the routes stay as written and the flip moves
// all traffic.
func (bg *BlueGreen) steersRoutes(o *Options) (bool, int64) {
	tr := o.Traffic
	if tr == nil || (bg.Weight == nil && tr.Header == nil && tr.Mirror == nil) {
		return false, 0
	}
	if bg.Weight == nil {
		return true, 0
	}
	return true, *bg.Weight
}

// trafficChecks refuses requests for an idle color that runs no pod.
func (bg *BlueGreen) trafficChecks(o *Options, w int64, idle string, inactive int64) []Finding {
	if inactive > 0 {
		return nil
	}
	var out []Finding
	what := "idle color " + idle
	allowed := "spec.blueGreen.inactiveReplicas above 0"
	if w > 0 {
		out = append(out, errorf("spec.blueGreen.weight", msgTrafficNoNewPods, fmt.Sprintf("%d%% of the requests", w), what, allowed+", or no weight"))
	}
	if o.Traffic.Header != nil {
		out = append(out, errorf("spec.traffic.header", msgTrafficNoNewPods, "requests with header "+o.Traffic.Header.Name, what, allowed+", or no header"))
	}
	if o.Traffic.Mirror != nil {
		out = append(out, errorf("spec.traffic.mirror", msgTrafficNoNewPods, fmt.Sprintf("copies of %d%% of the requests", *o.Traffic.Mirror), what, allowed+", or no mirror"))
	}
	return out
}

func otherColor(c string) string {
	if c == RoleBlue {
		return RoleGreen
	}
	return RoleBlue
}

// addColor adds the color label to a Deployment's selector and pods.
func addColor(dep *yaml.RNode, color string) {
	setField(mapping(dep.YNode(), "spec", "selector", "matchLabels"), LabelColor, strNode(color))
	setField(mapping(dep.YNode(), "spec", "template", "metadata", "labels"), LabelColor, strNode(color))
}

// colorImage is the image and version of one color: the color's own
// settings, else spec.image/tag, else what that color ran in the previous
// render, else the base's image. Falling back to the color's previous image
// keeps a re-run on the function's own output stable.
func (bg *BlueGreen) colorImage(t Target, color, baseImage string) podEdit {
	var cs ColorSpec
	if p := map[string]*ColorSpec{RoleBlue: bg.Blue, RoleGreen: bg.Green}[color]; p != nil {
		cs = *p
	}
	if cs.Image == "" {
		cs.Image = releaseImage(t.Options, baseImage).image
	}
	if cs.Image == "" {
		for _, o := range t.Owned {
			if role(o) == color {
				if oc, _ := Container(o, t.Options.Container); oc != nil {
					cs.Image = scalar(field(oc, "image"))
				}
			}
		}
	}
	if cs.Image == "" {
		cs.Image = baseImage
	}
	e := podEdit{image: cs.Image, version: cs.Version, versionPath: "spec.blueGreen." + color + ".version"}
	if e.version == "" {
		e.version = t.Options.Version
	}
	if e.version == "" {
		e.version = ImageTag(cs.Image)
	}
	return e
}

// Validate checks spec.blueGreen.
func (bg *BlueGreen) Validate(o *Options) []Finding {
	var out []Finding
	switch bg.Active {
	case RoleBlue, RoleGreen:
	case "":
		out = append(out, errorf("spec.blueGreen.active", "is missing; allowed: blue, green"))
	default:
		out = append(out, errorf("spec.blueGreen.active", "unknown color %q; allowed: blue, green", bg.Active))
	}
	if len(bg.PreviewLoadBalancers) > 0 && !bg.Preview {
		out = append(out, errorf("spec.blueGreen.previewLoadBalancers", "is set without preview: true; allowed: previewLoadBalancers together with preview: true"))
	}
	out = append(out, validateNames("spec.blueGreen.previewLoadBalancers", bg.PreviewLoadBalancers)...)
	if bg.Weight != nil {
		switch {
		case o.Traffic == nil:
			out = append(out, errorf("spec.blueGreen.weight", "is set without spec.traffic: a blue/green pair splits requests only through routes; allowed: weight together with spec.traffic.routes"))
		case *bg.Weight < 0 || *bg.Weight > 100:
			out = append(out, errorf("spec.blueGreen.weight", "%d is out of range; allowed: 0 to 100 (percent of requests for the idle color)", *bg.Weight))
		}
	}
	if bg.InactiveReplicas != nil && *bg.InactiveReplicas < 0 {
		out = append(out, errorf("spec.blueGreen.inactiveReplicas", "%d is below 0; allowed: an integer >= 0", *bg.InactiveReplicas))
	}
	for _, c := range []struct {
		name string
		cs   *ColorSpec
	}{{RoleBlue, bg.Blue}, {RoleGreen, bg.Green}} {
		if c.cs == nil {
			continue
		}
		if c.cs.Image != "" {
			if err := CheckImage(c.cs.Image); err != nil {
				out = append(out, errorf(fmt.Sprintf("spec.blueGreen.%s.image", c.name), "%v", err))
			}
		}
		if c.cs.Version != "" {
			if err := CheckLabelValue(c.cs.Version); err != nil {
				out = append(out, errorf(fmt.Sprintf("spec.blueGreen.%s.version", c.name), "%v", err))
			}
		}
	}
	return out
}

// Revert rebuilds the plain target after a blue/green render, from the
// color the Services select (any color when none does): its name without
// the color suffix, the color label gone, and the version label gone when
// blue/green added it.
func (*BlueGreen) Revert(t Target) *yaml.RNode {
	if t.Base != nil {
		return t.Base
	}
	var from *yaml.RNode
	active := activeColor(t.Services)
	for _, o := range t.Owned {
		if r := role(o); r == active || (from == nil && (r == RoleBlue || r == RoleGreen)) {
			from = o
		}
	}
	if from == nil {
		return nil
	}
	base := CopyRNode(from)
	color := role(from)
	setName(base, strings.TrimSuffix(Name(base), "-"+color))
	meta := path(base.YNode(), "metadata")
	removeOwnership(meta)
	removeField(path(base.YNode(), "spec", "selector", "matchLabels"), LabelColor)
	podLabels := path(base.YNode(), "spec", "template", "metadata", "labels")
	removeField(podLabels, LabelColor)
	annotations := field(meta, "annotations")
	if scalar(field(annotations, AnnotationVersionLabel)) == versionLabelGenerated {
		removeField(podLabels, LabelVersion)
	}
	removeField(annotations, AnnotationVersionLabel)
	if annotations != nil && len(annotations.Content) == 0 {
		removeField(meta, "annotations")
	}
	return base
}

// Describe says, for each color, how many pods of which image run and
// which Services select it.
func (*BlueGreen) Describe(workloads, output []*yaml.RNode, replicas func(*yaml.RNode) int64) []string {
	shares, routeNotes := requestShares(workloads, output, replicas)
	var notes []string
	for _, d := range workloads {
		color := role(d)
		var selected []string
		for _, s := range output {
			if Kind(s) != kindService || Namespace(s) != Namespace(d) {
				continue
			}
			if sel := ServiceSelector(s); sel[LabelColor] == color && sel.SelectsAll(PodLabels(d)) {
				selected = append(selected, Name(s))
			}
		}
		who := "no Service"
		if len(selected) > 0 {
			who = strings.Join(selected, ", ")
		}
		line := fmt.Sprintf("%s: %d pods of %s, selected by %s", Name(d), replicas(d), podImage(d), who)
		if s := shares[Name(d)]; len(s) > 0 {
			line += ", " + strings.Join(s, ", ")
		}
		notes = append(notes, line)
	}
	return append(notes, routeNotes...)
}
