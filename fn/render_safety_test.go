package fn

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

// listedRelease is a Release written as the item of a kind: List.
const listedRelease = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rollspec.dev/v1alpha1\n  kind: Release\n  metadata: {name: web}\n  spec: {image: nginx:1.27}\n"

// TestRenderSafety runs hostile and mistaken streams through render: on
// error it prints nothing to stdout (an empty stream with exit 0 would
// make Argo CD prune the whole application).
func TestRenderSafety(t *testing.T) {
	stream := func(items string) string {
		// The items of the safety cases, as a YAML stream.
		nodes, err := (&kio.ByteReader{Reader: strings.NewReader("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + items), OmitReaderAnnotations: true}).Read()
		if err != nil {
			t.Fatal(err)
		}
		// kyaml's ByteWriter panics on a metadata list: encode each node.
		var docs []string
		for _, n := range nodes {
			s, err := n.String()
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, s)
		}
		return strings.Join(docs, "---\n")
	}
	cases := []struct {
		name, in string
		wantErr  string
	}{
		{name: "only a mistyped Release", in: "apiVersion: rollspec.dev/v1alpha1\nkind: release\nmetadata: {name: web}\nspec: {replicas: 2}\n",
			wantErr: `1 error(s):
  rollspec.dev/v1alpha1 "release" "web" is not a kind of rollspec; allowed: Release`},
		{name: "only local-config objects", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations: {config.kubernetes.io/local-config: \"true\"}\n",
			wantErr: "the rendered stream would be empty: every object read from - is a Release or local-config; allowed: input with at least one object to apply"},
		{name: "alias bomb in a Release", in: stream(safeWeb + safeRelease + "    probes:\n      readiness:\n        httpGet: " + aliasBomb + "\n"),
			wantErr: `1 error(s):
  Release "shop/web": its YAML aliases expand to more than 100000 nodes (or 1000 levels); allowed: anchors and aliases that expand to less`},
		{name: "Release metadata as a list", in: stream(safeWeb + "- apiVersion: rollspec.dev/v1alpha1\n  kind: Release\n  metadata: [web]\n  spec: {replicas: 2}\n"),
			wantErr: "reading standard input: wrong node kind: expected MappingNode but got SequenceNode: node contents:\n[web]\n"},
		{name: "a Release inside a List, the only document", in: listedRelease,
			wantErr: "standard input: document 1 is a List holding Release web; a Release inside a List is not read; allowed: the Release as a document of its own (--- between documents)"},
		{name: "a Release inside a List, next to another document", in: listedRelease + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
			wantErr: "standard input: document 1 is a List holding Release web; a Release inside a List is not read; allowed: the Release as a document of its own (--- between documents)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			// A hang (the alias bomb) is caught by the test binary's
			// timeout; how long a render takes is measured by benchmarks.
			err := Render([]string{"-"}, nil, strings.NewReader(tc.in), &out, &errOut)
			if err == nil {
				t.Fatalf("want an error, got none; stdout:\n%s", out.String())
			}
			if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if out.Len() > 0 {
				t.Errorf("stdout is not empty on error:\n%s", out.String())
			}
		})
	}
}

// TestRenderKeepsObjectsWithoutMetadata: a List and a mapping written
// without metadata come out of render as they were written (the reader's
// annotations gave them a metadata mapping, which must not be printed).
// An explicit empty "metadata: {}" is not among them: kyaml's reader drops
// it before rollspec sees the object.
func TestRenderKeepsObjectsWithoutMetadata(t *testing.T) {
	untouched := []string{
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n",
		"apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
	}
	release := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1.26}]}\n" +
		"---\napiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec: {image: nginx:1.27}\n"
	for _, from := range []string{"file", "stdin"} {
		t.Run(from, func(t *testing.T) {
			in := strings.Join(untouched, "---\n") + "---\n" + release
			args, stdin := []string{"-"}, strings.NewReader(in)
			if from == "file" {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "all.yaml"), []byte(in), 0o644); err != nil {
					t.Fatal(err)
				}
				args, stdin = []string{dir}, strings.NewReader("")
			}
			var out, errOut bytes.Buffer
			if err := Render(args, nil, stdin, &out, &errOut); err != nil {
				t.Fatalf("render: %v\n%s", err, errOut.String())
			}
			docs := strings.Split(out.String(), "---\n")
			if len(docs) != len(untouched)+1 {
				t.Fatalf("want %d documents, got:\n%s", len(untouched)+1, out.String())
			}
			if diff := cmp.Diff(untouched, docs[:len(untouched)]); diff != "" {
				t.Errorf("untouched objects changed (-input +output):\n%s", diff)
			}
		})
	}
}
