package fn

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
	"rollspec.dev/rollspec/strategies"
)

// reporter turns findings into KRM results that name the Release, the
// field and the file the Release came from.
type reporter struct {
	results framework.Results
	errors  int
}

// add records findings about a Release (r may be nil for input-wide problems).
func (rep *reporter) add(r *release, file string, fs ...strategies.Finding) {
	for _, f := range fs {
		res := &framework.Result{Severity: framework.Severity(f.Severity), Message: message(r, f)}
		if r != nil {
			res.ResourceRef = &yaml.ResourceIdentifier{
				TypeMeta: yaml.TypeMeta{APIVersion: api.APIVersion, Kind: api.Kind},
				NameMeta: yaml.NameMeta{Name: r.Metadata.Name, Namespace: r.Metadata.Namespace},
			}
		}
		if f.Path != "" {
			res.Field = &framework.Field{Path: f.Path}
		}
		if file != "" {
			res.File = &framework.File{Path: file}
		}
		if f.Severity == strategies.Error {
			rep.errors++
		}
		rep.results = append(rep.results, res)
	}
}

// message is the self-contained text of a finding: who, where, what.
func message(r *release, f strategies.Finding) string {
	var b strings.Builder
	if r != nil {
		b.WriteString(r.describe())
		b.WriteString(": ")
	}
	if f.Path != "" {
		b.WriteString(f.Path)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// filePath is the path annotation of an item, "" when it has none.
func filePath(n *yaml.RNode) string {
	if n == nil {
		return ""
	}
	if p, _ := annotation(n, kioutil.PathAnnotation); p != "" {
		return p
	}
	p, _ := annotation(n, legacyPathAnnotation)
	return p
}

// Failure is returned by the processor when a result has severity error,
// so the function exits non-zero (error results alone do not do that).
type Failure struct{ Results framework.Results }

// Error lists the error messages, one per line.
func (f *Failure) Error() string {
	var lines []string
	for _, r := range f.Results {
		if r.Severity == framework.Error {
			lines = append(lines, r.Message)
		}
	}
	return fmt.Sprintf("%d error(s):\n  %s", len(lines), strings.Join(lines, "\n  "))
}
