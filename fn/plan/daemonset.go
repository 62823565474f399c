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
	s := &dsSim{surge: surge, unavailable: unavailable, timing: timing, ns: make([]dsNode, nodes)}
	s.r = Rollout{From: nodes, Replicas: nodes, MaxSurge: surge, MaxUnavailable: unavailable,
		MaxTotal: nodes + min(surge, nodes), MinAvailable: max(nodes-unavailable, 0)}
	if surge > 0 {
		s.r.MinAvailable = nodes
	}
	for i := range s.ns {
		s.ns[i] = dsNode{old: true}
	}
	s.record("start")
	for len(s.r.Steps) < MaxPlanSteps {
		if s.sync() {
			continue
		}
		if !s.waitUntil(s.next(), s.record) {
			return s.r
		}
	}
	s.r.Truncated = true
	s.r.Steps = s.r.Steps[:MaxPlanSteps]
	return s.r
}

// dsSim is the state of one DaemonSet simulation.
type dsSim struct {
	clock
	surge, unavailable int64
	timing             RolloutTiming
	ns                 []dsNode
	r                  Rollout
}

func (s *dsSim) avail(at int64) bool { return at <= s.now }

// record appends a step: the pods on the nodes now, old and new, and how
// many of each are available.
func (s *dsSim) record(action string) {
	var st Step
	st.Time, st.Action = s.now, action
	for _, n := range s.ns {
		if n.old {
			st.Old++
			if s.avail(n.oldAt) {
				st.OldAvailable++
			}
		}
		if n.new {
			st.New++
			if s.avail(n.newAt) {
				st.Available++
			}
		}
	}
	st.Total = st.Old + st.New
	st.Available += st.OldAvailable
	s.r.Steps = append(s.r.Steps, st)
}

// next is the first time after now that a new pod becomes available.
func (s *dsSim) next() int64 {
	t := noTime
	for _, n := range s.ns {
		if n.new && n.newAt > s.now && n.newAt < t {
			t = n.newAt
		}
	}
	return t
}

// sync is one pass of the controller; it reports whether it changed
// anything (else the plan waits for a pod to become available).
func (s *dsSim) sync() bool {
	// The manage loop: a node without a pod gets the new one.
	created := 0
	for i := range s.ns {
		if !s.ns[i].old && !s.ns[i].new {
			s.ns[i].new, s.ns[i].newAt = true, s.now+s.timing.NewReady
			created++
		}
	}
	if created > 0 {
		s.record(fmt.Sprintf("create %d new", created))
		return true
	}
	var deleted, start []int
	if s.surge == 0 {
		deleted = s.replaceInPlace()
	} else {
		deleted, start = s.surgeNew()
	}
	// One sync deletes and creates; the table shows the deletions
	// first.
	for _, i := range deleted {
		s.ns[i].old = false
	}
	if len(deleted) > 0 {
		s.record(fmt.Sprintf("delete %d old", len(deleted)))
	}
	for _, i := range start {
		s.ns[i].new, s.ns[i].newAt = true, s.now+s.timing.NewReady
	}
	if len(start) > 0 {
		s.record(fmt.Sprintf("create %d new", len(start)))
	}
	return len(deleted) > 0 || len(start) > 0
}

// replaceInPlace picks, with maxSurge 0, the nodes whose old pod goes:
// every old pod that is not available, and others while fewer than
// maxUnavailable nodes have no available pod.
func (s *dsSim) replaceInPlace() (deleted []int) {
	var notAvailable int64
	for _, n := range s.ns {
		if (n.new && !s.avail(n.newAt)) || (n.old && !s.avail(n.oldAt)) {
			notAvailable++
		}
	}
	room := max(s.unavailable-notAvailable, 0)
	for i, n := range s.ns {
		switch {
		case n.new:
		case n.old && !s.avail(n.oldAt):
			// An old pod that is not available goes anyway.
			deleted = append(deleted, i)
		case n.old && room > 0:
			deleted = append(deleted, i)
			room--
		}
	}
	return deleted
}

// surgeNew picks, with maxSurge above 0, the old pods whose new pod is
// available (they go) and the nodes where a new pod starts beside the old
// one, up to maxSurge surging at once.
func (s *dsSim) surgeNew() (deleted, start []int) {
	var surging int64
	for _, n := range s.ns {
		if n.old && n.new && !s.avail(n.newAt) {
			surging++
		}
	}
	room := max(s.surge-surging, 0)
	for i, n := range s.ns {
		switch {
		case n.old && n.new && s.avail(n.newAt):
			deleted = append(deleted, i)
		case n.old && !n.new && room > 0:
			start = append(start, i)
			room--
		}
	}
	return deleted, start
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
