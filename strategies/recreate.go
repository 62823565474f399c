package strategies

// Recreate is strategy recreate: like rolling, but every old pod stops
// before the new ones start (downtime during every release), for
// workloads whose pods cannot run side by side (a ReadWriteOnce volume).
type Recreate struct{}

// recreateRegistration registers the strategy.
var recreateRegistration = Registration{
	Name: "recreate",
	New:  func() Strategy { return &Recreate{} },
}

// Validate has nothing to check: the shared options are the Release API's.
func (*Recreate) Validate(*Options) []Finding { return nil }

// Expand renders the release in place, with the Recreate update strategy.
func (*Recreate) Expand(t Target) Result { return inPlace(t, true) }
