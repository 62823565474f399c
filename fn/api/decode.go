package api

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// shorthandForm is implemented by types that also accept a plain string
// (a probe in shorthand).
type shorthandForm interface{ ShorthandForm() }

var (
	typeIntOrPercent = reflect.TypeOf(IntOrPercent{})
	typeDuration     = reflect.TypeOf(Duration{})
	typeShorthand    = reflect.TypeOf((*shorthandForm)(nil)).Elem()
	typeSpec         = reflect.TypeOf(Spec{})
	typeTargetRef    = reflect.TypeOf(TargetRef{})
)

// topLevelFields are the fields a Release may have at its root.
var topLevelFields = []string{"apiVersion", "kind", "metadata", "spec"}

// Decode decodes a Release node strictly. Every unknown field and every
// value of the wrong type is reported with its path; the Release is nil
// when there is any.
func Decode(n *yaml.RNode) (*Release, []strategies.Finding) {
	return decode(n, false)
}

// DecodeLenient decodes a Release built from strings, accepting any
// scalar where a string is wanted (a ConfigMap's data values are all
// strings to begin with).
func DecodeLenient(n *yaml.RNode) (*Release, []strategies.Finding) {
	return decode(n, true)
}

func decode(n *yaml.RNode, lenient bool) (*Release, []strategies.Finding) {
	// A key written twice would be lost to the expansion below, which
	// keeps the last (as the API server does): a Release says each once.
	if at, key := strategies.DuplicateKey(n.YNode()); key != "" {
		return nil, []strategies.Finding{errorf(joinPath(at, key), "is set twice; allowed: each field once")}
	}
	// Aliases are expanded once, against a bound, so that the checker and
	// the decoder below never walk an alias bomb, and merge keys read as
	// the API server reads them.
	root, err := strategies.Expand(n.YNode())
	if err != nil {
		return nil, []strategies.Finding{{Severity: strategies.Error, Message: err.Error()}}
	}
	if root.Kind != yaml.MappingNode {
		return nil, []strategies.Finding{{Severity: strategies.Error, Message: "is not a mapping; allowed: a Release object"}}
	}
	if at, bad := badKey(root, ""); bad {
		return nil, []strategies.Finding{errorf(at, "has a key that is not a string (null, a number, a boolean or a list); allowed: field names and label keys as strings (quote a key that looks like another type)")}
	}
	c := checker{lenient: lenient}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "apiVersion", "kind":
			c.want(value, reflect.TypeOf(""), key)
		case "metadata":
			c.metadata(value)
		case "spec":
			c.check(value, typeSpec, "spec")
		case "status":
		default:
			c.unknown(key, key, topLevelFields)
		}
	}
	if av := scalarField(root, "apiVersion"); av != APIVersion && len(c.out) == 0 {
		c.errorf("apiVersion", "%q is not supported; allowed: %s", av, APIVersion)
	}
	if scalarField(topField(root, "metadata"), "name") == "" && len(c.out) == 0 {
		c.errorf("metadata.name", "is missing; allowed: the Release's name (also the default target Deployment)")
	}
	if len(c.out) > 0 {
		return nil, c.out
	}
	var r Release
	if err := decodeNode(root, reflect.ValueOf(&r).Elem()); err != nil {
		// The checker above accepts only what decodes; this is a safety net.
		return nil, []strategies.Finding{{Severity: strategies.Error, Message: fmt.Sprintf("cannot be decoded: %v", err)}}
	}
	return &r, nil
}

// badKey reports the path of the first mapping with a key that is not a
// string: null (an anchor with no key text), a collection ("? [a]"), which
// sigs.k8s.io/yaml, and so the API server, refuses, or a number or
// boolean, which it reads by rules of its own (0x..., octal, past 64 bits)
// and turns into strings. Every key of a Release is a field name or a
// label or annotation key: a string. The path is "" for the document
// itself; the node is expanded, so the walk is bounded.
func badKey(n *yaml.Node, at string) (string, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != yaml.NodeTagString {
				return at, true
			}
			if p, bad := badKey(n.Content[i+1], joinPath(at, k.Value)); bad {
				return p, true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p, bad := badKey(c, fmt.Sprintf("%s[%d]", at, i)); bad {
				return p, true
			}
		}
	}
	return "", false
}

// checker walks a yaml node against a Go type and records every mismatch.
type checker struct {
	lenient bool
	out     []strategies.Finding
}

func (c *checker) errorf(path, format string, args ...any) {
	c.out = append(c.out, strategies.Finding{Severity: strategies.Error, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) unknown(key, path string, allowed []string) {
	if near := nearest(key, allowed); near != "" {
		c.errorf(path, "unknown field %q (did you mean %q?); allowed: %s", key, near, strings.Join(allowed, ", "))
		return
	}
	c.errorf(path, "unknown field %q; allowed: %s", key, strings.Join(allowed, ", "))
}

// metadata allows every ObjectMeta field, but checks the ones rollspec reads.
func (c *checker) metadata(n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		c.want(n, reflect.TypeOf(Metadata{}), "metadata")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i].Value, n.Content[i+1]
		switch key {
		case "name", "namespace":
			c.want(value, reflect.TypeOf(""), "metadata."+key)
		case "labels", "annotations":
			c.check(value, reflect.TypeOf(map[string]string{}), "metadata."+key)
		}
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// check verifies that n can be decoded into t.
func (c *checker) check(n *yaml.Node, t reflect.Type, path string) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull {
		return // null is "not set"
	}
	for t.Kind() == reflect.Ptr {
		if t.Implements(typeShorthand) && n.Kind == yaml.ScalarNode {
			c.want(n, reflect.TypeOf(""), path)
			return
		}
		t = t.Elem()
	}
	switch {
	case t == typeIntOrPercent:
		if n.Kind != yaml.ScalarNode || (n.Tag != yaml.NodeTagInt && n.Tag != yaml.NodeTagString) {
			c.errorf(path, "got %s; allowed: an integer or a percent string such as \"25%%\"", describe(n))
		} else if n.Tag == yaml.NodeTagInt {
			c.integer(n, path, math.MaxInt32)
		}
		return
	case t == typeDuration:
		if n.Kind != yaml.ScalarNode || (n.Tag != yaml.NodeTagInt && n.Tag != yaml.NodeTagString) {
			c.errorf(path, "got %s; allowed: a duration such as \"30s\" or a number of seconds", describe(n))
		} else if n.Tag == yaml.NodeTagInt {
			c.integer(n, path, math.MaxInt64)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.errorf(path, "got %s; allowed: a mapping with the fields %s", describe(n), strings.Join(jsonFields(t), ", "))
			return
		}
		fields := jsonFieldIndex(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := path + "." + key
			if key == "" {
				p = path
			}
			if seen[key] {
				c.errorf(p, "is set twice; allowed: each field once")
				continue
			}
			seen[key] = true
			f, ok := fields[key]
			if !ok {
				if block, ok := blockType(t, key); ok {
					c.check(n.Content[i+1], block, p)
					continue
				}
				c.unknown(key, p, jsonFields(t))
				continue
			}
			c.check(n.Content[i+1], f.Type, p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.errorf(path, "got %s; allowed: a list", describe(n))
			return
		}
		for i, e := range n.Content {
			c.check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.errorf(path, "got %s; allowed: a mapping", describe(n))
			return
		}
		if t.Elem().Kind() == reflect.String {
			for i := 0; i+1 < len(n.Content); i += 2 {
				c.want(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value)
			}
		}
	case reflect.Interface:
	default:
		c.want(n, t, path)
	}
}

// want checks a scalar of a basic kind.
func (c *checker) want(n *yaml.Node, t reflect.Type, path string) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull {
		return
	}
	var tag, allowed string
	switch t.Kind() {
	case reflect.String:
		tag, allowed = yaml.NodeTagString, "a string"
		if c.lenient && n.Kind == yaml.ScalarNode {
			n.Tag, n.Style = yaml.NodeTagString, yaml.DoubleQuotedStyle
			return
		}
		if n.Kind == yaml.ScalarNode && n.Tag != yaml.NodeTagString {
			allowed += fmt.Sprintf(" (quote it: \"%s\")", n.Value)
		}
		if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagString && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 && yaml11Bool[n.Value] {
			c.errorf(path, "got %s, which YAML 1.1 readers (kubectl, the API server) take for a boolean; allowed: a string, quoted: \"%s\"", n.Value, n.Value)
			return
		}
	case reflect.Int64, reflect.Int32, reflect.Int:
		tag, allowed = yaml.NodeTagInt, "an integer"
	case reflect.Bool:
		tag, allowed = yaml.NodeTagBool, "true or false"
	case reflect.Struct:
		allowed = "a mapping"
	}
	if tag == yaml.NodeTagInt && n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagFloat && strategies.IsDecimal(n.Value) {
		tag = n.Tag // an integer too large for yaml.v3: said out of range below
	}
	if n.Kind != yaml.ScalarNode || n.Tag != tag {
		c.errorf(path, "got %s; allowed: %s", describe(n), allowed)
		return
	}
	if t.Kind() != reflect.String && t.Kind() != reflect.Bool && t.Kind() != reflect.Struct {
		limit := int64(math.MaxInt32)
		if int64Fields[lastKey(path)] {
			limit = math.MaxInt64
		}
		c.integer(n, path, limit)
	}
}

// yaml11Bool are the plain words YAML 1.1 reads as booleans and yaml.v3
// (YAML 1.2) as strings: unquoted, they mean different things to
// different tools.
var yaml11Bool = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

// int64Fields are the integer fields of the Release whose Kubernetes
// counterpart is an int64; every other integer field is an int32 there.
var int64Fields = map[string]bool{"terminationGracePeriodSeconds": true}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// integer checks that an integer scalar is written in decimal and lies
// within what its Kubernetes field holds.
func (c *checker) integer(n *yaml.Node, path string, limit int64) {
	if !strategies.IsDecimal(n.Value) {
		c.errorf(path, "got %s, which YAML readers do not all read as the same number; allowed: an integer written in decimal digits, without leading zeros", n.Value)
		return
	}
	if v, err := strconv.ParseInt(n.Value, 10, 64); err != nil || v > limit || v < -limit-1 {
		c.errorf(path, "%s is out of range; allowed: an integer up to %d", n.Value, limit)
	}
}

// describe says what a node is, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	switch n.Tag {
	case yaml.NodeTagInt:
		return "the integer " + v
	case yaml.NodeTagFloat:
		return "the number " + v
	case yaml.NodeTagBool:
		return "the boolean " + v
	case yaml.NodeTagString:
		return fmt.Sprintf("the string %q", v)
	}
	return fmt.Sprintf("%q", v)
}

// fieldIndexes caches jsonFieldIndex per type: the parser and decoder ask
// for the same few types once per Release.
var fieldIndexes sync.Map

// jsonFieldIndex maps the json names of a struct's fields to the fields.
func jsonFieldIndex(t reflect.Type) map[string]reflect.StructField {
	if m, ok := fieldIndexes.Load(t); ok {
		return m.(map[string]reflect.StructField)
	}
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && f.IsExported() {
			out[name] = f
		}
	}
	fieldIndexes.Store(t, out)
	return out
}

// blockType is the options type of the strategy whose block is the spec
// field key.
func blockType(t reflect.Type, key string) (reflect.Type, bool) {
	if t != typeSpec || key == "" {
		return nil, false
	}
	if reg, ok := blockRegistration(key); ok {
		return reflect.TypeOf(reg.New()), true
	}
	return nil, false
}

// jsonFields lists a struct's json field names, sorted, for messages; a
// spec's include the strategies' blocks.
func jsonFields(t reflect.Type) []string {
	var names []string
	for name := range jsonFieldIndex(t) {
		names = append(names, name)
	}
	if t == typeSpec {
		for _, reg := range strategies.Registrations() {
			if reg.Block != "" {
				names = append(names, reg.Block)
			}
		}
	}
	sort.Strings(names)
	return names
}

// scalarField is the scalar value at key of mapping m, "" otherwise.
func scalarField(m *yaml.Node, key string) string {
	if v := topField(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// topField returns field key of mapping m, or nil.
var topField = strategies.Field

func errorf(path, format string, args ...any) strategies.Finding {
	return strategies.Finding{Severity: strategies.Error, Path: path, Message: fmt.Sprintf(format, args...)}
}

// IsStringField reports whether a dotted path below spec (canary.image)
// names a field that holds a string, a strategy's block included: on a
// command line, tag=1.28 means the string "1.28".
func IsStringField(dotted string) bool {
	t := typeSpec
	for _, k := range strings.Split(dotted, ".") {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		if f, ok := jsonFieldIndex(t)[k]; ok {
			t = f.Type
		} else if block, ok := blockType(t, k); ok {
			t = block
		} else {
			return false
		}
	}
	return t.Kind() == reflect.String
}

func joinPath(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}
