package plan_test

import (
	"fmt"

	"rollspec.dev/rollspec/fn/plan"
	"rollspec.dev/rollspec/strategies"
)

// The deployment controller's rolling update of 4 pods with maxSurge 1
// and maxUnavailable 0, new pods available 10 seconds after they start.
func ExamplePlanRollout() {
	ro := plan.PlanRollout(4, 4, *strategies.Int(1), *strategies.Int(0), plan.RolloutTiming{NewReady: 10, OldReady: 10})
	for _, s := range ro.Steps[:5] {
		fmt.Printf("%3ds %-16s old %d new %d available %d\n", s.Time, s.Action, s.Old, s.New, s.Available)
	}
	// Output:
	//   0s start            old 4 new 0 available 4
	//   0s scale new 0→1    old 4 new 1 available 4
	//  10s pods ready       old 4 new 1 available 5
	//  10s scale old 4→3    old 3 new 1 available 4
	//  10s scale new 1→2    old 3 new 2 available 4
}
