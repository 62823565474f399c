package fn

import (
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// index lists the input items by kind once, so each Release looks only at
// the few kinds it needs instead of scanning every item.
type index struct {
	items []*yaml.RNode
	// byKind maps a kind to item positions, in input order.
	byKind map[string][]int
	// byName maps kind/name (current and previous names) to positions.
	byName map[string][]int
	// owned maps a Release name to the positions of the objects an earlier
	// render generated for it.
	owned map[string][]int
	// byNamespace maps kind/namespace to positions, so a Release looks at
	// its own namespace only.
	byNamespace map[string][]int
	// bySelector maps namespace and one label pair of a Service's selector
	// (the smallest) to the Service's position: a Service can select a pod
	// only if the pod has that pair, so a Release looks up its pod labels
	// instead of testing every Service.
	bySelector map[string][]int
}

func newIndex(items []*yaml.RNode) *index {
	ix := &index{items: items, byKind: map[string][]int{}, byName: map[string][]int{}, owned: map[string][]int{},
		byNamespace: map[string][]int{}, bySelector: map[string][]int{}}
	for i, it := range items {
		kind := kindOf(it)
		switch kind {
		case "Deployment", "Service", "PersistentVolumeClaim", "HorizontalPodAutoscaler", "PodDisruptionBudget":
		default:
			continue
		}
		ix.byKind[kind] = append(ix.byKind[kind], i)
		ns := nsName(it.GetNamespace())
		ix.byNamespace[kind+"/"+ns] = append(ix.byNamespace[kind+"/"+ns], i)
		if kind == "Service" {
			if key, ok := smallestPair(strategies.SteeringSelector(it)); ok {
				ix.bySelector[ns+"/"+key] = append(ix.bySelector[ns+"/"+key], i)
			}
		}
		for _, id := range identities(it) {
			key := kind + "/" + id.name
			if l := ix.byName[key]; len(l) == 0 || l[len(l)-1] != i {
				ix.byName[key] = append(ix.byName[key], i)
			}
		}
		if rel := label(it, strategies.LabelRelease); rel != "" {
			ix.owned[rel] = append(ix.owned[rel], i)
		}
	}
	return ix
}

// identity is one (namespace, name) an object answers to.
type identity struct{ namespace, name string }

// identities returns an object's current identity and, after kustomize's
// built-in transformers renamed it, the ones it had before, so a Release
// written against the base still finds `hexo` once it is `prod-hexo`.
func identities(n *yaml.RNode) []identity {
	ids := []identity{{n.GetNamespace(), n.GetName()}}
	prev, ok := annotation(n, annotationPreviousNames)
	if !ok {
		return ids
	}
	prevNamespaces, _ := annotation(n, annotationPreviousNamespaces)
	names := strings.Split(prev, ",")
	namespaces := strings.Split(prevNamespaces, ",")
	for i, name := range names {
		ns := ""
		if i < len(namespaces) {
			ns = namespaces[i]
		}
		ids = append(ids, identity{ns, name})
	}
	return ids
}

// sameNamespace compares namespaces, with "" meaning "default".
func sameNamespace(a, b string) bool {
	if a == "" {
		a = "default"
	}
	if b == "" {
		b = "default"
	}
	return a == b
}

// answersTo reports whether n is (or was) called name in namespace ns; an
// empty ns matches any namespace.
func answersTo(n *yaml.RNode, ns, name string) bool {
	for _, id := range identities(n) {
		if id.name == name && (ns == "" || sameNamespace(id.namespace, ns)) {
			return true
		}
	}
	return false
}

// named returns the positions of objects of a kind called name in ns.
func (ix *index) named(kind, ns, name string) []int {
	var out []int
	for _, i := range ix.byName[kind+"/"+name] {
		if answersTo(ix.items[i], ns, name) {
			out = append(out, i)
		}
	}
	return out
}

// inNamespace returns the positions of objects of a kind in namespace ns.
func (ix *index) inNamespace(kind, ns string) []int {
	return ix.byNamespace[kind+"/"+nsName(ns)]
}

// selecting returns, in input order, the positions of the Services in ns
// whose selector (without rollspec's color and track) selects pods.
func (ix *index) selecting(ns string, pods strategies.Labels) []int {
	var out []int
	for k, v := range pods {
		for _, i := range ix.bySelector[nsName(ns)+"/"+k+"="+v] {
			if strategies.SteeringSelector(ix.items[i]).SelectsAll(pods) {
				out = append(out, i)
			}
		}
	}
	sort.Ints(out)
	return out
}

// smallestPair is the lexicographically smallest k=v of a selector.
func smallestPair(sel strategies.Labels) (string, bool) {
	best, ok := "", false
	for k, v := range sel {
		if p := k + "=" + v; !ok || p < best {
			best, ok = p, true
		}
	}
	return best, ok
}

// ownedBy returns the positions of objects of a kind generated for the
// release name in namespace ns ("" = any), with one of the given roles.
func (ix *index) ownedBy(kind, release, ns string, roles ...string) []int {
	var out []int
	for _, i := range ix.owned[release] {
		it := ix.items[i]
		if kindOf(it) != kind || (ns != "" && !sameNamespace(it.GetNamespace(), ns)) {
			continue
		}
		r := strategies.Role(it)
		for _, want := range roles {
			if r == want {
				out = append(out, i)
				break
			}
		}
	}
	return out
}
