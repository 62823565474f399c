package fn

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// update rewrites the expected files; review the diff before committing.
var update = flag.Bool("update", false, "rewrite testdata/golden/*/expected.yaml from the current output")

const goldenDir = "../testdata/golden"

// TestGolden runs every case under testdata/golden: input.yaml is a
// ResourceList, expected.yaml the ResourceList the function writes
// (items and results). A case passes when the output matches, the exit
// status agrees with the results, and running the function again on its
// own output gives the same output (idempotency).
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(goldenDir, "*", "input.yaml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, in := range cases {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, runErr := runFunction(input)
			wantFile := filepath.Join(dir, "expected.yaml")
			if *update {
				if err := os.WriteFile(wantFile, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Fatalf("output differs from %s (-want +got):\n%s", wantFile, diff)
			}
			hasError := strings.Contains(string(got), "severity: error")
			if (runErr != nil) != hasError {
				t.Fatalf("exit error = %v, but error results present = %v", runErr, hasError)
			}
			if runErr != nil {
				return
			}
			again, err := runFunction(withoutResults(t, got))
			if err != nil {
				t.Fatalf("second run on own output failed: %v", err)
			}
			if diff := cmp.Diff(string(got), string(again)); diff != "" {
				t.Fatalf("second run on own output differs (-first +second):\n%s", diff)
			}
			// A case with a file "previous" is the next step of a flow: its
			// Release applied to the previous step's output must give the
			// same output as applied to the original input.
			prev, err := os.ReadFile(filepath.Join(dir, "previous"))
			if err != nil {
				return
			}
			prevOut, err := os.ReadFile(filepath.Join(goldenDir, strings.TrimSpace(string(prev)), "expected.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			fromPrev, err := runFunction(withFunctionConfig(t, withoutResults(t, prevOut), input))
			if err != nil {
				t.Fatalf("run on the previous step's output failed: %v", err)
			}
			if diff := cmp.Diff(string(got), string(fromPrev)); diff != "" {
				t.Fatalf("run on the previous step's output differs (-from input +from previous):\n%s", diff)
			}
		})
	}
}

// runFunction runs the KRM function on a ResourceList.
func runFunction(input []byte) ([]byte, error) {
	var out bytes.Buffer
	err := RunFunction(bytes.NewReader(input), &out, io.Discard)
	return out.Bytes(), err
}

// withoutResults drops the results of an output ResourceList, so it can be
// fed back as input.
func withoutResults(t *testing.T, rl []byte) []byte {
	t.Helper()
	n, err := yaml.Parse(string(rl))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.PipeE(yaml.Clear("results")); err != nil {
		t.Fatal(err)
	}
	return []byte(n.MustString())
}

// withFunctionConfig puts the functionConfig of from into rl.
func withFunctionConfig(t *testing.T, rl, from []byte) []byte {
	t.Helper()
	n, err := yaml.Parse(string(rl))
	if err != nil {
		t.Fatal(err)
	}
	f, err := yaml.Parse(string(from))
	if err != nil {
		t.Fatal(err)
	}
	fc := f.Field("functionConfig")
	if fc == nil {
		t.Fatal("a case with a previous step needs a functionConfig")
	}
	if err := n.PipeE(yaml.SetField("functionConfig", fc.Value)); err != nil {
		t.Fatal(err)
	}
	return []byte(n.MustString())
}
