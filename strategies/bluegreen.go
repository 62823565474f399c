package strategies

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

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
func BlueGreenRelease(t Target) Result {
	bg := t.Spec.BlueGreen
	base := t.Base
	res := Result{}
	c, f := Container(base, t.Spec.Container)
	if c == nil {
		res.Findings = f
		return res
	}
	active, idle := bg.Active, otherColor(bg.Active)
	sc := findScaling(t)
	replicas := Replicas(base)
	if t.Spec.Replicas != nil {
		replicas = *t.Spec.Replicas
	}
	_, fixed := intField(base.YNode(), "spec", "replicas")
	fixed = fixed || t.Spec.Replicas != nil
	inactive := replicas
	if sc.autoscaled() && !fixed {
		// The normal autoscaled shape has no replicas: the standby is the
		// autoscaler's floor.
		inactive = sc.minReplicas()
	}
	if bg.InactiveReplicas != nil {
		inactive = *bg.InactiveReplicas
	}
	// counts says what each color's replicas field becomes: a count, or
	// nil to leave the field as the base has it. Under an autoscaler the
	// active color keeps the base's field (absent in the normal shape), and
	// so does a running idle color, which its own pinned autoscaler
	// holds at the standby count; a color scaled to 0 says so.
	counts := map[string]*int64{active: &replicas, idle: &inactive}
	if sc.autoscaled() {
		counts[active] = t.Spec.Replicas
		if !fixed && inactive > 0 {
			counts[idle] = nil
		}
	}
	name := Name(base)
	_, hadVersion := PodLabels(base)[LabelVersion]
	for i, color := range colors {
		// The target is a copy already: the last color takes it over.
		dep := base
		if i < len(colors)-1 {
			dep = CopyRNode(base)
		}
		setName(dep, name+"-"+color)
		own(dep, t.Release, color)
		dc, _ := Container(dep, t.Spec.Container)
		edit := colorImage(t, color, scalar(field(c, "image")))
		fs := versionInSelector(dep, edit)
		fs = append(fs, editPod(dep, dc, t.Spec, edit)...)
		// After editPod, so the labels come out in the same order when
		// re-rendered from the function's own output.
		addColor(dep, color)
		if _, has := PodLabels(dep)[LabelVersion]; has && !hadVersion {
			// Rebase takes the label out again when the release leaves
			// blue/green, so the next strategy starts from the pods the
			// user wrote.
			setField(mapping(dep.YNode(), "metadata", "annotations"), AnnotationVersionLabel, strNode(versionLabelGenerated))
		}
		editDeploymentSpec(dep, t.Spec, counts[color])
		fs = append(fs, setStrategy(dep, t.Spec)...)
		if color == active {
			// The checks read the same for both colors; say them once.
			res.Findings = append(res.Findings, fs...)
			res.Findings = append(res.Findings, rolloutChecks(dep, dc, Target{})...)
		}
		res.Deployments = append(res.Deployments, dep)
	}
	hpaColors := colors
	if inactive == 0 {
		// An autoscaler cannot hold a Deployment at 0 (minReplicas >= 1),
		// and one left on it would be switched off by the 0 anyway.
		hpaColors = []string{active}
	}
	var fs []Finding
	res.Autoscalers, res.Budgets, fs = sc.colorResult(t, name, hpaColors, func(color string, hpa *yaml.RNode) {
		if color == idle {
			setField(mapping(hpa.YNode(), "spec"), "minReplicas", intNode(inactive))
			setField(mapping(hpa.YNode(), "spec"), "maxReplicas", intNode(inactive))
		}
	})
	res.Findings = append(res.Findings, fs...)
	res.Findings = append(res.Findings, sc.pdbStandbyChecks(inactive)...)
	for _, pdb := range sc.broad {
		res.Findings = append(res.Findings, warningf("spec.strategy", msgBroadPDB, Name(pdb)))
	}
	for _, claim := range readWriteOnceClaims(res.Deployments[0], t.Claims) {
		res.Findings = append(res.Findings, warningf("spec.strategy", msgRWOBlueGreen, name, claim))
	}

	pods := PodLabels(res.Deployments[0])
	delete(pods, LabelColor)
	res.Findings = append(res.Findings, servicesSelect(t, pods, name)...)
	var previews []*yaml.RNode
	if bg.Preview {
		var fs []Finding
		previews, fs = derivedServices(t, previewSuffix, RolePreviewService, LabelColor, idle,
			bg.PreviewLoadBalancers, "spec.blueGreen.previewLoadBalancers", "idle color "+idle)
		res.Findings = append(res.Findings, fs...)
	}
	res.Services = make([][]*yaml.RNode, len(t.Services))
	for i, svc := range t.Services {
		setField(mapping(svc.YNode(), "spec", "selector"), LabelColor, strNode(active))
		res.Services[i] = []*yaml.RNode{svc}
		if bg.Preview {
			res.Services[i] = append(res.Services[i], previews[i])
		}
	}
	if bg.Preview && inactive == 0 && len(t.Services) > 0 {
		res.Findings = append(res.Findings, warningf("spec.blueGreen.preview", msgPreviewNoPods, idle))
	}
	for _, other := range t.Unsteered {
		if sel := ServiceSelector(other); sel[LabelColor] == "" && sel.SelectsAll(pods) {
			res.Findings = append(res.Findings, warningf("spec.services", msgBothColors, Name(other), sel))
		}
	}
	return res
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
func colorImage(t Target, color, baseImage string) podEdit {
	var cs ColorSpec
	if t.Spec.BlueGreen != nil {
		if p := map[string]*ColorSpec{RoleBlue: t.Spec.BlueGreen.Blue, RoleGreen: t.Spec.BlueGreen.Green}[color]; p != nil {
			cs = *p
		}
	}
	if cs.Image == "" {
		cs.Image = releaseImage(t.Spec, baseImage).image
	}
	if cs.Image == "" {
		for _, o := range t.Owned {
			if role(o) == color {
				if oc, _ := Container(o, t.Spec.Container); oc != nil {
					cs.Image = scalar(field(oc, "image"))
				}
			}
		}
	}
	if cs.Image == "" {
		cs.Image = baseImage
	}
	e := podEdit{image: cs.Image, version: cs.Version}
	if e.version == "" {
		e.version = t.Spec.Version
	}
	if e.version == "" {
		e.version = ImageTag(cs.Image)
	}
	return e
}

// ValidateStrategySpec checks the blocks of the blue-green and canary
// strategies, without the input resources.
func ValidateStrategySpec(s *Spec) []Finding {
	var out []Finding
	switch s.Strategy {
	case StrategyBlueGreen:
		out = append(out, validateBlueGreen(s.BlueGreen)...)
	case StrategyCanary:
		out = append(out, validateCanary(s)...)
	}
	return out
}

func validateBlueGreen(bg *BlueGreen) []Finding {
	if bg == nil {
		return []Finding{errorf("spec.blueGreen", "is missing; allowed: a blueGreen block with at least active: blue or green")}
	}
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
		if c.cs.Version != "" {
			if msg := ValidLabelValue(c.cs.Version); msg != "" {
				out = append(out, errorf(fmt.Sprintf("spec.blueGreen.%s.version", c.name), "%s", msg))
			}
		}
	}
	return out
}
