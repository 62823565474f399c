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
	res.Related = related
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
	res.Services = make([][]*yaml.RNode, len(t.Services))
	for i, svc := range t.Services {
		setField(mapping(svc.YNode(), "spec", "selector"), LabelColor, strNode(bg.Active))
		res.Services[i] = []*yaml.RNode{svc}
		if bg.Preview {
			res.Services[i] = append(res.Services[i], previews[i])
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
		notes = append(notes, fmt.Sprintf("%s: %d pods of %s, selected by %s", Name(d), replicas(d), podImage(d), who))
	}
	return notes
}
