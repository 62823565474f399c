// Package plan computes the rollout a workload's controller will perform
// for a release, step by step, and draws it as a table, a terminal chart
// and an SVG picture. It works from what the processor rendered (see
// Input): each workload as it was and as it will be.
package plan

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// Input is what the processor rendered for one Release.
type Input struct {
	// Release names the Release, Strategy its strategy.
	Release, Strategy string
	// Describer, when the strategy is one, says what its workloads do
	// besides rolling (for instance which Service selects which of them).
	Describer strategies.Describer
	// Workloads are the rendered workloads, each with the input workload
	// of the same name (nil when it is new).
	Workloads []Change
	// Output is the whole rendered output (Services, autoscalers), and
	// Input the whole input.
	Output, Input []*yaml.RNode
	// Nodes is the number of nodes a DaemonSet's rollout is planned on
	// (0: DefaultNodes): a render does not know the cluster.
	Nodes int64
}

// Change is one workload before and after a render.
type Change struct{ Before, After *yaml.RNode }

// ReleasePlan is what `rollspec plan` shows for one Release.
type ReleasePlan struct {
	Release  string
	Strategy string
	// Rollouts are the rolling updates the controller will perform, one
	// per rendered workload whose pods change.
	Rollouts []WorkloadRollout
	// Notes describe scaling, new workloads, and what the strategy says of
	// its workloads.
	Notes []string
}

// WorkloadRollout is the planned rollout of one workload.
type WorkloadRollout struct {
	// Deployment is the workload's name (of any kind), Kind its kind.
	Deployment, Kind string
	// Of a StatefulSet: its partition and first ordinal, whether its pods
	// are managed in parallel, and the ordinals the update replaces,
	// highest first. Of a DaemonSet: the nodes it is planned on.
	Partition, Start int64
	Parallel         bool
	Replaced         []int64
	Nodes            int64
	// ReadySeconds is how long a new pod takes to count as available;
	// StartupLimit, when the pods have a startup probe, how long that
	// probe lets a pod take to start before the kubelet restarts it.
	ReadySeconds, StartupLimit int64
	Rollout
}

// Of plans each Release: its workloads whose pod template changes get a
// rollout; one that only scales, or that is new, gets a note instead.
func Of(inputs []Input) []ReleasePlan {
	plans := make([]ReleasePlan, 0, len(inputs))
	for _, in := range inputs {
		plans = append(plans, of(in))
	}
	return plans
}

func of(in Input) ReleasePlan {
	p := ReleasePlan{Release: in.Release, Strategy: in.Strategy}
	replicasOf := func(d *yaml.RNode, items []*yaml.RNode, note bool) int64 {
		n, why := planReplicas(d, items)
		if note && why != "" {
			p.Notes = append(p.Notes, why)
		}
		return n
	}
	var after []*yaml.RNode
	for _, c := range in.Workloads {
		d := c.After
		after = append(after, d)
		switch strategies.Kind(d) {
		case kindStatefulSet:
			p.statefulSet(c, replicasOf(d, in.Output, true), func(n *yaml.RNode) int64 { return replicasOf(n, in.Input, false) })
			continue
		case kindDaemonSet:
			p.daemonSet(c, in.Nodes)
			continue
		}
		name := strategies.Name(d)
		ready := readySeconds(d)
		replicas := replicasOf(d, in.Output, true)
		if c.Before == nil {
			p.Notes = append(p.Notes, fmt.Sprintf("%s is new: %s start at once", name, podsText(replicas)))
			continue
		}
		was := replicasOf(c.Before, in.Input, false)
		if sameTemplate(c.Before, d) {
			if was != replicas {
				p.Notes = append(p.Notes, fmt.Sprintf("%s scales %d→%d; its pod template is unchanged, so no pod restarts", name, was, replicas))
			} else {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: pod template unchanged, no rollout", name))
			}
			continue
		}
		if paused(d) {
			// A paused Deployment creates no new ReplicaSet for a template
			// change: nothing rolls until spec.paused goes.
			p.Notes = append(p.Notes, fmt.Sprintf("%s is paused: its pod template changes, but the controller rolls nothing until spec.paused is removed", name))
			continue
		}
		var ro Rollout
		timing := RolloutTiming{NewReady: ready, OldReady: readySeconds(c.Before)}
		if surge, unavailable, rolling := strategies.WorkloadOf(strategies.Kind(d)).Update(d); rolling {
			ro = PlanRollout(was, replicas, surge, unavailable, timing)
		} else {
			ro = PlanRecreate(was, replicas, timing)
		}
		p.Rollouts = append(p.Rollouts, WorkloadRollout{Deployment: name, Kind: strategies.Kind(d), ReadySeconds: ready, StartupLimit: startupLimit(d), Rollout: ro})
	}
	if in.Describer != nil {
		p.Notes = append(p.Notes, in.Describer.Describe(after, in.Output, func(d *yaml.RNode) int64 { return replicasOf(d, in.Output, false) })...)
	}
	return p
}

// readySeconds estimates how long a new pod takes to count as available:
// the slowest container's time to its first successful readiness check
// plus minReadySeconds, and at least a second, so that a plan's steps
// have an order in time. The kubelet runs no readiness probe before the
// startup probe has succeeded, which is at the earliest its
// initialDelaySeconds, so a container is ready after the later of the two
// probes' initial delays.
func readySeconds(d *yaml.RNode) int64 {
	s := intAt(d, "spec", "minReadySeconds")
	var slowest int64
	for _, c := range containers(d) {
		slowest = max(slowest, intAt(c, "startupProbe", "initialDelaySeconds"), intAt(c, "readinessProbe", "initialDelaySeconds"))
	}
	return max(s+slowest, 1)
}

// startupLimit is the longest a startup probe lets a container take to
// start: initialDelaySeconds + failureThreshold × periodSeconds (API
// defaults 3 and 10), the slowest container's; 0 without startup probes.
func startupLimit(d *yaml.RNode) int64 {
	var limit int64
	for _, c := range containers(d) {
		probe, _ := c.Pipe(yaml.Lookup("startupProbe"))
		if probe == nil {
			continue
		}
		failures, period := intAt(probe, "failureThreshold"), intAt(probe, "periodSeconds")
		if failures == 0 {
			failures = 3
		}
		if period == 0 {
			period = 10
		}
		limit = max(limit, intAt(probe, "initialDelaySeconds")+failures*period)
	}
	if limit == 0 {
		return 0
	}
	return limit + intAt(d, "spec", "minReadySeconds")
}

func containers(d *yaml.RNode) []*yaml.RNode {
	list, _ := d.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
	if list == nil {
		return nil
	}
	var out []*yaml.RNode
	for _, c := range list.YNode().Content {
		out = append(out, yaml.NewRNode(c))
	}
	return out
}

// intAt reads an integer field, 0 when it is absent or not a number.
func intAt(n *yaml.RNode, p ...string) int64 {
	v, err := n.Pipe(yaml.Lookup(p...))
	if err != nil || v == nil {
		return 0
	}
	i, err := strconv.ParseInt(v.YNode().Value, 10, 64)
	if err != nil {
		return 0
	}
	return i
}

// planReplicas is the replica count to plan with: spec.replicas, or for a
// Deployment without it that an autoscaler scales, the autoscaler's
// minReplicas, with a note saying so (the live count may be higher);
// else the API default, 1.
func planReplicas(d *yaml.RNode, items []*yaml.RNode) (int64, string) {
	if v, _ := d.Pipe(yaml.Lookup("spec", "replicas")); v != nil {
		return strategies.Replicas(d), ""
	}
	for _, h := range items {
		if strategies.Kind(h) != "HorizontalPodAutoscaler" || strategies.Namespace(h) != strategies.Namespace(d) {
			continue
		}
		ref, _ := h.Pipe(yaml.Lookup("spec", "scaleTargetRef"))
		if ref == nil || ref.Field("kind") == nil || ref.Field("name") == nil ||
			ref.Field("kind").Value.YNode().Value != strategies.Kind(d) || ref.Field("name").Value.YNode().Value != strategies.Name(d) {
			continue
		}
		n := intAt(h, "spec", "minReplicas")
		if n == 0 {
			n = 1
		}
		return n, fmt.Sprintf("%s: HorizontalPodAutoscaler %s sets its replicas; planned at its minReplicas, %d (the live count may be higher)", strategies.Name(d), strategies.Name(h), n)
	}
	return 1, ""
}

// paused reports whether a workload has spec.paused: true.
func paused(d *yaml.RNode) bool {
	v, err := d.Pipe(yaml.Lookup("spec", "paused"))
	return err == nil && v != nil && v.YNode().Value == "true"
}

// sameTemplate reports whether two Deployments have the same pod template,
// compared as data (order and comments aside).
func sameTemplate(a, b *yaml.RNode) bool {
	ta, _ := a.Pipe(yaml.Lookup("spec", "template"))
	tb, _ := b.Pipe(yaml.Lookup("spec", "template"))
	if ta == nil || tb == nil {
		return ta == tb
	}
	ja, errA := ta.MarshalJSON()
	jb, errB := tb.MarshalJSON()
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func podsText(n int64) string {
	if n == 1 {
		return "1 pod"
	}
	return fmt.Sprintf("%d pods", n)
}
