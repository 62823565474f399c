package strategies

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Target is what a strategy acts on. A strategy edits its nodes freely:
// package fn hands it copies, or the input items themselves when it can
// read them again should the release fail, and decides whether the edits
// land. Claims and Autoscalers are only read.
type Target struct {
	// Release is the Release's name, written into rollspec.dev/release.
	Release string
	// Spec is the validated release spec.
	Spec *Spec
	// Base is the target Deployment. After an earlier blue/green or canary
	// render it is rebuilt from the generated Deployments (see Rebase).
	Base *yaml.RNode
	// Owned are Deployments an earlier render generated for this release
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
	// Claims are the PersistentVolumeClaims in the Deployment's namespace.
	Claims []*yaml.RNode
	// Autoscalers are the HorizontalPodAutoscalers and Budgets the
	// PodDisruptionBudgets in the Deployment's namespace, in input order.
	// The strategy finds those of the release among them (see
	// autoscale.go) and edits only those.
	Autoscalers []*yaml.RNode
	Budgets     []*yaml.RNode
}

// Result is what a strategy gives back.
type Result struct {
	// Deployments replace the target and the owned Deployments, in order.
	Deployments []*yaml.RNode
	// Services[i] replaces Target.Services[i] (the Service, then what was
	// generated from it); owned Services not repeated here are dropped.
	Services [][]*yaml.RNode
	// Autoscalers[i] replaces Target.Autoscalers[i] (an empty list drops
	// it), and Budgets[i] Target.Budgets[i]; an index that is not a key
	// stays as it is.
	Autoscalers map[int][]*yaml.RNode
	Budgets     map[int][]*yaml.RNode
	// Findings are the errors, warnings and notes about the release.
	Findings []Finding
}

// Apply runs the strategy the spec names. It is the one place that maps a
// strategy name to its implementation.
func Apply(t Target) Result {
	var checks []Finding
	if t.Base != nil {
		checks = findScaling(t).scalingChecks(t)
	}
	var res Result
	switch t.Spec.Strategy {
	case StrategyBlueGreen:
		res = BlueGreenRelease(t)
	case StrategyCanary:
		res = CanaryRelease(t)
	default:
		res = RollingRelease(t)
	}
	res.Findings = append(res.Findings, checks...)
	return res
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
