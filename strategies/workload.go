package strategies

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Workload is the adapter between the strategies and a kind of workload:
// which of the fields a release sets the kind has, which strategies it
// can be released with, how its update strategy is written, and how its
// controller will roll it. The pod template (spec.template) and the
// selector (spec.selector) are where every workload kind keeps them; the
// strategies edit those directly. Each kind's adapter is a file of its
// own (deployment.go, statefulset.go, daemonset.go), listed once in
// workloads.
type Workload struct {
	// Kind is the workload's kind.
	Kind string
	// Lacks names the fields of the workload spec that a release may set
	// (replicas, paused, progressDeadlineSeconds) and the kind does not
	// have, each with why, for the message that refuses them.
	Lacks map[string]string
	// Refuses names the strategies the kind cannot be released with,
	// each with why and what to use instead ("...; allowed: ...").
	Refuses map[string]string
	// NoTraffic, when not empty, says why spec.traffic cannot split
	// requests for the kind and what to use instead: the split needs two
	// workloads, each behind a Service of its own (traffic.go).
	NoTraffic string
	// Partitioned is true when the kind replaces its pods in place, from
	// the highest ordinal down to a partition: a canary is then the one
	// workload with a partition, not a second workload.
	Partitioned bool
	// SetUpdate writes the update strategy: rolling with the Options'
	// values, or recreate.
	SetUpdate func(n *yaml.RNode, o *Options, recreate bool) []Finding
	// Update reads the rolling values the controller will run with, the
	// API defaults filled in; rolling is false when the workload does not
	// roll (a Deployment's Recreate, an OnDelete update strategy).
	Update func(n *yaml.RNode) (surge, unavailable IntOrPercent, rolling bool)
	// Problem says what in a workload of the kind keeps a release from
	// reading it as the API server would ("" when nothing does): values
	// the strategies compute with must be what they seem.
	Problem func(n *yaml.RNode) string
	// Validate checks the Release's rolling values against the kind's
	// rules, without the input (nil: nothing to check).
	Validate func(o *Options) []Finding
	// Checks are the kind's downtime checks on a rendered workload with
	// its final update strategy, replicas and probes; c is the target
	// container.
	Checks func(n *yaml.RNode, c *yaml.Node, t Target) []Finding
}

// Problem says what keeps a release from reading n; "" when nothing does
// or n is of a kind no Release targets.
func Problem(n *yaml.RNode) string {
	w := WorkloadOf(Kind(n))
	if w == nil {
		return ""
	}
	if !w.Partitioned && field(path(n.YNode(), "metadata", "annotations"), AnnotationStablePod) != nil {
		// rollspec writes the record on a partitioned canary only; on
		// another kind it is stale or forged, and restoring it would put
		// values in the pod template that no Release asked for.
		var kinds []string
		for _, k := range workloads {
			if k.Partitioned {
				kinds = append(kinds, k.Kind)
			}
		}
		return fmt.Sprintf(msgRecordElsewhere, AnnotationStablePod, strings.Join(kinds, " or "), w.Kind, AnnotationStablePod, w.Kind)
	}
	return w.Problem(n)
}

// workloads are the kinds a Release can target, in the order the docs
// give them.
var workloads = []*Workload{&deploymentWorkload, &statefulSetWorkload, &daemonSetWorkload}

// DefaultKind is the kind of a Release's target when the Release names
// none (spec.deployment is its shorthand).
const DefaultKind = kindDeployment

// WorkloadKinds lists the kinds a Release can target.
func WorkloadKinds() []string {
	out := make([]string, len(workloads))
	for i, w := range workloads {
		out[i] = w.Kind
	}
	return out
}

// WorkloadOf returns the adapter of a kind; nil when a Release cannot
// target it.
func WorkloadOf(kind string) *Workload {
	for _, w := range workloads {
		if w.Kind == kind {
			return w
		}
	}
	return nil
}

// Messages of the checks of a Release against its target's kind.
const (
	msgRecordElsewhere = "it carries the annotation %s, which rollspec writes only on a %s that runs a partitioned canary, to give the pods below the partition their template back; on a %s it is stale or not rollspec's, and restoring it would put values in the pod template that no Release asked for; allowed: no annotation %s on a %s"
	msgKindRefuses     = "strategy %s cannot release a %s: %s"
	msgKindLacks       = "a %s has no spec.%s: %s; allowed: no %s with target kind %s"
	msgKindTraffic     = "splits requests between a stable and a canary or idle Deployment, each behind a Service of its own; %s"
)

// CheckKind checks a Release's options against the kind of its target,
// without the input: the strategy the kind can be released with, the
// fields it has, and the rolling values its controller takes. Paths name
// the Release's fields.
func (w *Workload) CheckKind(strategy string, o *Options) []Finding {
	var out []Finding
	if why, refused := w.Refuses[strategy]; refused {
		out = append(out, errorf("spec.strategy", msgKindRefuses, strategy, w.Kind, why))
	}
	for _, f := range []struct {
		key, path string
		set       bool
	}{
		{"replicas", "spec.replicas", o.Replicas != nil},
		{"paused", "spec.paused", o.Paused != nil},
		{"progressDeadlineSeconds", "spec.progressDeadlineSeconds", o.ProgressDeadlineSeconds != nil},
	} {
		if why, lacks := w.Lacks[f.key]; lacks && f.set {
			out = append(out, errorf(f.path, msgKindLacks, w.Kind, f.key, why, f.path, w.Kind))
		}
	}
	if o.Traffic != nil && w.NoTraffic != "" {
		out = append(out, errorf("spec.traffic", msgKindTraffic, w.NoTraffic))
	}
	if w.Validate != nil {
		out = append(out, w.Validate(o)...)
	}
	return out
}

// has reports whether the kind's spec has a field a release sets.
func (w *Workload) has(key string) bool {
	_, lacks := w.Lacks[key]
	return !lacks
}

// setSpec writes the workload-level fields of the Options, those the kind
// has: replicas (when given), minReadySeconds, progressDeadlineSeconds,
// revisionHistoryLimit and paused.
func (w *Workload) setSpec(n *yaml.RNode, o *Options, replicas *int64) {
	spec := mapping(n.YNode(), "spec")
	if replicas != nil && w.has("replicas") {
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
		key string
		v   *int64
	}{
		{"minReadySeconds", o.MinReadySeconds},
		{"progressDeadlineSeconds", o.ProgressDeadlineSeconds},
		{"revisionHistoryLimit", o.RevisionHistoryLimit},
	} {
		if f.v != nil && w.has(f.key) {
			setField(spec, f.key, intNode(*f.v))
		}
	}
	if o.Paused != nil && w.has("paused") {
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
