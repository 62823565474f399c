package fn

import (
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

// OverridesFromEnv reads PARAM_<NAME> and ARGOCD_ENV_<NAME> from environ
// (PARAM_ wins) and returns spec overrides; empty values are skipped, as
// Argo CD passes declared parameters the user left empty.
func OverridesFromEnv(environ []string) map[string]string {
	out := map[string]string{}
	for _, prefix := range []string{"ARGOCD_ENV_", "PARAM_"} {
		for _, kv := range environ {
			k, v, ok := strings.Cut(kv, "=")
			name, has := strings.CutPrefix(k, prefix)
			if !ok || !has || v == "" {
				continue
			}
			if field, known := envParams[name]; known {
				out[field] = v
			}
		}
	}
	return out
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
