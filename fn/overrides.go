package fn

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

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

// decimal is an integer as every YAML reader reads it alike: 010 is 8 to a
// YAML 1.1 reader and 10 to a YAML 1.2 one, 0x10 is 16 to some readers and
// a string to others.
var decimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

var (
	typeIntOrPercentValue = reflect.TypeOf(strategies.IntOrPercent{})
	typeDurationValue     = reflect.TypeOf(strategies.Duration{})
)

// check rejects a value that would not mean, in a Release file, what it
// says on the command line or in the environment.
func (o Override) check() error {
	t, enum, err := fieldType(o.Field)
	if err != nil {
		return fmt.Errorf("%s=%s: %v", o.Source, o.Value, err)
	}
	v := o.Value
	bad := func(what, allowed string) error {
		return fmt.Errorf("%s=%s: spec.%s: %s; allowed: %s", o.Source, o.Value, o.Field, what, allowed)
	}
	leaf := o.Field[strings.LastIndex(o.Field, ".")+1:]
	switch {
	case t == typeIntOrPercentValue:
		if !decimal.MatchString(v) && !decimal.MatchString(strings.TrimSuffix(v, "%")) {
			return bad(fmt.Sprintf("%q is neither a decimal integer nor a percent", v), `an integer in decimal digits such as 1, or a percent such as 25%`)
		}
	case t == typeDurationValue:
		if v != "" && v[0] >= '0' && v[0] <= '9' && strings.Trim(v, "0123456789") == "" && !decimal.MatchString(v) {
			return bad(fmt.Sprintf("%q is not a decimal number of seconds", v), "a duration such as 30s, or seconds in decimal digits without leading zeros")
		}
	case t.Kind() == reflect.Int64 || t.Kind() == reflect.Int32 || t.Kind() == reflect.Int:
		if !decimal.MatchString(v) {
			return bad(fmt.Sprintf("%q is not a decimal integer", v), "an integer in decimal digits without leading zeros, such as 10")
		}
	case t.Kind() == reflect.Slice && (t.Elem().Kind() == reflect.Int64 || t.Elem().Kind() == reflect.Int):
		n := yamlValue(v)
		if n.Kind != yaml.SequenceNode {
			return bad(fmt.Sprintf("%q is not a list", v), "a list of decimal integers such as [10,25,50]")
		}
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode || !decimal.MatchString(e.Value) {
				return bad(fmt.Sprintf("%q is not a decimal integer", e.Value), "a list of decimal integers such as [10,25,50]")
			}
		}
	case t.Kind() == reflect.Bool:
		if v != "true" && v != "false" {
			return bad(fmt.Sprintf("%q is not a boolean", v), "true, false")
		}
	case t.Kind() == reflect.String && len(enum) > 0:
		for _, e := range enum {
			if v == e {
				return nil
			}
		}
		return bad(fmt.Sprintf("%q is not one of the choices", v), strings.Join(enum, ", "))
	case t.Kind() == reflect.String && leaf == "image":
		if !imageReference.MatchString(v) {
			return bad(fmt.Sprintf("%q is not an image reference", v), "[registry[:port]/]repository[:tag][@digest], the repository in lower case, such as registry.example.com/web:1.2")
		}
	case t.Kind() == reflect.String && leaf == "tag":
		if !imageTag.MatchString(v) {
			return bad(fmt.Sprintf("%q is not an image tag", v), "up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
		}
	case t.Kind() == reflect.String && leaf == "version":
		if !labelValue.MatchString(v) {
			return bad(fmt.Sprintf("%q is not a label value", v), "up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
		}
	}
	return nil
}

// fieldType is the Go type of a dotted spec field, without pointers, and
// the values its enum tag allows.
func fieldType(dotted string) (reflect.Type, []string, error) {
	t := reflect.TypeOf(strategies.Spec{})
	var enum []string
	path := "spec"
	for _, k := range strings.Split(dotted, ".") {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == typeIntOrPercentValue || t == typeDurationValue {
			return nil, nil, fmt.Errorf("%s is not a mapping, so %s.%s does not exist", path, path, k)
		}
		f, ok := jsonFieldIndex(t)[k]
		if !ok {
			allowed := jsonFields(t)
			if near := nearest(k, allowed); near != "" {
				return nil, nil, fmt.Errorf("%s.%s: unknown field %q (did you mean %q?); allowed: %s", path, k, k, near, strings.Join(allowed, ", "))
			}
			return nil, nil, fmt.Errorf("%s.%s: unknown field %q; allowed: %s", path, k, k, strings.Join(allowed, ", "))
		}
		path += "." + k
		t = f.Type
		enum = nil
		if e := f.Tag.Get("enum"); e != "" {
			enum = strings.Split(e, ",")
		}
	}
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return t, enum, nil
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
		if it.GetKind() != Kind || !strings.HasPrefix(it.GetApiVersion(), "rollspec.dev/") {
			continue
		}
		found = true
		spec, err := it.Pipe(yaml.LookupCreate(yaml.MappingNode, "spec"))
		if err != nil {
			return fmt.Errorf("setting parameters on Release %q: %w", it.GetName(), err)
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
	t := reflect.TypeOf(strategies.Spec{})
	for _, k := range strings.Split(dotted, ".") {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return yamlValue(v)
		}
		f, ok := jsonFieldIndex(t)[k]
		if !ok {
			return yamlValue(v) // the parser reports the unknown field
		}
		t = f.Type
	}
	if t.Kind() == reflect.String {
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
