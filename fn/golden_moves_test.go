package fn

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestGoldenMoves runs every move between golden cases that share one
// input: the Release of case B applied to the output of case A must give
// B's output exactly, as if B had been rendered from the original input.
// This is what a GitOps repository does on every commit of a release (a
// kpt package, a rendered directory): the next spec runs on the last
// output, whichever strategy, step or route came before.
func TestGoldenMoves(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(goldenDir, "*", "input.yaml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	type golden struct {
		name            string
		input, expected []byte
	}
	groups := map[string][]golden{}
	for _, in := range cases {
		input, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		expected, err := os.ReadFile(filepath.Join(filepath.Dir(in), "expected.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(expected), "severity: error") {
			continue
		}
		key := itemsKey(t, input)
		groups[key] = append(groups[key], golden{filepath.Base(filepath.Dir(in)), input, expected})
	}
	moves := 0
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		for _, from := range g {
			if settles[from.name] {
				continue
			}
			for _, to := range g {
				if from.name == to.name {
					continue
				}
				moves++
				t.Run(from.name+"/to/"+to.name, func(t *testing.T) {
					got, err := runFunction(withFunctionConfig(t, withoutResults(t, from.expected), to.input))
					if err != nil {
						t.Fatalf("run on %s's output failed: %v\n%s", from.name, err, got)
					}
					if diff := cmp.Diff(string(to.expected), string(got)); diff != "" {
						t.Errorf("%s's Release on %s's output differs from its golden output (-golden +moved):\n%s", to.name, from.name, diff)
					}
				})
			}
		}
	}
	for name := range settles {
		if _, err := os.Stat(filepath.Join(goldenDir, name)); err != nil {
			t.Errorf("settles names %s, which is not a golden case", name)
		}
	}
	if moves < 100 {
		t.Errorf("only %d moves between golden cases; the cases sharing an input should give more", moves)
	}
}

// settles lists the cases whose output makes the new version the one
// that runs (a promote, a flip and what follows it): by design a later
// Release starts from the version that runs, not from the input's, so
// moves from them are checked by the chained cases (a file "previous")
// rather than against renders of the original input.
var settles = map[string]bool{
	"hexo-3-flip-to-green":      true,
	"hexo-4-blue-scaled-down":   true,
	"hexo-canary-3-promote":     true,
	"hpa-bg-2-flip-to-green":    true,
	"hpa-bg-3-blue-scaled-down": true,
	"hpa-canary-2-promote":      true,
	// A partitioned canary's record keeps the stable pods' template, the
	// promoted image after a promote: a canary Release without spec.image
	// starts from it, as intended.
	"statefulset-canary-3-promote":       true,
	"statefulset-canary-5-after-promote": true,
	"traffic-10-6-promote":               true,
	"traffic-3-4-promote":                true,
	"traffic-bg-3-flip":                  true,
}

// itemsKey is the items of a golden input, so cases that render the same
// resources with different Releases are grouped.
func itemsKey(t *testing.T, input []byte) string {
	t.Helper()
	n, err := yaml.Parse(string(input))
	if err != nil {
		t.Fatal(err)
	}
	items := n.Field("items")
	if items == nil {
		return ""
	}
	s, err := items.Value.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
