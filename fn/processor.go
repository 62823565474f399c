package fn

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
	"rollspec.dev/rollspec/fn/plan"
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

// Process implements framework.ResourceListProcessor. It reads as its
// steps: collect the Releases, resolve each one's objects by the ownership
// rule, claim them (one Release per object), expand each target with its
// strategy, and place the results in the output.
func (p Processor) Process(rl *framework.ResourceList) error {
	_, err := p.Render(rl)
	return err
}

// Outcome is what the processor did for one Release: the workloads it
// rendered, each with the input workload of the same name, and the
// whole input and output, for `rollspec plan`.
type Outcome struct {
	Release       *api.Release
	Workloads     []plan.Change
	Input, Output []*yaml.RNode
}

// Render is Process, and returns what it did for each Release that it
// rendered.
func (p Processor) Render(rl *framework.ResourceList) (outcomes []Outcome, err error) {
	rep := &reporter{}
	defer func() {
		// A safety net: no input may crash the function. The caller then
		// gets the items back as they came (RunFunction re-reads them).
		if v := recover(); v != nil {
			rep.add(nil, "", strategies.Finding{Severity: strategies.Error, Message: fmt.Sprintf("internal error: %v; the input is left unchanged; please report this input", v)})
			rl.Results = append(rl.Results, rep.results[len(rep.results)-1])
			outcomes, err = nil, &Failure{Results: rep.results}
		}
	}()
	input := slices.Clone(rl.Items)
	releases := collectReleases(rl.FunctionConfig, rl.Items, rep)
	out := newAssembly()
	if rep.errors == 0 {
		ix := newIndex(rl.Items)
		jobs := make([]*job, 0, len(releases))
		for _, r := range releases {
			jobs = append(jobs, newJob(r, ix, rep, p.InPlace))
		}
		checkNames(jobs)
		used := claim(jobs)
		for _, j := range jobs {
			if j.failed() {
				continue
			}
			res := j.expand()
			if !j.failed() {
				j.place(res, out)
			}
			if !j.failed() {
				outcomes = append(outcomes, j.outcome(res))
			}
		}
		for o := range out.editedBy {
			used[o] = true
		}
		warnForeignLabels(ix, jobs, used)
		if rep.errors == 0 {
			out.checkUnique(rl.Items, rep)
		}
	}
	if len(releases) == 0 && rep.errors == 0 {
		rep.add(nil, "", strategies.Finding{Severity: strategies.Warning, Message: "no Release in the functionConfig or the items; the output equals the input"})
	}
	rl.Results = append(rl.Results, rep.results...)
	if rep.errors > 0 {
		return nil, &Failure{Results: rep.results}
	}
	rl.Items = out.build(rl.Items, p.DropLocalConfig)
	for i := range outcomes {
		outcomes[i].Input, outcomes[i].Output = input, rl.Items
	}
	return outcomes, nil
}

// collectReleases reads the Releases from the functionConfig and the
// items. A Release that is both (kpt's Kptfile pipeline passes the
// functionConfig file as an item too) is one Release.
func collectReleases(fc *yaml.RNode, items []*yaml.RNode, rep *reporter) []*release {
	c := &collection{rep: rep, byID: map[string]*release{}}
	mergedItem := c.functionConfig(fc, items)
	for i, it := range items {
		if i != mergedItem {
			c.item(i, it)
		}
	}
	return c.out
}

// collection gathers the Releases of a ResourceList, one per name.
type collection struct {
	rep  *reporter
	out  []*release
	byID map[string]*release
}

// add keeps a Release, or merges it with the one of the same name that
// says the same thing.
func (c *collection) add(r *release, file string) {
	key := r.Metadata.Namespace + "/" + r.Metadata.Name
	prev, ok := c.byID[key]
	switch {
	case !ok:
		c.byID[key] = r
		c.out = append(c.out, r)
	case !sameSpec(prev.Release, r.Release):
		c.rep.add(r, file, strategies.Finding{Severity: strategies.Error, Path: "metadata.name",
			Message: fmt.Sprintf("%s and %s are both Release %q with different specs; allowed: one Release per name", prev.source, r.source, r.ID())})
	case prev.origin.item < 0:
		prev.origin.item = r.origin.item
	}
}

// functionConfig reads the functionConfig: a Release, or a ConfigMap of
// spec fields (imperative use). It returns the position of the item the
// ConfigMap was merged with, -1 for none.
func (c *collection) functionConfig(fc *yaml.RNode, items []*yaml.RNode) int {
	if fc == nil || fc.YNode() == nil || len(fc.Content()) == 0 {
		return -1
	}
	switch kind := kindOf(fc); {
	case isRelease(fc):
		r, fs := parse(fc)
		if r == nil {
			c.rep.add(releaseStub(fc), filePath(fc), fs...)
			return -1
		}
		r.source, r.origin.item = "functionConfig", -1
		c.rep.add(r, filePath(fc), api.Validate(r.Release)...)
		c.add(r, filePath(fc))
	case kind == "ConfigMap":
		r, merged, fs := releaseFromConfigMap(fc, items)
		if r == nil {
			stub := releaseStub(fc)
			if data := dataMap(fc); data["name"] != "" {
				stub.Metadata = api.Metadata{Name: data["name"], Namespace: data["namespace"]}
			}
			stub.origin.configMap = strategies.Name(fc)
			c.rep.add(stub, filePath(fc), fs...)
			return merged
		}
		r.source, r.origin = "functionConfig", releaseOrigin{item: merged, configMap: strategies.Name(fc)}
		c.rep.add(r, "", api.Validate(r.Release)...)
		c.add(r, "")
		return merged
	default:
		c.rep.add(nil, "", strategies.Finding{Severity: strategies.Error, Path: "functionConfig",
			Message: fmt.Sprintf("kind %s %q is not a function config of rollspec; allowed: a %s Release, or a ConfigMap with name=... and spec fields", apiVersionOf(fc), kind, api.APIVersion)})
	}
	return -1
}

// item reads an item that is a Release, and refuses one meant to be.
func (c *collection) item(i int, it *yaml.RNode) {
	if !isRelease(it) {
		if f, bad := notARelease(it); bad {
			c.rep.add(nil, filePath(it), f)
		}
		return
	}
	file := filePath(it)
	r, fs := parse(it)
	if r == nil {
		c.rep.add(releaseStub(it), file, fs...)
		return
	}
	r.source, r.origin.item = fmt.Sprintf("items[%d]", i), i
	c.rep.add(r, file, api.Validate(r.Release)...)
	if v, _ := annotation(it, AnnotationLocalConfig); v != "true" {
		c.rep.add(r, file, strategies.Finding{Severity: strategies.Warning, Path: "metadata.annotations",
			Message: fmt.Sprintf("has no %s: \"true\", so an apply tool that gets this Release applies it to the cluster; add the annotation", AnnotationLocalConfig)})
	}
	c.add(r, file)
}

// parse decodes a Release item or functionConfig.
func parse(n *yaml.RNode) (*release, []strategies.Finding) {
	r, fs := api.Decode(n)
	if r == nil {
		return nil, fs
	}
	return &release{Release: r}, nil
}

// notARelease reports an item that was meant to be a Release but is not
// one: a rollspec.dev object of another kind, or a Release of another API
// group. Passed through, it would reach the cluster, which rejects it, or
// leave the release silently undone.
func notARelease(it *yaml.RNode) (strategies.Finding, bool) {
	kind, av := kindOf(it), apiVersionOf(it)
	group, _, _ := strings.Cut(av, "/")
	switch {
	case group == api.Group:
		return strategies.Finding{Severity: strategies.Error,
			Message: fmt.Sprintf("%s %q %q is not a kind of rollspec; allowed: %s", av, kind, strategies.Name(it), api.Kind)}, true
	case strings.EqualFold(kind, api.Kind) && strings.Contains(group, "rollspec"):
		return strategies.Finding{Severity: strategies.Error,
			Message: fmt.Sprintf("%s %q %q is not a rollspec Release; allowed: apiVersion %s, kind %s", av, kind, strategies.Name(it), api.APIVersion, api.Kind)}, true
	}
	return strategies.Finding{}, false
}

// sameSpec reports whether two Releases say the same thing.
func sameSpec(a, b *api.Release) bool {
	ja, errA := json.Marshal(a.Spec)
	jb, errB := json.Marshal(b.Spec)
	if errA != nil || errB != nil {
		return false
	}
	var va, vb any
	return json.Unmarshal(ja, &va) == nil && json.Unmarshal(jb, &vb) == nil && reflect.DeepEqual(va, vb)
}

// releaseStub names a Release that failed to parse, for its messages.
func releaseStub(n *yaml.RNode) *release {
	r := &release{Release: &api.Release{}}
	r.Metadata.Name, r.Metadata.Namespace = strategies.Name(n), strategies.Namespace(n)
	if r.Metadata.Name == "" {
		r.Metadata.Name = "(unnamed)"
	}
	return r
}

func nsName(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// isLocalConfig reports objects that must never reach an apply tool.
func isLocalConfig(n *yaml.RNode) bool {
	if isRelease(n) {
		return true
	}
	v, _ := annotation(n, AnnotationLocalConfig)
	return v == "true"
}
