package strategies

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Messages of the render-time checks that are compared in tests.
const (
	msgRecreateDowntime = "strategy recreate stops every pod before new ones start: downtime during every release; allowed: rolling, blue-green or canary for zero downtime"
	msgNoReadiness      = "container %q has no readinessProbe: new pods take traffic before they are ready; set spec.probes.readiness"
	MsgBothZero         = "maxSurge and maxUnavailable are both 0: the rollout could never progress and the API server rejects it; allowed: at least one of them above 0"
	msgBothRoundToZero  = "maxSurge %s and maxUnavailable %s both round to 0 pods at %d replicas; the controller then takes one pod down at a time (maxUnavailable 1)"
	msgWholeFleet       = "maxUnavailable %s lets all %d pods go down at once: downtime during the rollout; allowed: maxUnavailable below replicas, e.g. maxSurge 1 and maxUnavailable 0"
	msgRWOSurge         = "Deployment %q mounts the ReadWriteOnce PersistentVolumeClaim %q and maxSurge is %d: the new pod cannot mount the volume while the old one holds it, so the rollout stalls; use strategy recreate, maxSurge 0, or a StatefulSet"
	msgServiceNoPods    = "Service %q selects no pod of %s %q (selector %s, pod labels %s); allowed: a Service whose selector matches the pod labels"
)

// rolloutChecks are the downtime checks for one workload with its final
// update strategy, replicas and probes: those every kind shares here, the
// kind's own in its adapter.
func rolloutChecks(dep *yaml.RNode, c *yaml.Node, t Target) []Finding {
	var out []Finding
	surge, unavailable, rolling := t.Workload.Update(dep)
	if !rolling {
		out = append(out, warningf("spec.strategy", msgRecreateDowntime))
		return out
	}
	if field(c, "readinessProbe") == nil {
		out = append(out, warningf("spec.probes.readiness", msgNoReadiness, scalar(field(c, "name"))))
	}
	if surge.Value == 0 && unavailable.Value == 0 {
		out = append(out, errorf("spec.rolling", MsgBothZero))
	}
	if t.Workload.Checks != nil {
		out = append(out, t.Workload.Checks(dep, c, t)...)
	}
	return out
}

// readWriteOnceClaims lists the claims in the pod template that are
// ReadWriteOnce or ReadWriteOncePod, in volume order.
func readWriteOnceClaims(dep *yaml.RNode, claims []*yaml.RNode) []string {
	rwo := map[string]bool{}
	for _, pvc := range claims {
		modes := path(pvc.YNode(), "spec", "accessModes")
		if modes == nil {
			continue
		}
		for _, m := range modes.Content {
			if m.Value == "ReadWriteOnce" || m.Value == "ReadWriteOncePod" {
				rwo[Name(pvc)] = true
			}
		}
	}
	var out []string
	if vols := path(dep.YNode(), "spec", "template", "spec", "volumes"); vols != nil {
		for _, v := range vols.Content {
			name := scalar(path(v, "persistentVolumeClaim", "claimName"))
			if rwo[name] {
				out = append(out, name)
			}
		}
	}
	return out
}

// claimMode is the access mode of a claim that readWriteOnceClaims
// found: ReadWriteOncePod when the claim has it, else ReadWriteOnce.
func claimMode(name string, claims []*yaml.RNode) string {
	for _, pvc := range claims {
		if Name(pvc) != name {
			continue
		}
		if modes := path(pvc.YNode(), "spec", "accessModes"); modes != nil {
			for _, m := range modes.Content {
				if m.Value == "ReadWriteOncePod" {
					return m.Value
				}
			}
		}
	}
	return "ReadWriteOnce"
}

// servicesSelect warns about a Service the user listed that selects none
// of the release's pods.
func servicesSelect(t Target, pods Labels, workload string) []Finding {
	if !t.ServicesListed {
		return nil
	}
	// The message names the target's kind: a StatefulSet or DaemonSet
	// target is not a Deployment, and one of the name may be beside it.
	kind := kindDeployment
	if t.Workload != nil {
		kind = t.Workload.Kind
	}
	var out []Finding
	for i, svc := range t.Services {
		sel := SteeringSelector(svc)
		if !sel.SelectsAll(pods) {
			out = append(out, warningf(fmt.Sprintf("spec.services[%d]", i), msgServiceNoPods, Name(svc), kind, workload, sel, pods))
		}
	}
	return out
}

// String prints labels as k=v pairs in key order, for messages.
func (l Labels) String() string {
	if len(l) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}
