package fn

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

// helmStream is what Helm 4 sends a post-renderer: every object carries
// the template it came from, hooks included.
const helmStream = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    postrenderer.helm.sh/postrender-filename: web/templates/deployment.yaml
spec:
  replicas: 4
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.26
        ports:
        - {name: http, containerPort: 80}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    postrenderer.helm.sh/postrender-filename: web/templates/service.yaml
spec:
  selector: {app: web}
  ports:
  - {port: 80, targetPort: http}
---
# A Service for a test hook that selects the app's pods: a Release that
# steered it would add a selector or a -canary copy; it must stay as it is.
apiVersion: v1
kind: Service
metadata:
  name: web-smoke
  annotations:
    "helm.sh/hook": test
    postrenderer.helm.sh/postrender-filename: web/templates/tests/smoke.yaml
spec:
  selector: {app: web}
  ports:
  - {port: 8080, targetPort: http}
---
apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata:
  name: web
  annotations:
    postrenderer.helm.sh/postrender-filename: web/templates/release.yaml
    config.kubernetes.io/local-config: "true"
spec:
  strategy: canary
  canary: {image: "nginx:1.27", weight: 25, service: true}
  probes: {readiness: "http:http/"}
---
apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata:
  name: api
  annotations:
    postrenderer.helm.sh/postrender-filename: web/templates/api.yaml
    config.kubernetes.io/local-config: "true"
spec:
  image: registry.example.com/api:2.0.1
  port: 8080
`

func TestPostRender(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := PostRender(nil, nil, strings.NewReader(helmStream), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(out.Bytes()), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range nodes {
		file, _ := annotation(n, helmFileAnnotation)
		got = append(got, n.GetKind()+" "+n.GetName()+" <- "+file)
	}
	want := []string{
		"Deployment web <- web/templates/deployment.yaml",
		"Deployment web-canary <- web/templates/deployment.yaml", // derived: the base's
		"Service web <- web/templates/service.yaml",
		"Service web-canary <- web/templates/service.yaml",
		"Deployment api <- web/templates/api.yaml", // generated from nothing: its Release's
		"Service api <- web/templates/api.yaml",
		"Service web-smoke <- web/templates/tests/smoke.yaml", // the hook, after the rest
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects <- template (-want +got):\n%s", diff)
	}
	// The hook comes back as it came, comment and quoting included.
	hook := helmStream[strings.Index(helmStream, "# A Service for a test hook"):]
	hook = hook[:strings.Index(hook, "---")]
	if !strings.Contains(out.String(), hook) {
		t.Errorf("the hook changed; want it as it came:\n%s\ngot:\n%s", hook, out.String())
	}
}

func TestPostRenderErrors(t *testing.T) {
	tests := []struct {
		name, stdin string
		files       map[string]string // written to a directory; DIR in args names it
		args        []string
		overrides   map[string]string
		want        string
	}{
		// findings/03: a file given for its Releases that holds none, or
		// an item meant to be one, fails as render fails, naming the file.
		{"kind Relase in the Release file", helmStream, map[string]string{"release.yaml": strings.Replace(testRelease, "kind: Release", "kind: Relase", 1)}, []string{"DIR/release.yaml"}, nil,
			`DIR/release.yaml: rollspec.dev/v1alpha1 "Relase" "web" is not a kind of rollspec; allowed: Release`},
		{"group rollspec.io in the Release file", helmStream, map[string]string{"release.yaml": strings.Replace(testRelease, "rollspec.dev/", "rollspec.io/", 1)}, []string{"DIR/release.yaml"}, nil,
			`DIR/release.yaml: rollspec.io/v1alpha1 "Release" "web" is not a rollspec Release; allowed: apiVersion rollspec.dev/v1alpha1, kind Release`},
		{"the wrong file given", helmStream, map[string]string{"deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"}, []string{"DIR/deployment.yaml"}, nil,
			"DIR/deployment.yaml holds no Release; allowed: a file or directory with an object of apiVersion rollspec.dev/v1alpha1, kind Release"},
		{"a directory without a Release", helmStream, map[string]string{"notes.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"}, []string{"DIR"}, nil,
			"DIR holds no Release; allowed:"},
		// A map has no order: a caller that passes both is refused, not
		// given whichever sorts last.
		{"image and tag both", helmStream, nil, nil, map[string]string{"image": "nginx:2.0", "tag": "1.0"}, "parameters image and tag were both given; a Release sets one of them at most; allowed: one of them"},
		{"bad Release in the chart", strings.Replace(helmStream, "weight: 25", "weight: many", 1), nil, nil, nil, `Release "web": spec.canary.weight: got the string "many"; allowed: an integer`},
		{"stdin named twice", helmStream, nil, []string{"-"}, nil, "post-render reads the chart's manifests from standard input already"},
		{"broken YAML from the chart", "a: b\n c: d\n", nil, nil, nil, "reading the chart's manifests from Helm: standard input:2: YAML syntax error"},
		{"nothing to apply", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", nil, nil, nil, "the rendered stream would be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			var args []string
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			var out, errOut bytes.Buffer
			err := PostRender(args, tc.overrides, strings.NewReader(tc.stdin), &out, &errOut)
			if want := strings.ReplaceAll(tc.want, "DIR", dir); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want one containing %q", err, want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout must stay empty on error, got:\n%s", out.String())
			}
		})
	}
}
