package fn

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
	"rollspec.dev/rollspec/strategies"
)

// envParams maps the parameter names an Argo CD Config Management Plugin
// passes (PARAM_<NAME> for declared parameters, ARGOCD_ENV_<NAME> for the
// Application's plugin env) to Release spec fields.
var envParams = map[string]string{
	"IMAGE":             "image",
	"TAG":               "tag",
	"VERSION":           "version",
	"REPLICAS":          "replicas",
	"STRATEGY":          "strategy",
	"PAUSED":            "paused",
	"MAX_SURGE":         "rolling.maxSurge",
	"MAX_UNAVAILABLE":   "rolling.maxUnavailable",
	"PROFILE":           "rolling.profile",
	"ACTIVE":            "blueGreen.active",
	"PREVIEW":           "blueGreen.preview",
	"INACTIVE_REPLICAS": "blueGreen.inactiveReplicas",
	"CANARY_IMAGE":      "canary.image",
	"CANARY_WEIGHT":     "canary.weight",
	"CANARY_STEP":       "canary.step",
}

// EnvParamNames lists the parameter names, sorted, for help texts.
func EnvParamNames() []string {
	var out []string
	for k := range envParams {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Override is one spec field set from outside the Release files: a --set
// flag or an Argo CD parameter. Source says where it came from, so that an
// error names what the user has to change (PARAM_REPLICAS, not
// spec.replicas, which no file of theirs holds).
type Override struct {
	Field  string // dotted spec path: rolling.maxSurge
	Value  string
	Source string // PARAM_REPLICAS, ARGOCD_ENV_REPLICAS, --set replicas
}

// Overrides apply in order; a later one for the same field wins.
type Overrides []Override

// OverridesFromEnv reads ARGOCD_ENV_<NAME> and then PARAM_<NAME> from
// environ (so a declared parameter wins over the Application's env) and
// checks each value. Empty values are skipped: Argo CD passes declared
// parameters the user left empty.
func OverridesFromEnv(environ []string) (Overrides, error) {
	var out Overrides
	for _, prefix := range []string{"ARGOCD_ENV_", "PARAM_"} {
		var found Overrides
		for _, kv := range environ {
			k, v, ok := strings.Cut(kv, "=")
			name, has := strings.CutPrefix(k, prefix)
			if !ok || !has || v == "" {
				continue
			}
			if field, known := envParams[name]; known {
				found = append(found, Override{Field: field, Value: v, Source: k})
			}
		}
		// The environment's order is the process's; sorting keeps the
		// first error reported the same on every run.
		sort.Slice(found, func(i, j int) bool { return found[i].Source < found[j].Source })
		out = append(out, found...)
	}
	return out, out.check()
}

// ParseSet reads a --set KEY=VALUE argument.
func ParseSet(arg string) (Override, error) {
	k, v, ok := strings.Cut(arg, "=")
	if !ok || k == "" {
		return Override{}, fmt.Errorf("--set %q: want KEY=VALUE, KEY a spec field such as replicas or rolling.maxSurge", arg)
	}
	o := Override{Field: k, Value: v, Source: "--set " + k}
	return o, o.check()
}

// Map is the value of each field, the last override winning.
func (os Overrides) Map() map[string]string {
	out := make(map[string]string, len(os))
	for _, o := range os {
		out[o.Field] = o.Value
	}
	return out
}

func (os Overrides) check() error {
	var errs []error
	for _, o := range os {
		if err := o.check(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Explain adds to a render error which overrides set the fields it names,
// or fields inside the mappings it names:
// the parameter checks above catch a bad value on its own, but not one
// that conflicts with the rest of the spec (maxSurge 0 with maxUnavailable
// 0, a canary step past the last step).
func (os Overrides) Explain(err error) error {
	if err == nil || len(os) == 0 {
		return err
	}
	msg := err.Error()
	var notes []string
	seen := map[string]bool{}
	for i := len(os) - 1; i >= 0; i-- { // the one that won
		o := os[i]
		if seen[o.Field] {
			continue
		}
		seen[o.Field] = true
		// The field itself or a mapping that holds it: "spec.rolling:
		// maxSurge and maxUnavailable are both 0" is about both.
		for path := "spec." + o.Field; strings.Contains(path, "."); path = path[:strings.LastIndex(path, ".")] {
			if mentions(msg, path) {
				notes = append(notes, fmt.Sprintf("spec.%s was set by %s=%s", o.Field, o.Source, o.Value))
				break
			}
		}
	}
	if len(notes) == 0 {
		return err
	}
	sort.Strings(notes)
	return fmt.Errorf("%w\n  (%s)", err, strings.Join(notes, "; "))
}

// mentions reports whether msg names the path itself, not merely a longer
// path that starts with it (spec.canary in spec.canary.steps or
// spec.canaryX).
func mentions(msg, path string) bool {
	for i := strings.Index(msg, path); i >= 0; {
		end := i + len(path)
		longer := end < len(msg) && (isPathChar(msg[end]) || msg[end] == '.' && end+1 < len(msg) && isPathChar(msg[end+1]))
		if !longer {
			return true
		}
		next := strings.Index(msg[end:], path)
		if next < 0 {
			return false
		}
		i = end + next
	}
	return false
}

func isPathChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// check rejects a value that would not mean, in a Release file, what it
// says on the command line or in the environment.
func (o Override) check() error {
	f, err := api.LookupField(o.Field)
	if err == nil {
		err = f.CheckValue(o.Value)
	}
	if err != nil {
		return fmt.Errorf("%s=%s: %v", o.Source, o.Value, err)
	}
	return nil
}

// applyOverrides sets spec fields (dotted paths, values read as YAML) on
// every Release item, the way a ConfigMap functionConfig does.
func applyOverrides(items []*yaml.RNode, overrides map[string]string) error {
	if len(overrides) == 0 {
		return nil
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	found := false
	for _, it := range items {
		if !isRelease(it) {
			continue
		}
		found = true
		spec, err := it.Pipe(yaml.LookupCreate(yaml.MappingNode, "spec"))
		if err != nil {
			return fmt.Errorf("setting parameters on Release %q: %w", strategies.Name(it), err)
		}
		for _, k := range keys {
			if excl, ok := exclusiveFields[k]; ok {
				removeKey(spec.YNode(), excl)
			}
			setPath(spec.YNode(), strings.Split(k, "."), typedValue(k, overrides[k]))
		}
	}
	if !found {
		return fmt.Errorf("parameters %s were given, but the input has no Release to apply them to", strings.Join(keys, ", "))
	}
	return nil
}

// typedValue is yamlValue, except that a field that holds a string gets
// the text as is: on a command line, tag=1.28 means the string "1.28".
func typedValue(dotted string, v string) *yaml.Node {
	if api.IsStringField(dotted) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v}
	}
	return yamlValue(v)
}

// yamlValue reads a parameter as YAML, so 3 is a number and [a,b] a list;
// anything that does not parse is a string.
func yamlValue(v string) *yaml.Node {
	if parsed, err := yaml.Parse(v); err == nil && parsed.YNode() != nil && parsed.YNode().Kind != yaml.MappingNode {
		n := parsed.YNode()
		n.Style &^= yaml.FlowStyle
		return n
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v}
}
