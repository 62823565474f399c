package krmio

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"rollspec.dev/rollspec/fn/benchinput"
)

// kyamlRead is kyaml's reader, the reference for readParallel.
func kyamlRead(t testing.TB, b []byte) (items []string, fc string) {
	r := &kio.ByteReader{Reader: bytes.NewReader(b)}
	nodes, err := r.Read()
	if err != nil {
		t.Fatalf("kyaml cannot read what the parallel reader read: %v", err)
	}
	for _, n := range nodes {
		items = append(items, n.MustString())
	}
	if r.FunctionConfig != nil {
		fc = r.FunctionConfig.MustString()
	}
	return items, fc
}

func strings2(rl *ResourceList) (items []string, fc string) {
	for _, n := range rl.Items {
		items = append(items, n.MustString())
	}
	if rl.FunctionConfig != nil {
		fc = rl.FunctionConfig.MustString()
	}
	return items, fc
}

// TestParallelReadMatchesKyaml: the chunked reader gives the items and
// functionConfig kyaml's reader gives, and steps aside for shapes it does
// not handle.
func TestParallelReadMatchesKyaml(t *testing.T) {
	big := string(benchinput.ResourceList(300, "blue-green"))
	fc := "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: f}\n  data: {name: app-00001}\n"
	tests := []struct {
		name     string
		input    string
		parallel bool
	}{
		{"generated", big, true},
		{"functionConfig after the items", big + fc, true},
		{"functionConfig before the items", strings.Replace(big, "items:\n", fc+"items:\n", 1), true},
		{"comment at the margin inside the items", strings.Replace(big, "- apiVersion: v1\n", "# a comment\n- apiVersion: v1\n", 1), false},
		{"anchor used across items", anchorAcross(big), false},
		{"too few items", string(benchinput.ResourceList(10, "rolling")), false},
		{"wide sequence indentation", wide(big), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rl, ok := readParallel([]byte(tc.input))
			if ok != tc.parallel {
				t.Fatalf("parallel path taken = %v, want %v", ok, tc.parallel)
			}
			got, err := ReadResourceList([]byte(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			wantItems, wantFC := kyamlRead(t, []byte(tc.input))
			gotItems, gotFC := strings2(got)
			if diff := cmp.Diff(wantItems, gotItems); diff != "" {
				t.Errorf("items (-kyaml +ours):\n%s", diff)
			}
			if wantFC != gotFC {
				t.Errorf("functionConfig: kyaml %q, ours %q", wantFC, gotFC)
			}
			_ = rl
		})
	}
}

// anchorAcross defines an anchor in the first item and uses it in the
// last, which lands in another chunk.
func anchorAcross(rl string) string {
	rl = strings.Replace(rl, "team: team-00\n", "team: &t team-00\n", 1)
	i := strings.LastIndex(rl, "team: team-19\n")
	return rl[:i] + "team: *t\n" + rl[i+len("team: team-19\n"):]
}

// wide indents the items block by two more spaces.
func wide(rl string) string {
	head, items, _ := strings.Cut(rl, "items:\n")
	lines := strings.SplitAfter(items, "\n")
	for i, l := range lines {
		if l != "" && l != "\n" {
			lines[i] = "  " + l
		}
	}
	return head + "items:\n" + strings.Join(lines, "")
}

// FuzzParallelRead appends arbitrary lines to a list long enough for the
// parallel reader: whenever it takes the input, it must agree with kyaml.
func FuzzParallelRead(f *testing.F) {
	f.Add([]byte("- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n"))
	f.Add([]byte("functionConfig:\n  kind: ConfigMap\n"))
	f.Add([]byte("- |\n  text\n- \"a\n  b\"\n"))
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i := 0; i < minParallelItems; i++ {
		fmt.Fprintf(&b, "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c%d\n", i)
	}
	base := b.String()
	f.Fuzz(func(t *testing.T, extra []byte) {
		input := []byte(base + string(extra))
		rl, ok := readParallel(input)
		if !ok {
			return
		}
		r := &kio.ByteReader{Reader: bytes.NewReader(input)}
		if _, err := r.Read(); err != nil {
			t.Fatalf("parallel read accepted what kyaml rejects: %v", err)
		}
		wantItems, wantFC := kyamlRead(t, input)
		gotItems, gotFC := strings2(rl)
		if diff := cmp.Diff(wantItems, gotItems); diff != "" || wantFC != gotFC {
			t.Fatalf("readers differ (-kyaml +ours):\n%s\nfunctionConfig %q vs %q", diff, wantFC, gotFC)
		}
	})
}
