package strategies

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
	// Available is the pods that count as available after the step.
	Available int64
}

// Rollout is the plan of a rolling update.
type Rollout struct {
	Replicas               int64
	MaxSurge               int64 // resolved: percents rounded up
	MaxUnavailable         int64 // resolved: percents rounded down, 1 when both are 0
	MaxTotal, MinAvailable int64
	Recreate               bool
	Steps                  []Step
}

// PlanRollout simulates the deployment controller's rolling update from
// `from` old pods to `replicas` new ones, with the controller's own
// rules (pkg/controller/deployment/rolling.go): each sync first scales the
// new ReplicaSet up to replicas+maxSurge pods in all, and only when it
// cannot, scales old ReplicaSets down while available pods stay at or
// above replicas-maxUnavailable. New pods become available readySeconds
// after they are created (minReadySeconds plus the time to readiness).
func PlanRollout(from, replicas int64, surge, unavailable IntOrPercent, readySeconds int64) Rollout {
	s, u := surge.Resolve(replicas, true), unavailable.Resolve(replicas, false)
	if s == 0 && u == 0 {
		u = 1 // the controller's fencepost: some progress must be possible
	}
	r := Rollout{Replicas: replicas, MaxSurge: s, MaxUnavailable: u, MaxTotal: replicas + s, MinAvailable: replicas - u}
	old, nu := from, int64(0)
	// readyAt[i] is when the i-th new pod becomes available.
	var readyAt []int64
	now := int64(0)
	availableNew := func() int64 {
		n := int64(0)
		for _, t := range readyAt[:min(int64(len(readyAt)), nu)] {
			if t <= now {
				n++
			}
		}
		return n
	}
	record := func(action string) {
		r.Steps = append(r.Steps, Step{Time: now, Action: action, Old: old, New: nu, Total: old + nu, Available: old + availableNew()})
	}
	record("start")
	for guard := 0; (old > 0 || availableNew() < replicas) && guard < 10000; guard++ {
		// reconcileNewReplicaSet
		if total := old + nu; total < r.MaxTotal && nu < replicas {
			up := min(r.MaxTotal-total, replicas-nu)
			for i := int64(0); i < up; i++ {
				readyAt = append(readyAt, now+readySeconds)
			}
			prev := nu
			nu += up
			record(scaleAction("new", prev, nu))
			continue
		}
		// reconcileOldReplicaSets: old pods are all available here.
		if avail := old + availableNew(); old > 0 && avail > r.MinAvailable {
			down := min(avail-r.MinAvailable, old)
			prev := old
			old -= down
			record(scaleAction("old", prev, old))
			continue
		}
		// Nothing to do until the next new pod becomes available.
		next := int64(-1)
		for _, t := range readyAt {
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

// PlanRecreate is the plan of a Recreate update: every old pod goes, then
// the new ones start.
func PlanRecreate(from, replicas, readySeconds int64) Rollout {
	r := Rollout{Replicas: replicas, Recreate: true, MaxTotal: max(from, replicas)}
	r.Steps = []Step{
		{Action: "start", Old: from, Total: from, Available: from},
		{Action: scaleAction("old", from, 0)},
		{Action: scaleAction("new", 0, replicas), New: replicas, Total: replicas},
		{Time: readySeconds, Action: "pods ready", New: replicas, Total: replicas, Available: replicas},
	}
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
