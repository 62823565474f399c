package strategies

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Autoscaled targets.
//
// When a HorizontalPodAutoscaler scales the release's Deployment, the
// autoscaler keeps control of the replica count:
//   - rolling and recreate leave it alone;
//   - a canary never lowers the stable track (a Deployment at 0 replicas
//     turns its autoscaler off for good), and counts the canary's pods
//     from the autoscaler's minReplicas, or takes canary.replicas;
//   - blue/green gives each color an autoscaler of its own, named
//     <hpa>-<color>: the active color's scales as the user's did, the idle
//     color's is pinned (minReplicas = maxReplicas) to the standby count,
//     and is left out when the idle color is scaled to 0. So every
//     autoscaler targets a Deployment that exists, the flip changes only
//     the autoscalers' bounds, and no Deployment's replicas field comes or
//     goes at the flip (a field removed from a manifest resets the live
//     count to 1 on apply).
//
// PodDisruptionBudgets follow the colors the same way: one that selects
// the release's pods, and only those, becomes <pdb>-blue and <pdb>-green,
// each selecting its color, so the budget holds for each color instead of
// for both counted together. A re-render rebuilds the user's objects from
// the active color's, as Rebase does for the Deployment.

// Kinds that follow the release.
const (
	kindHPA = "HorizontalPodAutoscaler"
	kindPDB = "PodDisruptionBudget"
	// defaultMinReplicas is the API default of an autoscaler's minReplicas.
	defaultMinReplicas = 1
)

// Messages about autoscalers and disruption budgets.
const (
	msgReplicasWithHPA = "HorizontalPodAutoscaler %q scales %s %q between %d and %d: spec.replicas %d is overridden by it, and every apply resets the live count to %d until it scales again; allowed: leave spec.replicas out and set the autoscaler's minReplicas and maxReplicas"
	msgTwoHPAs         = "HorizontalPodAutoscalers %s all scale %s %q: they fight over its replicas, and rollspec follows only %q; allowed: one autoscaler per %s"
	msgCanaryHPASplit  = "the canary runs %s beside the stable track, which HorizontalPodAutoscaler %q keeps between %d and %d pods: %s of the traffic that the Services spread by pod at its minimum, less as it scales up%s; the autoscaler's metrics count the canary pods too (its Deployment's selector matches them)"
	msgBroadPDB        = "PodDisruptionBudget %q selects pods of both colors and, as its selector leaves out labels the Deployment selects on, maybe other workloads' pods: it is left as it is and counts both colors together; allowed: a budget whose selector includes the Deployment's selector labels, which rollspec splits by color"
	msgPDBStandby      = "PodDisruptionBudget %q keeps %d pods available, but the idle color runs %d: none of its pods can be evicted, so node drains wait on them; allowed: spec.blueGreen.inactiveReplicas of at least %d, or 0"
	msgTakenName       = "the Release generates %s %q (role %s), but the input already has one of that name that is not rollspec's: it lacks the labels %s: %s and %s: %s; allowed: rename or remove that object"
)

// scaleGroup is one autoscaler or disruption budget of the release: the
// object as the user wrote it (plain), and where it came from in the input
// (indexes into Target.Related[kindHPA] or Target.Related[kindPDB]): the object itself,
// or the per-color copies an earlier blue/green render made of it.
type scaleGroup struct {
	plain *yaml.RNode
	items []int
	// split is true when the input holds per-color copies of it.
	split bool
}

// scaling is what follows the release besides its Deployments and
// Services.
type scaling struct {
	hpas, pdbs []scaleGroup
	// broad are budgets that select the release's pods and maybe others.
	broad []*yaml.RNode
}

// autoscaled reports whether an autoscaler scales the release.
func (sc scaling) autoscaled() bool { return len(sc.hpas) > 0 }

// minReplicas is the autoscaler's floor.
func (sc scaling) minReplicas() int64 {
	if n, ok := intField(sc.hpas[0].plain.YNode(), "spec", "minReplicas"); ok {
		return n
	}
	return defaultMinReplicas
}

func (sc scaling) maxReplicas() int64 {
	n, _ := intField(sc.hpas[0].plain.YNode(), "spec", "maxReplicas")
	return n
}

// findScaling finds the autoscalers that target t.Base and the budgets
// that select its pods, directly or through the per-color copies of an
// earlier render. t.Base is the plain Deployment (see Rebase).
func findScaling(t Target) scaling {
	var sc scaling
	if t.Base == nil {
		return sc
	}
	base := Name(t.Base)
	active := activeColor(t.Services)
	sc.hpas = groups(t, t.Related[kindHPA], active, func(n *yaml.RNode) (string, string, bool) {
		ref := path(n.YNode(), "spec", "scaleTargetRef")
		if scalar(field(ref, "kind")) != Kind(t.Base) {
			return "", "", false
		}
		target := scalar(field(ref, "name"))
		if c := ownColor(n, t.Options.Release); c != "" {
			// Renamed by kustomize too: the copy's target may still be
			// the color's Deployment under the target's former name.
			former, cut := strings.CutSuffix(target, "-"+c)
			return strings.TrimSuffix(Name(n), "-"+c), c, target == base+"-"+c || (cut && slices.Contains(t.FormerNames, former))
		}
		// kustomize updates references only after its transformers have
		// run: the autoscaler may still name the target as it was called.
		return Name(n), "", target == base || slices.Contains(t.FormerNames, target)
	})
	pods := PodLabels(t.Base)
	depKeys := selectorKeys(path(t.Base.YNode(), "spec", "selector"))
	sc.pdbs = groups(t, t.Related[kindPDB], active, func(n *yaml.RNode) (string, string, bool) {
		sel := path(n.YNode(), "spec", "selector")
		if c := ownColor(n, t.Options.Release); c != "" {
			// A copy is the release's when it selects that color's pods as
			// the user's budget selected the target's; copied labels on a
			// budget of other pods do not make it one.
			colored := PodLabels(t.Base)
			colored[LabelColor] = c
			mine := readLabels(field(sel, "matchLabels"))[LabelColor] == c && LabelSelectorMatches(sel, colored) && containsAll(selectorKeys(sel), depKeys)
			return strings.TrimSuffix(Name(n), "-"+c), c, mine
		}
		if !LabelSelectorMatches(sel, pods) {
			return "", "", false
		}
		if !containsAll(selectorKeys(sel), depKeys) {
			sc.broad = append(sc.broad, n)
			return "", "", false
		}
		return Name(n), "", true
	})
	return sc
}

// groups collects the objects that follow the release. classify says of
// an object its plain name, its color when it is a per-color copy this
// release generated, and whether it belongs to the release at all.
func groups(t Target, items []*yaml.RNode, active string, classify func(*yaml.RNode) (name, color string, ok bool)) []scaleGroup {
	var out []scaleGroup
	at := map[string]int{}
	// The copy a group is rebuilt from: the active color's, else any.
	from := map[string]*yaml.RNode{}
	fromColor := map[string]string{}
	for i, n := range items {
		name, color, ok := classify(n)
		if !ok {
			continue
		}
		g, seen := at[name]
		if !seen {
			g = len(out)
			at[name] = g
			out = append(out, scaleGroup{})
		}
		out[g].items = append(out[g].items, i)
		out[g].split = out[g].split || color != ""
		switch {
		case color == "":
			out[g].plain = n
		case from[name] == nil || color == active:
			from[name], fromColor[name] = n, color
		}
	}
	for name, g := range at {
		if out[g].plain == nil {
			out[g].plain = plainCopy(from[name], fromColor[name], Name(t.Base))
		}
	}
	return out
}

// ownColor is the color of a per-color copy the release generated, or "".
func ownColor(n *yaml.RNode, release string) string {
	labels := readLabels(path(n.YNode(), "metadata", "labels"))
	c := labels[LabelRole]
	if labels[LabelRelease] != release || (c != RoleBlue && c != RoleGreen) || !strings.HasSuffix(Name(n), "-"+c) {
		return ""
	}
	return c
}

// plainCopy rebuilds the user's object from a per-color copy: the name
// without the color, the target the plain Deployment (the copy may still
// name its color under a name kustomize has since changed), no color in
// the selector, no ownership.
func plainCopy(n *yaml.RNode, color, deployment string) *yaml.RNode {
	p := CopyRNode(n)
	setName(p, strings.TrimSuffix(Name(p), "-"+color))
	removeOwnership(path(p.YNode(), "metadata"))
	switch Kind(p) {
	case kindHPA:
		ref := path(p.YNode(), "spec", "scaleTargetRef")
		setField(ref, "name", strNode(deployment))
	case kindPDB:
		sel := path(p.YNode(), "spec", "selector")
		ml := field(sel, "matchLabels")
		removeField(ml, LabelColor)
		if ml != nil && len(ml.Content) == 0 {
			removeField(sel, "matchLabels")
		}
	}
	return p
}

// colorCopy makes the per-color copy of a plain autoscaler or budget.
func colorCopy(plain *yaml.RNode, release, color, deployment string) *yaml.RNode {
	c := CopyRNode(plain)
	setName(c, Name(plain)+"-"+color)
	own(c, release, color)
	switch Kind(c) {
	case kindHPA:
		setField(path(c.YNode(), "spec", "scaleTargetRef"), "name", strNode(deployment+"-"+color))
	case kindPDB:
		setField(mapping(c.YNode(), "spec", "selector", "matchLabels"), LabelColor, strNode(color))
	}
	return c
}

// plainResult is the result for strategies without colors: each group
// becomes its plain object again where an earlier render split it, and is
// untouched otherwise.
func (sc scaling) plainResult() map[string]map[int][]*yaml.RNode {
	place := func(gs []scaleGroup) map[int][]*yaml.RNode {
		out := map[int][]*yaml.RNode{}
		for _, g := range gs {
			if !g.split {
				continue
			}
			out[g.items[0]] = []*yaml.RNode{g.plain}
			for _, i := range g.items[1:] {
				out[i] = []*yaml.RNode{}
			}
		}
		return out
	}
	return map[string]map[int][]*yaml.RNode{kindHPA: place(sc.hpas), kindPDB: place(sc.pdbs)}
}

// joined says, for Result.Joined, which input objects each group's nodes
// replace together: the group's first item stands for the others.
func (sc scaling) joined() map[string]map[int][]int {
	join := func(gs []scaleGroup) map[int][]int {
		out := map[int][]int{}
		for _, g := range gs {
			if len(g.items) > 1 {
				out[g.items[0]] = g.items[1:]
			}
		}
		return out
	}
	return map[string]map[int][]int{kindHPA: join(sc.hpas), kindPDB: join(sc.pdbs)}
}

// colorResult splits every group by color: the nodes of each group go
// where its first item was. hpaColors lists the colors that get an
// autoscaler (the idle one only when it runs pods); edit adjusts a
// color's autoscaler (the idle color's pinning).
func (sc scaling) colorResult(t Target, deployment string, hpaColors []string, edit func(color string, hpa *yaml.RNode)) (related map[string]map[int][]*yaml.RNode, fs []Finding) {
	split := func(gs []scaleGroup, items []*yaml.RNode, colorsOf []string, kind string) map[int][]*yaml.RNode {
		out := map[int][]*yaml.RNode{}
		for _, g := range gs {
			mine := map[int]bool{}
			for _, i := range g.items {
				mine[i] = true
			}
			var nodes []*yaml.RNode
			for _, color := range colorsOf {
				c := colorCopy(g.plain, t.Options.Release, color, deployment)
				for i, other := range items {
					if !mine[i] && Name(other) == Name(c) {
						fs = append(fs, errorf("spec.blueGreen", msgTakenName, kind, Name(c), color, LabelRelease, t.Options.Release, LabelRole, color))
					}
				}
				if edit != nil && kind == kindHPA {
					edit(color, c)
				}
				nodes = append(nodes, c)
			}
			out[g.items[0]] = nodes
			for _, i := range g.items[1:] {
				out[i] = []*yaml.RNode{}
			}
		}
		return out
	}
	related = map[string]map[int][]*yaml.RNode{
		kindHPA: split(sc.hpas, t.Related[kindHPA], hpaColors, kindHPA),
		kindPDB: split(sc.pdbs, t.Related[kindPDB], colors, kindPDB),
	}
	return related, fs
}

// scalingChecks are the findings about autoscalers that hold for every
// strategy: spec.replicas fighting an autoscaler, and two autoscalers on
// one Deployment.
func (sc scaling) scalingChecks(t Target) []Finding {
	if !sc.autoscaled() {
		return nil
	}
	var out []Finding
	name := Name(t.Base)
	hpa := Name(sc.hpas[0].plain)
	for _, g := range sc.hpas {
		if msg := hpaProblem(g.plain); msg != "" {
			out = append(out, errorf("spec.deployment", "HorizontalPodAutoscaler %q scales %s %q, and %s", Name(g.plain), Kind(t.Base), name, msg))
		}
	}
	if len(sc.hpas) > 1 {
		var names []string
		for _, g := range sc.hpas {
			names = append(names, fmt.Sprintf("%q", Name(g.plain)))
		}
		out = append(out, warningf("spec.deployment", msgTwoHPAs, strings.Join(names, ", "), Kind(t.Base), name, hpa, Kind(t.Base)))
	}
	if r := t.Options.Replicas; r != nil {
		out = append(out, warningf("spec.replicas", msgReplicasWithHPA, hpa, Kind(t.Base), name, sc.minReplicas(), sc.maxReplicas(), *r, *r))
	}
	return out
}

// hpaProblem says what in an autoscaler's bounds the strategies cannot
// compute with, "" when nothing: both are integers from 1 to 2147483647
// in decimal digits (minReplicas may be left out), min not above max.
func hpaProblem(hpa *yaml.RNode) string {
	const allowed = "allowed: an integer from 1 to 2147483647 in decimal digits"
	bounds := map[string]int64{}
	for _, key := range []string{"minReplicas", "maxReplicas"} {
		n := path(hpa.YNode(), "spec", key)
		if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull) {
			if key == "maxReplicas" {
				return "it has no maxReplicas; " + allowed
			}
			bounds[key] = defaultMinReplicas
			continue
		}
		v, err := strconv.ParseInt(scalar(n), 10, 64)
		if !IsDecimal(scalar(n)) || err != nil || v < 1 || v > math.MaxInt32 {
			return fmt.Sprintf("its %s is %q; %s", key, scalar(n), allowed)
		}
		bounds[key] = v
	}
	if bounds["minReplicas"] > bounds["maxReplicas"] {
		return fmt.Sprintf("its minReplicas %d is above its maxReplicas %d; allowed: minReplicas up to maxReplicas", bounds["minReplicas"], bounds["maxReplicas"])
	}
	return ""
}

// pdbStandbyChecks warns about budgets that the idle color can never
// satisfy, which block node drains.
func (sc scaling) pdbStandbyChecks(standby int64) []Finding {
	var out []Finding
	if standby == 0 {
		return nil
	}
	for _, g := range sc.pdbs {
		// A percent is of the pods the budget selects, so it always fits.
		if m, ok := intField(g.plain.YNode(), "spec", "minAvailable"); ok && m > standby {
			out = append(out, warningf("spec.blueGreen.inactiveReplicas", msgPDBStandby, Name(g.plain), m, standby, m))
		}
	}
	return out
}

// containsAll reports whether every key of want is in have.
func containsAll(have, want []string) bool {
	set := map[string]bool{}
	for _, k := range have {
		set[k] = true
	}
	for _, k := range want {
		if !set[k] {
			return false
		}
	}
	return true
}

// sortedKeys returns the keys of a replacement map in order, so callers
// place results without depending on map order.
func sortedKeys(m map[int][]*yaml.RNode) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// SortedKeys returns the keys of Result.Related[kindHPA] or Result.Related[kindPDB] in
// order.
func SortedKeys(m map[int][]*yaml.RNode) []int { return sortedKeys(m) }
