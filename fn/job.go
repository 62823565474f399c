package fn

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/plan"
	"rollspec.dev/rollspec/strategies"
)

// job is one Release on its way through the processor: the objects it
// resolved in the input, by the ownership rule, and what it reports.
type job struct {
	r          *release
	ix         *index
	rep        *reporter
	file       string // the Release's file, for results
	inPlace    bool
	errors     int
	targetName string // spec.target.name, spec.deployment or metadata.name
	kind       string // the target's kind
	targetPath string // the Release field that names the target, for messages
	ns         string // the target's namespace, once known

	base      *object   // the target workload in the input, if there
	owned     []*object // workloads an earlier render generated
	ownedSvcs []*object // Services an earlier render generated
	services  []*object // the steered Services, in input order
	listed    bool      // spec.services named them
	unsteered []*object // the namespace's other Services (read only)
	// related are the namespace's objects of strategies.RelatedKinds, by
	// kind: the strategy replaces those that follow the release.
	related map[string][]*object
	// generated are the Deployment and Service made for a Release whose
	// target is not in the input (spec.image and spec.port).
	generated []*yaml.RNode
}

func (j *job) failed() bool { return j.errors > 0 }

func (j *job) report(fs ...strategies.Finding) {
	for _, f := range fs {
		if f.Severity == strategies.Error {
			j.errors++
		}
	}
	j.rep.add(j.r, j.file, fs...)
}

func (j *job) errorf(path, format string, args ...any) {
	j.report(strategies.Finding{Severity: strategies.Error, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (j *job) warnf(path, format string, args ...any) {
	j.report(strategies.Finding{Severity: strategies.Warning, Path: path, Message: fmt.Sprintf(format, args...)})
}

// newJob resolves a Release's objects in the input: the target, what an
// earlier render generated for it, and the Services it steers.
func newJob(r *release, ix *index, rep *reporter, inPlace bool) *job {
	j := &job{r: r, ix: ix, rep: rep, inPlace: inPlace, targetName: r.TargetName(), kind: r.TargetKind(), targetPath: r.TargetPath(), ns: r.Metadata.Namespace}
	if r.origin.item >= 0 {
		j.file = filePath(ix.items[r.origin.item])
	}
	j.resolveTarget()
	if !j.failed() {
		j.resolveServices()
	}
	return j
}

// resolveTarget finds the target workload and the workloads an earlier
// render generated for the Release.
func (j *job) resolveTarget() {
	bases := j.ix.named(j.kind, j.ns, j.targetName)
	if len(bases) > 1 {
		var where []string
		for _, o := range bases {
			where = append(where, qualified(nsName(o.ns), o.name))
		}
		j.errorf(j.targetPath, "%s %q matches %d %ss (%s); allowed: set metadata.namespace on the Release to pick one", j.kind, j.targetName, len(bases), j.kind, strings.Join(where, ", "))
		return
	}
	if len(bases) == 1 {
		j.base = bases[0]
		j.ns = j.base.ns
	}
	j.owned = ownedWorkloads(j.ix, j.r.Metadata.Name, j.kind, j.base, j.targetName, j.ns)
	namespaces := map[string]bool{}
	for _, o := range j.owned {
		namespaces[nsName(o.ns)] = true
	}
	if j.base == nil && len(namespaces) > 1 {
		var where []string
		for _, o := range j.owned {
			where = append(where, qualified(nsName(o.ns), o.name))
		}
		j.errorf(j.targetPath, "the %ss generated for %q are in %d namespaces (%s); allowed: set metadata.namespace on the Release to pick one", j.kind, j.targetName, len(namespaces), strings.Join(where, ", "))
		return
	}
	if j.base == nil && len(j.owned) > 0 {
		j.ns = j.owned[0].ns
	}
	if j.base != nil && j.base.localConfig {
		j.errorf(j.targetPath, "%s is local-config (%s: \"true\"): no apply tool applies it, so releasing it changes nothing, and `rollspec render` would print it; allowed: a %s that is applied", j.base.id(), AnnotationLocalConfig, j.kind)
		return
	}
	for _, o := range j.group() {
		if o.unreadable != "" {
			j.errorf(j.targetPath, "%s cannot be released: %s", o.id(), o.unreadable)
		}
	}
	if j.base != nil || len(j.owned) > 0 || j.failed() {
		return
	}
	s := &j.r.Spec
	if s.Image == "" || s.Port == nil || j.kind != strategies.DefaultKind {
		where := nsPhrase(j.ns)
		found := "no Deployment, StatefulSet or DaemonSet is there"
		if ws := j.ix.workloads(j.ns); len(ws) > 0 {
			found = "the workloads there are " + strings.Join(ws, ", ")
		}
		allowed := fmt.Sprintf("the name of a %s in the input", j.kind)
		if j.kind == strategies.DefaultKind {
			// Only a Deployment is generated: the kinds with volumes or
			// one pod per node need more than an image and a port.
			allowed += ", or spec.image and spec.port to generate one"
		}
		for _, kind := range strategies.WorkloadKinds() {
			if others := j.ix.named(kind, j.ns, j.targetName); kind != j.kind && len(others) > 0 {
				allowed += fmt.Sprintf(", or spec.target: {kind: %s, name: %s} for %s", kind, j.targetName, others[0].id())
			}
		}
		j.errorf(j.targetPath, "%s %q not found in %s (%s); allowed: %s", j.kind, j.targetName, where, found, allowed)
		return
	}
	// A workload of another kind by the name is what the Release most
	// likely means (written before the app moved to a StatefulSet, or
	// without spec.target): a generated Deployment beside it would take
	// its name and Service and leave it unreleased.
	for _, kind := range strategies.WorkloadKinds() {
		if others := j.ix.named(kind, j.ns, j.targetName); kind != j.kind && len(others) > 0 {
			j.errorf(j.targetPath, "%s %q is not in %s, but %s is: spec.image and spec.port would generate a %s of the same name beside it, which the Release would not release; allowed: spec.target: {kind: %s, name: %s} to release it, or a %s name that no workload has (spec.target.name) to generate one",
				j.kind, j.targetName, nsPhrase(j.ns), others[0].id(), j.kind, kind, j.targetName, j.kind)
			return
		}
	}
	dep, svc := strategies.Generate(j.targetName, j.ns, j.r.Options())
	j.generated = []*yaml.RNode{dep, svc}
}

// nsPhrase names where a Release looks for its target, for messages.
func nsPhrase(ns string) string {
	if ns == "" {
		return "the input"
	}
	return fmt.Sprintf("namespace %q", ns)
}

// group is the workloads the Release replaces: the target and what an
// earlier render generated, in input order.
func (j *job) group() []*object {
	if j.base == nil {
		return j.owned
	}
	return append([]*object{j.base}, j.owned...)
}

// resolveServices finds the Services the Release steers and the ones an
// earlier render generated for it.
func (j *job) resolveServices() {
	candidates := ownedServices(j.ix, j.r.Metadata.Name, j.ns)
	skip := map[*object]bool{}
	for _, o := range candidates {
		skip[o.object] = true
	}
	for _, o := range j.ix.labelled[j.r.Metadata.Name] {
		// Labelled as a generated Service but not one by the name: not
		// steered, and warned about as foreign.
		for _, r := range rolesOf(strategies.OfService, "Service") {
			if o.kind == "Service" && o.role == r.Name {
				skip[o] = true
			}
		}
	}
	if len(j.r.Spec.Services) > 0 {
		j.listServices(skip)
	} else if j.generated == nil {
		for _, o := range j.ix.selecting(j.ns, j.discoveryLabels()) {
			if !skip[o] && !o.localConfig {
				j.services = append(j.services, o)
			}
		}
	}
	for _, o := range j.services {
		if o.unreadable != "" {
			j.errorf("spec.services", "%s cannot be steered: %s", o.id(), o.unreadable)
		}
	}
	// Generated after a Service the Release steers: an earlier render's;
	// the others carry copied labels and stay untouched.
	for _, o := range candidates {
		if j.steers(o.parent) {
			j.ownedSvcs = append(j.ownedSvcs, o.object)
		}
	}
}

// listServices steers the Services of spec.services, and keeps the
// namespace's others to check that none selects pods of two workloads.
func (j *job) listServices(skip map[*object]bool) {
	j.listed = true
	listedAt := map[*object]int{}
	for k, s := range j.r.Spec.Services {
		at := fmt.Sprintf("spec.services[%d]", k)
		found := j.listedService(at, s, skip)
		if found == nil {
			continue
		}
		if prev, twice := listedAt[found]; twice {
			j.errorf(at, "%q names %s, which spec.services[%d] names already (kustomize renamed it); allowed: each Service once", s, found.id(), prev)
			continue
		}
		listedAt[found] = k
		j.services = append(j.services, found)
	}
	for _, o := range j.ix.inNamespace("Service", j.ns) {
		if _, steered := listedAt[o]; !steered && !skip[o] {
			j.unsteered = append(j.unsteered, o)
		}
	}
}

// listedService finds a Service of spec.services: the one called name
// now, or else the one kustomize renamed from name; more than one is an
// error, as for the target.
func (j *job) listedService(at, name string, skip map[*object]bool) *object {
	var now, before []*object
	for _, o := range j.ix.named("Service", j.ns, name) {
		switch {
		case skip[o]:
		case o.name == name:
			now = append(now, o)
		default:
			before = append(before, o)
		}
	}
	found := now
	if len(found) == 0 {
		found = before
	}
	switch {
	case len(found) == 0:
		j.errorf(at, "Service %q not found in namespace %q; allowed: a Service in the input, in the %s's namespace", name, nsName(j.ns), j.kind)
		return nil
	case len(found) > 1:
		var which []string
		for _, o := range found {
			which = append(which, o.id())
		}
		j.errorf(at, "%q names %d Services (%s); allowed: the name of one Service", name, len(found), strings.Join(which, ", "))
		return nil
	case found[0].localConfig:
		j.errorf(at, "%s is local-config (%s: \"true\"): no apply tool applies it, so steering it changes nothing; allowed: a Service that is applied", found[0].id(), AnnotationLocalConfig)
		return nil
	}
	return found[0]
}

// steers reports whether the job steers the Service called name.
func (j *job) steers(name string) bool {
	for _, o := range j.services {
		if o.name == name {
			return true
		}
	}
	return false
}

// discoveryLabels are the pod labels that Services are matched against:
// the target's, or after an earlier render a generated workload's without
// the labels rollspec added to tell its workloads apart.
func (j *job) discoveryLabels() strategies.Labels {
	if j.base != nil {
		return strategies.PodLabels(j.base.view)
	}
	return strategies.PlainPodLabels(j.owned[0].view)
}

// claim gives each workload and Service to one Release at most, and
// returns every object a Release uses.
func claim(jobs []*job) map[*object]bool {
	owner := map[*object]*job{}
	used := map[*object]bool{}
	for _, j := range jobs {
		if j.failed() {
			continue
		}
		for _, o := range j.group() {
			if other := owner[o]; other != nil {
				j.errorf(j.targetPath, "%s %q is already the target of Release %q; allowed: one Release per %s", o.kind, o.name, other.r.ID(), o.kind)
				break
			}
			owner[o] = j
		}
		if j.failed() {
			continue
		}
		for k, o := range j.services {
			if other := owner[o]; other != nil {
				path := "spec.services"
				if j.listed {
					path = fmt.Sprintf("spec.services[%d]", k)
				}
				j.errorf(path, "Service %q is already steered by Release %q; allowed: one Release per Service", o.name, other.r.ID())
				continue
			}
			owner[o] = j
		}
		for _, o := range j.ownedSvcs {
			owner[o] = j
		}
		j.claimRelated(owner)
	}
	for o := range owner {
		used[o] = true
	}
	return used
}

// claimRelated gives the job the objects its options claim besides the
// target and the Services (the routes it splits): one Release each.
func (j *job) claimRelated(owner map[*object]*job) {
	for _, c := range strategies.Claims(j.r.Options()) {
		for _, o := range j.ix.named(c.Kind, j.ns, c.Name) {
			if other := owner[o]; other != nil && other != j {
				j.errorf(c.Path, "%s is already steered by Release %q; allowed: one Release per %s", o.id(), other.r.ID(), c.Kind)
				continue
			}
			if o.unreadable != "" {
				j.errorf(c.Path, "%s cannot be steered: %s", o.id(), o.unreadable)
			}
			owner[o] = j
		}
	}
}

// expand runs the Release's strategy on editable copies of its objects.
func (j *job) expand() strategies.Result {
	t := strategies.Target{Options: j.r.Options(), Workload: strategies.WorkloadOf(j.kind), ServicesListed: j.listed}
	if j.base != nil {
		t.Base = j.base.editable(j.inPlace)
	}
	t.FormerNames = j.formerNames()
	for _, o := range j.owned {
		t.Owned = append(t.Owned, o.editable(j.inPlace))
	}
	for _, o := range j.ownedSvcs {
		t.OwnedServices = append(t.OwnedServices, o.editable(j.inPlace))
	}
	for _, o := range j.services {
		t.Services = append(t.Services, o.editable(j.inPlace))
	}
	for _, o := range j.unsteered {
		t.Unsteered = append(t.Unsteered, o.view)
	}
	// The related objects before Rebase, which reads them.
	t.Related = map[string][]*yaml.RNode{}
	j.related = map[string][]*object{}
	for _, kind := range strategies.RelatedKinds {
		j.related[kind] = j.ix.inNamespace(kind, j.ns)
		for _, o := range j.related[kind] {
			t.Related[kind] = append(t.Related[kind], o.editable(j.inPlace))
		}
	}
	if j.generated != nil {
		t.Base = j.generated[0]
		t.Services = append(t.Services, j.generated[1])
	} else {
		// After the Services: what they select says which workload of an
		// earlier render the target is rebuilt from.
		t.Base = strategies.Rebase(t)
		if t.Base == nil {
			var owned []string
			for _, o := range j.owned {
				owned = append(owned, o.id())
			}
			j.errorf(j.targetPath, "%s %q not found in namespace %q, and what an earlier render generated for it (%s) cannot stand in for it; allowed: the target %s in the input", j.kind, j.targetName, nsName(j.ns), strings.Join(owned, ", "), j.kind)
			return strategies.Result{}
		}
	}
	res := strategies.Apply(t)
	for i := range res.Findings {
		// The strategies blame the target on its shorthand; a Release
		// that names it with spec.target reads that field.
		if res.Findings[i].Path == "spec.deployment" {
			res.Findings[i].Path = j.targetPath
		}
	}
	j.report(res.Findings...)
	return res
}

// formerNames are the names the target had before kustomize's built-in
// transformers renamed it: the target's earlier names and, after an
// earlier render, those of the workloads generated for it without their
// role's suffix (prod-web-blue was web-blue: the target was web).
func (j *job) formerNames() []string {
	var names []string
	add := func(name, now string) {
		if name != now && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if j.base != nil {
		for _, id := range identities(j.base.view)[1:] {
			add(id.name, j.base.name)
		}
	}
	for _, o := range j.owned {
		suffix, ok := targetSuffix(j.kind, o.role)
		now, cut := strings.CutSuffix(o.name, suffix)
		if !ok || !cut {
			continue
		}
		for _, id := range identities(o.view)[1:] {
			if name, cut := strings.CutSuffix(id.name, suffix); cut && name != "" {
				add(name, now)
			}
		}
	}
	return names
}

// outcome is what the job rendered, for `rollspec plan`: each workload of
// the result with the input workload of the same name.
func (j *job) outcome(res strategies.Result) Outcome {
	oc := Outcome{Release: j.r.Release}
	for _, w := range res.Workloads {
		c := plan.Change{After: w}
		if o := j.ix.exact(strategies.Kind(w), strategies.Namespace(w), strategies.Name(w)); o != nil {
			c.Before = o.view
		}
		oc.Workloads = append(oc.Workloads, c)
	}
	return oc
}
