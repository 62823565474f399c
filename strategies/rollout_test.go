package strategies

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanRolloutSequence: the ReplicaSet sizes the controller goes
// through, as observed on a real control plane for 1/0 on 4 replicas.
func TestPlanRolloutSequence(t *testing.T) {
	ro := PlanRollout(4, 4, *Int(1), *Int(0), 1)
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
	values := []*IntOrPercent{Int(0), Int(1), Int(2), Percent(10), Percent(25), Percent(50), Percent(100)}
	for replicas := int64(1); replicas <= 12; replicas++ {
		for _, s := range values {
			for _, u := range values {
				name := fmt.Sprintf("%d replicas, %s/%s", replicas, s.Raw, u.Raw)
				ro := PlanRollout(replicas, replicas, *s, *u, 3)
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
	ro := PlanRollout(3, 3, *Percent(10), *Percent(10), 1)
	if ro.MaxSurge != 1 || ro.MaxUnavailable != 0 {
		// maxSurge 10% of 3 rounds up to 1, so no fencepost is needed here.
		t.Errorf("surge %d unavailable %d, want 1/0", ro.MaxSurge, ro.MaxUnavailable)
	}
	ro = PlanRollout(3, 3, *Int(0), *Percent(10), 1)
	if ro.MaxSurge != 0 || ro.MaxUnavailable != 1 {
		t.Errorf("surge %d unavailable %d, want the fencepost 0/1", ro.MaxSurge, ro.MaxUnavailable)
	}
}
