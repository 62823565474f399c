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
	Deployment string
	// ReadySeconds is how long a new pod takes to count as available;
	// StartupLimit, when the pods have a startup probe, how long that
	// probe lets a pod take to start before the kubelet restarts it.
	ReadySeconds, StartupLimit int64
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
	replicasOf := func(d *yaml.RNode) int64 {
		n, note := planReplicas(d, out)
		if note != "" {
			p.Notes = append(p.Notes, note)
		}
		return n
	}
	for _, d := range deps {
		ready := readySeconds(d)
		replicas := replicasOf(d)
		before := findDeployment(in, d)
		if before == nil {
			p.Notes = append(p.Notes, fmt.Sprintf("%s is new: %s start at once", d.GetName(), pods(replicas)))
			continue
		}
		was, _ := planReplicas(before, in)
		if sameTemplate(before, d) {
			if was != replicas {
				p.Notes = append(p.Notes, fmt.Sprintf("%s scales %d→%d; its pod template is unchanged, so no pod restarts", d.GetName(), was, replicas))
			} else {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: pod template unchanged, no rollout", d.GetName()))
			}
			continue
		}
		var ro strategies.Rollout
		timing := strategies.RolloutTiming{NewReady: ready, OldReady: readySeconds(before)}
		if surge, unavailable, rolling := strategies.EffectiveRolling(d); rolling {
			ro = strategies.PlanRollout(was, replicas, surge, unavailable, timing)
		} else {
			ro = strategies.PlanRecreate(was, replicas, timing)
		}
		p.Rollouts = append(p.Rollouts, DeploymentRollout{Deployment: d.GetName(), ReadySeconds: ready, StartupLimit: startupLimit(d), Rollout: ro})
	}
	switch p.Strategy {
	case strategies.StrategyBlueGreen:
		for _, d := range deps {
			n, _ := planReplicas(d, out)
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
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %d pods of %s, selected by %s", d.GetName(), n, podImage(d), who))
		}
	case strategies.StrategyCanary:
		var total int64
		for _, d := range deps {
			n, _ := planReplicas(d, out)
			total += n
		}
		for _, d := range deps {
			n, _ := planReplicas(d, out)
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %d of %d pods (%.1f%% of the traffic), %s", d.GetName(), n, total, float64(n)*100/float64(max(total, 1)), podImage(d)))
		}
	}
	return p
}

// readySeconds estimates how long a new pod takes to count as available:
// the slowest container's time to its first successful readiness check
// plus minReadySeconds, and at least a second, so that a plan's steps
// have an order in time. The kubelet runs no readiness probe before the
// startup probe has succeeded, which is at the earliest its
// initialDelaySeconds, so a container is ready after the later of the two
// probes' initial delays.
func readySeconds(d *yaml.RNode) int64 {
	s := intAt(d, "spec", "minReadySeconds")
	var slowest int64
	for _, c := range containers(d) {
		slowest = max(slowest, intAt(c, "startupProbe", "initialDelaySeconds"), intAt(c, "readinessProbe", "initialDelaySeconds"))
	}
	return max(s+slowest, 1)
}

// startupLimit is the longest a startup probe lets a container take to
// start: initialDelaySeconds + failureThreshold × periodSeconds (API
// defaults 3 and 10), the slowest container's; 0 without startup probes.
func startupLimit(d *yaml.RNode) int64 {
	var limit int64
	for _, c := range containers(d) {
		probe, _ := c.Pipe(yaml.Lookup("startupProbe"))
		if probe == nil {
			continue
		}
		failures, period := intAt(probe, "failureThreshold"), intAt(probe, "periodSeconds")
		if failures == 0 {
			failures = 3
		}
		if period == 0 {
			period = 10
		}
		limit = max(limit, intAt(probe, "initialDelaySeconds")+failures*period)
	}
	if limit == 0 {
		return 0
	}
	return limit + intAt(d, "spec", "minReadySeconds")
}

func containers(d *yaml.RNode) []*yaml.RNode {
	list, _ := d.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
	if list == nil {
		return nil
	}
	var out []*yaml.RNode
	for _, c := range list.YNode().Content {
		out = append(out, yaml.NewRNode(c))
	}
	return out
}

// intAt reads an integer field, 0 when it is absent or not a number.
func intAt(n *yaml.RNode, p ...string) int64 {
	v, err := n.Pipe(yaml.Lookup(p...))
	if err != nil || v == nil {
		return 0
	}
	var i int64
	fmt.Sscan(v.YNode().Value, &i)
	return i
}

// planReplicas is the replica count to plan with: spec.replicas, or for a
// Deployment without it that an autoscaler scales, the autoscaler's
// minReplicas, with a note saying so (the live count may be higher);
// else the API default, 1.
func planReplicas(d *yaml.RNode, items []*yaml.RNode) (int64, string) {
	if v, _ := d.Pipe(yaml.Lookup("spec", "replicas")); v != nil {
		return strategies.Replicas(d), ""
	}
	for _, h := range items {
		if h.GetKind() != "HorizontalPodAutoscaler" || !sameNamespace(h.GetNamespace(), d.GetNamespace()) {
			continue
		}
		ref, _ := h.Pipe(yaml.Lookup("spec", "scaleTargetRef"))
		if ref == nil || ref.Field("kind") == nil || ref.Field("name") == nil ||
			ref.Field("kind").Value.YNode().Value != "Deployment" || ref.Field("name").Value.YNode().Value != d.GetName() {
			continue
		}
		n := intAt(h, "spec", "minReplicas")
		if n == 0 {
			n = 1
		}
		return n, fmt.Sprintf("%s: HorizontalPodAutoscaler %s sets its replicas; planned at its minReplicas, %d (the live count may be higher)", d.GetName(), h.GetName(), n)
	}
	return 1, ""
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
