package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

func releaseSchema(t *testing.T) *validate.SchemaValidator {
	t.Helper()
	b, err := os.ReadFile("../../examples/release.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s spec.Schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return validate.NewSchemaValidator(&s, nil, "", strfmt.Default)
}

// TestExampleReleasesMatchSchema validates every Release under examples/
// against the schema that editors load from the examples'
// yaml-language-server comments.
func TestExampleReleasesMatchSchema(t *testing.T) {
	v := releaseSchema(t)
	count := 0
	err := filepath.Walk("../../examples", func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		nodes, err := (&kio.ByteReader{Reader: f, OmitReaderAnnotations: true}).Read()
		if err != nil {
			return nil // not a manifest stream (kustomization, plugin config)
		}
		for _, n := range nodes {
			if n.GetKind() != "Release" {
				continue
			}
			count++
			b, _ := n.MarshalJSON()
			var obj interface{}
			_ = json.Unmarshal(b, &obj)
			if res := v.Validate(obj); !res.IsValid() {
				t.Errorf("%s: %v", p, res.Errors)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count < 10 {
		t.Fatalf("found only %d Releases under examples/", count)
	}
}

// TestSchemaRejects: the schema catches what the parser catches, so an
// editor flags it before a render does.
func TestSchemaRejects(t *testing.T) {
	v := releaseSchema(t)
	for name, doc := range map[string]string{
		"misspelt field":    `{"apiVersion":"rollspec.dev/v1alpha1","kind":"Release","metadata":{"name":"a"},"spec":{"rolling":{"maxSurg":1}}}`,
		"unknown strategy":  `{"apiVersion":"rollspec.dev/v1alpha1","kind":"Release","metadata":{"name":"a"},"spec":{"strategy":"blue-grene"}}`,
		"wrong apiVersion":  `{"apiVersion":"rollspec.dev/v1","kind":"Release","metadata":{"name":"a"}}`,
		"replicas as text":  `{"apiVersion":"rollspec.dev/v1alpha1","kind":"Release","metadata":{"name":"a"},"spec":{"replicas":"six"}}`,
		"percent without %": `{"apiVersion":"rollspec.dev/v1alpha1","kind":"Release","metadata":{"name":"a"},"spec":{"rolling":{"maxSurge":"5"}}}`,
	} {
		var obj interface{}
		if err := json.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if v.Validate(obj).IsValid() {
			t.Errorf("%s: the schema accepts %s", name, doc)
		}
	}
}

// TestExamplesNameOneImage: the kustomize container form names the image
// `make image VERSION=dev` builds and `docker load` names
// (cmd/rollspec-image's default repository), and the Argo CD sidecar the
// image the user pushed (README step 1 fills in IMAGE): no example names
// a published image or tag that does not exist.
func TestExamplesNameOneImage(t *testing.T) {
	for f, want := range map[string]string{
		"../../examples/kustomize/overlays/prod-container/release.yaml": "image: localhost/rollspec:dev",
		"../../examples/argocd/repo-server-patch.yaml":                  "image: IMAGE",
	} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not say %s", f, want)
		}
	}
	main, err := os.ReadFile("../rollspec-image/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(main), `"repository", "localhost/rollspec"`) {
		t.Error("rollspec-image's default repository is no longer localhost/rollspec: update the examples")
	}
}
