package strategies

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// MaxExpandedNodes bounds the size of an object once its YAML aliases are
// expanded. A hand-written Deployment or Release has a few hundred nodes;
// an "alias bomb" of a few hundred bytes expands to billions. Every object
// rollspec reads through aliases is expanded against this bound first, so
// hostile input fails in milliseconds instead of exhausting memory.
const MaxExpandedNodes = 100_000

// maxDepth bounds the nesting of an expanded object (an alias that
// contains itself would otherwise recurse without end).
const maxDepth = 1000

// mergeTag is the tag yaml.v3 gives an unquoted << key.
const mergeTag = "!!merge"

// ErrTooLarge is returned by Expand when the expanded object would exceed
// MaxExpandedNodes nodes or maxDepth levels.
var ErrTooLarge = fmt.Errorf("its YAML aliases expand to more than %d nodes (or %d levels); allowed: anchors and aliases that expand to less", MaxExpandedNodes, maxDepth)

// HasAliases reports whether anything under n is an alias, an anchor or a
// merge key: the shapes whose edits could write through a node that
// another part of the document shares.
func HasAliases(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" || n.Tag == mergeTag {
		return true
	}
	for _, c := range n.Content {
		if HasAliases(c) {
			return true
		}
	}
	return false
}

// Expand returns a copy of n that shares no node with n: aliases are
// replaced by copies of what they point to, merge keys (<<) are resolved,
// and anchors are dropped. Merge keys are resolved the way the API
// server's YAML decoder (sigs.k8s.io/yaml, on yaml.v2) reads them, so
// rollspec edits the object the cluster will see: the pairs of a mapping
// are applied in document order, a merge applies its mapping's pairs (of a
// list of mappings, the earlier ones win), and a later pair overwrites an
// earlier one of the same key. Each key keeps the position where it first
// appears. A node without aliases is copied deeply.
func Expand(n *yaml.Node) (*yaml.Node, error) {
	budget := MaxExpandedNodes
	return expand(n, &budget, 0)
}

func expand(n *yaml.Node, budget *int, depth int) (*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	*budget--
	if *budget < 0 || depth > maxDepth {
		return nil, ErrTooLarge
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, fmt.Errorf("an alias %q points to no anchor", n.Value)
		}
		n = n.Alias
		depth++
		if depth > maxDepth {
			return nil, ErrTooLarge
		}
	}
	c := *n
	c.Anchor = ""
	c.Alias = nil
	c.Content = nil
	if n.Kind == yaml.MappingNode {
		pairs, err := mergedPairs(n, budget, depth)
		if err != nil {
			return nil, err
		}
		c.Content = make([]*yaml.Node, 0, len(pairs)*2)
		for _, p := range pairs {
			c.Content = append(c.Content, p.key, p.value)
		}
		return &c, nil
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, child := range n.Content {
			e, err := expand(child, budget, depth+1)
			if err != nil {
				return nil, err
			}
			c.Content[i] = e
		}
	}
	return &c, nil
}

type pair struct{ key, value *yaml.Node }

// mergedPairs resolves a mapping's pairs, merge keys included, into
// expanded copies.
func mergedPairs(m *yaml.Node, budget *int, depth int) ([]pair, error) {
	var out []pair
	at := map[string]int{}
	set := func(k, v *yaml.Node) {
		if i, ok := at[k.Value]; ok && k.Kind == yaml.ScalarNode {
			out[i].value = v
			return
		}
		if k.Kind == yaml.ScalarNode {
			at[k.Value] = len(out)
		}
		out = append(out, pair{k, v})
	}
	var apply func(m *yaml.Node, depth int) error
	apply = func(m *yaml.Node, depth int) error {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == mergeTag {
				if err := applyMerge(v, depth, apply, budget); err != nil {
					return err
				}
				continue
			}
			ek, err := expand(k, budget, depth+1)
			if err != nil {
				return err
			}
			ev, err := expand(v, budget, depth+1)
			if err != nil {
				return err
			}
			set(ek, ev)
		}
		return nil
	}
	if err := apply(m, depth); err != nil {
		return nil, err
	}
	return out, nil
}

// applyMerge applies the value of a merge key: a mapping, an alias of one,
// or a list of them, the earlier ones winning.
func applyMerge(v *yaml.Node, depth int, apply func(*yaml.Node, int) error, budget *int) error {
	target := func(n *yaml.Node) (*yaml.Node, error) {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
			depth++
			*budget--
			if depth > maxDepth || *budget < 0 {
				return nil, ErrTooLarge
			}
		}
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("a merge key (<<) at line %d takes a mapping or a list of mappings", v.Line)
		}
		return n, nil
	}
	if v.Kind == yaml.SequenceNode {
		for i := len(v.Content) - 1; i >= 0; i-- {
			m, err := target(v.Content[i])
			if err != nil {
				return err
			}
			if err := apply(m, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	m, err := target(v)
	if err != nil {
		return err
	}
	return apply(m, depth+1)
}

// DuplicateKey returns the path of the first mapping under n that holds a
// key twice, and the key; "" when there is none. The API server's decoder
// keeps the last value and kubectl warns, so an edit of the first would
// not be what the cluster sees.
func DuplicateKey(n *yaml.Node) (at, key string) {
	return duplicateKey(n, "")
}

func duplicateKey(n *yaml.Node, at string) (string, string) {
	if n == nil {
		return "", ""
	}
	switch n.Kind {
	case yaml.MappingNode:
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode {
				if seen[k.Value] {
					return at, k.Value
				}
				seen[k.Value] = true
			}
			if p, key := duplicateKey(n.Content[i+1], joinPath(at, k.Value)); key != "" {
				return p, key
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p, key := duplicateKey(c, fmt.Sprintf("%s[%d]", at, i)); key != "" {
				return p, key
			}
		}
	}
	return "", ""
}

func joinPath(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

// LocalizeAliases replaces every alias in an item that points outside that
// item by an expanded copy of what it points to. A ResourceList is one
// YAML document, so an item may alias an anchor of another item; once
// that other item is edited (its aliases expanded, its anchors dropped)
// or dropped, the alias would point nowhere and the output would not
// parse. Aliases within an item are kept.
func LocalizeAliases(items []*yaml.Node) error {
	for _, it := range items {
		own := map[*yaml.Node]bool{}
		collectAnchors(it, own, 0)
		if err := localize(it, own, 0); err != nil {
			return err
		}
	}
	return nil
}

func collectAnchors(n *yaml.Node, own map[*yaml.Node]bool, depth int) {
	if n == nil || depth > maxDepth || n.Kind == yaml.AliasNode {
		return
	}
	if n.Anchor != "" {
		own[n] = true
	}
	for _, c := range n.Content {
		collectAnchors(c, own, depth+1)
	}
}

func localize(n *yaml.Node, own map[*yaml.Node]bool, depth int) error {
	if n == nil || depth > maxDepth {
		return nil
	}
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			if c.Alias != nil && !own[c.Alias] {
				e, err := Expand(c)
				if err != nil {
					return fmt.Errorf("an alias *%s points to another item and %w", c.Value, err)
				}
				n.Content[i] = e
			}
			continue
		}
		if err := localize(c, own, depth+1); err != nil {
			return err
		}
	}
	return nil
}
