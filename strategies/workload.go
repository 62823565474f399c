package strategies

import (
	"fmt"
	"math"
	"regexp"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Workload is the adapter between the strategies and a kind of workload:
// which of the fields a release sets the kind has, how its update
// strategy is written, and how its controller will roll it. The pod
// template (spec.template) and the selector (spec.selector) are where
// every workload kind keeps them; the strategies edit those directly.
type Workload struct {
	// Kind is the workload's kind.
	Kind string
	// Replicas, Paused and ProgressDeadline say whether the kind's spec
	// has replicas, paused and progressDeadlineSeconds.
	Replicas, Paused, ProgressDeadline bool
	// SetUpdate writes the update strategy: rolling with the Options'
	// values, or recreate.
	SetUpdate func(n *yaml.RNode, o *Options, recreate bool) []Finding
	// Update reads the rolling values the controller will run with, the
	// API defaults filled in; rolling is false when the workload does not
	// roll (a Deployment's Recreate).
	Update func(n *yaml.RNode) (surge, unavailable IntOrPercent, rolling bool)
	// Problem says what in a workload of the kind keeps a release from
	// reading it as the API server would ("" when nothing does): values
	// the strategies compute with must be what they seem.
	Problem func(n *yaml.RNode) string
}

// Problem says what keeps a release from reading n; "" when nothing does
// or n is of a kind no Release targets.
func Problem(n *yaml.RNode) string {
	if w := WorkloadOf(Kind(n)); w != nil {
		return w.Problem(n)
	}
	return ""
}

// workloads are the kinds a Release can target.
var workloads = map[string]*Workload{kindDeployment: &deploymentWorkload}

// WorkloadKinds lists the kinds a Release can target.
func WorkloadKinds() []string { return []string{kindDeployment} }

// WorkloadOf returns the adapter of a kind; nil when a Release cannot
// target it.
func WorkloadOf(kind string) *Workload { return workloads[kind] }

// setSpec writes the workload-level fields of the Options, those the kind
// has: replicas (when given), minReadySeconds, progressDeadlineSeconds,
// revisionHistoryLimit and paused.
func (w *Workload) setSpec(n *yaml.RNode, o *Options, replicas *int64) {
	spec := mapping(n.YNode(), "spec")
	if replicas != nil && w.Replicas {
		if field(spec, "replicas") == nil {
			// First, where manifests keep it: appended, it would land
			// after fields an earlier render added, and a re-render on the
			// function's own output would move it.
			spec.Content = append([]*yaml.Node{strNode("replicas"), intNode(*replicas)}, spec.Content...)
		} else {
			setField(spec, "replicas", intNode(*replicas))
		}
	}
	for _, f := range []struct {
		key  string
		v    *int64
		kind bool
	}{
		{"minReadySeconds", o.MinReadySeconds, true},
		{"progressDeadlineSeconds", o.ProgressDeadlineSeconds, w.ProgressDeadline},
		{"revisionHistoryLimit", o.RevisionHistoryLimit, true},
	} {
		if f.v != nil && f.kind {
			setField(spec, f.key, intNode(*f.v))
		}
	}
	if o.Paused != nil && w.Paused {
		if *o.Paused {
			setField(spec, "paused", boolNode(true))
		} else {
			removeField(spec, "paused")
		}
	}
}

// Replicas returns spec.replicas of a workload (the API default 1 when absent).
func Replicas(n *yaml.RNode) int64 {
	if r, ok := intField(n.YNode(), "spec", "replicas"); ok {
		return r
	}
	return 1
}

// decimalInt is an integer as every YAML reader reads it alike: 010 is 8
// to sigs.k8s.io/yaml (YAML 1.1) and 10 to YAML 1.2 readers, 0x10 and
// 1_000 are numbers to some readers only.
var decimalInt = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// IsDecimal reports whether s is an integer written in decimal digits,
// without leading zeros.
func IsDecimal(s string) bool { return decimalInt.MatchString(s) }

// ReplicasProblem says what is wrong with a workload's spec.replicas, or
// "": it must be a decimal int32 (the canary and plan arithmetic rely on
// it, and the API server rejects anything else).
func ReplicasProblem(n *yaml.RNode) string {
	r := path(n.YNode(), "spec", "replicas")
	if r == nil || (r.Kind == yaml.ScalarNode && r.Tag == yaml.NodeTagNull) {
		return "" // the API default, 1
	}
	const allowed = "allowed: an integer from 0 to 2147483647 in decimal digits, or no replicas field"
	if r.Kind != yaml.ScalarNode || !IsDecimal(r.Value) {
		return fmt.Sprintf("its spec.replicas is %q, not an integer in decimal digits; %s", r.Value, allowed)
	}
	if v, err := strconv.ParseInt(r.Value, 10, 64); err != nil || v < 0 || v > math.MaxInt32 {
		return fmt.Sprintf("its spec.replicas %s is out of range; %s", r.Value, allowed)
	}
	return ""
}
