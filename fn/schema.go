package fn

import (
	"encoding/json"
	"reflect"
	"strings"

	"rollspec.dev/rollspec/strategies"
)

// Schema returns the JSON Schema of the Release kind, derived from the Go
// types so that it cannot drift from what the parser accepts: unknown
// fields are not allowed, as in the parser.
func Schema() ([]byte, error) {
	spec := typeSchema(reflect.TypeOf(strategies.Spec{}))
	s := map[string]interface{}{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://rollspec.dev/schemas/v1alpha1/release.json",
		"title":       "rollspec Release",
		"description": "A release spec that rollspec renders into Deployment strategy blocks, probes, blue/green pairs or canaries.",
		"type":        "object",
		"required":    []string{"apiVersion", "kind", "metadata"},
		"properties": map[string]interface{}{
			"apiVersion": map[string]interface{}{"enum": []string{APIVersion}},
			"kind":       map[string]interface{}{"enum": []string{Kind}},
			"metadata": map[string]interface{}{
				"type":     "object",
				"required": []string{"name"},
				"properties": map[string]interface{}{
					"name":        map[string]interface{}{"type": "string", "minLength": 1},
					"namespace":   map[string]interface{}{"type": "string"},
					"labels":      map[string]interface{}{"type": "object", "additionalProperties": map[string]interface{}{"type": "string"}},
					"annotations": map[string]interface{}{"type": "object", "additionalProperties": map[string]interface{}{"type": "string"}},
				},
			},
			"spec": spec,
		},
		"additionalProperties": false,
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func typeSchema(t reflect.Type) map[string]interface{} {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t {
	case typeIntOrPercent:
		return map[string]interface{}{"oneOf": []interface{}{
			map[string]interface{}{"type": "integer", "minimum": 0},
			map[string]interface{}{"type": "string", "pattern": "^[0-9]+%$"},
		}}
	case typeDuration:
		return map[string]interface{}{"oneOf": []interface{}{
			map[string]interface{}{"type": "integer", "minimum": 0},
			map[string]interface{}{"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(h|m|s|ms))+$"},
		}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]interface{}{"type": "string"}
	case reflect.Int64, reflect.Int32, reflect.Int:
		return map[string]interface{}{"type": "integer"}
	case reflect.Bool:
		return map[string]interface{}{"type": "boolean"}
	case reflect.Slice:
		return map[string]interface{}{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map, reflect.Interface:
		return map[string]interface{}{"type": "object"}
	}
	props := map[string]interface{}{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || !f.IsExported() {
			continue
		}
		p := typeSchema(f.Type)
		if d := f.Tag.Get("doc"); d != "" {
			p["description"] = d
		}
		if e := f.Tag.Get("enum"); e != "" {
			p["enum"] = strings.Split(e, ",")
		}
		props[name] = p
	}
	obj := map[string]interface{}{"type": "object", "properties": props, "additionalProperties": false}
	if reflect.PointerTo(t).Implements(typeShorthand) {
		return map[string]interface{}{"oneOf": []interface{}{
			map[string]interface{}{"type": "string", "description": "shorthand: " + strategies.CheckForms},
			obj,
		}}
	}
	return obj
}
