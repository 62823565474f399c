package fn

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
	"rollspec.dev/rollspec/strategies"
)

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
	for _, k := range keys {
		// A map does not say which came last; the caller folds ordered
		// overrides so that only the later of the pair is left.
		if excl := exclusiveFields[k]; excl != "" && k < excl {
			if _, both := overrides[excl]; both {
				return fmt.Errorf("parameters %s and %s were both given; a Release sets one of them at most; allowed: one of them", k, excl)
			}
		}
	}
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
