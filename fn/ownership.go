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

// rolesOf lists the roles (of every registered strategy) whose objects
// are named after a parent of that sort and are of kind.
func rolesOf(parent strategies.Parent, kind string) []strategies.Role {
	var out []strategies.Role
	for _, r := range strategies.Roles() {
		if r.Parent == parent && r.Suffix != "" && slices.Contains(r.Kinds, kind) {
			out = append(out, r)
		}
	}
	return out
}

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
	for _, r := range rolesOf(strategies.OfTarget, targetKind) {
		if base != nil {
			if o := ix.exact(targetKind, base.ns, base.name+r.Suffix); o != nil && carries(o, release, r.Name) {
				out = append(out, o)
			}
			continue
		}
		for _, o := range ix.named(targetKind, ns, target+r.Suffix) {
			if carries(o, release, r.Name) {
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
		for _, r := range rolesOf(strategies.OfService, "Service") {
			parent, ok := strings.CutSuffix(o.name, r.Suffix)
			if ok && o.role == r.Name && ix.exact("Service", ns, parent) != nil {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// ownedFollowers returns the objects an earlier render generated for the
// Release in ns after an object that follows the target (an autoscaler's
// or a budget's copies): named <name><suffix>, carrying both labels.
func ownedFollowers(ix *index, release, ns string) []*object {
	var out []*object
	for _, o := range ix.labelled[release] {
		if !sameNamespace(o.ns, ns) {
			continue
		}
		for _, r := range rolesOf(strategies.OfFollower, o.kind) {
			if o.role == r.Name && strings.HasSuffix(o.name, r.Suffix) {
				out = append(out, o)
				break
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
	for _, r := range strategies.Roles() {
		if r.Name == role && r.Parent == strategies.OfTarget {
			return parent + r.Suffix
		}
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
