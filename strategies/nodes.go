package strategies

import (
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The helpers below work on the yaml.v3 nodes under an RNode. They edit a
// mapping in place: a field that exists keeps its position (and comments),
// a new field goes at the end, so untouched parts of a manifest keep their
// order and a re-run produces the same bytes.

// field returns the value of key in mapping m, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// Field returns the value of key in mapping m, or nil; for package fn,
// which reads metadata in its hot paths the same way.
func Field(m *yaml.Node, key string) *yaml.Node { return field(m, key) }

// RemoveField deletes key from mapping m; it reports whether it was there.
func RemoveField(m *yaml.Node, key string) bool { return removeField(m, key) }

// path follows keys through nested mappings and returns nil when any is missing.
func path(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		m = field(m, k)
		if m == nil {
			return nil
		}
	}
	return m
}

// setField sets key in mapping m to value, keeping the key's position when
// it already exists.
func setField(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			// Keep the comments a user wrote next to the old value.
			value.LineComment = firstNonEmpty(value.LineComment, m.Content[i+1].LineComment)
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key}, value)
}

// removeField deletes key from mapping m; it reports whether it was there.
func removeField(m *yaml.Node, key string) bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return true
		}
	}
	return false
}

// mapping returns the mapping at key in m, creating an empty one (or
// replacing a null or scalar) when needed.
func mapping(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		next := field(m, k)
		if next == nil || next.Kind != yaml.MappingNode {
			next = newMap()
			setField(m, k, next)
		}
		m = next
	}
	return m
}

func newMap() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap} }

func newSeq() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq} }

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: s}
}

func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(i, 10)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(b)}
}

// intField reads an integer field, reporting whether it was present and valid.
func intField(m *yaml.Node, keys ...string) (int64, bool) {
	n := path(m, keys...)
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, false
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	return i, err == nil
}

// stringMap reads a mapping of scalars, in document order.
func stringMap(m *yaml.Node) []KV {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]KV, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, KV{m.Content[i].Value, m.Content[i+1].Value})
	}
	return out
}

// KV is one label or annotation, kept in document order.
type KV struct{ Key, Value string }

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// setName sets metadata.name.
func setName(n *yaml.RNode, name string) {
	setField(mapping(n.YNode(), "metadata"), "name", strNode(name))
}
