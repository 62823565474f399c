package strategies

import (
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The helpers below work on the yaml.v3 nodes under an RNode. They edit a
// mapping in place: a field that exists keeps its position (and comments),
// a new field goes at the end, so untouched parts of a manifest keep their
// order and a re-run produces the same bytes.

// field returns the value of key in mapping m, or nil. It reads through
// aliases, so that reading an object that was not expanded (see Expand)
// never mistakes an alias for a missing field; objects that are edited are
// expanded first and hold none. Of a key written twice it reads the last,
// as the API server's decoder does (objects that are edited may not hold
// one twice).
func field(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := len(m.Content) - 2; i >= 0; i -= 2 {
		if m.Content[i].Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

// HasMergeKey reports whether mapping m has a merge key (<<) of its own.
func HasMergeKey(m *yaml.Node) bool {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Tag == mergeTag {
			return true
		}
	}
	return false
}

// maxAliasHops bounds a chain of aliases that deref follows.
const maxAliasHops = 64

// deref follows aliases to the node they point to; nil for a chain that
// does not end.
func deref(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops == maxAliasHops {
			return nil
		}
		n = n.Alias
	}
	return n
}

// Name returns metadata.name of an object, "" when it has none; unlike
// kyaml's GetName it never panics on a malformed metadata.
func Name(n *yaml.RNode) string { return scalar(path(n.YNode(), "metadata", "name")) }

// Namespace returns metadata.namespace of an object, "" when it has none.
func Namespace(n *yaml.RNode) string { return scalar(path(n.YNode(), "metadata", "namespace")) }

// Kind returns the kind of an object, "" when it has none.
func Kind(n *yaml.RNode) string { return scalar(field(n.YNode(), "kind")) }

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
			// A new slice: the old backing array may be shared with a
			// copy of this node, which must not see the removal.
			rest := make([]*yaml.Node, 0, len(m.Content)-2)
			m.Content = append(append(rest, m.Content[:i]...), m.Content[i+2:]...)
			return true
		}
	}
	return false
}

// CopyRNode returns a deep copy of n that shares no node and no slice
// with it. kyaml's RNode.Copy shares the backing array of an emptied
// mapping, so an edit of the copy could show up in the original.
func CopyRNode(n *yaml.RNode) *yaml.RNode {
	return yaml.NewRNode(copyNode(n.YNode()))
}

func copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = nil
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, child := range n.Content {
			c.Content[i] = copyNode(child)
		}
	}
	return &c
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

// strNode is a generated string. yaml.v3 writes a string plain whenever
// YAML 1.2 reads it back as a string, but kubectl, Argo CD and the API
// server read YAML 1.1 (sigs.k8s.io/yaml), where yes, on, y or off are
// booleans: those are written quoted, so every reader sees the string.
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: s}
	if yaml11NotString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yaml11NotString reports whether a plain scalar that YAML 1.2 reads as a
// string is something else to a YAML 1.1 reader: a boolean word (in any
// case, as some readers fold it) or a base-60 number (1:20).
func yaml11NotString(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off":
		return true
	}
	return base60.MatchString(s)
}

// base60 are YAML 1.1's sexagesimal numbers.
var base60 = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

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
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]KV, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, KV{m.Content[i].Value, scalar(deref(m.Content[i+1]))})
	}
	return out
}

// StringMap reads a mapping of scalars, in document order, through aliases.
func StringMap(m *yaml.Node) []KV { return stringMap(m) }

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

// SetAnnotation sets metadata.annotations.<key> of an object.
func SetAnnotation(n *yaml.RNode, key, value string) {
	setField(mapping(n.YNode(), "metadata", "annotations"), key, strNode(value))
}
