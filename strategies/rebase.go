package strategies

import (
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

// RoleOf returns the rollspec.dev/role label of an object, "" when it has none.
func RoleOf(n *yaml.RNode) string { return role(n) }

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
