package plan

import (
	"fmt"

	"rollspec.dev/rollspec/strategies"
)

// DefaultNodes is the number of nodes a DaemonSet's rollout is planned on
// when the caller does not say: a render does not know the cluster.
const DefaultNodes = 3

// MaxNodes bounds the nodes a plan simulates, one by one.
const MaxNodes = 10000

// dsNode is one node in the DaemonSet simulation: its old pod and its
// new pod, each with the time it becomes available (noTime: none).
type dsNode struct {
	old, new bool
	oldAt    int64
	newAt    int64
}

// PlanDaemonSet simulates the DaemonSet controller's rolling update on
// nodes nodes, each running an available old pod, with its own rules
// (pkg/controller/daemon/update.go, Kubernetes v1.34). Percents are of the
// nodes and round up; both 0 means maxUnavailable 1.
//   - maxSurge 0: old pods are deleted while fewer than maxUnavailable
//     nodes have no available pod; the controller then creates the new
//     pod on each node that has none.
//   - maxSurge above 0: a new pod starts beside the old one on up to
//     maxSurge nodes at once; the old pod goes when the new one is
//     available.
//
// The controller takes the nodes in no fixed order; the plan takes them
// in turn.
func PlanDaemonSet(nodes int64, surge, unavailable int64, timing RolloutTiming) Rollout {
	if surge == 0 && unavailable == 0 {
		unavailable = 1 // the controller's fallback
	}
	nodes = min(max(nodes, 0), MaxNodes)
	r := Rollout{From: nodes, Replicas: nodes, MaxSurge: surge, MaxUnavailable: unavailable,
		MaxTotal: nodes + min(surge, nodes), MinAvailable: max(nodes-unavailable, 0)}
	if surge > 0 {
		r.MinAvailable = nodes
	}
	ns := make([]dsNode, nodes)
	for i := range ns {
		ns[i] = dsNode{old: true}
	}
	now := int64(0)
	avail := func(at int64) bool { return at <= now }
	record := func(action string) {
		var s Step
		s.Time, s.Action = now, action
		for _, n := range ns {
			if n.old {
				s.Old++
				if avail(n.oldAt) {
					s.OldAvailable++
				}
			}
			if n.new {
				s.New++
				if avail(n.newAt) {
					s.Available++
				}
			}
		}
		s.Total = s.Old + s.New
		s.Available += s.OldAvailable
		r.Steps = append(r.Steps, s)
	}
	wait := func() bool {
		t := noTime
		for _, n := range ns {
			if n.new && n.newAt > now && n.newAt < t {
				t = n.newAt
			}
		}
		if t == noTime {
			return false
		}
		now = t
		record("pods ready")
		return true
	}
	record("start")
	for len(r.Steps) < MaxPlanSteps {
		// The manage loop: a node without a pod gets the new one.
		created := 0
		for i := range ns {
			if !ns[i].old && !ns[i].new {
				ns[i].new, ns[i].newAt = true, now+timing.NewReady
				created++
			}
		}
		if created > 0 {
			record(fmt.Sprintf("create %d new", created))
			continue
		}
		var deleted, start []int
		if surge == 0 {
			var notAvailable int64
			for _, n := range ns {
				if (n.new && !avail(n.newAt)) || (n.old && !avail(n.oldAt)) {
					notAvailable++
				}
			}
			room := max(unavailable-notAvailable, 0)
			for i, n := range ns {
				switch {
				case n.new:
				case n.old && !avail(n.oldAt):
					// An old pod that is not available goes anyway.
					deleted = append(deleted, i)
				case n.old && room > 0:
					deleted = append(deleted, i)
					room--
				}
			}
		} else {
			var surging int64
			for _, n := range ns {
				if n.old && n.new && !avail(n.newAt) {
					surging++
				}
			}
			room := max(surge-surging, 0)
			for i, n := range ns {
				switch {
				case n.old && n.new && avail(n.newAt):
					deleted = append(deleted, i)
				case n.old && !n.new && room > 0:
					start = append(start, i)
					room--
				}
			}
		}
		// One sync deletes and creates; the table shows the deletions
		// first.
		for _, i := range deleted {
			ns[i].old = false
		}
		if len(deleted) > 0 {
			record(fmt.Sprintf("delete %d old", len(deleted)))
		}
		for _, i := range start {
			ns[i].new, ns[i].newAt = true, now+timing.NewReady
		}
		if len(start) > 0 {
			record(fmt.Sprintf("create %d new", len(start)))
		}
		if len(deleted) > 0 || len(start) > 0 {
			continue
		}
		if !wait() {
			return r
		}
	}
	r.Truncated = true
	r.Steps = r.Steps[:MaxPlanSteps]
	return r
}

// daemonSet plans a rendered DaemonSet on the given number of nodes.
func (p *ReleasePlan) daemonSet(c Change, nodes int64) {
	d := c.After
	name := strategies.Name(d)
	if nodes <= 0 {
		nodes = DefaultNodes
	}
	nodes = min(nodes, MaxNodes)
	if c.Before == nil {
		p.Notes = append(p.Notes, fmt.Sprintf("%s is new: a pod starts on each node it selects", name))
		return
	}
	if sameTemplate(c.Before, d) {
		p.Notes = append(p.Notes, fmt.Sprintf("%s: pod template unchanged, no rollout", name))
		return
	}
	surge, unavailable, rolling := strategies.WorkloadOf(kindDaemonSet).Update(d)
	if !rolling {
		p.Notes = append(p.Notes, fmt.Sprintf("%s has updateStrategy OnDelete: the controller replaces no pod until it is deleted", name))
		return
	}
	ready := readySeconds(d)
	// The controller rounds both up, of the nodes the DaemonSet runs on.
	ro := PlanDaemonSet(nodes, surge.Resolve(nodes, true), unavailable.Resolve(nodes, true), RolloutTiming{NewReady: ready, OldReady: readySeconds(c.Before)})
	p.Rollouts = append(p.Rollouts, WorkloadRollout{Deployment: name, Kind: kindDaemonSet, Nodes: nodes, ReadySeconds: ready, StartupLimit: startupLimit(d), Rollout: ro})
}
