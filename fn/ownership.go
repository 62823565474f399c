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

// ownedWorkloads returns the workloads of a kind that an earlier render
// generated for the Release: named after the target (base, when it is in
// the input) or after the target's name, carrying both labels.
func ownedWorkloads(ix *index, release, kind string, base *object, target, ns string) []*object {
	var out []*object
	for _, r := range rolesOf(strategies.OfTarget, kind) {
		if base != nil {
			if o := ix.exact(kind, base.ns, base.name+r.Suffix); o != nil && carries(o, release, r.Name) {
				out = append(out, o)
			}
			continue
		}
		for _, o := range ix.named(kind, ns, target+r.Suffix) {
			if carries(o, release, r.Name) {
				out = append(out, o)
			}
		}
	}
	sortByPos(out)
	return out
}

// derived is a Service that may be an earlier render's, and the Service
// it would have been generated after.
type derived struct {
	*object
	parent string
}

// ownedServices returns the Services in ns that an earlier render may have
// generated for the Release: <service><suffix> of a Service in ns,
// carrying both labels. They are its own when it steers the parent
// (resolveServices decides).
func ownedServices(ix *index, release, ns string) []derived {
	var out []derived
	for _, o := range ix.labelled[release] {
		if o.kind != "Service" || !sameNamespace(o.ns, ns) {
			continue
		}
		for _, r := range rolesOf(strategies.OfService, "Service") {
			parent, ok := strings.CutSuffix(o.name, r.Suffix)
			if ok && o.role == r.Name && ix.exact("Service", ns, parent) != nil {
				out = append(out, derived{o, parent})
				break
			}
		}
	}
	return out
}

// targetSuffix is the suffix of the workloads of kind generated for role
// after the target's name.
func targetSuffix(kind, role string) (string, bool) {
	for _, r := range rolesOf(strategies.OfTarget, kind) {
		if r.Name == role {
			return r.Suffix, true
		}
	}
	return "", false
}

// expectedName is the name an object of role would have for the job, for
// the warning about labels on another object; "" when it depends on a
// Service.
func (j *job) expectedName(role, kind string) string {
	parent := j.targetName
	if j.base != nil {
		parent = j.base.name
	}
	for _, r := range strategies.Roles() {
		if r.Name == role && r.Parent == strategies.OfTarget && slices.Contains(r.Kinds, kind) {
			return parent + r.Suffix
		}
	}
	return ""
}

// warnForeignLabels warns about objects that carry a Release's labels but
// are not its own by the ownership rule: copy-pasted YAML or an overlay's
// common labels. They pass through untouched. used are the objects the
// Releases used or replaced; a Release that failed says nothing more.
func warnForeignLabels(ix *index, jobs []*job, used map[*object]bool) {
	byName, failed := map[string][]*job{}, map[string]bool{}
	for _, j := range jobs {
		byName[j.r.Metadata.Name] = append(byName[j.r.Metadata.Name], j)
		failed[j.r.Metadata.Name] = failed[j.r.Metadata.Name] || j.failed()
	}
	for _, o := range ix.objects {
		candidates := byName[o.release]
		if used[o] || o.role == "" || len(candidates) == 0 || failed[o.release] {
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
		if name := j.expectedName(o.role, o.kind); name != "" && j.ns != "" {
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

// checkNames refuses two Releases of one name that release into one
// namespace: what they generate carries only the name in
// rollspec.dev/release, so each would take the other's objects for its
// own on the next render.
func checkNames(jobs []*job) {
	seen := map[string]*job{}
	for _, j := range jobs {
		if j.failed() || (j.base == nil && len(j.owned) == 0 && j.generated == nil) {
			continue
		}
		key := j.r.Metadata.Name + "\x00" + nsName(j.ns)
		if other := seen[key]; other != nil {
			j.errorf("metadata.name", "Release %q and Release %q both release into namespace %q, and the label %s holds only the name, so each would take the other's objects for its own; allowed: one Release of a name per namespace", other.r.ID(), j.r.ID(), nsName(j.ns), strategies.LabelRelease)
			continue
		}
		seen[key] = j
	}
}
