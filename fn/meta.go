package fn

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"

	"rollspec.dev/rollspec/strategies"
)

// The helpers below read a few metadata fields straight from the yaml
// nodes. kyaml's RNode getters (GetAnnotations, GetLabels) decode the whole
// metadata block on every call, which a function that looks at every item
// of a large ResourceList pays many times over.

// topField returns field key of mapping m, or nil.
var topField = strategies.Field

// kindOf returns an object's kind.
func kindOf(n *yaml.RNode) string {
	if v := topField(n.YNode(), "kind"); v != nil {
		return v.Value
	}
	return ""
}

// apiVersionOf returns an object's apiVersion.
func apiVersionOf(n *yaml.RNode) string {
	if v := topField(n.YNode(), "apiVersion"); v != nil {
		return v.Value
	}
	return ""
}

// metaValue returns metadata.<key>.<name> (an annotation or a label).
func metaValue(n *yaml.RNode, key, name string) (string, bool) {
	v := topField(topField(topField(n.YNode(), "metadata"), key), name)
	if v == nil {
		return "", false
	}
	return v.Value, true
}

// annotation returns an annotation's value.
func annotation(n *yaml.RNode, name string) (string, bool) {
	return metaValue(n, "annotations", name)
}

// label returns a label's value, "" when absent.
func label(n *yaml.RNode, name string) string {
	v, _ := metaValue(n, "labels", name)
	return v
}

// clearEmptyAnnotations drops an empty metadata.annotations mapping, as
// kyaml's writer does.
func clearEmptyAnnotations(n *yaml.Node) {
	meta := topField(n, "metadata")
	a := topField(meta, "annotations")
	if a == nil || a.Kind != yaml.MappingNode || len(a.Content) > 0 {
		return
	}
	strategies.RemoveField(meta, "annotations")
}

// isRelease reports whether an object is a rollspec Release.
func isRelease(n *yaml.RNode) bool {
	if kindOf(n) != api.Kind {
		return false
	}
	group, _, ok := strings.Cut(apiVersionOf(n), "/")
	return ok && group == api.Group
}
