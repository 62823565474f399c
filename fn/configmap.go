package fn

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
	"rollspec.dev/rollspec/strategies"
)

// releaseFromConfigMap builds a Release from a ConfigMap functionConfig,
// as `kpt fn eval --exec rollspec -- name=hexo image=nginx:1.27` passes
// it. data.name and data.namespace become the metadata; every other key is
// a spec field, with dots for nesting (rolling.maxSurge=1). Values are read
// as YAML, so 1 is a number, 25% a string and [a,b] a list.
//
// When an item is a Release of that name (the package's own Release, as
// `kpt fn eval` on a package passes it), the ConfigMap's fields are set
// over that Release's spec and merged is its position: one Release, the
// imperative values winning; merged is -1 otherwise.
func releaseFromConfigMap(cm *yaml.RNode, items []*yaml.RNode) (*release, int, []strategies.Finding) {
	data := dataMap(cm)
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if data["name"] == "" {
		return nil, -1, []strategies.Finding{{Severity: strategies.Error, Path: "data.name", Message: "is missing; allowed: the Release name (also the default target Deployment), as name=NAME"}}
	}
	root, merged, fs := packageRelease(data, items)
	if fs != nil {
		return nil, merged, fs
	}
	if _, image := data["image"]; image && merged >= 0 {
		// Each replaces the other in the package's Release, and a
		// ConfigMap's keys have no order to say which came last.
		if _, tag := data["tag"]; tag {
			return nil, merged, []strategies.Finding{{Severity: strategies.Error, Path: "data.tag",
				Message: "is set together with data.image, and each replaces the other in the package's Release; allowed: one of image (a whole reference) or tag (keeps the repository)"}}
		}
	}
	meta := mappingField(root.YNode(), "metadata")
	spec := mappingField(root.YNode(), "spec")
	meta.Style, spec.Style = 0, 0
	for _, k := range keys {
		v := data[k]
		switch k {
		case "name", "namespace":
			if merged < 0 {
				meta.Content = append(meta.Content, keyNode(k), &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v})
			}
			continue
		}
		if excl, ok := exclusiveFields[k]; ok && merged >= 0 {
			// The imperative value replaces its alternative in the package's Release.
			removeKey(spec, excl)
		}
		setPath(spec, strings.Split(k, "."), yamlValue(v))
	}
	parsed, fs := api.DecodeLenient(root)
	if parsed == nil {
		return nil, merged, fs
	}
	return &release{Release: parsed}, merged, nil
}

// exclusiveFields pairs spec fields of which a Release sets one at most.
var exclusiveFields = map[string]string{"image": "tag", "tag": "image"}

// ReplacedField names the spec field that setting field replaces (tag for
// image, image for tag), "" for none: of overrides given in order, only
// the later of the two may reach the Release.
func ReplacedField(field string) string { return exclusiveFields[field] }

func removeKey(m *yaml.Node, key string) { strategies.RemoveField(m, key) }

func keyNode(k string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: k}
}

// setPath sets a nested mapping field, creating the mappings on the way
// and replacing a value that is already there.
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
	last := keys[len(keys)-1]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == last {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, keyNode(last), value)
}

// dataMap reads a ConfigMap's data as strings; it never panics on a
// malformed one (kyaml's GetDataMap does), it skips what is not a pair of
// scalars.
func dataMap(cm *yaml.RNode) map[string]string {
	out := map[string]string{}
	for _, kv := range strategies.StringMap(topField(cm.YNode(), "data")) {
		out[kv.Key] = kv.Value
	}
	return out
}

// mappingField returns the mapping at key of m, adding an empty one when
// the key is missing or null (a parsed Release holds no other shape there).
func mappingField(m *yaml.Node, key string) *yaml.Node {
	if v := topField(m, key); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	strategies.RemoveField(m, key)
	m.Content = append(m.Content, keyNode(key), v)
	return v
}

// packageRelease is the Release the ConfigMap's values are set over: the
// package's own Release of that name (expanded, its position), or a new
// one (-1). Two of that name in two namespaces is an error.
func packageRelease(data map[string]string, items []*yaml.RNode) (*yaml.RNode, int, []strategies.Finding) {
	var matches []int
	for i, it := range items {
		if isRelease(it) && strategies.Name(it) == data["name"] &&
			(data["namespace"] == "" || sameNamespace(strategies.Namespace(it), data["namespace"])) {
			matches = append(matches, i)
		}
	}
	switch len(matches) {
	case 0:
		return yaml.MustParse("apiVersion: " + api.APIVersion + "\nkind: " + api.Kind + "\nmetadata: {}\nspec: {}\n"), -1, nil
	case 1:
	default:
		var which []string
		for _, i := range matches {
			which = append(which, qualified(nsName(strategies.Namespace(items[i])), data["name"]))
		}
		return nil, -1, []strategies.Finding{{Severity: strategies.Error, Path: "data.name",
			Message: fmt.Sprintf("%q names %d Releases of the package (%s); allowed: namespace=NAMESPACE with it, to pick one", data["name"], len(matches), strings.Join(which, ", "))}}
	}
	i, it := matches[0], items[matches[0]]
	// The package's Release must stand on its own before values are set
	// over it.
	if _, fs := api.Decode(it); fs != nil {
		return nil, i, fs
	}
	expanded, err := strategies.Expand(it.YNode())
	if err != nil {
		return nil, i, []strategies.Finding{{Severity: strategies.Error, Message: err.Error()}}
	}
	return yaml.NewRNode(expanded), i, nil
}
