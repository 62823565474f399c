package fn

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"rollspec.dev/rollspec/strategies"
)

// FuzzParseRelease feeds arbitrary YAML to the Release parser and the
// validation: they must never panic, and must either return a Release or
// at least one error finding.
func FuzzParseRelease(f *testing.F) {
	f.Add([]byte(release[3:] + "    image: nginx:1.27\n"))
	f.Add([]byte("apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: a}\nspec: {rolling: {maxSurge: 25%, maxUnavailable: 0}, probes: {readiness: 'http:8080/'}}\n"))
	f.Add([]byte("apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: a}\nspec: {shutdown: {preStopSleep: 5s}, probes: {liveness: {check: 'grpc:9090/x', successThreshold: 1}}}\n"))
	examples, _ := filepath.Glob("../examples/*/release.yaml")
	steps, _ := filepath.Glob("../examples/*/steps/*.yaml")
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
		r, fs := ParseRelease(n)
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
			t.Fatalf("ParseRelease accepted what sigs.k8s.io/yaml rejects: %v\n%s", err, data)
		}
		var doc struct {
			Spec json.RawMessage `json:"spec"`
		}
		if err := json.Unmarshal(j, &doc); err != nil {
			t.Fatalf("ParseRelease accepted what sigs.k8s.io/yaml reads as %s: %v\n%s", j, err, data)
		}
		var want Release
		if len(doc.Spec) > 0 && string(doc.Spec) != "null" {
			dec := json.NewDecoder(bytes.NewReader(doc.Spec))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&want.Spec); err != nil {
				t.Fatalf("ParseRelease accepted a spec that encoding/json rejects: %v\n%s\n%s", err, doc.Spec, data)
			}
		}
		if !sameSpec(&want, r) {
			diff := cmp.Diff(want.Spec, r.Spec, cmp.Comparer(func(a, b strategies.IntOrPercent) bool { return a.Raw == b.Raw }), cmp.AllowUnexported(strategies.Probe{}, strategies.Duration{}))
			t.Fatalf("decoders differ (-sigs.k8s.io/yaml +ParseRelease):\n%s\n%s", diff, data)
		}
		_ = validate(r)
		_, _, _ = releaseFromConfigMap(n, []*yaml.RNode{n})
	})
}

// FuzzProcess runs the whole function on arbitrary ResourceLists, seeded
// with the golden inputs: no panic, and either success or an error with
// the items unchanged.
func FuzzProcess(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join(goldenDir, "*", "input.yaml"))
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err == nil {
			f.Add(b)
		}
	}
	for _, tc := range safetyCases() {
		in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + tc.items
		if tc.fc != "" {
			in += "functionConfig: " + tc.fc + "\n"
		}
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		err := RunFunction(bytes.NewReader(data), &out, io.Discard)
		if bytes.Contains(out.Bytes(), []byte("internal error: ")) {
			t.Fatalf("the function recovered from a panic:\n%s", out.String())
		}
		var failure *Failure
		if errors.As(err, &failure) {
			if diff := cmp.Diff(itemStrings(t, data), itemStrings(t, out.Bytes())); diff != "" {
				t.Fatalf("items changed on error (-in +out):\n%s", diff)
			}
		}
		if err == nil {
			if _, perr := yaml.Parse(out.String()); perr != nil {
				t.Fatalf("success, but the output does not parse: %v\n%s", perr, out.String())
			}
		}
	})
}
