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
		// The fast decoder agrees with encoding/json on the same tree, the
		// way sigs.k8s.io/yaml decodes after converting YAML to JSON
		// (strictness is the checker's: metadata takes any ObjectMeta field).
		b, err := json.Marshal(nodeValue(n.YNode()))
		if err != nil {
			t.Fatal(err)
		}
		var want Release
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("ParseRelease accepted what encoding/json rejects: %v\n%s", err, data)
		}
		if !sameSpec(&want, r) {
			diff := cmp.Diff(want.Spec, r.Spec, cmp.Comparer(func(a, b strategies.IntOrPercent) bool { return a.Raw == b.Raw }), cmp.AllowUnexported(strategies.Probe{}, strategies.Duration{}))
			t.Fatalf("decoders differ (-encoding/json +decodeNode):\n%s", diff)
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
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		err := RunFunction(bytes.NewReader(data), &out, io.Discard)
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
