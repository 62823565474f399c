package api

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
	spec := typeSchema(typeSpec)
	s := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://rollspec.dev/schemas/v1alpha1/release.json",
		"title":       "rollspec Release",
		"description": "A release spec that rollspec renders into Deployment strategy blocks, probes, blue/green pairs or canaries.",
		"type":        "object",
		"required":    []string{"apiVersion", "kind", "metadata"},
		"properties": map[string]any{
			"apiVersion": map[string]any{"enum": []string{APIVersion}},
			"kind":       map[string]any{"enum": []string{Kind}},
			"metadata": map[string]any{
				"type":     "object",
				"required": []string{"name"},
				"properties": map[string]any{
					"name":        map[string]any{"type": "string", "minLength": 1},
					"namespace":   map[string]any{"type": "string"},
					"labels":      map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
					"annotations": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
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

func typeSchema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t {
	case typeIntOrPercent:
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "integer", "minimum": 0},
			map[string]any{"type": "string", "pattern": "^[0-9]+%$"},
		}}
	case typeDuration:
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "integer", "minimum": 0},
			map[string]any{"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(h|m|s|ms))+$"},
		}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int64, reflect.Int32, reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map, reflect.Interface:
		return map[string]any{"type": "object"}
	}
	props := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
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
	if t == typeSpec {
		// The strategies and their blocks come from the registry.
		names := strategies.Names()
		props["strategy"] = map[string]any{"type": "string", "enum": names,
			"description": strings.Join(names, " | ") + ". Default: " + strategies.DefaultStrategy + "."}
		for _, reg := range strategies.Registrations() {
			if reg.Block != "" {
				p := typeSchema(reflect.TypeOf(reg.New()))
				p["description"] = reg.Doc
				props[reg.Block] = p
			}
		}
	}
	if t == typeTargetRef {
		// The kinds come from the workload adapters.
		kinds := strategies.WorkloadKinds()
		props["kind"].(map[string]any)["enum"] = kinds
		props["kind"].(map[string]any)["description"] = strings.Join(kinds, " | ") + ". Default: " + strategies.DefaultKind + "."
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if reflect.PointerTo(t).Implements(typeShorthand) {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string", "description": "shorthand: " + strategies.CheckForms},
			obj,
		}}
	}
	return obj
}
