package fn

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// Processor renders every Release in a ResourceList. It is a transformer:
// every item it does not own passes through untouched, Release items
// included (kpt's in-place render deletes what a function leaves out).
// When any Release has an error, the items come back exactly as they came
// in, the results say why, and Process returns a *Failure.
type Processor struct {
	// DropLocalConfig leaves Releases and other local-config objects out
	// of the output, as `rollspec render` does for apply tools.
	DropLocalConfig bool
	// InPlace lets the strategies edit the input items instead of copies.
	// On error the items are then no longer as they came in: only a caller
	// that can read them again (RunFunction keeps the input bytes) sets it.
	InPlace bool
}

// Process implements framework.ResourceListProcessor.
func (p Processor) Process(rl *framework.ResourceList) error {
	rep := &reporter{}
	releases := collectReleases(rl.FunctionConfig, rl.Items, rep)
	out := newAssembly()
	if rep.errors == 0 {
		ix := newIndex(rl.Items)
		claims := map[int]*Release{}
		for _, r := range releases {
			renderRelease(r, ix, out, claims, rep, p.InPlace)
		}
	}
	if len(releases) == 0 && rep.errors == 0 {
		rep.add(nil, "", strategies.Finding{Severity: strategies.Warning, Message: "no Release in the functionConfig or the items; the output equals the input"})
	}
	rl.Results = append(rl.Results, rep.results...)
	if rep.errors > 0 {
		return &Failure{Results: rep.results}
	}
	rl.Items = out.build(rl.Items, p.DropLocalConfig)
	return nil
}

// collectReleases reads the Releases from the functionConfig and the
// items. A Release that is both (kpt's Kptfile pipeline passes the
// functionConfig file as an item too) is one Release.
func collectReleases(fc *yaml.RNode, items []*yaml.RNode, rep *reporter) []*Release {
	var out []*Release
	byID := map[string]*Release{}
	add := func(r *Release, file string) {
		key := r.Metadata.Namespace + "/" + r.Metadata.Name
		if prev, ok := byID[key]; ok {
			if !reflect.DeepEqual(specJSON(prev), specJSON(r)) {
				rep.add(r, file, strategies.Finding{Severity: strategies.Error, Path: "metadata.name",
					Message: fmt.Sprintf("%s and %s are both Release %q with different specs; allowed: one Release per name", prev.source, r.source, r.ID())})
				return
			}
			if prev.origin.item < 0 {
				prev.origin.item = r.origin.item
			}
			return
		}
		byID[key] = r
		out = append(out, r)
	}
	mergedItem := -1
	if fc != nil && fc.YNode() != nil && len(fc.Content()) > 0 {
		switch kind := fc.GetKind(); {
		case kind == Kind && strings.HasPrefix(fc.GetApiVersion(), "rollspec.dev/"):
			r, fs := ParseRelease(fc)
			if r == nil {
				rep.add(releaseStub(fc), filePath(fc), prefixAll("", fs)...)
			} else {
				r.source, r.origin.item = "functionConfig", -1
				rep.add(r, filePath(fc), validate(r)...)
				add(r, filePath(fc))
			}
		case kind == "ConfigMap":
			r, merged, fs := releaseFromConfigMap(fc, items)
			mergedItem = merged
			if r == nil {
				stub := releaseStub(fc)
				if data := fc.GetDataMap(); data["name"] != "" {
					stub.Metadata = Metadata{Name: data["name"], Namespace: data["namespace"]}
				}
				stub.origin.configMap = fc.GetName()
				rep.add(stub, filePath(fc), fs...)
			} else {
				r.source, r.origin = "functionConfig", releaseOrigin{item: merged, configMap: fc.GetName()}
				rep.add(r, "", validate(r)...)
				add(r, "")
			}
		default:
			rep.add(nil, "", strategies.Finding{Severity: strategies.Error, Path: "functionConfig",
				Message: fmt.Sprintf("kind %s %q is not a function config of rollspec; allowed: a %s Release, or a ConfigMap with name=... and spec fields", fc.GetApiVersion(), kind, APIVersion)})
		}
	}
	for i, it := range items {
		if !isRelease(it) || i == mergedItem {
			continue
		}
		file := filePath(it)
		r, fs := ParseRelease(it)
		if r == nil {
			rep.add(releaseStub(it), file, fs...)
			continue
		}
		r.source, r.origin.item = fmt.Sprintf("items[%d]", i), i
		rep.add(r, file, validate(r)...)
		if v, _ := annotation(it, AnnotationLocalConfig); v != "true" {
			rep.add(r, file, strategies.Finding{Severity: strategies.Warning, Path: "metadata.annotations",
				Message: fmt.Sprintf("has no %s: \"true\", so an apply tool that gets this Release applies it to the cluster; add the annotation", AnnotationLocalConfig)})
		}
		add(r, file)
	}
	return out
}

func prefixAll(p string, fs []strategies.Finding) []strategies.Finding {
	for i := range fs {
		fs[i].Path = p + fs[i].Path
	}
	return fs
}

// releaseStub names a Release that failed to parse, for its messages.
func releaseStub(n *yaml.RNode) *Release {
	r := &Release{}
	r.Metadata.Name, r.Metadata.Namespace = n.GetName(), n.GetNamespace()
	if r.Metadata.Name == "" {
		r.Metadata.Name = "(unnamed)"
	}
	return r
}

func specJSON(r *Release) interface{} {
	b, _ := json.Marshal(r.Spec)
	var v interface{}
	_ = json.Unmarshal(b, &v)
	return v
}

// renderRelease finds a Release's targets, runs its strategy on copies and
// records where the results go.
func renderRelease(r *Release, ix *index, out *assembly, claims map[int]*Release, rep *reporter, inPlace bool) {
	cp := func(n *yaml.RNode) *yaml.RNode {
		if inPlace {
			return n
		}
		return n.Copy()
	}
	file := ""
	if r.origin.item >= 0 {
		file = filePath(ix.items[r.origin.item])
	}
	report := func(fs ...strategies.Finding) { rep.add(r, file, fs...) }
	errorf := func(p, format string, args ...interface{}) {
		report(strategies.Finding{Severity: strategies.Error, Path: p, Message: fmt.Sprintf(format, args...)})
	}
	spec := r.Spec
	spec.Strategy = r.StrategyName()
	ns, name := r.Metadata.Namespace, r.DeploymentName()

	bases := ix.named("Deployment", ns, name)
	if len(bases) > 1 {
		var where []string
		for _, i := range bases {
			where = append(where, ix.items[i].GetNamespace()+"/"+ix.items[i].GetName())
		}
		errorf("spec.deployment", "Deployment %q matches %d Deployments (%s); allowed: set metadata.namespace on the Release to pick one", name, len(bases), strings.Join(where, ", "))
		return
	}
	group := bases
	t := strategies.Target{Release: r.Metadata.Name, Spec: &spec}
	if len(bases) == 1 {
		ns = ix.items[bases[0]].GetNamespace()
		t.Base = cp(ix.items[bases[0]])
	}
	owned := ix.ownedBy("Deployment", r.Metadata.Name, ns, strategies.RoleBlue, strategies.RoleGreen, strategies.RoleCanary)
	for _, i := range owned {
		t.Owned = append(t.Owned, cp(ix.items[i]))
		if ns == "" {
			ns = ix.items[i].GetNamespace()
		}
	}
	group = append(group, owned...)
	for _, i := range group {
		if other := claims[i]; other != nil && other != r {
			errorf("spec.deployment", "Deployment %q is already the target of Release %q; allowed: one Release per Deployment", ix.items[i].GetName(), other.ID())
			return
		}
		claims[i] = r
	}

	var generated []*yaml.RNode
	if t.Base == nil && len(t.Owned) == 0 {
		if spec.Image == "" || spec.Port == nil {
			where := "the input"
			if ns != "" {
				where = fmt.Sprintf("namespace %q", ns)
			}
			errorf("spec.deployment", "Deployment %q not found in %s; allowed: a Deployment in the input, or spec.image and spec.port to generate one", name, where)
			return
		}
		dep, svc := strategies.Generate(r.Metadata.Name, name, ns, &spec)
		t.Base = dep
		generated = append(generated, svc)
	}

	// The owned Services (previews, canary Services) go; a strategy makes them anew.
	ownedSvcs := ix.ownedBy("Service", r.Metadata.Name, ns, strategies.RolePreviewService, strategies.RoleCanaryService)
	isOwned := map[int]bool{}
	for _, i := range ownedSvcs {
		isOwned[i] = true
		t.OwnedServices = append(t.OwnedServices, cp(ix.items[i]))
	}
	var svcIdx []int
	if len(spec.Services) > 0 {
		t.ServicesListed = true
		for j, s := range spec.Services {
			found := -1
			for _, i := range ix.named("Service", ns, s) {
				if !isOwned[i] {
					found = i
				}
			}
			if found < 0 {
				errorf(fmt.Sprintf("spec.services[%d]", j), "Service %q not found in namespace %q; allowed: a Service in the input, in the Deployment's namespace", s, nsName(ns))
				continue
			}
			svcIdx = append(svcIdx, found)
		}
	} else if generated == nil {
		for _, i := range ix.selecting(ns, discoveryLabels(t)) {
			if !isOwned[i] {
				svcIdx = append(svcIdx, i)
			}
		}
	}
	steered := map[int]bool{}
	for _, i := range svcIdx {
		steered[i] = true
		t.Services = append(t.Services, cp(ix.items[i]))
	}
	if t.ServicesListed {
		for _, i := range ix.inNamespace("Service", ns) {
			if !steered[i] && !isOwned[i] {
				t.Unsteered = append(t.Unsteered, ix.items[i])
			}
		}
	}
	t.Services = append(t.Services, generated...)
	// Autoscalers and budgets before Rebase, which reads them; editable,
	// as the strategy splits or rebuilds those of the release.
	hpaIdx := ix.inNamespace("HorizontalPodAutoscaler", ns)
	for _, i := range hpaIdx {
		t.Autoscalers = append(t.Autoscalers, cp(ix.items[i]))
	}
	pdbIdx := ix.inNamespace("PodDisruptionBudget", ns)
	for _, i := range pdbIdx {
		t.Budgets = append(t.Budgets, cp(ix.items[i]))
	}
	if generated == nil {
		// After the Services: the color they select says which color of an
		// earlier blue/green render is the base.
		t.Base = strategies.Rebase(t)
	}
	for _, i := range ix.inNamespace("PersistentVolumeClaim", ns) {
		t.Claims = append(t.Claims, ix.items[i])
	}

	res := strategies.Apply(t)
	report(res.Findings...)
	if strategies.HasError(res.Findings) {
		return
	}

	// The release's autoscalers and budgets, split or rebuilt by the
	// strategy, replace the objects they were read from.
	for _, kind := range []struct {
		idx  []int
		repl map[int][]*yaml.RNode
	}{{hpaIdx, res.Autoscalers}, {pdbIdx, res.Budgets}} {
		for _, k := range strategies.SortedKeys(kind.repl) {
			i := kind.idx[k]
			if other := out.serviceOwner[i]; other != nil && other != r {
				errorf("spec.deployment", "%s %q is already edited by Release %q; allowed: one Release per object", ix.items[i].GetKind(), ix.items[i].GetName(), other.ID())
				continue
			}
			out.serviceOwner[i] = r
			out.replaceGroup(i, []int{i}, placeGenerated(ix.items[i], kind.repl[k]))
		}
	}

	// Where the results go: the Deployments in place of the first member
	// of the group; a generated pair right after the Release.
	if generated != nil {
		list := append([]*yaml.RNode{}, res.Deployments...)
		if res.Services != nil {
			list = append(list, res.Services[len(res.Services)-1]...)
		} else {
			list = append(list, generated...)
		}
		out.insertAfter(r.origin.item, list)
		return
	}
	anchor := group[0]
	for _, i := range group {
		anchor = min(anchor, i)
	}
	out.replaceGroup(anchor, group, placeGenerated(ix.items[anchor], res.Deployments))
	for j, i := range svcIdx {
		if res.Services != nil {
			if other := out.serviceOwner[i]; other != nil && other != r {
				errorf(fmt.Sprintf("spec.services[%d]", j), "Service %q is already steered by Release %q; allowed: one Release per Service", ix.items[i].GetName(), other.ID())
				continue
			}
			out.serviceOwner[i] = r
			out.replaceGroup(i, []int{i}, placeGenerated(ix.items[i], res.Services[j]))
		}
	}
	for _, i := range ownedSvcs {
		out.replaceGroup(i, []int{i}, nil)
	}
}

// discoveryLabels are the pod labels that Services are matched against:
// the target's, or after a blue/green render a color's without the color.
func discoveryLabels(t strategies.Target) strategies.Labels {
	if t.Base != nil {
		return strategies.PodLabels(t.Base)
	}
	pods := strategies.PodLabels(t.Owned[0])
	delete(pods, strategies.LabelColor)
	delete(pods, strategies.LabelTrack)
	return pods
}

func nsName(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// placeGenerated gives every node after the first that came from the same
// file position as the base its own file next to the base, so kpt writes
// it to disk instead of overwriting the base's document.
func placeGenerated(base *yaml.RNode, nodes []*yaml.RNode) []*yaml.RNode {
	basePath := filePath(base)
	if basePath == "" {
		return nodes
	}
	for i, n := range nodes {
		if i == 0 || filePath(n) != basePath {
			continue
		}
		p := path.Join(path.Dir(basePath), strings.ToLower(n.GetKind())+"_"+n.GetName()+".yaml")
		for _, kv := range [][2]string{
			{kioutil.PathAnnotation, p}, {legacyPathAnnotation, p},
			{kioutil.IndexAnnotation, "0"}, {legacyIndexAnnotation, "0"},
		} {
			if _, ok := n.GetAnnotations(kv[0])[kv[0]]; ok || kv[0] == kioutil.PathAnnotation {
				_ = n.PipeE(yaml.SetAnnotation(kv[0], kv[1]))
			}
		}
		_ = n.PipeE(yaml.ClearAnnotation(kioutil.IdAnnotation))
		_ = n.PipeE(yaml.ClearAnnotation(legacyIDAnnotation))
	}
	return nodes
}

// assembly records how the output differs from the input.
type assembly struct {
	replace      map[int][]*yaml.RNode
	drop         map[int]bool
	after        map[int][]*yaml.RNode
	serviceOwner map[int]*Release
}

func newAssembly() *assembly {
	return &assembly{replace: map[int][]*yaml.RNode{}, drop: map[int]bool{}, after: map[int][]*yaml.RNode{}, serviceOwner: map[int]*Release{}}
}

// replaceGroup puts nodes where anchor was and drops the rest of group.
func (a *assembly) replaceGroup(anchor int, group []int, nodes []*yaml.RNode) {
	for _, i := range group {
		a.drop[i] = true
	}
	a.replace[anchor] = nodes
}

// insertAfter adds nodes after item i (-1: at the end).
func (a *assembly) insertAfter(i int, nodes []*yaml.RNode) {
	a.after[i] = append(a.after[i], nodes...)
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

// isLocalConfig reports objects that must never reach an apply tool.
func isLocalConfig(n *yaml.RNode) bool {
	if isRelease(n) {
		return true
	}
	v, _ := annotation(n, AnnotationLocalConfig)
	return v == "true"
}
