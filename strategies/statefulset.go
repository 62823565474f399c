package strategies

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const kindStatefulSet = "StatefulSet"

// statefulSetWorkload is the StatefulSet's adapter. The update strategy is
// spec.updateStrategy: RollingUpdate with maxUnavailable and partition,
// or OnDelete. The controller replaces each pod in place, under the same
// name and with the same volumes, from the highest ordinal down to the
// partition: it never surges, and a canary is a partition of the one
// StatefulSet (see canary.go).
var statefulSetWorkload = Workload{
	Kind: kindStatefulSet,
	Lacks: map[string]string{
		"paused":                  "only a Deployment holds a rollout with spec.paused; a StatefulSet holds its pods on the old version with a partition (strategy canary)",
		"progressDeadlineSeconds": "only a Deployment reports a rollout that stalls",
	},
	Refuses: map[string]string{
		blueGreenRegistration.Name: "two StatefulSets do not share volumes: each color would get claims of its own from volumeClaimTemplates, so the idle color starts on empty volumes and the flip serves other data; allowed: strategy canary (a partitioned rollout of the one StatefulSet) or rolling",
		recreateRegistration.Name:  "a StatefulSet has no Recreate update strategy (only RollingUpdate and OnDelete), and it never runs two pods of one ordinal anyway; allowed: strategy rolling (one pod at a time, or spec.rolling.maxUnavailable pods at once)",
	},
	NoTraffic:   "a StatefulSet's canary is a partition of its one set of pods, whose share of the requests is its share of the pods, and it has no blue-green; allowed: no spec.traffic with target kind StatefulSet (canary.weight counts pods), or a Deployment target",
	Partitioned: true,
	SetUpdate:   setStatefulSetUpdate,
	Update:      statefulSetUpdate,
	Problem:     statefulSetProblem,
	Validate:    validateStatefulSetRolling,
	Checks:      statefulSetChecks,
}

// Messages about StatefulSets.
const (
	msgStatefulSurge          = "%s: a StatefulSet never surges: it replaces each pod in place, under its name and with its volumes, so the old pod stops before the new one starts; allowed: spec.rolling.maxUnavailable without maxSurge, or profile drain-first"
	msgStatefulZero           = "%s: a StatefulSet's maxUnavailable cannot be 0, which the API server rejects (it never surges, so no pod could ever be replaced); allowed: 1 or more, or a percent above 0%%"
	msgStatefulMaxUnavailable = "maxUnavailable %s lets the StatefulSet controller replace %d pods at once only on Kubernetes 1.35 and later (beta, on by default), or 1.24 to 1.34 with the feature gate MaxUnavailableStatefulSet; other API servers drop the field and replace one pod at a time"
	msgStatefulOrderedReady   = "StatefulSet %q has podManagementPolicy OrderedReady, which starts its pods one at a time: maxUnavailable %s takes %d pods down at once but brings them back one by one, so the update is no faster and fewer pods serve; allowed: maxUnavailable 1, or podManagementPolicy Parallel (set when the StatefulSet is created: the field is immutable)"
	msgStatefulWholeFleet     = "StatefulSet %q replaces %d of its %d pods at once and never surges, so no pod serves while they restart: downtime during every release; allowed: a maxUnavailable below replicas"
	msgStatefulOneReplica     = "StatefulSet %q has 1 replica and never surges: its pod stops before the new one starts, so nothing serves while it restarts, during every release; allowed: spec.replicas 2 or more, where the app can run several pods"
	msgStatefulPartition      = "StatefulSet %q has partition %d in its manifest (spec.updateStrategy.rollingUpdate.partition), which would keep %s on the old pod template for good; rollspec writes the partition itself (0 for strategy rolling and a promote, replicas minus the canary's pods for a canary), so every pod gets the template the Release renders; allowed: strategy canary to keep pods on the old template"
	msgSharedClaim            = "%s %q mounts the %s PersistentVolumeClaim %q in all its pods, and %s can mount it; allowed: %s"
)

// setStatefulSetUpdate writes spec.updateStrategy: RollingUpdate (an
// OnDelete StatefulSet would not roll at all), with maxUnavailable when
// the spec sets it. The partition is the canary's (see canary.go); a
// StatefulSet has no Recreate, which validation refuses.
func setStatefulSetUpdate(sts *yaml.RNode, o *Options, _ bool) []Finding {
	var out []Finding
	// A partition in the input is the manifest's own (the canary's is
	// given back from its record before a strategy runs): a rolling
	// release or a promote that kept it would leave the pods below it on
	// the old template for good, so rollspec writes the partition itself.
	if p := Partition(sts); p > 0 {
		start := StartOrdinal(sts)
		held := strings.TrimSpace(podRange(Name(sts), start, start+min(p, Replicas(sts))-1, "", ""))
		out = append(out, infof("spec.target", msgStatefulPartition, Name(sts), p, held))
		// Set to 0 rather than removed: the field keeps its place and
		// comment, and a canary writes its own partition over it.
		setField(path(sts.YNode(), "spec", "updateStrategy", "rollingUpdate"), "partition", intNode(0))
	}
	us := mapping(sts.YNode(), "spec", "updateStrategy")
	setField(us, "type", strNode("RollingUpdate"))
	if o.MaxUnavailable != nil {
		setField(mapping(us, "rollingUpdate"), "maxUnavailable", intOrPercentNode(o.MaxUnavailable))
	}
	return out
}

// statefulSetUpdate reads the values the controller runs with: no surge,
// maxUnavailable (default 1). rolling is false for OnDelete.
func statefulSetUpdate(sts *yaml.RNode) (surge, unavailable IntOrPercent, rolling bool) {
	us := path(sts.YNode(), "spec", "updateStrategy")
	if scalar(field(us, "type")) == "OnDelete" {
		return IntOrPercent{}, IntOrPercent{}, false
	}
	unavailable = IntOrPercent{Value: 1}
	if v, ok := ParseIntOrPercent(scalar(path(us, "rollingUpdate", "maxUnavailable"))); ok {
		unavailable = v
	}
	return IntOrPercent{}, unavailable, true
}

// StatefulSetUnavailable is the number of pods the StatefulSet controller
// replaces at once when it honours maxUnavailable: the percent of
// replicas rounded down, at least 1 (getStatefulSetMaxUnavailable,
// Kubernetes 1.34).
func StatefulSetUnavailable(v IntOrPercent, replicas int64) int64 {
	return max(v.Resolve(replicas, false), 1)
}

// Partition returns a StatefulSet's partition (0 when it has none).
func Partition(sts *yaml.RNode) int64 {
	p, _ := intField(sts.YNode(), "spec", "updateStrategy", "rollingUpdate", "partition")
	return p
}

// StartOrdinal returns the ordinal of a StatefulSet's first pod
// (spec.ordinals.start, 0 when absent).
func StartOrdinal(sts *yaml.RNode) int64 {
	s, _ := intField(sts.YNode(), "spec", "ordinals", "start")
	return s
}

// statefulSetProblem checks what the strategies compute with: replicas,
// maxUnavailable, partition and the ordinals' start, and the record of
// the stable pods that a canary keeps (see canary.go).
func statefulSetProblem(sts *yaml.RNode) string {
	if p := ReplicasProblem(sts); p != "" {
		return p
	}
	ru := path(sts.YNode(), "spec", "updateStrategy", "rollingUpdate")
	if p := intOrPercentProblem(field(ru, "maxUnavailable"), "spec.updateStrategy.rollingUpdate.maxUnavailable"); p != "" {
		return p
	}
	if v, ok := ParseIntOrPercent(scalar(field(ru, "maxUnavailable"))); ok && v.Value == 0 {
		return "its spec.updateStrategy.rollingUpdate.maxUnavailable is 0, which the API server rejects; allowed: 1 or more, or a percent above 0%"
	}
	for _, at := range [][]string{{"spec", "updateStrategy", "rollingUpdate", "partition"}, {"spec", "ordinals", "start"}} {
		if p := countProblem(path(sts.YNode(), at...), strings.Join(at, ".")); p != "" {
			return p
		}
	}
	if p := stableRecordProblem(sts); p != "" {
		return p
	}
	if _, ok, _ := readStableRecord(sts); ok {
		// The values the record gives back (its update strategy) must be
		// ones the API server takes as well.
		restored := CopyRNode(sts)
		restoreStable(restored)
		if p := statefulSetProblem(restored); p != "" {
			return fmt.Sprintf("its annotation %s gives back a StatefulSet that cannot be released: %s", AnnotationStablePod, p)
		}
	}
	return ""
}

// countProblem says what is wrong with an optional non-negative int32.
func countProblem(n *yaml.Node, at string) string {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull) {
		return ""
	}
	if n.Kind != yaml.ScalarNode || !IsDecimal(n.Value) || n.Value[0] == '-' || len(n.Value) > 10 {
		return fmt.Sprintf("its %s is %q; allowed: an integer from 0 to 2147483647 in decimal digits", at, scalar(n))
	}
	return ""
}

// validateStatefulSetRolling refuses the rolling values a StatefulSet does
// not take: a surge, and maxUnavailable 0.
func validateStatefulSetRolling(o *Options) []Finding {
	switch {
	case o.MaxSurge != nil && o.MaxSurge.Value > 0:
		return []Finding{errorf(o.MaxSurgePath, msgStatefulSurge, valueSource(o, "maxSurge", o.MaxSurge, o.MaxSurgePath))}
	case o.MaxSurge == nil && o.MaxUnavailable != nil && o.MaxUnavailable.Value == 0:
		// With maxSurge 0 as well, the API's own check has said it.
		return []Finding{errorf(o.MaxUnavailablePath, msgStatefulZero, valueSource(o, "maxUnavailable", o.MaxUnavailable, o.MaxUnavailablePath))}
	}
	return nil
}

// valueSource says where a rolling value came from, for messages:
// "maxSurge 1" or "profile surge-first sets maxSurge 1".
func valueSource(o *Options, key string, v *IntOrPercent, at string) string {
	if at == "spec.rolling.profile" {
		return fmt.Sprintf("profile %s sets %s %s", o.Profile, key, v)
	}
	return fmt.Sprintf("%s %s", key, v)
}

// statefulSetChecks are the downtime checks of a StatefulSet: all its pods
// down at once, a maxUnavailable that the API server or the pod
// management policy ignores, and a claim that all its pods share.
func statefulSetChecks(sts *yaml.RNode, _ *yaml.Node, t Target) []Finding {
	var out []Finding
	_, unavailable, _ := statefulSetUpdate(sts)
	replicas := Replicas(sts)
	u := StatefulSetUnavailable(unavailable, replicas)
	if u > 1 {
		at := "spec.rolling.maxUnavailable"
		if t.Options != nil && t.Options.MaxUnavailablePath != "" {
			at = t.Options.MaxUnavailablePath
		}
		out = append(out, warningf(at, msgStatefulMaxUnavailable, unavailable, u))
		if scalar(path(sts.YNode(), "spec", "podManagementPolicy")) != "Parallel" {
			out = append(out, warningf(at, msgStatefulOrderedReady, Name(sts), unavailable, u))
		}
	}
	switch {
	case replicas == 1:
		out = append(out, warningf("spec.replicas", msgStatefulOneReplica, Name(sts)))
	case replicas > 1 && u >= replicas:
		out = append(out, warningf("spec.rolling.maxUnavailable", msgStatefulWholeFleet, Name(sts), replicas, replicas))
	}
	if replicas > 1 {
		out = append(out, sharedClaims(sts, t, "a claim per pod in spec.volumeClaimTemplates")...)
	}
	return out
}

// sharedClaims warns about ReadWriteOnce claims that every pod of a
// workload mounts (a StatefulSet's volumeClaimTemplates are per pod and
// not among them).
func sharedClaims(n *yaml.RNode, t Target, allowed string) []Finding {
	var out []Finding
	for _, claim := range readWriteOnceClaims(n, t.Related[kindPVC]) {
		mode, who := claimMode(claim, t.Related[kindPVC]), "only pods on one node"
		if mode == "ReadWriteOncePod" {
			who = "only one pod"
		}
		out = append(out, warningf("spec.target", msgSharedClaim, Kind(n), Name(n), mode, claim, who, allowed))
	}
	return out
}
