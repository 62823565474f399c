package fn

import (
	"fmt"
	"path"
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

// place puts a Release's results into the output: its Deployments where
// the first of its group was (a generated pair right after the Release),
// each steered Service followed by what was generated from it, each
// autoscaler and budget that follows the release where it was. It checks
// first that no generated object takes the identity of an object the
// Release does not own, and that the API server would accept the names.
func (j *job) place(res strategies.Result, out *assembly) {
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
	reps := j.replacements(res)
	byID := map[string]*object{}
	for o := range j.mine(reps) {
		byID[o.kind+" "+qualified(nsName(o.ns), o.name)] = o
	}
	j.check(res, reps, byID, out)
	if j.failed() {
		return
	}
	if j.generated != nil {
		list := append([]*yaml.RNode{}, res.Workloads...)
		list = append(list, res.Services[len(res.Services)-1]...)
		for _, n := range list {
			stripOrigin(n)
		}
		out.insertAfter(j.r.origin.item, list)
	}
	for _, r := range reps {
		out.replaceWith(j, r.replaced, out.positioned(r, byID, nodeIdentity))
	}
}

// replacements lists what the result replaces: the workloads, each
// Service the strategy changed, the earlier render's Services, and the
// related objects it rebuilt.
func (j *job) replacements(res strategies.Result) []replacement {
	var reps []replacement
	if j.generated == nil {
		reps = append(reps, replacement{j.group(), res.Workloads})
	}
	for k, o := range j.services {
		if len(res.Services[k]) == 1 && res.Services[k][0] == o.item {
			continue // untouched
		}
		reps = append(reps, replacement{[]*object{o}, res.Services[k]})
	}
	for _, o := range j.ownedSvcs {
		reps = append(reps, replacement{[]*object{o}, nil})
	}
	for _, kind := range strategies.RelatedKinds {
		reps = append(reps, j.relatedReplacements(kind, res.Related[kind], res.Joined[kind])...)
	}
	return reps
}

// relatedReplacements lists the replacements of the related objects of a
// kind: each replaced object alone, or with the objects joined to it (the
// per-color copies of one object, rebuilt together), so that the nodes
// can take the place of the one the user wrote.
func (j *job) relatedReplacements(kind string, repl map[int][]*yaml.RNode, joined map[int][]int) []replacement {
	inGroup := map[int]bool{}
	for k, others := range joined {
		if _, ok := repl[k]; !ok {
			continue
		}
		for _, i := range others {
			inGroup[i] = true
		}
	}
	var reps []replacement
	for _, k := range strategies.SortedKeys(repl) {
		if inGroup[k] {
			continue
		}
		group := []*object{j.related[kind][k]}
		for _, i := range joined[k] {
			group = append(group, j.related[kind][i])
		}
		sortByPos(group)
		reps = append(reps, replacement{group, repl[k]})
	}
	return reps
}

// mine are the input objects the job replaces or steers.
func (j *job) mine(reps []replacement) map[*object]bool {
	mine := map[*object]bool{}
	for _, r := range reps {
		for _, o := range r.replaced {
			mine[o] = true
		}
	}
	for _, o := range j.services {
		mine[o] = true
	}
	return mine
}

// nodeIdentity names an output node as byID keys name input objects.
func nodeIdentity(n *yaml.RNode) string {
	return strategies.Kind(n) + " " + qualified(nsName(strategies.Namespace(n)), strategies.Name(n))
}

// check refuses a result that would take an object the Release does not
// own, generate a name or label the API server rejects, or replace an
// object another Release replaced.
func (j *job) check(res strategies.Result, reps []replacement, byID map[string]*object, out *assembly) {
	mine := j.mine(reps)
	var generated []*yaml.RNode
	for _, r := range reps {
		for _, n := range r.nodes {
			if byID[nodeIdentity(n)] == nil {
				generated = append(generated, n)
			}
		}
	}
	if j.generated != nil {
		generated = append(generated, res.Workloads...)
		generated = append(generated, j.generated[1])
	}
	for _, g := range generated {
		j.checkGenerated(g, mine)
	}
	if err := strategies.CheckLabelValue(j.r.Metadata.Name); err != nil && len(generated) > 0 {
		j.errorf("metadata.name", "the Release's name goes into the label %s of the objects it generates: %v", strategies.LabelRelease, err)
	}
	for _, r := range reps {
		for _, o := range r.replaced {
			if other := out.editedBy[o]; other != nil && other != j {
				j.errorf("spec", "%s is already edited by Release %q; allowed: one Release per object", o.id(), other.r.ID())
			}
		}
	}
}

// replacement is a set of input objects and the nodes that take their
// place in the output (none: they go).
type replacement struct {
	replaced []*object
	nodes    []*yaml.RNode
}

// positioned gives each node of a replacement its kpt file position, so
// that no two documents share one and the positions follow from the
// output alone, whatever the renders before it: the first node takes the
// place the user wrote the object in (the target's file, or for a group
// the one of its objects that is not in a generated file of its own);
// any other node that is an input object of the Release (same kind,
// namespace and name) keeps that object's place unless the first node
// took it; any other node gets a file of its own beside the first, named
// after its kind and name. A node that is an input object keeps that
// object's ids and earlier names; a new first node takes those of the
// object whose place it takes; other new nodes lose the annotations by
// which kustomize and kpt recognised the object they were copied from.
func (a *assembly) positioned(r replacement, byID map[string]*object, identity func(*yaml.RNode) string) []*yaml.RNode {
	from := fileOwner(r.replaced)
	basePath := filePath(from.item)
	for i, n := range r.nodes {
		o := byID[identity(n)]
		switch {
		case o != nil:
			adoptIdentity(n, o.item)
		case i == 0:
			adoptIdentity(n, from.item)
			trimEarlierNames(n, from)
		default:
			stripOrigin(n)
		}
		if basePath == "" {
			continue
		}
		switch {
		case i == 0:
			if o != nil && o != from {
				adoptPosition(n, from.item)
			}
			continue
		case o != nil && o != from:
			continue
		}
		a.ownFile(n, from.item, basePath)
	}
	return r.nodes
}

// ownFile puts n in a file of its own beside basePath, named after its
// kind and name.
func (a *assembly) ownFile(n, from *yaml.RNode, basePath string) {
	p := path.Join(path.Dir(basePath), generatedFile(strategies.Kind(n), strategies.Name(n)))
	if a.files[p] {
		// Objects of one name in two namespaces, from one directory.
		p = path.Join(path.Dir(basePath), generatedFile(strategies.Kind(n), nsName(strategies.Namespace(n))+"_"+strategies.Name(n)))
	}
	a.files[p] = true
	setAnnotation(n, kioutil.PathAnnotation, p)
	setAnnotation(n, kioutil.IndexAnnotation, "0")
	// kpt still reads the legacy keys; keep them in step where the base has them.
	if _, ok := annotation(from, legacyPathAnnotation); ok {
		setAnnotation(n, legacyPathAnnotation, p)
	}
	if _, ok := annotation(from, legacyIndexAnnotation); ok {
		setAnnotation(n, legacyIndexAnnotation, "0")
	}
}

// checkGenerated reports a generated object whose identity another object
// of the input holds (the name without the labels), or whose name or
// labels the API server would reject.
func (j *job) checkGenerated(g *yaml.RNode, mine map[*object]bool) {
	kind, ns, name := strategies.Kind(g), strategies.Namespace(g), strategies.Name(g)
	role := strategies.RoleOf(g)
	if o := j.ix.exact(kind, ns, name); o != nil && !mine[o] {
		j.errorf(strategies.RolePath(role), "the Release generates %s %q (role %s), but the input already has %s, which is not rollspec's: it lacks the labels %s: %s and %s: %s; allowed: rename or remove that object, or add both labels to hand it over to this Release",
			kind, qualified(ns, name), role, o.id(), strategies.LabelRelease, j.r.Metadata.Name, strategies.LabelRole, role)
		return
	}
	switch kind {
	case "Service":
		if !strategies.IsServiceName(name) {
			j.errorf(strategies.RolePath(role), "the Release generates Service %q, which is not a valid Service name (%d characters); allowed: up to 63 lowercase letters, digits and '-', starting with a letter: shorten the Service's name", name, len(name))
		}
	default:
		if !strategies.IsObjectName(name) {
			j.errorf(strategies.RolePath(role), "the Release generates %s %q, which is not a valid object name (%d characters); allowed: up to 253 lowercase letters, digits, '-' and '.': shorten the target's name", kind, name, len(name))
		}
	}
}

// fileOwner is the object of a group whose file the first result takes:
// the target, or after an earlier render the generated workload that is
// not in a generated file of its own (the one that took over the target's
// file).
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

// adoptIdentity gives n the annotations by which kpt and kustomize
// recognise from (its file position, its ids, its earlier names): n takes
// from's place. A node built from a copy of another object would
// otherwise carry that object's ids, and kpt would write it over the
// other's document.
func adoptIdentity(n, from *yaml.RNode) {
	copyAnnotations(n, from, identityAnnotations)
}

// trimEarlierNames keeps the earlier names kustomize recorded true for a
// node rebuilt from a generated object (web from web-blue, which
// kustomize renamed prod-web-blue): they lose the suffix its name lost,
// so that a Release written for web finds it again, as it found the
// object the node was first made from.
func trimEarlierNames(n *yaml.RNode, from *object) {
	suffix, ok := strings.CutPrefix(from.name, strategies.Name(n))
	if !ok || suffix == "" {
		return
	}
	prev, ok := annotation(n, annotationPreviousNames)
	if !ok {
		return
	}
	names := strings.Split(prev, ",")
	for i, name := range names {
		names[i] = strings.TrimSuffix(name, suffix)
	}
	setAnnotation(n, annotationPreviousNames, strings.Join(names, ","))
}

// adoptPosition gives n from's kpt file position only.
func adoptPosition(n, from *yaml.RNode) {
	copyAnnotations(n, from, positionAnnotations)
}

// copyAnnotations makes n's annotations of the given keys what from's
// are: copied when from has one, removed when it has not.
func copyAnnotations(n, from *yaml.RNode, keys []string) {
	for _, key := range keys {
		if v, ok := annotation(from, key); ok {
			setAnnotation(n, key, v)
		} else {
			removeAnnotation(n, key)
		}
	}
	clearEmptyAnnotations(n.YNode())
}

// positionAnnotations say where kpt writes an object.
var positionAnnotations = []string{kioutil.PathAnnotation, legacyPathAnnotation, kioutil.IndexAnnotation, legacyIndexAnnotation}

// identityAnnotations are the annotations adoptIdentity carries over.
var identityAnnotations = append(append([]string{}, positionAnnotations...), originAnnotations...)

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
	// editedBy says which Release replaced an input object.
	editedBy map[*object]*job
	// files are the kpt files given to generated objects.
	files map[string]bool
}

func newAssembly() *assembly {
	return &assembly{replace: map[int][]*yaml.RNode{}, drop: map[int]bool{}, after: map[int][]*yaml.RNode{},
		produced: map[*yaml.RNode]bool{}, editedBy: map[*object]*job{}, files: map[string]bool{}}
}

// replaceWith puts nodes where the first of the replaced objects was (they
// are in input order) and drops the others.
func (a *assembly) replaceWith(j *job, replaced []*object, nodes []*yaml.RNode) {
	for _, o := range replaced {
		a.drop[o.pos] = true
		a.editedBy[o] = j
	}
	a.replace[replaced[0].pos] = nodes
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
		id := identityOf(n)
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
				rep.add(nil, "", strategies.Finding{Severity: strategies.Error, Message: fmt.Sprintf("the output would write two objects to file %s at index %s (%s and %s); allowed: rename or move the file of the one that is not generated", p, idx, identityOf(prev.n), id)})
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
