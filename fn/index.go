package fn

import (
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
}

func newIndex(items []*yaml.RNode) *index {
	ix := &index{items: items, byKind: map[string][]int{}, byName: map[string][]int{}, owned: map[string][]int{}}
	for i, it := range items {
		kind := it.GetKind()
		switch kind {
		case "Deployment", "Service", "PersistentVolumeClaim", "HorizontalPodAutoscaler":
		default:
			continue
		}
		ix.byKind[kind] = append(ix.byKind[kind], i)
		for _, id := range identities(it) {
			key := kind + "/" + id.name
			if l := ix.byName[key]; len(l) == 0 || l[len(l)-1] != i {
				ix.byName[key] = append(ix.byName[key], i)
			}
		}
		if rel := it.GetLabels(strategies.LabelRelease)[strategies.LabelRelease]; rel != "" {
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
	a := n.GetAnnotations(annotationPreviousNames, annotationPreviousNamespaces)
	prev, ok := a[annotationPreviousNames]
	if !ok {
		return ids
	}
	names := strings.Split(prev, ",")
	namespaces := strings.Split(a[annotationPreviousNamespaces], ",")
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
	var out []int
	for _, i := range ix.byKind[kind] {
		if sameNamespace(ix.items[i].GetNamespace(), ns) {
			out = append(out, i)
		}
	}
	return out
}

// ownedBy returns the positions of objects of a kind generated for the
// release name in namespace ns ("" = any), with one of the given roles.
func (ix *index) ownedBy(kind, release, ns string, roles ...string) []int {
	var out []int
	for _, i := range ix.owned[release] {
		it := ix.items[i]
		if it.GetKind() != kind || (ns != "" && !sameNamespace(it.GetNamespace(), ns)) {
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
