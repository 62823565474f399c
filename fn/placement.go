package fn

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// Annotations by which kustomize and kpt recognise an input resource. A
// generated object copied from its base must not carry them: kustomize
// would take it for the base (its name references then find two
// referrals), and kpt would write it over the base's file position.
var originAnnotations = []string{
	"internal.config.kubernetes.io/previousNames",
	"internal.config.kubernetes.io/previousNamespaces",
	"internal.config.kubernetes.io/previousKinds",
	"internal.config.kubernetes.io/prefixes",
	"internal.config.kubernetes.io/suffixes",
	"internal.config.kubernetes.io/annotations-migration-resource-id",
	"kustomize.config.k8s.io/id",
	kioutil.IdAnnotation, legacyIDAnnotation,
}

// Name rules of the API server for the objects rollspec generates.
var (
	// dns1035Label is the rule for Service names.
	dns1035Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
)

// place puts a Release's results into the output: its Deployments where
// the first of its group was (a generated pair right after the Release),
// each steered Service followed by what was generated from it. It checks
// first that no generated object takes the identity of an object the
// Release does not own, and that the API server would accept the names.
func (j *job) place(res strategies.Result, out *assembly) {
	group := j.group()
	mine := map[*object]bool{}
	for _, o := range group {
		mine[o] = true
	}
	for _, o := range j.ownedSvcs {
		mine[o] = true
	}
	for _, o := range j.services {
		mine[o] = true
	}
	if res.Services == nil {
		// The strategy left the Services as they were.
		res.Services = make([][]*yaml.RNode, 0, len(j.services)+1)
		for _, o := range j.services {
			res.Services = append(res.Services, []*yaml.RNode{o.item})
		}
		if j.generated != nil {
			res.Services = append(res.Services, []*yaml.RNode{j.generated[1]})
		}
	}
	// Every result that is not the target under its own name takes a
	// name of its own: the colors, the canary, what was generated.
	var generated []*yaml.RNode
	for _, d := range res.Deployments {
		if j.base == nil || strategies.Name(d) != j.base.name || strategies.Namespace(d) != j.base.ns {
			generated = append(generated, d)
		}
	}
	for _, svcs := range res.Services {
		if len(svcs) > 1 {
			generated = append(generated, svcs[1:]...)
		}
	}
	if j.generated != nil {
		generated = append(generated, res.Services[len(res.Services)-1][0])
	}
	for _, g := range generated {
		j.checkGenerated(g, mine)
	}
	if msg := strategies.ValidLabelValue(j.r.Metadata.Name); msg != "" && len(generated) > 0 {
		j.errorf("metadata.name", "the Release's name goes into the label %s of the objects it generates: %s", strategies.LabelRelease, msg)
	}
	if j.failed() {
		return
	}

	if j.generated != nil {
		list := append([]*yaml.RNode{}, res.Deployments...)
		list = append(list, res.Services[len(res.Services)-1]...)
		for _, n := range list {
			stripOrigin(n)
		}
		out.insertAfter(j.r.origin.item, list)
		return
	}
	anchor := group[0]
	from := fileOwner(group)
	out.replaceGroup(anchor, group, placeGenerated(from, res.Deployments))
	for k, o := range j.services {
		if len(res.Services[k]) == 1 && res.Services[k][0] == o.item {
			continue // untouched
		}
		out.replaceGroup(o, []*object{o}, placeGenerated(o, res.Services[k]))
	}
	for _, o := range j.ownedSvcs {
		out.replaceGroup(o, []*object{o}, nil)
	}
}

// checkGenerated reports a generated object whose identity another object
// of the input holds (the name without the labels), or whose name or
// labels the API server would reject.
func (j *job) checkGenerated(g *yaml.RNode, mine map[*object]bool) {
	kind, ns, name := strategies.Kind(g), strategies.Namespace(g), strategies.Name(g)
	role := strategies.Role(g)
	if o := j.ix.exact(kind, ns, name); o != nil && !mine[o] {
		j.errorf(rolePath(role), "the Release generates %s %q (role %s), but the input already has %s, which is not rollspec's: it lacks the labels %s: %s and %s: %s; allowed: rename or remove that object, or add both labels to hand it over to this Release",
			kind, qualified(ns, name), role, o.id(), strategies.LabelRelease, j.r.Metadata.Name, strategies.LabelRole, role)
		return
	}
	switch kind {
	case "Service":
		if len(name) > 63 || !dns1035Label.MatchString(name) {
			j.errorf(rolePath(role), "the Release generates Service %q, which is not a valid Service name (%d characters); allowed: up to 63 lowercase letters, digits and '-', starting with a letter: shorten the Service's name", name, len(name))
		}
	default:
		if len(name) > 253 || !dnsSubdomain.MatchString(name) {
			j.errorf(rolePath(role), "the Release generates %s %q, which is not a valid object name (%d characters); allowed: up to 253 lowercase letters, digits, '-' and '.': shorten the target's name", kind, name, len(name))
		}
	}
}

// rolePath is the Release field that asks for objects of a role.
func rolePath(role string) string {
	switch role {
	case strategies.RoleBlue, strategies.RoleGreen:
		return "spec.blueGreen"
	case strategies.RolePreviewService:
		return "spec.blueGreen.preview"
	case strategies.RoleCanary:
		return "spec.canary"
	case strategies.RoleCanaryService:
		return "spec.canary.service"
	}
	return "spec"
}

// fileOwner is the object of a group whose file the first result takes:
// the target, or after blue/green the color that is not in a generated
// file of its own (the one that took over the target's file).
func fileOwner(group []*object) *object {
	for _, o := range group {
		p := filePath(o.item)
		if p == "" || path.Base(p) != generatedFile(o.kind, o.name) {
			return o
		}
	}
	return group[0]
}

// generatedFile is the file name kpt writes a generated object to, next to
// its base's file.
func generatedFile(kind, name string) string {
	return strings.ToLower(kind) + "_" + name + ".yaml"
}

// placeGenerated gives the first node the file position of from (the
// object it replaces) and every other node a file of its own next to it,
// named after its kind and name, so that kpt writes it to disk instead of
// over the base's document, and a re-render finds it where it left it.
// Generated nodes also lose the annotations by which kustomize and kpt
// recognise the base.
func placeGenerated(from *object, nodes []*yaml.RNode) []*yaml.RNode {
	basePath := filePath(from.item)
	for i, n := range nodes {
		if i == 0 {
			if basePath != "" {
				copyPosition(n, from.item)
			}
			continue
		}
		stripOrigin(n)
		if basePath == "" {
			continue
		}
		p := path.Join(path.Dir(basePath), generatedFile(strategies.Kind(n), strategies.Name(n)))
		setAnnotation(n, kioutil.PathAnnotation, p)
		setAnnotation(n, kioutil.IndexAnnotation, "0")
		// kpt still reads the legacy keys; keep them in step where the base has them.
		if _, ok := annotation(from.item, legacyPathAnnotation); ok {
			setAnnotation(n, legacyPathAnnotation, p)
		}
		if _, ok := annotation(from.item, legacyIndexAnnotation); ok {
			setAnnotation(n, legacyIndexAnnotation, "0")
		}
	}
	return nodes
}

// copyPosition gives n the file position annotations of from.
func copyPosition(n, from *yaml.RNode) {
	for _, key := range []string{kioutil.PathAnnotation, legacyPathAnnotation, kioutil.IndexAnnotation, legacyIndexAnnotation} {
		if v, ok := annotation(from, key); ok {
			setAnnotation(n, key, v)
		} else {
			removeAnnotation(n, key)
		}
	}
}

// stripOrigin removes the identity annotations a generated node copied
// from its base.
func stripOrigin(n *yaml.RNode) {
	for _, key := range originAnnotations {
		removeAnnotation(n, key)
	}
	clearEmptyAnnotations(n.YNode())
}

func setAnnotation(n *yaml.RNode, key, value string) {
	strategies.SetAnnotation(n, key, value)
}

func removeAnnotation(n *yaml.RNode, key string) {
	strategies.RemoveField(topField(topField(n.YNode(), "metadata"), "annotations"), key)
}

// assembly records how the output differs from the input, keyed by the
// input objects it replaces.
type assembly struct {
	replace map[int][]*yaml.RNode
	drop    map[int]bool
	after   map[int][]*yaml.RNode
	// produced are the nodes the releases made or edited.
	produced map[*yaml.RNode]bool
}

func newAssembly() *assembly {
	return &assembly{replace: map[int][]*yaml.RNode{}, drop: map[int]bool{}, after: map[int][]*yaml.RNode{}, produced: map[*yaml.RNode]bool{}}
}

// replaceGroup puts nodes where anchor was and drops the rest of group.
func (a *assembly) replaceGroup(anchor *object, group []*object, nodes []*yaml.RNode) {
	for _, o := range group {
		a.drop[o.pos] = true
	}
	a.replace[anchor.pos] = nodes
	for _, n := range nodes {
		a.produced[n] = true
	}
}

// insertAfter adds nodes after item i (-1: at the end).
func (a *assembly) insertAfter(i int, nodes []*yaml.RNode) {
	a.after[i] = append(a.after[i], nodes...)
	for _, n := range nodes {
		a.produced[n] = true
	}
}

// build writes the output list: input order, each replacement at its
// anchor, generated objects right after their base.
func (a *assembly) build(items []*yaml.RNode, dropLocal bool) []*yaml.RNode {
	out := make([]*yaml.RNode, 0, len(items)+len(a.after))
	for i, it := range items {
		if nodes, ok := a.replace[i]; ok {
			out = append(out, nodes...)
		} else if !a.drop[i] && !(dropLocal && isLocalConfig(it)) {
			out = append(out, it)
		}
		out = append(out, a.after[i]...)
	}
	return append(out, a.after[-1]...)
}

// checkUnique is the last guard of the rule that the output never holds
// two objects with one identity, nor two documents at one kpt file
// position: a produced object that shares either with another output
// object is an error.
func (a *assembly) checkUnique(items []*yaml.RNode, rep *reporter) {
	type seen struct {
		n        *yaml.RNode
		produced bool
	}
	ids, positions := map[string]seen{}, map[string]seen{}
	for _, n := range a.build(items, false) {
		produced := a.produced[n]
		id := apiGroup(apiVersionOf(n)) + "/" + kindOf(n) + " " + qualified(nsName(strategies.Namespace(n)), strategies.Name(n))
		if prev, ok := ids[id]; ok && (produced || prev.produced) {
			rep.add(nil, "", strategies.Finding{Severity: strategies.Error, Message: fmt.Sprintf("the output would hold two objects %s; allowed: one object per kind, namespace and name", id)})
		} else if !ok {
			ids[id] = seen{n, produced}
		}
		if p := filePath(n); p != "" {
			idx, _ := annotation(n, kioutil.IndexAnnotation)
			if idx == "" {
				idx, _ = annotation(n, legacyIndexAnnotation)
			}
			pos := p + "#" + idx
			if prev, ok := positions[pos]; ok && (produced || prev.produced) {
				rep.add(nil, "", strategies.Finding{Severity: strategies.Error, Message: fmt.Sprintf("the output would write two objects to file %s at index %s (%s); allowed: rename or move the file that holds the other", p, idx, id)})
			} else if !ok {
				positions[pos] = seen{n, produced}
			}
		}
	}
}

// apiGroup is the group of an apiVersion ("" for the core group).
func apiGroup(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}
