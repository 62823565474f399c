package strategies

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Roles of generated objects, in the label rollspec.dev/role.
const (
	RoleBlue           = "blue"
	RoleGreen          = "green"
	RoleCanary         = "canary"
	RolePreviewService = "preview-service"
	RoleCanaryService  = "canary-service"
	RoleGenerated      = "generated"
)

// Rebase returns the plain Deployment a strategy starts from; package fn
// calls it once and puts the result in Target.Base. Every strategy renders
// from it, so re-running on the function's own output
// with any spec gives what running on the original input would:
//   - the target itself when it is in the input; after a canary, its
//     replicas are given back the canary's share (unless an autoscaler
//     scales it: then the canary took nothing from it);
//   - after blue/green, the target rebuilt from the color the Services
//     select (its name without the color suffix, the color label gone,
//     and the version label gone when blue/green added it).
func Rebase(t Target) *yaml.RNode {
	if t.Base != nil {
		base := t.Base
		// Under an autoscaler the canary did not take its pods from the
		// stable track, so there is nothing to give back.
		autoscaled := findScaling(Target{Release: t.Release, Base: base, Autoscalers: t.Autoscalers}).autoscaled()
		for _, o := range t.Owned {
			if role(o) == RoleCanary && !autoscaled {
				if _, ok := intField(base.YNode(), "spec", "replicas"); ok {
					setField(mapping(base.YNode(), "spec"), "replicas", intNode(Replicas(base)+Replicas(o)))
				}
			}
		}
		return base
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

// activeColor is the color the first steered Service selects, or blue.
func activeColor(services []*yaml.RNode) string {
	for _, s := range services {
		if c := ServiceSelector(s)[LabelColor]; c == RoleBlue || c == RoleGreen {
			return c
		}
	}
	return RoleBlue
}

// role returns the rollspec.dev/role label of a generated object.
func role(n *yaml.RNode) string {
	return scalar(path(n.YNode(), "metadata", "labels", LabelRole))
}

// Role returns the rollspec.dev/role label of an object, "" when it has none.
func Role(n *yaml.RNode) string { return role(n) }

// own marks a generated object with the release and its role.
func own(n *yaml.RNode, release, r string) {
	labels := mapping(n.YNode(), "metadata", "labels")
	setField(labels, LabelRelease, strNode(release))
	setField(labels, LabelRole, strNode(r))
}

// removeOwnership drops the release and role labels from metadata.
func removeOwnership(meta *yaml.Node) {
	labels := field(meta, "labels")
	removeField(labels, LabelRelease)
	removeField(labels, LabelRole)
	if labels != nil && len(labels.Content) == 0 {
		removeField(meta, "labels")
	}
}
