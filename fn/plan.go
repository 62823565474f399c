package fn

import (
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// ReleasePlan is what `rollspec plan` shows for one Release.
type ReleasePlan struct {
	Release  string
	Strategy string
	// Rollouts are the rolling updates the controller will perform, one
	// per rendered Deployment whose pods change.
	Rollouts []DeploymentRollout
	// Notes describe blue/green phases and canary splits.
	Notes []string
}

// DeploymentRollout is the planned rollout of one Deployment.
type DeploymentRollout struct {
	Deployment   string
	ReadySeconds int64
	strategies.Rollout
}

// Plan renders the inputs like Render and returns, for each Release, the
// rollout the deployment controller will perform.
func Plan(args []string, overrides map[string]string, stdin io.Reader, errOut io.Writer) ([]ReleasePlan, error) {
	items, err := readArgs(args, stdin)
	if err != nil {
		return nil, err
	}
	if err := applyOverrides(items, overrides); err != nil {
		return nil, err
	}
	var releases []*Release
	for _, it := range items {
		if it.GetKind() == Kind && strings.HasPrefix(it.GetApiVersion(), "rollspec.dev/") {
			if r, _ := ParseRelease(it); r != nil {
				releases = append(releases, r)
			}
		}
	}
	inputs := append([]*yaml.RNode(nil), items...)
	rl := &framework.ResourceList{Items: items}
	err = Processor{}.Process(rl)
	logResults(errOut, rl.Results)
	if err != nil {
		return nil, err
	}
	var plans []ReleasePlan
	for _, r := range releases {
		plans = append(plans, planRelease(r, inputs, rl.Items))
	}
	return plans, nil
}

// planRelease finds the Release's rendered Deployments and plans the ones
// whose pod template changes; a Deployment that only scales, or that is
// new, gets a note instead.
func planRelease(r *Release, in, out []*yaml.RNode) ReleasePlan {
	p := ReleasePlan{Release: r.ID(), Strategy: r.StrategyName()}
	var deps, services []*yaml.RNode
	for _, n := range out {
		owned := n.GetLabels(strategies.LabelRelease)[strategies.LabelRelease] == r.Metadata.Name
		if r.Metadata.Namespace != "" && !sameNamespace(n.GetNamespace(), r.Metadata.Namespace) {
			continue
		}
		switch n.GetKind() {
		case "Deployment":
			if owned || answersTo(n, "", r.DeploymentName()) {
				deps = append(deps, n)
			}
		case "Service":
			services = append(services, n)
		}
	}
	for _, d := range deps {
		ready := readySeconds(d)
		replicas := strategies.Replicas(d)
		before := findDeployment(in, d)
		if before == nil {
			p.Notes = append(p.Notes, fmt.Sprintf("%s is new: %s start at once", d.GetName(), pods(replicas)))
			continue
		}
		if sameTemplate(before, d) {
			if was := strategies.Replicas(before); was != replicas {
				p.Notes = append(p.Notes, fmt.Sprintf("%s scales %d→%d; its pod template is unchanged, so no pod restarts", d.GetName(), was, replicas))
			} else {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: pod template unchanged, no rollout", d.GetName()))
			}
			continue
		}
		var ro strategies.Rollout
		if surge, unavailable, rolling := strategies.EffectiveRolling(d); rolling {
			ro = strategies.PlanRollout(strategies.Replicas(before), replicas, surge, unavailable, ready)
		} else {
			ro = strategies.PlanRecreate(strategies.Replicas(before), replicas, ready)
		}
		p.Rollouts = append(p.Rollouts, DeploymentRollout{Deployment: d.GetName(), ReadySeconds: ready, Rollout: ro})
	}
	switch p.Strategy {
	case strategies.StrategyBlueGreen:
		for _, d := range deps {
			color := strategies.Role(d)
			var selected []string
			for _, s := range services {
				if sel := strategies.ServiceSelector(s); sel[strategies.LabelColor] == color && sel.SelectsAll(strategies.PodLabels(d)) {
					selected = append(selected, s.GetName())
				}
			}
			who := "no Service"
			if len(selected) > 0 {
				who = strings.Join(selected, ", ")
			}
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %d pods of %s, selected by %s", d.GetName(), strategies.Replicas(d), podImage(d), who))
		}
	case strategies.StrategyCanary:
		var total int64
		for _, d := range deps {
			total += strategies.Replicas(d)
		}
		for _, d := range deps {
			n := strategies.Replicas(d)
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %d of %d pods (%.1f%% of the traffic), %s", d.GetName(), n, total, float64(n)*100/float64(max(total, 1)), podImage(d)))
		}
	}
	return p
}

// readySeconds estimates how long a new pod takes to count as available:
// the readiness probe's initial delay plus minReadySeconds, and at least a
// second, so that a plan's steps have an order in time.
func readySeconds(d *yaml.RNode) int64 {
	var s int64
	if v, err := d.Pipe(yaml.Lookup("spec", "minReadySeconds")); err == nil && v != nil {
		fmt.Sscan(v.YNode().Value, &s)
	}
	// The first container's readiness delay: the one rollspec targets by default.
	if delay, err := d.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "0", "readinessProbe", "initialDelaySeconds")); err == nil && delay != nil {
		var n int64
		fmt.Sscan(delay.YNode().Value, &n)
		s += n
	}
	return max(s, 1)
}

func podImage(d *yaml.RNode) string {
	containers, _ := d.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
	if containers != nil && len(containers.YNode().Content) > 0 {
		if img, _ := yaml.NewRNode(containers.YNode().Content[0]).Pipe(yaml.Get("image")); img != nil {
			return img.YNode().Value
		}
	}
	return "(no image)"
}

// findDeployment returns the input Deployment that d was rendered from.
func findDeployment(in []*yaml.RNode, d *yaml.RNode) *yaml.RNode {
	for _, n := range in {
		if n.GetKind() == "Deployment" && n.GetName() == d.GetName() && sameNamespace(n.GetNamespace(), d.GetNamespace()) {
			return n
		}
	}
	return nil
}

// sameTemplate reports whether two Deployments have the same pod template,
// compared as data (order and comments aside).
func sameTemplate(a, b *yaml.RNode) bool {
	ta, _ := a.Pipe(yaml.Lookup("spec", "template"))
	tb, _ := b.Pipe(yaml.Lookup("spec", "template"))
	if ta == nil || tb == nil {
		return ta == tb
	}
	ja, _ := ta.MarshalJSON()
	jb, _ := tb.MarshalJSON()
	return string(ja) == string(jb)
}

func pods(n int64) string {
	if n == 1 {
		return "1 pod"
	}
	return fmt.Sprintf("%d pods", n)
}
