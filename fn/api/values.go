package api

import (
	"fmt"
	"reflect"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// Field is a spec field found by its dotted path (canary.weight), for the
// values that arrive from outside a Release file: --set flags and Argo CD
// parameters.
type Field struct {
	// Path is the field's path from spec ("spec.canary.weight").
	Path string
	// Doc is the field's description, Enum the values it allows (none:
	// any of its type).
	Doc  string
	Enum []string
	typ  reflect.Type
}

// LookupField finds a spec field by its dotted path below spec; the error
// names the first unknown part and suggests the nearest allowed name.
func LookupField(dotted string) (Field, error) {
	t, f := typeSpec, Field{Path: "spec"}
	for _, k := range strings.Split(dotted, ".") {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == typeIntOrPercent || t == typeDuration {
			return Field{}, fmt.Errorf("%s is not a mapping, so %s.%s does not exist", f.Path, f.Path, k)
		}
		sf, ok := jsonFieldIndex(t)[k]
		switch {
		case ok:
			t, f.Doc, f.Enum = sf.Type, sf.Tag.Get("doc"), nil
			if e := sf.Tag.Get("enum"); e != "" {
				f.Enum = strings.Split(e, ",")
			}
			if t == reflect.TypeOf("") && k == "strategy" && f.Path == "spec" {
				f.Enum = strategies.Names()
			}
			if t == reflect.TypeOf("") && k == "kind" && f.Path == "spec.target" {
				f.Enum = strategies.WorkloadKinds()
			}
		default:
			block, isBlock := blockType(t, k)
			if !isBlock {
				allowed := jsonFields(t)
				if near := nearest(k, allowed); near != "" {
					return Field{}, fmt.Errorf("%s.%s: unknown field %q (did you mean %q?); allowed: %s", f.Path, k, k, near, strings.Join(allowed, ", "))
				}
				return Field{}, fmt.Errorf("%s.%s: unknown field %q; allowed: %s", f.Path, k, k, strings.Join(allowed, ", "))
			}
			reg, _ := blockRegistration(k)
			t, f.Doc, f.Enum = block, reg.Doc, nil
		}
		f.Path += "." + k
	}
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	f.typ = t
	return f, nil
}

// IsString reports whether the field holds a string: on a command line,
// tag=1.28 means the string "1.28".
func (f Field) IsString() bool { return f.typ.Kind() == reflect.String }

// CheckValue rejects a value written for the field outside a Release file
// that would not mean, in a Release file, what it says: integers in
// decimal only, booleans true or false, a choice among the field's
// values, an image reference, a tag or a label value that the runtimes
// and the API server accept.
func (f Field) CheckValue(v string) error {
	bad := func(what, allowed string) error {
		return fmt.Errorf("%s: %s; allowed: %s", f.Path, what, allowed)
	}
	leaf := f.Path[strings.LastIndex(f.Path, ".")+1:]
	t := f.typ
	switch {
	case t == typeIntOrPercent:
		if !strategies.IsDecimal(v) && !strategies.IsDecimal(strings.TrimSuffix(v, "%")) {
			return bad(fmt.Sprintf("%q is neither a decimal integer nor a percent", v), `an integer in decimal digits such as 1, or a percent such as 25%`)
		}
	case t == typeDuration:
		if v != "" && v[0] >= '0' && v[0] <= '9' && strings.Trim(v, "0123456789") == "" && !strategies.IsDecimal(v) {
			return bad(fmt.Sprintf("%q is not a decimal number of seconds", v), "a duration such as 30s, or seconds in decimal digits without leading zeros")
		}
	case t.Kind() == reflect.Int64 || t.Kind() == reflect.Int32 || t.Kind() == reflect.Int:
		if !strategies.IsDecimal(v) {
			return bad(fmt.Sprintf("%q is not a decimal integer", v), "an integer in decimal digits without leading zeros, such as 10")
		}
	case t.Kind() == reflect.Slice && (t.Elem().Kind() == reflect.Int64 || t.Elem().Kind() == reflect.Int):
		n, err := yaml.Parse(v)
		if err != nil || n.YNode().Kind != yaml.SequenceNode {
			return bad(fmt.Sprintf("%q is not a list", v), "a list of decimal integers such as [10,25,50]")
		}
		for _, e := range n.YNode().Content {
			if e.Kind != yaml.ScalarNode || !strategies.IsDecimal(e.Value) {
				return bad(fmt.Sprintf("%q is not a decimal integer", e.Value), "a list of decimal integers such as [10,25,50]")
			}
		}
	case t.Kind() == reflect.Bool:
		if v != "true" && v != "false" {
			return bad(fmt.Sprintf("%q is not a boolean", v), "true, false")
		}
	case t.Kind() == reflect.String && len(f.Enum) > 0:
		for _, e := range f.Enum {
			if v == e {
				return nil
			}
		}
		return bad(fmt.Sprintf("%q is not one of the choices", v), strings.Join(f.Enum, ", "))
	case t.Kind() == reflect.String && leaf == "image":
		if err := strategies.CheckImage(v); err != nil {
			return fmt.Errorf("%s: %v", f.Path, err)
		}
	case t.Kind() == reflect.String && leaf == "tag":
		if err := checkTag(v); err != nil {
			return bad(err.Error(), tagAllowed)
		}
	case t.Kind() == reflect.String && leaf == "version":
		if err := strategies.CheckLabelValue(v); err != nil {
			return fmt.Errorf("%s: %v", f.Path, err)
		}
	}
	return nil
}

// What a tag may be, for messages.
const tagAllowed = "up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"

// checkTag checks a tag alone.
func checkTag(tag string) error {
	if !tagSyntax.MatchString(tag) {
		return fmt.Errorf("%q is not an image tag", tag)
	}
	return nil
}
