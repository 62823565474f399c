package strategies

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const kindDaemonSet = "DaemonSet"

// daemonSetWorkload is the DaemonSet's adapter. The update strategy is
// spec.updateStrategy: RollingUpdate with maxSurge and maxUnavailable, or
// OnDelete. The controller runs one pod per node and replaces them node
// by node: with maxUnavailable the old pod stops first, with maxSurge the
// new pod starts beside it and the old one stops once the new one is
// available. Exactly one of the two is above 0.
var daemonSetWorkload = Workload{
	Kind: kindDaemonSet,
	Lacks: map[string]string{
		"replicas":                "it runs one pod on each node that its nodeSelector, affinity and tolerations pick",
		"paused":                  "only a Deployment holds a rollout with spec.paused",
		"progressDeadlineSeconds": "only a Deployment reports a rollout that stalls",
	},
	Refuses: map[string]string{
		canaryRegistration.Name:    "a DaemonSet runs one pod per node and has no partition, so no field keeps some of its pods on the old version (a second DaemonSet would run a second pod on every node); allowed: strategy rolling, with spec.rolling.maxSurge 1 so that each node starts its new pod before the old one stops",
		blueGreenRegistration.Name: "two DaemonSets would run two pods on every node, and a DaemonSet cannot be scaled down to stand by; allowed: strategy rolling, with spec.rolling.maxSurge 1 so that each node starts its new pod before the old one stops",
		recreateRegistration.Name:  "a DaemonSet has no Recreate update strategy (only RollingUpdate and OnDelete); allowed: strategy rolling, with spec.rolling.maxUnavailable \"100%\" to replace the pods of all nodes at once",
	},
	NoTraffic: "a DaemonSet releases with strategy rolling only, which runs one version, so there is nothing to split; allowed: no spec.traffic with target kind DaemonSet",
	SetUpdate: setDaemonSetUpdate,
	Update:    daemonSetUpdate,
	Problem:   daemonSetProblem,
	Validate:  validateDaemonSetRolling,
	Checks:    daemonSetChecks,
}

// Messages about DaemonSets.
const (
	msgDaemonBoth       = "%s: a DaemonSet takes maxSurge or maxUnavailable, not both, and the API server rejects both above 0 (with maxSurge each node starts its new pod before the old one stops, with maxUnavailable the old pod stops first); allowed: maxSurge with maxUnavailable 0 (profile surge-first), or maxUnavailable with maxSurge 0 (profile drain-first)"
	msgDaemonSurgeOver  = "%s: a DaemonSet surges on at most all of its nodes, and the API server rejects more than 100%%; allowed: an integer or a percent up to 100%%"
	msgDaemonSurgeBlock = "DaemonSet %q starts each node's new pod beside the old one (maxSurge %s), but its pods %s, which two pods on one node cannot share: the new pod never starts and the rollout stalls; allowed: maxUnavailable instead of maxSurge (profile drain-first)"
	msgDaemonWholeFleet = "maxUnavailable %s stops the pods of all nodes at once: the DaemonSet's service is down on every node during the rollout; allowed: a smaller maxUnavailable, or maxSurge 1 with maxUnavailable 0"
)

// Kubernetes' defaults for a DaemonSet's RollingUpdate without values.
var (
	defaultDaemonSurge       = IntOrPercent{Value: 0}
	defaultDaemonUnavailable = IntOrPercent{Value: 1}
)

// setDaemonSetUpdate writes spec.updateStrategy: RollingUpdate (an
// OnDelete DaemonSet would not roll at all) with both values always
// written, as for a Deployment. A value the spec sets above 0 puts the
// other to 0, as the controller takes one of them only; one the spec
// does not set keeps the DaemonSet's own.
func setDaemonSetUpdate(ds *yaml.RNode, o *Options, _ bool) []Finding {
	surge, unavailable, rolling := daemonSetUpdate(ds)
	if !rolling {
		surge, unavailable = defaultDaemonSurge, defaultDaemonUnavailable
	}
	surge, unavailable = daemonSetValues(surge, unavailable, o.MaxSurge, o.MaxUnavailable)
	us := mapping(ds.YNode(), "spec", "updateStrategy")
	setField(us, "type", strNode("RollingUpdate"))
	ru := mapping(us, "rollingUpdate")
	setField(ru, "maxSurge", intOrPercentNode(&surge))
	setField(ru, "maxUnavailable", intOrPercentNode(&unavailable))
	return nil
}

// daemonSetValues merges the spec's rolling values (nil: not set) into
// the DaemonSet's: exactly one of the two ends up above 0.
func daemonSetValues(haveSurge, haveUnavailable IntOrPercent, surge, unavailable *IntOrPercent) (IntOrPercent, IntOrPercent) {
	zero := IntOrPercent{}
	switch {
	case surge != nil && unavailable != nil:
		return *surge, *unavailable
	case surge != nil && surge.Value > 0:
		return *surge, zero
	case surge != nil:
		if haveUnavailable.Value == 0 {
			haveUnavailable = defaultDaemonUnavailable
		}
		return *surge, haveUnavailable
	case unavailable != nil && unavailable.Value > 0:
		return zero, *unavailable
	case unavailable != nil:
		if haveSurge.Value == 0 {
			haveSurge = IntOrPercent{Value: 1}
		}
		return haveSurge, *unavailable
	}
	return haveSurge, haveUnavailable
}

// daemonSetUpdate reads the values the controller runs with (defaults:
// maxSurge 0, maxUnavailable 1). rolling is false for OnDelete.
func daemonSetUpdate(ds *yaml.RNode) (surge, unavailable IntOrPercent, rolling bool) {
	us := path(ds.YNode(), "spec", "updateStrategy")
	if scalar(field(us, "type")) == "OnDelete" {
		return IntOrPercent{}, IntOrPercent{}, false
	}
	surge, unavailable = defaultDaemonSurge, defaultDaemonUnavailable
	if v, ok := ParseIntOrPercent(scalar(path(us, "rollingUpdate", "maxSurge"))); ok {
		surge = v
	}
	if v, ok := ParseIntOrPercent(scalar(path(us, "rollingUpdate", "maxUnavailable"))); ok {
		unavailable = v
	}
	return surge, unavailable, true
}

// daemonSetProblem checks the rolling values the strategies compute with.
func daemonSetProblem(ds *yaml.RNode) string {
	ru := path(ds.YNode(), "spec", "updateStrategy", "rollingUpdate")
	for _, key := range []string{"maxSurge", "maxUnavailable"} {
		if p := intOrPercentProblem(field(ru, key), "spec.updateStrategy.rollingUpdate."+key); p != "" {
			return p
		}
	}
	if surge, unavailable, rolling := daemonSetUpdate(ds); rolling && surge.Value > 0 && unavailable.Value > 0 {
		return fmt.Sprintf("its maxSurge %s and maxUnavailable %s are both above 0, which the API server rejects for a DaemonSet; allowed: one of them above 0, the other 0", surge, unavailable)
	}
	return ""
}

// validateDaemonSetRolling refuses the rolling values a DaemonSet does not
// take: both above 0, and a surge over 100%.
func validateDaemonSetRolling(o *Options) []Finding {
	var out []Finding
	if o.MaxSurge != nil && o.MaxUnavailable != nil && o.MaxSurge.Value > 0 && o.MaxUnavailable.Value > 0 {
		at, what := "spec.rolling", fmt.Sprintf("maxSurge %s and maxUnavailable %s", o.MaxSurge, o.MaxUnavailable)
		if o.MaxSurgePath == o.MaxUnavailablePath {
			at, what = o.MaxSurgePath, fmt.Sprintf("profile %s sets maxSurge %s and maxUnavailable %s", o.Profile, o.MaxSurge, o.MaxUnavailable)
		}
		out = append(out, errorf(at, msgDaemonBoth, what))
	}
	if o.MaxSurge != nil && o.MaxSurge.Percent && o.MaxSurge.Value > 100 {
		out = append(out, errorf(o.MaxSurgePath, msgDaemonSurgeOver, valueSource(o, "maxSurge", o.MaxSurge, o.MaxSurgePath)))
	}
	return out
}

// daemonSetChecks are the downtime checks of a DaemonSet: a surge that the
// pods cannot take, every node's pod down at once, and a claim that the
// pods of all nodes share.
func daemonSetChecks(ds *yaml.RNode, _ *yaml.Node, t Target) []Finding {
	var out []Finding
	surge, unavailable, _ := daemonSetUpdate(ds)
	if surge.Value > 0 {
		if why := surgeBlocker(ds, t.Related[kindPVC]); why != "" {
			out = append(out, errorf("spec.rolling", msgDaemonSurgeBlock, Name(ds), surge, why))
		}
	}
	if unavailable.Percent && unavailable.Value >= 100 {
		out = append(out, warningf("spec.rolling.maxUnavailable", msgDaemonWholeFleet, unavailable))
	}
	out = append(out, sharedClaims(ds, t, "a ReadWriteMany claim, or a volume of the node (hostPath)")...)
	return out
}

// surgeBlocker says what in a pod keeps a second pod of the same template
// from running on its node: a host port, the host's network (its ports
// are the node's), a ReadWriteOncePod claim. "" when nothing does.
func surgeBlocker(n *yaml.RNode, claims []*yaml.RNode) string {
	pod := path(n.YNode(), "spec", "template", "spec")
	if scalar(field(pod, "hostNetwork")) == "true" {
		return "run in the node's network (hostNetwork: true), so their ports are the node's"
	}
	for _, key := range []string{"initContainers", "containers"} {
		cs := field(pod, key)
		if cs == nil || cs.Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range cs.Content {
			ports := field(c, "ports")
			if ports == nil || ports.Kind != yaml.SequenceNode {
				continue
			}
			for _, p := range ports.Content {
				if hp := scalar(field(p, "hostPort")); hp != "" && hp != "0" {
					return fmt.Sprintf("use hostPort %s (container %q)", hp, scalar(field(c, "name")))
				}
			}
		}
	}
	for _, claim := range readWriteOnceClaims(n, claims) {
		if claimMode(claim, claims) == "ReadWriteOncePod" {
			return fmt.Sprintf("mount the ReadWriteOncePod PersistentVolumeClaim %q", claim)
		}
	}
	return ""
}
