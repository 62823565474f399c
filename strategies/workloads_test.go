package strategies

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDaemonSetValues: the Release's rolling values merged into a
// DaemonSet's, so that exactly one of the two is above 0, as its API
// server and controller require.
func TestDaemonSetValues(t *testing.T) {
	one, zero, half := Int(1), Int(0), Percent(50)
	for _, tc := range []struct {
		name                   string
		haveSurge, haveUnavail IntOrPercent
		surge, unavail         *IntOrPercent
		wantSurge, wantUnavail IntOrPercent
	}{
		{name: "nothing set keeps the DaemonSet's", haveSurge: *zero, haveUnavail: *half, wantSurge: *zero, wantUnavail: *half},
		{name: "a surge puts maxUnavailable to 0", haveUnavail: *one, surge: one, wantSurge: *one, wantUnavail: *zero},
		{name: "maxUnavailable puts the surge to 0", haveSurge: *one, unavail: half, wantSurge: *zero, wantUnavail: *half},
		{name: "surge 0 keeps the DaemonSet's maxUnavailable", haveSurge: *one, haveUnavail: *half, surge: zero, wantSurge: *zero, wantUnavail: *half},
		{name: "surge 0 on a surging DaemonSet: maxUnavailable 1", haveSurge: *one, haveUnavail: *zero, surge: zero, wantSurge: *zero, wantUnavail: *one},
		{name: "maxUnavailable 0 on a DaemonSet that does not surge: surge 1", haveUnavail: *one, unavail: zero, wantSurge: *one, wantUnavail: *zero},
		{name: "both set are taken as set", surge: zero, unavail: half, wantSurge: *zero, wantUnavail: *half},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, u := daemonSetValues(tc.haveSurge, tc.haveUnavail, tc.surge, tc.unavail)
			if diff := cmp.Diff([2]IntOrPercent{tc.wantSurge, tc.wantUnavail}, [2]IntOrPercent{s, u}); diff != "" {
				t.Errorf("maxSurge, maxUnavailable (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatefulSetUnavailable: the controller's count of pods replaced at
// once: the percent of replicas rounded down, at least 1.
func TestStatefulSetUnavailable(t *testing.T) {
	for _, tc := range []struct {
		v        IntOrPercent
		replicas int64
		want     int64
	}{
		{*Int(2), 6, 2},
		{*Percent(50), 5, 2},
		{*Percent(10), 3, 1},
		{*Percent(100), 4, 4},
	} {
		if got := StatefulSetUnavailable(tc.v, tc.replicas); got != tc.want {
			t.Errorf("maxUnavailable %s of %d: %d pods, want %d", tc.v, tc.replicas, got, tc.want)
		}
	}
}
