package strategies

import (
	"fmt"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Strategy is one way to carry out a release. Each lives in a file of its
// own (rolling.go, recreate.go, bluegreen.go, canary.go) and is listed
// once in registry. Its value holds the strategy's own options: the
// Release's block named in its Registration, decoded into the value that
// Registration.New returns (so a strategy's block is plain fields with
// json names, and adding a strategy touches no other package).
type Strategy interface {
	// Validate checks the strategy's options and how they fit the
	// Release's other options, without the input resources. Paths name
	// the Release's fields.
	Validate(o *Options) []Finding
	// Expand renders the release of a target: the workload and the
	// objects it replaces or generates.
	Expand(t Target) Result
}

// Reverter is implemented by a strategy whose generated objects stand in
// for the plain target: Revert rebuilds the target from them (t.Base, or
// nil when the target itself is not in the input), so that re-rendering
// the function's own output with any strategy gives what rendering the
// original input would. It returns t.Base when none of its objects are
// there.
type Reverter interface {
	Revert(t Target) *yaml.RNode
}

// Describer is implemented by a strategy that has more to say about its
// rendered workloads than their rollouts: which Service selects which
// color, a canary's split. `rollspec plan` prints it. replicas gives a
// workload's replica count as the plan counts it.
type Describer interface {
	Describe(workloads, output []*yaml.RNode, replicas func(*yaml.RNode) int64) []string
}

// Registration says what the Release API and the processor need to know
// of a strategy.
type Registration struct {
	// Name is the value of spec.strategy that chooses it.
	Name string
	// Block is the spec field that holds its options ("" when it has
	// none); BlockHint says what to do with the block when the Release
	// chooses another strategy.
	Block, BlockHint string
	// Required, when the block must be there, says what it must hold.
	Required string
	// Doc describes the block, for the JSON Schema.
	Doc string
	// New returns the strategy with its options at their zero values,
	// for the block to be decoded into.
	New func() Strategy
	// Roles are the objects the strategy generates besides the target.
	Roles []Role
}

// Role is a kind of object a strategy generates. The processor owns an
// object for a Release only when it carries the release's name and the
// role's name in rollspec.dev/release and rollspec.dev/role, sits in the
// target's namespace, and is named after its parent with the role's
// suffix.
type Role struct {
	// Name is the value of rollspec.dev/role.
	Name string
	// Parent says what the object is named after.
	Parent Parent
	// Kinds are the kinds of objects of the role.
	Kinds []string
	// Suffix makes the object's name from its parent's.
	Suffix string
	// Path is the Release field that asks for the object, for messages.
	Path string
}

// Parent is what a generated object is named after.
type Parent int

// The parents of generated objects.
const (
	// OfTarget objects are named after the target workload (web-canary).
	OfTarget Parent = iota
	// OfService objects are named after a steered Service (web-preview).
	OfService
	// OfFollower objects are named after an object that follows the
	// target, an autoscaler or a disruption budget (web-hpa-green).
	OfFollower
)

// registry lists the strategies, in the order the docs give them.
var registry = []Registration{rollingRegistration, recreateRegistration, blueGreenRegistration, canaryRegistration}

// DefaultStrategy is the strategy of a Release that names none.
const DefaultStrategy = "rolling"

// Register adds a strategy to the registry; it is how a strategy outside
// this package (or a test's) plugs in. A name that is taken is an error.
func Register(r Registration) error {
	if _, ok := Lookup(r.Name); ok {
		return fmt.Errorf("strategy %q is registered already", r.Name)
	}
	registry = append(registry, r)
	return nil
}

// Lookup returns the registration of a strategy by name.
func Lookup(name string) (Registration, bool) {
	for _, r := range registry {
		if r.Name == name {
			return r, true
		}
	}
	return Registration{}, false
}

// Registrations lists the registered strategies.
func Registrations() []Registration { return slices.Clone(registry) }

// Names lists the strategies' names, for messages.
func Names() []string {
	out := make([]string, len(registry))
	for i, r := range registry {
		out[i] = r.Name
	}
	return out
}

// Roles lists the roles of every strategy and of generation: the
// objects rollspec may own.
func Roles() []Role {
	out := []Role{generatedRole}
	for _, r := range registry {
		out = append(out, r.Roles...)
	}
	return out
}

// RolePath is the Release field that asks for objects of a role.
func RolePath(role string) string {
	for _, r := range Roles() {
		if r.Name == role {
			return r.Path
		}
	}
	return "spec"
}

// Apply runs the Release's strategy on a target, with the checks every
// strategy shares. Routes an earlier render split are given back as
// written first, so every strategy starts from the user's routes.
func Apply(t Target) Result {
	var checks []Finding
	if t.Base != nil {
		checks = findScaling(t).scalingChecks(t)
	}
	routes := prepareRoutes(t)
	checks = append(checks, routes.findings...)
	if HasError(checks) {
		// The strategy would compute with what the checks refused.
		return Result{Findings: checks}
	}
	res := t.Options.Strategy.Expand(t)
	res.Findings = append(res.Findings, checks...)
	routes.finish(t, &res)
	return res
}

// Rebase returns the plain target a strategy starts from; package fn
// calls it once and puts the result in Target.Base. Every strategy that
// generated objects for the release before gets to rebuild the target
// from them (see Reverter), so a re-render with any strategy starts from
// what the user wrote.
func Rebase(t Target) *yaml.RNode {
	for _, r := range registry {
		if rv, ok := r.New().(Reverter); ok {
			t.Base = rv.Revert(t)
		}
	}
	return t.Base
}
