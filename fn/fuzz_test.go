package fn

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// FuzzProcess runs the whole function on arbitrary ResourceLists, seeded
// with the golden inputs: no panic, and either success or an error with
// the items unchanged.
func FuzzProcess(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join(goldenDir, "*", "input.yaml"))
	// The outputs too: a re-render first reads what a render wrote (the
	// routes' rollspec.dev/traffic records, the generated objects).
	outputs, _ := filepath.Glob(filepath.Join(goldenDir, "*", "expected.yaml"))
	inputs = append(inputs, outputs...)
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
