package strategies

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Target is what a strategy acts on. A strategy edits its nodes freely:
// package fn hands it copies, or the input items themselves when it can
// read them again should the release fail, and decides whether the edits
// land.
type Target struct {
	// Options are the Release's settings, its strategy included.
	Options *Options
	// Workload says where the target's kind keeps what a release edits.
	Workload *Workload
	// Base is the target workload. After an earlier blue/green or canary
	// render it is rebuilt from the generated workloads (see Rebase).
	Base *yaml.RNode
	// FormerNames are names the target had before kustomize's built-in
	// transformers renamed it (namePrefix): objects that refer to it, an
	// autoscaler's scaleTargetRef, still use them when the function runs,
	// as kustomize updates references afterwards. After an earlier render
	// renamed with the target, they are the names of the generated
	// workloads without their suffix.
	FormerNames []string
	// Owned are workloads an earlier render generated for this release
	// (colors, canary), in input order.
	Owned []*yaml.RNode
	// Services are the steered Services, in input order, and
	// OwnedServices the preview or canary Services an earlier render made.
	Services      []*yaml.RNode
	OwnedServices []*yaml.RNode
	// ServicesListed is true when spec.services named the Services.
	ServicesListed bool
	// Unsteered are the other Services in the namespace (read only), for
	// the check that none of them selects pods of both colors.
	Unsteered []*yaml.RNode
	// Related are the objects of the RelatedKinds in the target's
	// namespace, by kind, in input order. A strategy reads them all and
	// replaces those that follow the release (see Result.Related).
	Related map[string][]*yaml.RNode
}

// RelatedKinds are the kinds a release reads besides workloads and
// Services: volume claims (for the ReadWriteOnce checks), the
// autoscalers and disruption budgets that follow the target, and the
// HTTPRoutes that split requests (spec.traffic).
var RelatedKinds = []string{kindPVC, kindHPA, kindPDB, kindHTTPRoute}

// Result is what a strategy gives back.
type Result struct {
	// Workloads replace the target and the owned workloads, in order.
	Workloads []*yaml.RNode
	// Services[i] replaces Target.Services[i] (the Service, then what was
	// generated from it); owned Services not repeated here are dropped.
	// Nil leaves the Services as they are.
	Services [][]*yaml.RNode
	// Related[kind][i] replaces Target.Related[kind][i] (an empty list
	// drops it); an index that is not a key stays as it is.
	Related map[string]map[int][]*yaml.RNode
	// Joined[kind][i] are the other indexes of Target.Related[kind] that
	// Related[kind][i] replaces together with i: the per-color copies an
	// earlier render made of one object. Their own entries in Related are
	// empty. The nodes take the place of one of them, and package fn picks
	// the place the user wrote the object in (a kpt file is kept).
	Joined map[string]map[int][]int
	// Findings are the errors, warnings and notes about the release.
	Findings []Finding
}

// plainServices returns the steered Services with the color label taken
// out of their selectors, for strategies that do not steer by color (a
// Service left selecting one color would select no pod of a plain
// Deployment). It returns nil when no Service had a color.
func plainServices(t Target) [][]*yaml.RNode {
	changed := false
	out := make([][]*yaml.RNode, len(t.Services))
	for i, s := range t.Services {
		changed = removeField(path(s.YNode(), "spec", "selector"), LabelColor) || changed
		out[i] = []*yaml.RNode{s}
	}
	if !changed {
		return nil
	}
	return out
}

// ensureServices makes Services list each steered Service as it is when
// plainServices left it nil, so that a strategy can add the Services it
// derives after each.
func (res *Result) ensureServices(t Target) {
	if res.Services != nil {
		return
	}
	res.Services = make([][]*yaml.RNode, len(t.Services))
	for i, s := range t.Services {
		res.Services[i] = []*yaml.RNode{s}
	}
}
