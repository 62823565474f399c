package plan

import (
	"rollspec.dev/rollspec/strategies"

	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanRolloutSequence: the ReplicaSet sizes the controller goes
// through, as observed on a real control plane for 1/0 on 4 replicas.
func TestPlanRolloutSequence(t *testing.T) {
	ro := PlanRollout(4, 4, *strategies.Int(1), *strategies.Int(0), RolloutTiming{NewReady: 1, OldReady: 1})
	var got []string
	for _, s := range ro.Steps {
		if s.Action != "start" && s.Action != "pods ready" {
			got = append(got, s.Action)
		}
	}
	want := []string{"scale new 0→1", "scale old 4→3", "scale new 1→2", "scale old 3→2", "scale new 2→3", "scale old 2→1", "scale new 3→4", "scale old 1→0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestPlanRolloutLimits: for every replica count and surge/unavailable
// pair, no step exceeds replicas+maxSurge pods or drops below
// replicas-maxUnavailable available pods, and the rollout ends with every
// pod new and available.
func TestPlanRolloutLimits(t *testing.T) {
	values := []*strategies.IntOrPercent{strategies.Int(0), strategies.Int(1), strategies.Int(2), strategies.Percent(10), strategies.Percent(25), strategies.Percent(50), strategies.Percent(100)}
	for replicas := int64(1); replicas <= 12; replicas++ {
		for _, s := range values {
			for _, u := range values {
				name := fmt.Sprintf("%d replicas, %s/%s", replicas, s.String(), u.String())
				ro := PlanRollout(replicas, replicas, *s, *u, RolloutTiming{NewReady: 3, OldReady: 3})
				if ro.MaxSurge == 0 && ro.MaxUnavailable == 0 {
					t.Errorf("%s: both resolved to 0", name)
				}
				for _, st := range ro.Steps {
					if st.Total > ro.MaxTotal {
						t.Errorf("%s: %d pods at %q, over %d", name, st.Total, st.Action, ro.MaxTotal)
					}
					if st.Available < ro.MinAvailable {
						t.Errorf("%s: %d available at %q, under %d", name, st.Available, st.Action, ro.MinAvailable)
					}
				}
				last := ro.Steps[len(ro.Steps)-1]
				if last.Old != 0 || last.New != replicas || last.Available != replicas {
					t.Errorf("%s: ends at %+v", name, last)
				}
			}
		}
	}
}

func TestPlanRolloutFencepost(t *testing.T) {
	// 10% of 3 rounds to 0 both ways: the controller takes one pod down.
	ro := PlanRollout(3, 3, *strategies.Percent(10), *strategies.Percent(10), RolloutTiming{NewReady: 1, OldReady: 1})
	if ro.MaxSurge != 1 || ro.MaxUnavailable != 0 {
		// maxSurge 10% of 3 rounds up to 1, so no fencepost is needed here.
		t.Errorf("surge %d unavailable %d, want 1/0", ro.MaxSurge, ro.MaxUnavailable)
	}
	ro = PlanRollout(3, 3, *strategies.Int(0), *strategies.Percent(10), RolloutTiming{NewReady: 1, OldReady: 1})
	if ro.MaxSurge != 0 || ro.MaxUnavailable != 1 {
		t.Errorf("surge %d unavailable %d, want the fencepost 0/1", ro.MaxSurge, ro.MaxUnavailable)
	}
}

// TestPlanScaleThenRoll: when spec.replicas changes with the pod template,
// the controller's scaling event resizes the old ReplicaSet first
// (sync.go, scale()), and only then rolls; old pods not ready yet are the
// first to go (cleanupUnhealthyReplicas).
func TestPlanScaleThenRoll(t *testing.T) {
	type step struct {
		time     int64
		action   string
		old, new int64
		avail    int64
	}
	tests := []struct {
		name             string
		from, replicas   int64
		surge, unavail   *strategies.IntOrPercent
		want             []step
		wantMin, wantMax int64
	}{
		{
			name: "1 to 4, surge-first", from: 1, replicas: 4, surge: strategies.Int(1), unavail: strategies.Int(0), wantMin: 4, wantMax: 5,
			want: []step{
				{0, "start", 1, 0, 1}, {0, "scale old 1→4", 4, 0, 1}, {0, "scale new 0→1", 4, 1, 1},
				{5, "pods ready", 4, 1, 4}, {10, "pods ready", 4, 1, 5},
				{10, "scale old 4→3", 3, 1, 4}, {10, "scale new 1→2", 3, 2, 4}, {20, "pods ready", 3, 2, 5},
				{20, "scale old 3→2", 2, 2, 4}, {20, "scale new 2→3", 2, 3, 4}, {30, "pods ready", 2, 3, 5},
				{30, "scale old 2→1", 1, 3, 4}, {30, "scale new 3→4", 1, 4, 4}, {40, "pods ready", 1, 4, 5},
				{40, "scale old 1→0", 0, 4, 4},
			},
		},
		{
			name: "1 to 4, 25%/25%: an old pod not ready yet goes first", from: 1, replicas: 4, surge: strategies.Percent(25), unavail: strategies.Percent(25), wantMin: 3, wantMax: 5,
			want: []step{
				{0, "start", 1, 0, 1}, {0, "scale old 1→4", 4, 0, 1}, {0, "scale new 0→1", 4, 1, 1},
				{0, "scale old 4→3", 3, 1, 1}, {0, "scale new 1→2", 3, 2, 1},
				{5, "pods ready", 3, 2, 3}, {10, "pods ready", 3, 2, 5},
				{10, "scale old 3→1", 1, 2, 3}, {10, "scale new 2→4", 1, 4, 3}, {20, "pods ready", 1, 4, 5},
				{20, "scale old 1→0", 0, 4, 4},
			},
		},
		{
			name: "4 to 1 scales down first", from: 4, replicas: 1, surge: strategies.Int(1), unavail: strategies.Int(0), wantMin: 1, wantMax: 2,
			want: []step{
				{0, "start", 4, 0, 4}, {0, "scale old 4→1", 1, 0, 1}, {0, "scale new 0→1", 1, 1, 1},
				{10, "pods ready", 1, 1, 2}, {10, "scale old 1→0", 0, 1, 1},
			},
		},
		{
			name: "from 0 is no scaling event", from: 0, replicas: 2, surge: strategies.Int(1), unavail: strategies.Int(0), wantMin: 2, wantMax: 3,
			want: []step{{0, "start", 0, 0, 0}, {0, "scale new 0→2", 0, 2, 0}, {10, "pods ready", 0, 2, 2}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ro := PlanRollout(tc.from, tc.replicas, *tc.surge, *tc.unavail, RolloutTiming{NewReady: 10, OldReady: 5})
			var got []step
			for _, s := range ro.Steps {
				got = append(got, step{s.Time, s.Action, s.Old, s.New, s.Available})
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(step{})); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if ro.MinAvailable != tc.wantMin || ro.MaxTotal != tc.wantMax || ro.ScalesFirst != (tc.from > 0 && tc.from != tc.replicas) {
				t.Errorf("min %d max %d scalesFirst %v; want %d %d", ro.MinAvailable, ro.MaxTotal, ro.ScalesFirst, tc.wantMin, tc.wantMax)
			}
		})
	}
}

// TestPlanScaleThenRollLimits: whatever the change of replicas, once the
// scaling event is done no step runs more than replicas+maxSurge pods,
// once the old pods are ready no step has fewer than
// replicas-maxUnavailable available, and the rollout ends with every pod
// new and available.
func TestPlanScaleThenRollLimits(t *testing.T) {
	values := []*strategies.IntOrPercent{strategies.Int(0), strategies.Int(1), strategies.Int(2), strategies.Percent(25), strategies.Percent(50)}
	for from := int64(1); from <= 8; from++ {
		for replicas := int64(1); replicas <= 8; replicas++ {
			for _, s := range values {
				for _, u := range values {
					name := fmt.Sprintf("%d→%d, %s/%s", from, replicas, s.String(), u.String())
					ro := PlanRollout(from, replicas, *s, *u, RolloutTiming{NewReady: 3, OldReady: 2})
					reached := false
					for i, st := range ro.Steps {
						if i > 0 && st.Total > ro.MaxTotal {
							t.Errorf("%s: %d pods at step %d %q, over %d", name, st.Total, i, st.Action, ro.MaxTotal)
						}
						reached = reached || st.Available >= ro.MinAvailable
						if reached && st.Available < ro.MinAvailable {
							t.Errorf("%s: %d available at step %d %q, under %d", name, st.Available, i, st.Action, ro.MinAvailable)
						}
					}
					last := ro.Steps[len(ro.Steps)-1]
					if last.Old != 0 || last.New != replicas || last.Available != replicas {
						t.Errorf("%s: ends at %+v", name, last)
					}
				}
			}
		}
	}
}

func TestPlanRecreateScalesFirst(t *testing.T) {
	ro := PlanRecreate(1, 4, RolloutTiming{NewReady: 7, OldReady: 3})
	var got []string
	for _, s := range ro.Steps {
		got = append(got, fmt.Sprintf("%ds %s %d/%d", s.Time, s.Action, s.Old, s.New))
	}
	want := []string{"0s start 1/0", "0s scale old 1→4 4/0", "0s scale old 4→0 0/0", "0s scale new 0→4 0/4", "7s pods ready 0/4"}
	if diff := cmp.Diff(want, got); diff != "" || !ro.ScalesFirst {
		t.Errorf("scalesFirst %v (-want +got):\n%s", ro.ScalesFirst, diff)
	}
}
