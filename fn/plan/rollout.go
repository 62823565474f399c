package plan

import (
	"slices"
	"sort"
	"strconv"

	"rollspec.dev/rollspec/strategies"
)

// Step is one action of the deployment controller during a rolling
// update, and the state it leaves behind.
type Step struct {
	// Time is when the step happens, in seconds after the update starts,
	// given that a new pod becomes available ReadySeconds after it is
	// created.
	Time int64
	// Action says what the controller did ("scale new 0→1").
	Action string
	// Old and New are the replicas of the old and new ReplicaSet.
	Old, New int64
	// Total is Old + New: the pods the controller runs (terminating pods
	// not counted, as the controller does not count them).
	Total int64
	// Available is the pods that count as available after the step, and
	// OldAvailable those of them that are old.
	Available, OldAvailable int64
}

// Rollout is the plan of a rolling update.
type Rollout struct {
	// From is the old ReplicaSet's size when the update starts, Replicas
	// the Deployment's new spec.replicas.
	From, Replicas         int64
	MaxSurge               int64 // resolved: percents rounded up
	MaxUnavailable         int64 // resolved: percents rounded down, 1 when both are 0
	MaxTotal, MinAvailable int64
	Recreate               bool
	// ScalesFirst is true when the replica count changes with the pod
	// template: the controller treats that as a scaling event and resizes
	// the old ReplicaSet to Replicas before it rolls (sync.go, scale()),
	// so MinAvailable holds only once those old pods are ready.
	ScalesFirst bool
	Steps       []Step
	// Truncated is true when the plan stops at MaxPlanSteps before the
	// rollout is complete.
	Truncated bool
}

// RolloutTiming says how long pods take to count as available after
// they are created: NewReady for the new pod template, OldReady for the
// old one (pods the old ReplicaSet adds on a scaling event).
type RolloutTiming struct{ NewReady, OldReady int64 }

// PlanRollout simulates the deployment controller's rolling update from
// `from` old pods to `replicas` new ones, with the controller's own rules
// (pkg/controller/deployment, Kubernetes v1.34):
//   - a replica count that changes together with the template is a
//     scaling event (sync.go, isScalingEvent): the only active ReplicaSet,
//     the old one, is resized to replicas first (scale());
//   - then each sync of rolling.go first scales the new ReplicaSet up to
//     replicas+maxSurge pods in all (reconcileNewReplicaSet), and only
//     when it cannot, scales old ReplicaSets down (reconcileOldReplicaSets):
//     by at most allPods - minAvailable - unavailable new pods, old pods
//     that are not ready first (cleanupUnhealthyReplicas), then ready ones
//     while available pods stay above replicas-maxUnavailable
//     (scaleDownOldReplicaSetsForRollingUpdate).
//
// Pods become available the timing's seconds after they are created; a
// ReplicaSet that scales down removes pods that are not ready first.
func PlanRollout(from, replicas int64, surge, unavailable strategies.IntOrPercent, timing RolloutTiming) Rollout {
	s, u := surge.Resolve(replicas, true), unavailable.Resolve(replicas, false)
	if s == 0 && u == 0 {
		u = 1 // the controller's fencepost: some progress must be possible
	}
	r := Rollout{From: from, Replicas: replicas, MaxSurge: s, MaxUnavailable: u, MaxTotal: replicas + s, MinAvailable: max(replicas-u, 0)}
	// The pods, as batches of pods that become available at one time: the
	// old pods that run when the update starts are available already.
	// The simulation's cost grows with its steps, not with the pods.
	var oldPods, newPods pods
	oldPods = oldPods.resize(from, 0)
	now := int64(0)
	record := func(action string) {
		old, nu := oldPods.count(), newPods.count()
		oldAvail := oldPods.available(now)
		r.Steps = append(r.Steps, Step{Time: now, Action: action, Old: old, New: nu, Total: old + nu,
			Available: oldAvail + newPods.available(now), OldAvailable: oldAvail})
	}
	record("start")
	if from > 0 && from != replicas {
		r.ScalesFirst = true
		oldPods = oldPods.resize(replicas, now+timing.OldReady)
		record(scaleAction("old", from, replicas))
	}
	for len(r.Steps) < MaxPlanSteps {
		old, nu := oldPods.count(), newPods.count()
		if old == 0 && newPods.available(now) == replicas {
			return r
		}
		// reconcileNewReplicaSet
		if total := old + nu; total < r.MaxTotal && nu < replicas {
			newPods = newPods.resize(nu+min(r.MaxTotal-total, replicas-nu), now+timing.NewReady)
			record(scaleAction("new", nu, newPods.count()))
			continue
		}
		// reconcileOldReplicaSets
		if old > 0 {
			maxScaledDown := old + nu - r.MinAvailable - (nu - newPods.available(now))
			scaled := false
			if unhealthy := old - oldPods.available(now); maxScaledDown > 0 && unhealthy > 0 {
				down := min(maxScaledDown, unhealthy)
				oldPods = oldPods.resize(old-down, 0)
				record(scaleAction("old", old, old-down))
				scaled = true
			}
			if avail := oldPods.available(now) + newPods.available(now); maxScaledDown > 0 && avail > r.MinAvailable {
				before := oldPods.count()
				if down := min(before, avail-r.MinAvailable); down > 0 {
					oldPods = oldPods.resize(before-down, 0)
					record(scaleAction("old", before, before-down))
					scaled = true
				}
			}
			if scaled {
				continue
			}
		}
		// Nothing to do until the next pod becomes available.
		next := min(oldPods.next(now), newPods.next(now))
		if next == noTime {
			return r
		}
		now = next
		record("pods ready")
	}
	r.Truncated = true
	return r
}

// MaxPlanSteps bounds a plan: a rollout of many pods with a small surge
// takes a step per few pods, and a plan of millions of steps helps no one.
// A plan cut at the bound says so (Rollout.Truncated).
const MaxPlanSteps = 1000

// noTime is the time of no event.
const noTime = int64(1<<63 - 1)

// clock is a workload simulation's time.
type clock struct{ now int64 }

// waitUntil moves the clock on to t, when the next pod becomes available,
// and records that step; it reports false, and the clock stays, when no
// pod is pending (t is noTime).
func (c *clock) waitUntil(t int64, record func(action string)) bool {
	if t == noTime {
		return false
	}
	c.now = t
	record("pods ready")
	return true
}

// batch is a number of pods that become available at one time.
type batch struct{ readyAt, n int64 }

// pods are a ReplicaSet's pods, as batches in the order they were created.
type pods []batch

func (p pods) count() int64 {
	n := int64(0)
	for _, b := range p {
		n += b.n
	}
	return n
}

// available counts the pods available at now.
func (p pods) available(now int64) int64 {
	n := int64(0)
	for _, b := range p {
		if b.readyAt <= now {
			n += b.n
		}
	}
	return n
}

// next is the first time after now that a pod becomes available.
func (p pods) next(now int64) int64 {
	t := noTime
	for _, b := range p {
		if b.readyAt > now && b.readyAt < t {
			t = b.readyAt
		}
	}
	return t
}

// resize grows a ReplicaSet to n pods, the new ones available at readyAt,
// or shrinks it to n, removing the pods that become available last (the
// ReplicaSet controller deletes not-ready pods first).
func (p pods) resize(n, readyAt int64) pods {
	if have := p.count(); have < n {
		return append(p, batch{readyAt, n - have})
	}
	out := append(pods{}, p...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].readyAt < out[j].readyAt })
	keep := n
	for i := range out {
		take := min(out[i].n, keep)
		out[i].n, keep = take, keep-take
	}
	return slices.DeleteFunc(out, func(b batch) bool { return b.n == 0 })
}

// PlanRecreate is the plan of a Recreate update: every old pod goes, then
// the new ones start. A replica count that changes with the template
// resizes the old ReplicaSet first, as for a rolling update.
func PlanRecreate(from, replicas int64, timing RolloutTiming) Rollout {
	r := Rollout{From: from, Replicas: replicas, Recreate: true, MaxTotal: max(from, replicas)}
	r.Steps = []Step{{Action: "start", Old: from, Total: from, Available: from, OldAvailable: from}}
	old := from
	if from > 0 && from != replicas {
		r.ScalesFirst = true
		up := min(from, replicas)
		r.Steps = append(r.Steps, Step{Action: scaleAction("old", from, replicas), Old: replicas, Total: replicas, Available: up, OldAvailable: up})
		old = replicas
	}
	r.Steps = append(r.Steps,
		Step{Action: scaleAction("old", old, 0)},
		Step{Action: scaleAction("new", 0, replicas), New: replicas, Total: replicas},
		Step{Time: timing.NewReady, Action: "pods ready", New: replicas, Total: replicas, Available: replicas},
	)
	return r
}

func scaleAction(which string, from, to int64) string {
	return "scale " + which + " " + itoa(from) + "→" + itoa(to)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
