package strategies

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Label keys rollspec writes.
const (
	// LabelVersion is the pod label that carries the release version.
	LabelVersion = "app.kubernetes.io/version"
	// LabelColor is added to the selector and pods of a blue/green pair.
	LabelColor = "rollspec.dev/color"
	// LabelTrack is added to the selector and pods of a canary Deployment.
	LabelTrack = "rollspec.dev/track"
	// LabelRelease marks objects rollspec generated, with the Release name.
	LabelRelease = "rollspec.dev/release"
	// LabelRole says what a generated object is for (see the Role constants).
	LabelRole = "rollspec.dev/role"
)

// Labels is a label set read from a manifest.
type Labels map[string]string

// readLabels reads a labels mapping (nil when absent).
func readLabels(m *yaml.Node) Labels {
	out := Labels{}
	for _, kv := range stringMap(m) {
		out[kv.Key] = kv.Value
	}
	return out
}

// PodLabels returns the pod template labels of a Deployment.
func PodLabels(dep *yaml.RNode) Labels {
	return readLabels(path(dep.YNode(), "spec", "template", "metadata", "labels"))
}

// ServiceSelector returns a Service's selector; empty when it has none.
func ServiceSelector(svc *yaml.RNode) Labels {
	return readLabels(path(svc.YNode(), "spec", "selector"))
}

// SelectsAll reports whether a non-empty equality selector matches labels,
// as a Service selector does.
func (sel Labels) SelectsAll(labels Labels) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// LabelSelectorMatches evaluates a metav1.LabelSelector node (matchLabels
// and matchExpressions) against labels. An empty selector matches nothing
// here: a Deployment without a selector is invalid anyway.
func LabelSelectorMatches(sel *yaml.Node, labels Labels) bool {
	if sel == nil {
		return false
	}
	ml := readLabels(field(sel, "matchLabels"))
	exprs := field(sel, "matchExpressions")
	if len(ml) == 0 && (exprs == nil || len(exprs.Content) == 0) {
		return false
	}
	for k, v := range ml {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	if exprs == nil {
		return true
	}
	for _, e := range exprs.Content {
		key := scalar(field(e, "key"))
		op := scalar(field(e, "operator"))
		var values []string
		if vs := field(e, "values"); vs != nil {
			for _, v := range vs.Content {
				values = append(values, v.Value)
			}
		}
		lv, has := labels[key]
		in := false
		for _, v := range values {
			if v == lv {
				in = true
			}
		}
		switch op {
		case "In":
			if !has || !in {
				return false
			}
		case "NotIn":
			if has && in {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// selectorKeys lists every label key a Deployment selector constrains.
func selectorKeys(sel *yaml.Node) []string {
	var keys []string
	for _, kv := range stringMap(field(sel, "matchLabels")) {
		keys = append(keys, kv.Key)
	}
	if exprs := field(sel, "matchExpressions"); exprs != nil {
		for _, e := range exprs.Content {
			keys = append(keys, scalar(field(e, "key")))
		}
	}
	return keys
}

// scalar is the value of a scalar node, "" for null (namespace: null is
// no namespace, as the API server reads it) and anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == yaml.NodeTagNull {
		return ""
	}
	return n.Value
}

// SteeringSelector is a Service's selector without the color and track
// labels rollspec adds, so a Service steered by an earlier render is still
// recognised as selecting the release's pods.
func SteeringSelector(svc *yaml.RNode) Labels {
	sel := ServiceSelector(svc)
	delete(sel, LabelColor)
	delete(sel, LabelTrack)
	return sel
}

// PlainPodLabels are a generated workload's pod labels without the labels
// rollspec adds to tell the workloads of a release apart (color, track):
// the labels of the target's pods.
func PlainPodLabels(n *yaml.RNode) Labels {
	pods := PodLabels(n)
	delete(pods, LabelColor)
	delete(pods, LabelTrack)
	return pods
}
