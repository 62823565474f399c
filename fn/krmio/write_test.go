package krmio_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/fn/benchinput"
	"rollspec.dev/rollspec/fn/krmio"
)

// TestWriterMatchesKyaml: the ResourceList WriteResourceList writes parses
// to the same tree as the one kyaml's ByteWriter writes for the same
// rendered items (keys, values, tags, block scalars and comments), for
// every golden case and for generated inputs of every strategy.
func TestWriterMatchesKyaml(t *testing.T) {
	inputs := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "*", "input.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(filepath.Dir(f))] = b
	}
	for _, s := range benchinput.Strategies {
		inputs["generated-"+s] = benchinput.ResourceList(30, s)
	}
	if len(inputs) < 10 {
		t.Fatalf("only %d inputs", len(inputs))
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			render := func() *framework.ResourceList {
				r := &kio.ByteReader{Reader: bytes.NewReader(in)}
				items, err := r.Read()
				if err != nil {
					t.Fatal(err)
				}
				rl := &framework.ResourceList{Items: items, FunctionConfig: r.FunctionConfig}
				_ = fn.Processor{}.Process(rl)
				return rl
			}
			var ours, theirs bytes.Buffer
			a := render()
			if err := krmio.WriteResourceList(&ours, "config.kubernetes.io/v1", "ResourceList", a.Items, a.FunctionConfig, a.Results); err != nil {
				t.Fatal(err)
			}
			b := render()
			if err := krmio.KyamlWrite(&theirs, "config.kubernetes.io/v1", "ResourceList", b.Items, b.FunctionConfig, b.Results); err != nil {
				t.Fatal(err)
			}
			var x, y yaml.Node
			if err := yaml.Unmarshal(ours.Bytes(), &x); err != nil {
				t.Fatalf("our output does not parse: %v", err)
			}
			if err := yaml.Unmarshal(theirs.Bytes(), &y); err != nil {
				t.Fatal(err)
			}
			if diff := sameTree(&x, &y, ""); diff != "" {
				t.Errorf("trees differ at %s", diff)
			}
		})
	}
}

// sameTree compares two parsed documents; it returns where they differ.
func sameTree(a, b *yaml.Node, at string) string {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value {
		return at + ": " + describeNode(a) + " vs " + describeNode(b)
	}
	for _, c := range [][2]string{{a.HeadComment, b.HeadComment}, {a.LineComment, b.LineComment}, {a.FootComment, b.FootComment}} {
		if strings.TrimSpace(c[0]) != strings.TrimSpace(c[1]) {
			return at + ": comment " + c[0] + " vs " + c[1]
		}
	}
	if len(a.Content) != len(b.Content) {
		return at + ": " + describeNode(a) + " has a different number of children"
	}
	for i := range a.Content {
		key := at
		if a.Kind == yaml.MappingNode && i%2 == 1 {
			key += "." + a.Content[i-1].Value
		} else if a.Kind == yaml.SequenceNode {
			key += "[" + string(rune('0'+i%10)) + "]"
		}
		if d := sameTree(a.Content[i], b.Content[i], key); d != "" {
			return d
		}
	}
	return ""
}

func describeNode(n *yaml.Node) string {
	return n.Tag + " " + strings.TrimSpace(n.Value)
}

// TestStreamMatchesKyaml: render's stream writer gives, document by
// document, the tree kyaml's ByteWriter gives, comments and sequence
// indentation included, for every example directory and a generated
// stream.
func TestStreamMatchesKyaml(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*")
	var cases [][]string
	for _, d := range dirs {
		if st, err := os.Stat(filepath.Join(d, "deployment.yaml")); err == nil && !st.IsDir() {
			cases = append(cases, []string{d})
		}
	}
	if len(cases) < 4 {
		t.Fatalf("only %d example directories", len(cases))
	}
	for _, args := range cases {
		t.Run(filepath.Base(args[0]), func(t *testing.T) {
			read := func() []*yaml.RNode {
				items := readDir(t, args[0])
				rl := &framework.ResourceList{Items: items}
				if err := (fn.Processor{DropLocalConfig: true}).Process(rl); err != nil {
					t.Fatal(err)
				}
				return rl.Items
			}
			var ours, theirs bytes.Buffer
			if err := krmio.WriteStream(&ours, read()); err != nil {
				t.Fatal(err)
			}
			if err := (kio.ByteWriter{Writer: &theirs, ClearAnnotations: krmio.ReaderAnnotations}).Write(read()); err != nil {
				t.Fatal(err)
			}
			if ours.String() != theirs.String() {
				// Bytes may differ; the documents must not.
				a := splitDocs(t, ours.String())
				b := splitDocs(t, theirs.String())
				if len(a) != len(b) {
					t.Fatalf("%d documents, kyaml writes %d", len(a), len(b))
				}
				for i := range a {
					if d := sameTree(a[i], b[i], ""); d != "" {
						t.Errorf("document %d differs at %s", i, d)
					}
				}
			}
		})
	}
}

func splitDocs(t *testing.T, s string) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(s))
	var out []*yaml.Node
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			break
		}
		out = append(out, &n)
	}
	return out
}

// readDir reads a directory's YAML files as render does: each item keeps
// the file it came from in its path annotation.
func readDir(t *testing.T, dir string) []*yaml.RNode {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var items []*yaml.RNode
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := &kio.ByteReader{Reader: bytes.NewReader(b), PreserveSeqIndent: true, SetAnnotations: map[string]string{kioutil.PathAnnotation: f}}
		nodes, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, nodes...)
	}
	return items
}
