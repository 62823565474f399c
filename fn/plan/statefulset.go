package plan

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// StatefulSetUpdate is what PlanStatefulSet needs to know of a
// StatefulSet's rolling update. Ordinals are counted from the first
// (spec.ordinals.start is added only to name pods).
type StatefulSetUpdate struct {
	// From is the pods when the update starts, Replicas the new
	// spec.replicas, Start the first ordinal.
	From, Replicas, Start int64
	// Partition is the new partition: pods below it are not updated.
	Partition int64
	// Stale says which of the From pods run a pod template other than the
	// new one: those from StaleFrom up if StaleAbove, those below it if
	// StaleBelow (a partitioned canary's stable pods and canary pods
	// run different templates).
	StaleFrom              int64
	StaleBelow, StaleAbove bool
	// MaxUnavailable is how many pods the controller replaces at once
	// (resolved, at least 1); Parallel is podManagementPolicy Parallel.
	MaxUnavailable int64
	Parallel       bool
}

// stale reports whether the pod of ordinal index i runs an old template.
func (u StatefulSetUpdate) stale(i int64) bool {
	if i >= u.From {
		return false // created by the update, at the new revision
	}
	if i < u.StaleFrom {
		return u.StaleBelow
	}
	return u.StaleAbove
}

// Ordinals returns, highest first, the ordinal indexes the update
// replaces (at most limit of them): stale pods from the top down to the
// partition.
func (u StatefulSetUpdate) Ordinals(limit int) []int64 {
	var out []int64
	for i := min(u.Replicas, u.From) - 1; i >= u.Partition && len(out) < limit; i-- {
		switch {
		case u.stale(i):
			out = append(out, i)
		case i >= u.StaleFrom:
			// None of the run above StaleFrom is stale: skip it whole,
			// so the loop is as long as the result, not the replicas.
			i = u.StaleFrom
		default:
			return out // nor is any below it
		}
	}
	return out
}

// ssPod is one pod in the StatefulSet simulation.
type ssPod struct {
	old     bool  // runs an old template
	readyAt int64 // when it becomes available
}

// PlanStatefulSet simulates the StatefulSet controller's rolling update
// with its own rules (pkg/controller/statefulset, Kubernetes v1.34):
//   - first the replica count: missing ordinals are created in order,
//     at the new revision when they are at or above the partition (with
//     OrderedReady each waits for the one before to be available, with
//     Parallel they start at once), surplus ordinals go from the highest
//     down;
//   - then the update: the pod of the highest ordinal at or above the
//     partition that runs an old template is deleted and recreated at the
//     new revision under the same name; the next one goes when it is
//     available. With maxUnavailable above 1 (honoured from Kubernetes
//     1.35, or with the MaxUnavailableStatefulSet feature gate) up to that
//     many go at once, counting every unavailable pod of the set; with
//     OrderedReady they still come back one at a time, lowest ordinal
//     first.
//
// A pod is created the moment its predecessor is deleted: the time a pod
// takes to stop (its grace period) is not in the plan.
func PlanStatefulSet(u StatefulSetUpdate, timing RolloutTiming) Rollout {
	r := planStatefulSet(u, timing)
	if len(r.Steps) > MaxPlanSteps {
		r.Steps, r.Truncated = r.Steps[:MaxPlanSteps], true
	}
	return r
}

func planStatefulSet(u StatefulSetUpdate, timing RolloutTiming) Rollout {
	u.MaxUnavailable = max(u.MaxUnavailable, 1)
	s := &ssSim{u: u, timing: timing, touched: map[int64]*ssPod{}, missing: map[int64]bool{},
		count: u.From, staleCount: u.staleIn(0, u.From-1)}
	s.r = Rollout{From: u.From, Replicas: u.Replicas, MaxUnavailable: u.MaxUnavailable, MaxTotal: max(u.From, u.Replicas),
		MinAvailable: max(min(u.From, u.Replicas)-u.MaxUnavailable, 0)}
	s.record("start")
	// Scaling comes first: new ordinals, then surplus ones.
	if !s.scaleUp() || !s.scaleDown() {
		s.r.Truncated = true
		return s.r
	}
	s.update()
	return s.r
}

// ssSim is the state of one StatefulSet simulation.
type ssSim struct {
	clock
	u      StatefulSetUpdate
	timing RolloutTiming
	r      Rollout
	// The pods the simulation touched, by ordinal index; the others are as
	// the update found them (available, stale or not).
	touched map[int64]*ssPod
	missing map[int64]bool
	// bulk are pods started together in numbers (a Parallel scale-up),
	// counted instead of listed.
	bulk    []batch
	bulkOld []bool
	// count is the pods there are, staleCount those of them that run an
	// old template.
	count, staleCount int64
}

// notAvailable counts the pods missing or not yet available.
func (s *ssSim) notAvailable() int64 {
	n := int64(len(s.missing))
	for _, p := range s.touched {
		if p.readyAt > s.now {
			n++
		}
	}
	for _, b := range s.bulk {
		if b.readyAt > s.now {
			n += b.n
		}
	}
	return n
}

// record appends a step: the pods there are now, old and new, and how
// many of each are available.
func (s *ssSim) record(action string) {
	var oldAvail, newAvail int64
	oldAll, newAll := s.staleCount, s.count-s.staleCount
	for i, p := range s.touched {
		if s.missing[i] {
			continue
		}
		if p.readyAt > s.now {
			if p.old {
				oldAvail--
			} else {
				newAvail--
			}
		}
	}
	for k, b := range s.bulk {
		if b.readyAt > s.now {
			if s.bulkOld[k] {
				oldAvail -= b.n
			} else {
				newAvail -= b.n
			}
		}
	}
	oldAvail += oldAll
	newAvail += newAll
	s.r.Steps = append(s.r.Steps, Step{Time: s.now, Action: action, Old: oldAll, New: newAll, Total: s.count,
		Available: oldAvail + newAvail, OldAvailable: oldAvail})
}

// create starts the pod of ordinal index i.
func (s *ssSim) create(i int64) {
	// Below the partition a pod is created at the current revision:
	// an old one when the pods there run an old template.
	old := i < s.u.Partition && s.u.StaleBelow
	s.touched[i] = &ssPod{old: old, readyAt: s.now + map[bool]int64{true: s.timing.OldReady, false: s.timing.NewReady}[old]}
	delete(s.missing, i)
	s.count++
	if old {
		s.staleCount++
	}
}

// remove deletes the pod of ordinal index i.
func (s *ssSim) remove(i int64) {
	old := s.u.stale(i)
	if p := s.touched[i]; p != nil {
		old = p.old
	}
	s.touched[i] = &ssPod{old: old}
	s.missing[i] = true
	s.count--
	if old {
		s.staleCount--
	}
}

// next is the first time after now that a pod becomes available.
func (s *ssSim) next() int64 {
	t := noTime
	for _, p := range s.touched {
		if p.readyAt > s.now && p.readyAt < t {
			t = p.readyAt
		}
	}
	for _, b := range s.bulk {
		if b.readyAt > s.now && b.readyAt < t {
			t = b.readyAt
		}
	}
	return t
}

// wait moves on to the next time a pod becomes available.
func (s *ssSim) wait() bool { return s.waitUntil(s.next(), s.record) }

// scaleUp creates the missing ordinals; false when the plan ran out of
// steps first.
func (s *ssSim) scaleUp() bool {
	u := s.u
	if u.Parallel && u.Replicas > u.From {
		s.createBulk(u.From)
		s.wait()
		return true
	}
	for i := u.From; i < u.Replicas; i++ {
		if len(s.r.Steps) >= MaxPlanSteps {
			return false
		}
		s.missing[i] = true
		s.create(i)
		s.record(fmt.Sprintf("create pod %d", u.Start+i))
		s.wait()
	}
	return true
}

// createBulk starts the pods from ordinal index from up at once
// (Parallel): below the partition at the current revision, above it at
// the new one.
func (s *ssSim) createBulk(from int64) {
	u := s.u
	below := max(min(u.Partition, u.Replicas)-from, 0)
	for _, part := range []struct {
		n   int64
		old bool
	}{{below, u.StaleBelow}, {u.Replicas - from - below, false}} {
		if part.n == 0 {
			continue
		}
		ready := s.timing.NewReady
		if part.old {
			ready = s.timing.OldReady
			s.staleCount += part.n
		}
		s.bulk, s.bulkOld = append(s.bulk, batch{s.now + ready, part.n}), append(s.bulkOld, part.old)
		s.count += part.n
	}
	s.record(fmt.Sprintf("create %d pods", u.Replicas-from))
}

// scaleDown deletes the surplus ordinals, from the highest down; false
// when the plan ran out of steps first.
func (s *ssSim) scaleDown() bool {
	u := s.u
	if u.From > u.Replicas && u.Parallel {
		s.staleCount -= u.staleIn(u.Replicas, u.From-1)
		s.count = u.Replicas
		s.record(fmt.Sprintf("delete %d pods", u.From-u.Replicas))
		return true
	}
	for i := u.From - 1; i >= u.Replicas && !u.Parallel; i-- {
		if len(s.r.Steps) >= MaxPlanSteps {
			return false
		}
		if u.stale(i) {
			s.staleCount--
		}
		s.count--
		s.record(fmt.Sprintf("delete pod %d", u.Start+i))
	}
	return true
}

// update replaces the stale pods from the highest ordinal down. A plan
// of more pods than it has steps for stops early and says so.
func (s *ssSim) update() {
	u := s.u
	order := u.Ordinals(MaxPlanSteps)
	if len(u.Ordinals(MaxPlanSteps+1)) > MaxPlanSteps {
		s.r.Truncated = true
	}
	for len(order) > 0 && len(s.r.Steps) < MaxPlanSteps {
		free := u.MaxUnavailable - s.notAvailable()
		if !u.Parallel && s.notAvailable() > 0 {
			// OrderedReady goes on only when every pod is available.
			free = 0
		}
		if free <= 0 {
			if !s.wait() {
				break
			}
			continue
		}
		batch := order[:min(int64(len(order)), free)]
		order = order[len(batch):]
		s.replace(batch)
	}
	for len(s.r.Steps) < MaxPlanSteps && s.next() != noTime {
		s.wait()
	}
	if len(s.r.Steps) >= MaxPlanSteps && (len(order) > 0 || s.next() != noTime) {
		s.r.Truncated = true
	}
}

// replace deletes the pods of a batch of ordinal indexes (highest first)
// and recreates them at the new revision: all at once with Parallel, else
// lowest ordinal first, each once the one before is available.
func (s *ssSim) replace(batch []int64) {
	for _, i := range batch {
		s.remove(i)
	}
	s.record(s.podsAction("delete", batch))
	if s.u.Parallel || len(batch) == 1 {
		for _, i := range batch {
			s.create(i)
		}
		s.record(s.podsAction("create", batch))
		return
	}
	for k := len(batch) - 1; k >= 0 && len(s.r.Steps) < MaxPlanSteps; k-- {
		s.create(batch[k])
		s.record(fmt.Sprintf("create pod %d", s.u.Start+batch[k]))
		if k > 0 {
			s.wait()
		}
	}
}

// podsAction names a step on a batch of pods: one pod by its ordinal, more
// by their number.
func (s *ssSim) podsAction(verb string, batch []int64) string {
	if len(batch) == 1 {
		return fmt.Sprintf("%s pod %d", verb, s.u.Start+batch[0])
	}
	return fmt.Sprintf("%s %d pods", verb, len(batch))
}

// staleIn counts the stale pods of ordinal indexes from to to.
func (u StatefulSetUpdate) staleIn(from, to int64) int64 {
	var n int64
	if u.StaleBelow {
		n += max(min(to+1, u.StaleFrom)-from, 0)
	}
	if u.StaleAbove {
		n += max(to+1-max(from, u.StaleFrom), 0)
	}
	return n
}

// Kinds the plan simulates besides Deployments.
const (
	kindStatefulSet = "StatefulSet"
	kindDaemonSet   = "DaemonSet"
)

// statefulSet plans a rendered StatefulSet: which of its pods run a
// template other than the rendered one (after a partitioned canary, the
// stable pods run the template its record keeps), and how the controller
// replaces those at or above the partition.
func (p *ReleasePlan) statefulSet(c Change, replicas int64, before func(*yaml.RNode) int64) {
	d := c.After
	name := strategies.Name(d)
	parallel := scalarAt(d, "spec", "podManagementPolicy") == "Parallel"
	if c.Before == nil {
		how := "one at a time, each once the one before is available (OrderedReady)"
		if parallel {
			how = "at once (Parallel)"
		}
		p.Notes = append(p.Notes, fmt.Sprintf("%s is new: %s start %s", name, podsText(replicas), how))
		return
	}
	_, unavailable, rolling := strategies.WorkloadOf(kindStatefulSet).Update(d)
	if !rolling {
		p.Notes = append(p.Notes, fmt.Sprintf("%s has updateStrategy OnDelete: the controller replaces no pod until it is deleted", name))
		return
	}
	was := before(c.Before)
	stable := strategies.StablePods(c.Before)
	u := StatefulSetUpdate{From: was, Replicas: replicas, Start: strategies.StartOrdinal(d),
		Partition: min(strategies.Partition(d), replicas), StaleFrom: min(strategies.Partition(c.Before), was),
		StaleBelow: !sameTemplate(stable, d), StaleAbove: !sameTemplate(c.Before, d),
		MaxUnavailable: strategies.StatefulSetUnavailable(unavailable, replicas), Parallel: parallel}
	replaced := u.Ordinals(MaxPlanSteps)
	if len(replaced) == 0 && was == replicas {
		if u.StaleBelow || u.StaleAbove {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: no pod at or above its partition %d runs an old pod template, so none is replaced", name, u.Partition))
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: pod template unchanged, no rollout", name))
		}
		return
	}
	if len(replaced) == 0 && !u.StaleBelow && !u.StaleAbove {
		p.Notes = append(p.Notes, fmt.Sprintf("%s scales %d→%d; its pod template is unchanged, so no pod restarts", name, was, replicas))
		return
	}
	ready := readySeconds(d)
	ro := PlanStatefulSet(u, RolloutTiming{NewReady: ready, OldReady: readySeconds(stable)})
	p.Rollouts = append(p.Rollouts, WorkloadRollout{Deployment: name, Kind: kindStatefulSet, Partition: u.Partition, Start: u.Start,
		Parallel: parallel, Replaced: replaced, ReadySeconds: ready, StartupLimit: startupLimit(d), Rollout: ro})
}

// scalarAt reads a scalar field, "" when absent.
func scalarAt(n *yaml.RNode, p ...string) string {
	v, err := n.Pipe(yaml.Lookup(p...))
	if err != nil || v == nil {
		return ""
	}
	return v.YNode().Value
}
