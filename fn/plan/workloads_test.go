package plan_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/fn/plan"
)

// steps writes each step as "action old/new/available", the way the
// tables below state what the controller does.
func steps(ro plan.Rollout) []string {
	var out []string
	for _, s := range ro.Steps {
		out = append(out, fmt.Sprintf("%s %d/%d/%d", s.Action, s.Old, s.New, s.Available))
	}
	return out
}

// TestPlanStatefulSet: the StatefulSet controller's order, from the
// highest ordinal down to the partition, one at a time or maxUnavailable
// at once, and its scaling first.
func TestPlanStatefulSet(t *testing.T) {
	all := plan.StatefulSetUpdate{StaleBelow: true, StaleAbove: true, MaxUnavailable: 1}
	with := func(f func(*plan.StatefulSetUpdate)) plan.StatefulSetUpdate {
		u := all
		f(&u)
		return u
	}
	for _, tc := range []struct {
		name string
		u    plan.StatefulSetUpdate
		want []string
	}{
		{name: "canary of one pod: partition 3 of 4", u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas, u.Partition = 4, 4, 3 }),
			want: []string{"start 4/0/4", "delete pod 3 3/0/3", "create pod 3 3/1/3", "pods ready 3/1/4"}},
		{name: "the next step: partition 3 to 2, pod 3 runs the template already",
			u: with(func(u *plan.StatefulSetUpdate) {
				u.From, u.Replicas, u.Partition, u.StaleFrom, u.StaleAbove = 4, 4, 2, 3, false
			}),
			want: []string{"start 3/1/4", "delete pod 2 2/1/3", "create pod 2 2/2/3", "pods ready 2/2/4"}},
		{name: "promote: no partition, the stable pods below 2 roll",
			u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas, u.StaleFrom, u.StaleAbove = 4, 4, 2, false }),
			want: []string{"start 2/2/4", "delete pod 1 1/2/3", "create pod 1 1/3/3", "pods ready 1/3/4",
				"delete pod 0 0/3/3", "create pod 0 0/4/3", "pods ready 0/4/4"}},
		{name: "abort: the canary pods above 2 roll back",
			u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas, u.StaleFrom, u.StaleBelow = 4, 4, 2, false }),
			want: []string{"start 2/2/4", "delete pod 3 1/2/3", "create pod 3 1/3/3", "pods ready 1/3/4",
				"delete pod 2 0/3/3", "create pod 2 0/4/3", "pods ready 0/4/4"}},
		{name: "maxUnavailable 2, OrderedReady: two down, back one by one, lowest first",
			u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas, u.MaxUnavailable = 4, 4, 2 }),
			want: []string{"start 4/0/4", "delete 2 pods 2/0/2", "create pod 2 2/1/2", "pods ready 2/1/3", "create pod 3 2/2/3", "pods ready 2/2/4",
				"delete 2 pods 0/2/2", "create pod 0 0/3/2", "pods ready 0/3/3", "create pod 1 0/4/3", "pods ready 0/4/4"}},
		{name: "maxUnavailable 2, Parallel: two at a time",
			u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas, u.MaxUnavailable, u.Parallel = 4, 4, 2, true }),
			want: []string{"start 4/0/4", "delete 2 pods 2/0/2", "create 2 pods 2/2/2", "pods ready 2/2/4",
				"delete 2 pods 0/2/2", "create 2 pods 0/4/2", "pods ready 0/4/4"}},
		{name: "2 to 3 replicas with a new template: the new ordinal first, at the new revision",
			u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas = 2, 3 }),
			want: []string{"start 2/0/2", "create pod 2 2/1/2", "pods ready 2/1/3", "delete pod 1 1/1/2", "create pod 1 1/2/2", "pods ready 1/2/3",
				"delete pod 0 0/2/2", "create pod 0 0/3/2", "pods ready 0/3/3"}},
		{name: "3 to 2 replicas with a new template: the surplus ordinal goes first",
			u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas = 3, 2 }),
			want: []string{"start 3/0/3", "delete pod 2 2/0/2", "delete pod 1 1/0/1", "create pod 1 1/1/1", "pods ready 1/1/2",
				"delete pod 0 0/1/1", "create pod 0 0/2/1", "pods ready 0/2/2"}},
		{name: "2 to 4 replicas, Parallel: the new ordinals at once",
			u:    with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas, u.Partition, u.Parallel = 2, 4, 1, true }),
			want: []string{"start 2/0/2", "create 2 pods 2/2/2", "pods ready 2/2/4", "delete pod 1 1/2/3", "create pod 1 1/3/3", "pods ready 1/3/4"}},
		{name: "ordinals from 5", u: with(func(u *plan.StatefulSetUpdate) { u.From, u.Replicas, u.Partition, u.Start = 2, 2, 1, 5 }),
			want: []string{"start 2/0/2", "delete pod 6 1/0/1", "create pod 6 1/1/1", "pods ready 1/1/2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := plan.PlanStatefulSet(tc.u, plan.RolloutTiming{NewReady: 5, OldReady: 5})
			if diff := cmp.Diff(tc.want, steps(ro)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanStatefulSetBounded: a huge StatefulSet plans in bounded steps
// and time, whether it replaces one pod or all of them.
func TestPlanStatefulSetBounded(t *testing.T) {
	const huge = 2000000000
	for _, tc := range []struct {
		name      string
		u         plan.StatefulSetUpdate
		steps     int
		truncated bool
	}{
		{name: "one canary pod", u: plan.StatefulSetUpdate{From: huge, Replicas: huge, Partition: huge - 1}, steps: 4},
		{name: "every pod", u: plan.StatefulSetUpdate{From: huge, Replicas: huge}, steps: plan.MaxPlanSteps, truncated: true},
		{name: "every pod, all at once", u: plan.StatefulSetUpdate{From: huge, Replicas: huge, MaxUnavailable: huge, Parallel: true}, steps: 4, truncated: true},
		{name: "scale up one by one", u: plan.StatefulSetUpdate{From: 1, Replicas: huge}, steps: plan.MaxPlanSteps, truncated: true},
		{name: "scale up at once", u: plan.StatefulSetUpdate{From: 1, Replicas: huge, Parallel: true}, steps: 6},
		{name: "scale down one by one", u: plan.StatefulSetUpdate{From: huge, Replicas: 1}, steps: plan.MaxPlanSteps, truncated: true},
	} {
		start := time.Now()
		tc.u.StaleBelow, tc.u.StaleAbove = true, true
		ro := plan.PlanStatefulSet(tc.u, plan.RolloutTiming{NewReady: 1, OldReady: 1})
		if len(ro.Steps) != tc.steps || ro.Truncated != tc.truncated {
			t.Errorf("%s: %d steps, truncated %v; want %d, %v", tc.name, len(ro.Steps), ro.Truncated, tc.steps, tc.truncated)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: planning took %v", tc.name, d)
		}
	}
}

// TestPlanDaemonSet: node by node, old pod first with maxUnavailable,
// new pod beside it with maxSurge.
func TestPlanDaemonSet(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		nodes, surge, unavail int64
		want                  []string
	}{
		{name: "maxUnavailable 1 on 3 nodes", nodes: 3, unavail: 1,
			want: []string{"start 3/0/3", "delete 1 old 2/0/2", "create 1 new 2/1/2", "pods ready 2/1/3", "delete 1 old 1/1/2", "create 1 new 1/2/2", "pods ready 1/2/3",
				"delete 1 old 0/2/2", "create 1 new 0/3/2", "pods ready 0/3/3"}},
		{name: "maxSurge 1 on 3 nodes", nodes: 3, surge: 1,
			want: []string{"start 3/0/3", "create 1 new 3/1/3", "pods ready 3/1/4", "delete 1 old 2/1/3", "create 1 new 2/2/3", "pods ready 2/2/4",
				"delete 1 old 1/2/3", "create 1 new 1/3/3", "pods ready 1/3/4", "delete 1 old 0/3/3"}},
		{name: "maxSurge 2 on 3 nodes", nodes: 3, surge: 2,
			want: []string{"start 3/0/3", "create 2 new 3/2/3", "pods ready 3/2/5", "delete 2 old 1/2/3", "create 1 new 1/3/3", "pods ready 1/3/4", "delete 1 old 0/3/3"}},
		{name: "both 0: one node at a time", nodes: 2,
			want: []string{"start 2/0/2", "delete 1 old 1/0/1", "create 1 new 1/1/1", "pods ready 1/1/2", "delete 1 old 0/1/1", "create 1 new 0/2/1", "pods ready 0/2/2"}},
		{name: "all nodes at once", nodes: 3, unavail: 3,
			want: []string{"start 3/0/3", "delete 3 old 0/0/0", "create 3 new 0/3/0", "pods ready 0/3/3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ro := plan.PlanDaemonSet(tc.nodes, tc.surge, tc.unavail, plan.RolloutTiming{NewReady: 5, OldReady: 5})
			if diff := cmp.Diff(tc.want, steps(ro)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
	start := time.Now()
	if ro := plan.PlanDaemonSet(plan.MaxNodes, 1, 0, plan.RolloutTiming{NewReady: 1, OldReady: 1}); !ro.Truncated || len(ro.Steps) != plan.MaxPlanSteps {
		t.Errorf("%d nodes: %d steps, truncated %v", plan.MaxNodes, len(ro.Steps), ro.Truncated)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("planning %d nodes took %v", plan.MaxNodes, d)
	}
}

const planStatefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 4
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: registry.example.com/db:15.2
        readinessProbe: {tcpSocket: {port: 5432}, initialDelaySeconds: 5}
`

const planRelease = `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: NAME, namespace: shop, annotations: {config.kubernetes.io/local-config: "true"}}
spec: SPEC
`

// TestPlanWorkloadKinds plans Releases of StatefulSets and DaemonSets from
// their files, as rollspec plan does: the header names the kind and says
// which pods go in which order.
func TestPlanWorkloadKinds(t *testing.T) {
	daemonSet := strings.NewReplacer("StatefulSet", "DaemonSet", "  serviceName: db\n  replicas: 4\n", "").Replace(planStatefulSet)
	for _, tc := range []struct {
		name, workload, release string
		nodes                   int64
		header                  string
		actions                 []string
		notes                   []string
	}{
		{name: "StatefulSet canary", workload: planStatefulSet,
			release: "{target: {kind: StatefulSet}, strategy: canary, canary: {image: 'registry.example.com/db:15.3', weight: 50}}",
			header:  "StatefulSet db: 4 replicas, partition 2: replaces pods db-3 down to db-2, one pod at a time from the highest ordinal: at most 4 pods, at least 3 available; a new pod is available ~5s after it starts",
			actions: []string{"start", "delete pod 3", "create pod 3", "pods ready", "delete pod 2", "create pod 2", "pods ready"},
			notes:   []string{"db: pods db-2 to db-3 run registry.example.com/db:15.3 (2 of 4 pods, 50.0% of the traffic); pods db-0 to db-1 keep registry.example.com/db:15.2"}},
		{name: "StatefulSet with maxUnavailable", workload: strings.Replace(planStatefulSet, "  serviceName: db\n", "  serviceName: db\n  podManagementPolicy: Parallel\n", 1),
			release: "{target: {kind: StatefulSet}, tag: '15.3', rolling: {maxUnavailable: 50%}}",
			header:  "StatefulSet db: 4 replicas, partition 0: replaces pods db-3 down to db-0, 2 pods at a time from the highest ordinal (maxUnavailable 2, honoured from Kubernetes 1.35 or with the MaxUnavailableStatefulSet feature gate; elsewhere one at a time): at most 4 pods, at least 2 available; a new pod is available ~5s after it starts",
			actions: []string{"start", "delete 2 pods", "create 2 pods", "pods ready", "delete 2 pods", "create 2 pods", "pods ready"}},
		{name: "StatefulSet replicas only", workload: planStatefulSet, release: "{target: {kind: StatefulSet}, replicas: 5}",
			notes: []string{"db scales 4→5; its pod template is unchanged, so no pod restarts"}},
		{name: "DaemonSet on 2 nodes", workload: daemonSet, nodes: 2,
			release: "{target: {kind: DaemonSet}, tag: '15.3', rolling: {profile: surge-first}}",
			header:  "DaemonSet db: planned on 2 nodes (--nodes), one pod each, maxSurge 1: on one node at a time the new pod starts beside the old one, which stops once the new one is available: at most 3 pods, at least 2 available; a new pod is available ~5s after it starts",
			actions: []string{"start", "create 1 new", "pods ready", "delete 1 old", "create 1 new", "pods ready", "delete 1 old"}},
		{name: "DaemonSet on the default nodes", workload: daemonSet,
			release: "{target: {kind: DaemonSet}, tag: '15.3'}",
			header:  "DaemonSet db: planned on 3 nodes (--nodes), one pod each, maxUnavailable 1: on one node at a time the old pod stops before the new one starts: at most 3 pods, at least 2 available; a new pod is available ~5s after it starts",
			actions: []string{"start", "delete 1 old", "create 1 new", "pods ready", "delete 1 old", "create 1 new", "pods ready", "delete 1 old", "create 1 new", "pods ready"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"workload.yaml": tc.workload,
				"release.yaml": strings.NewReplacer("NAME", "db", "SPEC", tc.release).Replace(planRelease)})
			var errOut bytes.Buffer
			plans, err := fn.PlanOnNodes([]string{dir}, nil, nil, &errOut, tc.nodes)
			if err != nil {
				t.Fatalf("plan: %v\n%s", err, errOut.String())
			}
			if diff := cmp.Diff(tc.notes, plans[0].Notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			if tc.header == "" {
				if len(plans[0].Rollouts) != 0 {
					t.Errorf("want no rollout, got %+v", plans[0].Rollouts)
				}
				return
			}
			var text bytes.Buffer
			plan.WritePlanText(&text, plans)
			if !strings.Contains(text.String(), "\n"+tc.header+"\n") {
				t.Errorf("no header %q in\n%s", tc.header, text.String())
			}
			var got []string
			for _, s := range plans[0].Rollouts[0].Steps {
				got = append(got, s.Action)
			}
			if diff := cmp.Diff(tc.actions, got); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
