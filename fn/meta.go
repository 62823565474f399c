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
func kindOf(n *yaml.RNode) string { return strategies.Kind(n) }

// apiVersionOf returns an object's apiVersion.
func apiVersionOf(n *yaml.RNode) string {
	return scalarValue(topField(n.YNode(), "apiVersion"))
}

// scalarValue is a scalar's value, "" for null and anything else.
func scalarValue(v *yaml.Node) string {
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == yaml.NodeTagNull {
		return ""
	}
	return v.Value
}

// identityView is n itself, or when a merge key (<<) at its top or in its
// metadata sets its kind, name or namespace, the expanded copy to read
// them from, as the API server would.
func identityView(n *yaml.RNode) *yaml.RNode {
	root := n.YNode()
	if !strategies.HasMergeKey(root) && !strategies.HasMergeKey(topField(root, "metadata")) {
		return n
	}
	if e, err := strategies.Expand(root); err == nil {
		return yaml.NewRNode(e)
	}
	return n
}

// identityOf names an object: group/Kind namespace/name, "" namespace
// read as default.
func identityOf(n *yaml.RNode) string {
	v := identityView(n)
	return apiGroup(apiVersionOf(v)) + "/" + kindOf(v) + " " + qualified(nsName(strategies.Namespace(v)), strategies.Name(v))
}

// metaValue returns metadata.<key>.<name> (an annotation or a label).
func metaValue(n *yaml.RNode, key, name string) (string, bool) {
	v := topField(topField(topField(n.YNode(), "metadata"), key), name)
	if v == nil {
		return "", false
	}
	return scalarValue(v), true
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
