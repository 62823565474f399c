package fn

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// indexedKinds are the kinds a Release reads or edits, with their API
// group: a Knative Service or a custom Deployment of another group is not
// one. Everything else passes through without being looked at beyond its
// metadata.
var indexedKinds = map[string]string{
	"Deployment": "apps", "StatefulSet": "apps", "DaemonSet": "apps",
	"Service": "", "PersistentVolumeClaim": "", "HorizontalPodAutoscaler": "autoscaling",
	"PodDisruptionBudget": "policy", "HTTPRoute": "gateway.networking.k8s.io",
}

// object is an input item of an indexed kind, as rollspec reads it.
type object struct {
	// item is the node as it came in; it is written out unchanged unless a
	// Release edits the object.
	item *yaml.RNode
	// view is item with its YAML aliases and merge keys expanded, sharing
	// no node with item; it is item itself when there was nothing to
	// expand. Everything rollspec reads, it reads here.
	view *yaml.RNode
	// pos is the input position.
	pos            int
	kind, ns, name string
	release, role  string // the rollspec.dev/release and role labels
	// unreadable says why the object cannot be used as a release's
	// target ("" when it can): an alias bomb, a malformed metadata.
	unreadable string
	// localConfig marks an object no apply tool applies.
	localConfig bool
}

// id names the object in messages: Kind "namespace/name".
func (o *object) id() string { return fmt.Sprintf("%s %q", o.kind, qualified(o.ns, o.name)) }

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// editable returns the node a strategy may edit: in place, the view (the
// item itself, or its expanded copy; RunFunction re-reads the input
// should the release fail), otherwise a deep copy of the view.
func (o *object) editable(inPlace bool) *yaml.RNode {
	if inPlace {
		return o.view
	}
	return strategies.CopyRNode(o.view)
}

// index lists the input items of the indexed kinds once, so each Release
// looks only at the few objects it needs instead of scanning every item.
type index struct {
	items []*yaml.RNode
	// objects are the items of indexed kinds, in input order.
	objects []*object
	// byName maps kind/name (current and previous names) to objects.
	byName map[string][]*object
	// byNamespace maps kind/namespace to objects, in input order.
	byNamespace map[string][]*object
	// labelled maps a release name to the objects that carry it in the
	// label rollspec.dev/release, in input order.
	labelled map[string][]*object
	// bySelector maps namespace and one label pair of a Service's selector
	// (the smallest) to the Service: a Service can select a pod only if
	// the pod has that pair, so a Release looks up its pod labels instead
	// of testing every Service.
	bySelector map[string][]*object
}

func newIndex(items []*yaml.RNode) *index {
	ix := &index{items: items, byName: map[string][]*object{}, byNamespace: map[string][]*object{},
		labelled: map[string][]*object{}, bySelector: map[string][]*object{}}
	for i, it := range items {
		v := identityView(it)
		kind := kindOf(v)
		if group, ok := indexedKinds[kind]; !ok || apiGroup(apiVersionOf(v)) != group {
			continue
		}
		o := readObject(it, i, kind)
		ix.objects = append(ix.objects, o)
		ns := nsName(o.ns)
		ix.byNamespace[kind+"/"+ns] = append(ix.byNamespace[kind+"/"+ns], o)
		if kind == "Service" && o.unreadable == "" {
			if key, ok := smallestPair(strategies.SteeringSelector(o.view)); ok {
				ix.bySelector[ns+"/"+key] = append(ix.bySelector[ns+"/"+key], o)
			}
		}
		for _, id := range identities(o.view) {
			key := kind + "/" + id.name
			if l := ix.byName[key]; len(l) == 0 || l[len(l)-1] != o {
				ix.byName[key] = append(ix.byName[key], o)
			}
		}
		if o.release != "" {
			ix.labelled[o.release] = append(ix.labelled[o.release], o)
		}
	}
	return ix
}

// readObject reads an item of an indexed kind, expanding its aliases.
func readObject(it *yaml.RNode, pos int, kind string) *object {
	o := &object{item: it, view: it, pos: pos, kind: kind}
	if strategies.HasAliases(it.YNode()) {
		n, err := strategies.Expand(it.YNode())
		if err != nil {
			// The original is read for its name, as far as it goes.
			o.unreadable = err.Error()
		} else {
			o.view = yaml.NewRNode(n)
		}
	}
	o.ns, o.name = strategies.Namespace(o.view), strategies.Name(o.view)
	o.release, o.role = label(o.view, strategies.LabelRelease), label(o.view, strategies.LabelRole)
	o.localConfig = isLocalConfig(o.view)
	if o.unreadable == "" {
		o.unreadable = malformed(o.view)
	}
	return o
}

// malformed says what keeps rollspec from editing an object safely, or "".
func malformed(n *yaml.RNode) string {
	meta := topField(n.YNode(), "metadata")
	if meta == nil || meta.Kind != yaml.MappingNode {
		return "its metadata is not a mapping; allowed: a metadata mapping with a name"
	}
	if strategies.Name(n) == "" {
		return "it has no metadata.name; allowed: a metadata mapping with a name"
	}
	if p := strategies.Problem(n); p != "" {
		return p
	}
	if at, key := strategies.DuplicateKey(n.YNode()); key != "" {
		if at == "" {
			return fmt.Sprintf("it sets the key %q twice; allowed: each key once", key)
		}
		return fmt.Sprintf("it sets the key %q twice in %s (the API server keeps the last one); allowed: each key once", key, at)
	}
	return ""
}

// identity is one (namespace, name) an object answers to.
type identity struct{ namespace, name string }

// identities returns an object's current identity and, after kustomize's
// built-in transformers renamed it, the ones it had before, so a Release
// written against the base still finds `hexo` once it is `prod-hexo`.
func identities(n *yaml.RNode) []identity {
	ids := []identity{{strategies.Namespace(n), strategies.Name(n)}}
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
	return nsName(a) == nsName(b)
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

// named returns the objects of a kind called (or once called) name in ns;
// an empty ns matches any namespace.
func (ix *index) named(kind, ns, name string) []*object {
	var out []*object
	for _, o := range ix.byName[kind+"/"+name] {
		if answersTo(o.view, ns, name) {
			out = append(out, o)
		}
	}
	return out
}

// exact returns the object of a kind whose current name is name in ns.
func (ix *index) exact(kind, ns, name string) *object {
	for _, o := range ix.byName[kind+"/"+name] {
		if o.name == name && sameNamespace(o.ns, ns) {
			return o
		}
	}
	return nil
}

// inNamespace returns the objects of a kind in namespace ns.
func (ix *index) inNamespace(kind, ns string) []*object {
	return ix.byNamespace[kind+"/"+nsName(ns)]
}

// selecting returns, in input order, the Services in ns whose selector
// (without the labels rollspec adds to tell workloads apart) selects pods.
func (ix *index) selecting(ns string, pods strategies.Labels) []*object {
	var out []*object
	for k, v := range pods {
		for _, o := range ix.bySelector[nsName(ns)+"/"+k+"="+v] {
			if strategies.SteeringSelector(o.view).SelectsAll(pods) {
				out = append(out, o)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pos < out[j].pos })
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

// workloads lists the workloads in the input (or in ns), for the message
// of a target that is not found.
func (ix *index) workloads(ns string) []string {
	var out []string
	for _, o := range ix.objects {
		switch o.kind {
		case "Deployment", "StatefulSet", "DaemonSet":
			if ns == "" || sameNamespace(o.ns, ns) {
				out = append(out, o.kind+" "+qualified(o.ns, o.name))
			}
		}
	}
	return out
}
