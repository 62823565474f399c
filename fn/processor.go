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
	var out []*release
	byID := map[string]*release{}
	add := func(r *release, file string) {
		key := r.Metadata.Namespace + "/" + r.Metadata.Name
		if prev, ok := byID[key]; ok {
			if !sameSpec(prev.Release, r.Release) {
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
		switch kind := kindOf(fc); {
		case isRelease(fc):
			r, fs := parse(fc)
			if r == nil {
				rep.add(releaseStub(fc), filePath(fc), fs...)
			} else {
				r.source, r.origin.item = "functionConfig", -1
				rep.add(r, filePath(fc), api.Validate(r.Release)...)
				add(r, filePath(fc))
			}
		case kind == "ConfigMap":
			r, merged, fs := releaseFromConfigMap(fc, items)
			mergedItem = merged
			if r == nil {
				stub := releaseStub(fc)
				if data := dataMap(fc); data["name"] != "" {
					stub.Metadata = api.Metadata{Name: data["name"], Namespace: data["namespace"]}
				}
				stub.origin.configMap = strategies.Name(fc)
				rep.add(stub, filePath(fc), fs...)
			} else {
				r.source, r.origin = "functionConfig", releaseOrigin{item: merged, configMap: strategies.Name(fc)}
				rep.add(r, "", api.Validate(r.Release)...)
				add(r, "")
			}
		default:
			rep.add(nil, "", strategies.Finding{Severity: strategies.Error, Path: "functionConfig",
				Message: fmt.Sprintf("kind %s %q is not a function config of rollspec; allowed: a %s Release, or a ConfigMap with name=... and spec fields", apiVersionOf(fc), kind, api.APIVersion)})
		}
	}
	for i, it := range items {
		if i == mergedItem {
			continue
		}
		if !isRelease(it) {
			if f, bad := notARelease(it); bad {
				rep.add(nil, filePath(it), f)
			}
			continue
		}
		file := filePath(it)
		r, fs := parse(it)
		if r == nil {
			rep.add(releaseStub(it), file, fs...)
			continue
		}
		r.source, r.origin.item = fmt.Sprintf("items[%d]", i), i
		rep.add(r, file, api.Validate(r.Release)...)
		if v, _ := annotation(it, AnnotationLocalConfig); v != "true" {
			rep.add(r, file, strategies.Finding{Severity: strategies.Warning, Path: "metadata.annotations",
				Message: fmt.Sprintf("has no %s: \"true\", so an apply tool that gets this Release applies it to the cluster; add the annotation", AnnotationLocalConfig)})
		}
		add(r, file)
	}
	return out
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
