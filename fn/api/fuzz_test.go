package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// lonelyTag finds a non-specific tag "!" with no value after it.
var lonelyTag = regexp.MustCompile(`(^|[\s:,\[{-])!(\s|$)`)

// FuzzParseRelease feeds arbitrary YAML to the Release parser and the
// validation: they must never panic, and must either return a Release or
// at least one error finding.
func FuzzParseRelease(f *testing.F) {
	f.Add([]byte("apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: web, namespace: shop}\nspec: {image: nginx:1.27}\n"))
	f.Add([]byte("apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: a}\nspec: {rolling: {maxSurge: 25%, maxUnavailable: 0}, probes: {readiness: 'http:8080/'}}\n"))
	f.Add([]byte("apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: a}\nspec: {shutdown: {preStopSleep: 5s}, probes: {liveness: {check: 'grpc:9090/x', successThreshold: 1}}}\n"))
	examples, _ := filepath.Glob("../../examples/*/release.yaml")
	steps, _ := filepath.Glob("../../examples/*/steps/*.yaml")
	for _, e := range append(examples, steps...) {
		if b, err := os.ReadFile(e); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := yaml.Parse(string(data))
		if err != nil || n.YNode() == nil {
			return
		}
		if lonelyTag.Match(data) {
			// kyaml, which parses every item kustomize and kpt hand to a
			// function, reads the non-specific tag "!" on an empty value
			// as null, yaml.v2 as "": rollspec reads what kyaml reads, so
			// the oracle cannot judge these inputs.
			return
		}
		r, fs := Decode(n)
		if r == nil {
			if len(fs) == 0 {
				t.Fatal("no Release and no finding")
			}
			return
		}
		// An oracle that shares no code with the checker and decoder:
		// sigs.k8s.io/yaml (yaml.v2, as the API server reads YAML) and
		// encoding/json with unknown fields refused. What ParseRelease
		// accepts, it accepts, with the same spec.
		j, err := sigsyaml.YAMLToJSON(data)
		if err != nil {
			t.Fatalf("Decode accepted what sigs.k8s.io/yaml rejects: %v\n%s", err, data)
		}
		var doc struct {
			Spec json.RawMessage `json:"spec"`
		}
		if err := json.Unmarshal(j, &doc); err != nil {
			t.Fatalf("Decode accepted what sigs.k8s.io/yaml reads as %s: %v\n%s", j, err, data)
		}
		var want Release
		if len(doc.Spec) > 0 && string(doc.Spec) != "null" {
			if err := json.Unmarshal(doc.Spec, &want.Spec); err != nil {
				t.Fatalf("Decode accepted a spec that encoding/json rejects: %v\n%s\n%s", err, doc.Spec, data)
			}
		}
		wantJSON, errW := json.Marshal(want.Spec)
		gotJSON, errG := json.Marshal(r.Spec)
		if errW != nil || errG != nil {
			t.Fatalf("marshal: %v, %v", errW, errG)
		}
		var wv, gv any
		if json.Unmarshal(wantJSON, &wv) != nil || json.Unmarshal(gotJSON, &gv) != nil {
			t.Fatal("marshalled specs do not read back")
		}
		if diff := cmp.Diff(wv, gv); diff != "" {
			t.Fatalf("decoders differ (-sigs.k8s.io/yaml +Decode):\n%s\n%s", diff, data)
		}
		_ = Validate(r)
		_ = r.Options()
	})
}
