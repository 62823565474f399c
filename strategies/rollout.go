package strategies

import "sort"

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
func PlanRollout(from, replicas int64, surge, unavailable IntOrPercent, timing RolloutTiming) Rollout {
	s, u := surge.Resolve(replicas, true), unavailable.Resolve(replicas, false)
	if s == 0 && u == 0 {
		u = 1 // the controller's fencepost: some progress must be possible
	}
	r := Rollout{From: from, Replicas: replicas, MaxSurge: s, MaxUnavailable: u, MaxTotal: replicas + s, MinAvailable: replicas - u}
	// Each pod is the time it becomes available; the old pods that run
	// when the update starts are available already.
	oldPods := make([]int64, from)
	var newPods []int64
	now := int64(0)
	available := func(pods []int64) int64 {
		n := int64(0)
		for _, t := range pods {
			if t <= now {
				n++
			}
		}
		return n
	}
	record := func(action string) {
		old, nu := int64(len(oldPods)), int64(len(newPods))
		r.Steps = append(r.Steps, Step{Time: now, Action: action, Old: old, New: nu, Total: old + nu,
			Available: available(oldPods) + available(newPods), OldAvailable: available(oldPods)})
	}
	record("start")
	if from > 0 && from != replicas {
		r.ScalesFirst = true
		oldPods = resize(oldPods, replicas, now+timing.OldReady)
		record(scaleAction("old", from, replicas))
	}
	for guard := 0; guard < 10000; guard++ {
		old, nu := int64(len(oldPods)), int64(len(newPods))
		if old == 0 && available(newPods) == replicas {
			break
		}
		// reconcileNewReplicaSet
		if total := old + nu; total < r.MaxTotal && nu < replicas {
			newPods = resize(newPods, nu+min(r.MaxTotal-total, replicas-nu), now+timing.NewReady)
			record(scaleAction("new", nu, int64(len(newPods))))
			continue
		}
		// reconcileOldReplicaSets
		if old > 0 {
			maxScaledDown := old + nu - r.MinAvailable - (nu - available(newPods))
			scaled := false
			if unhealthy := old - available(oldPods); maxScaledDown > 0 && unhealthy > 0 {
				down := min(maxScaledDown, unhealthy)
				oldPods = resize(oldPods, old-down, 0)
				record(scaleAction("old", old, old-down))
				scaled = true
			}
			if avail := available(oldPods) + available(newPods); maxScaledDown > 0 && avail > r.MinAvailable {
				before := int64(len(oldPods))
				if down := min(before, avail-r.MinAvailable); down > 0 {
					oldPods = resize(oldPods, before-down, 0)
					record(scaleAction("old", before, before-down))
					scaled = true
				}
			}
			if scaled {
				continue
			}
		}
		// Nothing to do until the next pod becomes available.
		next := int64(-1)
		for _, t := range append(append([]int64{}, oldPods...), newPods...) {
			if t > now && (next < 0 || t < next) {
				next = t
			}
		}
		if next < 0 {
			break
		}
		now = next
		record("pods ready")
	}
	return r
}

// resize grows a ReplicaSet's pods to n, the new ones available at
// readyAt, or shrinks it to n, removing the pods that become available
// last (the ReplicaSet controller deletes not-ready pods first).
func resize(pods []int64, n, readyAt int64) []int64 {
	for int64(len(pods)) < n {
		pods = append(pods, readyAt)
	}
	if int64(len(pods)) <= n {
		return pods
	}
	// Latest-ready last; keep the first n.
	sorted := append([]int64{}, pods...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[:n]
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

func itoa(i int64) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}
