package fn

import (
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// releaseFromConfigMap builds a Release from a ConfigMap functionConfig,
// as `kpt fn eval --exec rollspec -- name=hexo image=nginx:1.27` passes
// it. data.name and data.namespace become the metadata; every other key is
// a spec field, with dots for nesting (rolling.maxSurge=1). Values are read
// as YAML, so 1 is a number, 25% a string and [a,b] a list.
func releaseFromConfigMap(cm *yaml.RNode) (*Release, []strategies.Finding) {
	data := cm.GetDataMap()
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	root := yaml.MustParse("apiVersion: " + APIVersion + "\nkind: " + Kind + "\nmetadata: {}\nspec: {}\n")
	meta := root.Field("metadata").Value.YNode()
	spec := root.Field("spec").Value.YNode()
	meta.Style, spec.Style = 0, 0
	for _, k := range keys {
		v := data[k]
		switch k {
		case "name", "namespace":
			meta.Content = append(meta.Content, keyNode(k), &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v})
			continue
		}
		value := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v}
		if parsed, err := yaml.Parse(v); err == nil && parsed.YNode() != nil {
			value = parsed.YNode()
			value.Style &^= yaml.FlowStyle
		}
		setPath(spec, strings.Split(k, "."), value)
	}
	if data["name"] == "" {
		return nil, []strategies.Finding{{Severity: strategies.Error, Path: "data.name", Message: "is missing; allowed: the Release name (also the default target Deployment), as name=NAME"}}
	}
	return parseRelease(root, true)
}

func keyNode(k string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: k}
}

// setPath sets a nested mapping field, creating the mappings on the way.
func setPath(m *yaml.Node, keys []string, value *yaml.Node) {
	for _, k := range keys[:len(keys)-1] {
		var next *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == k && m.Content[i+1].Kind == yaml.MappingNode {
				next = m.Content[i+1]
			}
		}
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
			m.Content = append(m.Content, keyNode(k), next)
		}
		m = next
	}
	m.Content = append(m.Content, keyNode(keys[len(keys)-1]), value)
}
