package fn

import (
	"fmt"
	"slices"
	"strings"

	"rollspec.dev/rollspec/strategies"
)

// The ownership rule, in one place: an object is a Release's own only when
// it sits in the target's namespace, has the exact name the Release
// generates for a role, and carries both labels, rollspec.dev/release with
// the Release's name and rollspec.dev/role with that role. An object that
// carries the labels under another name or namespace is left untouched,
// with a warning; an object that has the name without the labels is an
// error when the Release would generate that name (see checkCollisions).

// generatedRole is a role whose objects a Release generates, and the
// suffix that names them after their parent (the target Deployment, or a
// steered Service).
type generatedRole struct{ role, suffix string }

var (
	deploymentRoles = []generatedRole{
		{strategies.RoleBlue, "-" + strategies.RoleBlue},
		{strategies.RoleGreen, "-" + strategies.RoleGreen},
		{strategies.RoleCanary, "-canary"},
	}
	serviceRoles = []generatedRole{
		{strategies.RolePreviewService, "-preview"},
		{strategies.RoleCanaryService, "-canary"},
	}
)

// carries reports whether o carries both ownership labels for the Release
// and role.
func carries(o *object, release, role string) bool {
	return o.release == release && o.role == role
}

// ownedDeployments returns the Deployments an earlier render generated for
// the Release: named after the target (base, when it is in the input) or
// after the target's name, carrying both labels.
func ownedDeployments(ix *index, release string, base *object, target, ns string) []*object {
	var out []*object
	for _, gr := range deploymentRoles {
		if base != nil {
			if o := ix.exact("Deployment", base.ns, base.name+gr.suffix); o != nil && carries(o, release, gr.role) {
				out = append(out, o)
			}
			continue
		}
		for _, o := range ix.named("Deployment", ns, target+gr.suffix) {
			if carries(o, release, gr.role) {
				out = append(out, o)
			}
		}
	}
	sortByPos(out)
	return out
}

// ownedServices returns the Services an earlier render generated for the
// Release in ns: <service><suffix> of a Service in ns, carrying both labels.
func ownedServices(ix *index, release, ns string) []*object {
	var out []*object
	for _, o := range ix.labelled[release] {
		if o.kind != "Service" || !sameNamespace(o.ns, ns) {
			continue
		}
		for _, gr := range serviceRoles {
			parent, ok := strings.CutSuffix(o.name, gr.suffix)
			if ok && o.role == gr.role && ix.exact("Service", ns, parent) != nil {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// followerKinds are the kinds of objects that follow a release's colors:
// blue/green splits an autoscaler or budget of the target into
// <name>-blue and <name>-green (strategies/autoscale.go).
var followerKinds = []string{"HorizontalPodAutoscaler", "PodDisruptionBudget"}

// ownedFollowers returns the per-color autoscalers and budgets an earlier
// render generated for the Release in ns: named <name>-<color>, carrying
// both labels with that color as the role.
func ownedFollowers(ix *index, release, ns string) []*object {
	var out []*object
	for _, o := range ix.labelled[release] {
		if !sameNamespace(o.ns, ns) || !slices.Contains(followerKinds, o.kind) {
			continue
		}
		for _, gr := range deploymentRoles[:2] {
			if o.role == gr.role && strings.HasSuffix(o.name, gr.suffix) {
				out = append(out, o)
			}
		}
	}
	return out
}

// expectedName is the name an object of role would have for the job, for
// the warning about labels on another object; "" when it depends on a
// Service.
func (j *job) expectedName(role string) string {
	parent := j.targetName
	if j.base != nil {
		parent = j.base.name
	}
	for _, gr := range deploymentRoles {
		if gr.role == role {
			return parent + gr.suffix
		}
	}
	if role == strategies.RoleGenerated {
		return j.targetName
	}
	return ""
}

// warnForeignLabels warns about objects that carry a Release's labels but
// are not its own by the ownership rule: copy-pasted YAML or an overlay's
// common labels. They pass through untouched.
func warnForeignLabels(ix *index, jobs []*job, used map[*object]bool) {
	byName := map[string][]*job{}
	for _, j := range jobs {
		byName[j.r.Metadata.Name] = append(byName[j.r.Metadata.Name], j)
	}
	for _, o := range ix.objects {
		candidates := byName[o.release]
		if used[o] || o.role == "" || len(candidates) == 0 {
			continue
		}
		// Said once, by the Release of that name in the object's namespace
		// if there is one.
		j := candidates[0]
		for _, c := range candidates {
			if c.ns != "" && sameNamespace(c.ns, o.ns) {
				j = c
				break
			}
		}
		owner := "the objects it generates"
		if name := j.expectedName(o.role); name != "" && j.ns != "" {
			owner = fmt.Sprintf("%s %q", o.kind, qualified(j.ns, name))
		} else if name != "" {
			owner = fmt.Sprintf("%s %q", o.kind, name)
		}
		j.warnf("metadata.name", "%s carries the labels %s=%s and %s=%s, but the Release owns only %s for that role; it is left untouched; allowed: remove the labels from objects rollspec did not generate",
			o.id(), strategies.LabelRelease, o.release, strategies.LabelRole, o.role, owner)
	}
}

func sortByPos(os []*object) {
	for i := 1; i < len(os); i++ {
		for k := i; k > 0 && os[k].pos < os[k-1].pos; k-- {
			os[k], os[k-1] = os[k-1], os[k]
		}
	}
}
