package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

var typeJSONUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// decodeNode decodes a yaml node into v by the json field names, as
// sigs.k8s.io/yaml would after converting the node to JSON, without the
// round trip through text: with thousands of Releases in one ResourceList,
// serialising each Release and parsing it again cost more than the whole
// rendering. It runs after the checker, which has rejected unknown fields
// and wrong types with their paths; FuzzParseRelease compares it with
// sigs.k8s.io/yaml's strict decoding.
func decodeNode(n *yaml.Node, v reflect.Value) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull {
		return nil
	}
	if v.Kind() == reflect.Ptr {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return decodeNode(n, v.Elem())
	}
	if reflect.PointerTo(v.Type()).Implements(typeJSONUnmarshaler) {
		var b []byte
		if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagInt {
			// The number as written (the checker has seen that it is
			// decimal): through a float64 a large one would be rounded.
			b = []byte(n.Value)
		} else {
			var err error
			if b, err = json.Marshal(nodeValue(n)); err != nil {
				return err
			}
		}
		return v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b)
	}
	switch v.Kind() {
	case reflect.Struct:
		fields := jsonFieldIndex(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if f, ok := fields[key]; ok {
				if err := decodeNode(n.Content[i+1], v.FieldByIndex(f.Index)); err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
			} else if err := decodeBlock(n.Content[i+1], v, key); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := decodeNode(e, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeNode(n.Content[i+1], e); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(n.Content[i].Value), e)
		}
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(nodeValue(n)))
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Int64, reflect.Int32, reflect.Int:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(i)
	case reflect.Bool:
		var b bool
		if err := n.Decode(&b); err != nil {
			return err
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("cannot decode into %s", v.Type())
	}
	return nil
}

// decodeBlock decodes a strategy's block of a spec into the strategy's
// options and keeps it in Spec.Blocks.
func decodeBlock(n *yaml.Node, v reflect.Value, key string) error {
	if _, ok := blockType(v.Type(), key); !ok {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagNull {
		return nil
	}
	reg, _ := blockRegistration(key)
	block := reg.New()
	if err := decodeNode(n, reflect.ValueOf(block).Elem()); err != nil {
		return err
	}
	spec := v.Addr().Interface().(*Spec)
	if spec.Blocks == nil {
		spec.Blocks = map[string]strategies.Strategy{}
	}
	spec.Blocks[key] = block
	return nil
}

// blockRegistration is the registration of the strategy whose block is key.
func blockRegistration(key string) (strategies.Registration, bool) {
	for _, reg := range strategies.Registrations() {
		if reg.Block == key && key != "" {
			return reg, true
		}
	}
	return strategies.Registration{}, false
}

// nodeValue is the JSON value of a node, as sigs.k8s.io/yaml produces it:
// numbers become float64, mappings map[string]any.
func nodeValue(n *yaml.Node) any {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, e := range n.Content {
			s[i] = nodeValue(e)
		}
		return s
	}
	var out any
	switch n.Tag {
	case yaml.NodeTagString:
		return n.Value
	case yaml.NodeTagNull:
		return nil
	}
	if err := n.Decode(&out); err != nil {
		return n.Value
	}
	switch x := out.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return out
}
