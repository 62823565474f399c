package fn

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree writes files (slash-separated names) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const testRelease = "apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata:\n  name: web\nspec:\n  image: nginx:1.27\n  replicas: 3\n"

func TestDetectSourceAndDiscover(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		app   string // the app directory among files; "" is the root
		kind  SourceKind
		found string // what discover prints
	}{
		{"plain directory", map[string]string{"deploy.yaml": "kind: Deployment\n", "release.yaml": testRelease}, "", SourcePlain, "release.yaml\n"},
		{"any file name", map[string]string{"rollout.yml": "# the web app\n" + testRelease}, "", SourcePlain, "rollout.yml\n"},
		{"two Releases", map[string]string{"a.yaml": testRelease, "b.yaml": testRelease}, "", SourcePlain, "a.yaml\nb.yaml\n"},
		{"no Release", map[string]string{"deploy.yaml": "kind: Deployment\n", "notes.yaml": "kind: Release\napiVersion: example.com/v1\n"}, "", SourcePlain, ""},
		{"broken Release file still counts", map[string]string{"release.yaml": "apiVersion: rollspec.dev/v1alpha1\nkind: Release\n  bad: indent\n"}, "", SourcePlain, "release.yaml\n"},
		{"kustomization", map[string]string{"kustomization.yaml": "resources: [deploy.yaml]\n", "deploy.yaml": "kind: Deployment\n", "release.yaml": testRelease}, "", SourceKustomize, "release.yaml\n"},
		// kustomize drops a local-config Release it lists; generate reads it
		// from the file, and discover names the file (findings/02).
		{"kustomization lists the Release", map[string]string{"kustomization.yaml": "resources: [deploy.yaml, ./release.yaml]\n", "release.yaml": testRelease}, "", SourceKustomize, "release.yaml\n"},
		{"kustomization lists a Release in a subdirectory", map[string]string{"kustomization.yaml": "resources: [deploy.yaml, releases/web.yaml]\n", "deploy.yaml": "kind: Deployment\n", "releases/web.yaml": testRelease}, "", SourceKustomize, "releases/web.yaml\n"},
		{"a base lists the Release", map[string]string{"prod/kustomization.yaml": "resources: [../base]\n", "base/kustomization.yaml": "resources: [deploy.yaml, release.yaml]\n", "base/deploy.yaml": "kind: Deployment\n", "base/release.yaml": testRelease}, "prod", SourceKustomize, "../base/release.yaml\n"},
		{"bases that name each other", map[string]string{"kustomization.yaml": "resources: [a]\n", "a/kustomization.yaml": "resources: [../b, release.yaml]\n", "a/release.yaml": testRelease, "b/kustomization.yaml": "resources: [../a]\n"}, "", SourceKustomize, "a/release.yaml\n"},
		{"a transformer config is not a Release file", map[string]string{"kustomization.yaml": "transformers: [release.yaml]\n", "release.yaml": testRelease}, "", SourceKustomize, ""},
		// An item meant to be a Release counts, so that generate reports
		// it instead of Argo CD applying the app without it (findings/03).
		{"kind Relase counts", map[string]string{"kustomization.yaml": "resources: [deploy.yaml]\n", "api-release.yaml": strings.Replace(testRelease, "kind: Release", "kind: Relase", 1)}, "", SourceKustomize, "api-release.yaml\n"},
		{"group rollspec.io counts", map[string]string{"Chart.yaml": "name: web\n", "release.yaml": strings.Replace(testRelease, "rollspec.dev/", "rollspec.io/", 1)}, "", SourceHelm, "release.yaml\n"},
		{"kustomization wins over a chart", map[string]string{"Kustomization": "resources: []\n", "Chart.yaml": "name: x\n"}, "", SourceKustomize, ""},
		{"chart with a Release template", map[string]string{"Chart.yaml": "name: web\n", "values.yaml": "image: x\n", "templates/release.yaml": "apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata:\n  name: {{ .Release.Name }}\n"}, "", SourceHelm, "templates/release.yaml\n"},
		{"chart with a Release beside it", map[string]string{"Chart.yaml": "name: web\n", "values-prod.yaml": "x: 1\n", "release.yaml": testRelease}, "", SourceHelm, "release.yaml\n"},
		{"chart without a Release", map[string]string{"Chart.yaml": "name: web\n", "templates/deployment.yaml": "kind: Deployment\n"}, "", SourceHelm, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(writeTree(t, tc.files), tc.app)
			if got := DetectSource(dir); got != tc.kind {
				t.Errorf("DetectSource = %s, want %s", got, tc.kind)
			}
			var out bytes.Buffer
			if err := ArgoDiscover(dir, &out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.found, out.String()); diff != "" {
				t.Errorf("discover (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArgoParametersCurrentValues(t *testing.T) {
	other := strings.Replace(testRelease, "replicas: 3", "replicas: 5", 1)
	other = strings.Replace(other, "name: web", "name: api", 1)
	dir := writeTree(t, map[string]string{"a.yaml": testRelease, "b.yaml": other})
	var out bytes.Buffer
	announce := []ArgoParam{{"IMAGE", "image"}, {"REPLICAS", "replicas"}, {"MAX_SURGE", "rolling.maxSurge"}, {"CANARY_IMAGE", "canary.image"}}
	if err := ArgoParameters(dir, announce, &out); err != nil {
		t.Fatal(err)
	}
	var params []ParameterAnnouncement
	if err := json.Unmarshal(out.Bytes(), &params); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := map[string]string{}
	for _, p := range params {
		got[p.Name] = p.String
	}
	// image agrees across both Releases; replicas differs, so no value.
	for name, want := range map[string]string{"image": "nginx:1.27", "replicas": "", "max-surge": "", "canary-image": ""} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %q (announced %v), want %q", name, v, ok, want)
		}
	}
	if _, ok := got["values-files"]; ok {
		t.Error("a plain app announces values-files")
	}
}

func TestBuildOptionsFromEnv(t *testing.T) {
	root := t.TempDir()
	app := filepath.Join(root, "apps", "web")
	env := map[string]string{
		"ARGOCD_APP_NAME":        "web",
		"ARGOCD_APP_NAMESPACE":   "shop",
		"ARGOCD_APP_SOURCE_PATH": "apps/web",
		"KUBE_VERSION":           "1.34.4",
		"KUBE_API_VERSIONS":      "apps/v1,v1",
		"ARGOCD_APP_PARAMETERS":  `[{"name":"values-files","array":["values-prod.yaml"]},{"name":"helm-parameters","map":{"image.tag":"1.2,3","replicas":"2"}},{"name":"replicas","string":"4"}]`,
	}
	got, err := BuildOptionsFromEnv(app, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := BuildOptions{ReleaseName: "web", Namespace: "shop", KubeVersion: "1.34.4", APIVersions: "apps/v1,v1",
		ValuesFiles: []string{"values-prod.yaml"}, HelmParameters: map[string]string{"image.tag": "1.2,3", "replicas": "2"}, Root: root}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(BuildOptions{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := BuildOptionsFromEnv(app, func(k string) string {
		if k == "ARGOCD_APP_PARAMETERS" {
			return "{"
		}
		return ""
	}); err == nil || !strings.HasPrefix(err.Error(), "ARGOCD_APP_PARAMETERS: ") {
		t.Errorf("bad JSON: %v", err)
	}
}

func TestHelmTemplateArgs(t *testing.T) {
	root := writeTree(t, map[string]string{"apps/web/Chart.yaml": "name: web\n", "apps/web/values-prod.yaml": "x: 1\n", "apps/shared.yaml": "y: 2\n", "secret.txt": "no\n"})
	app := filepath.Join(root, "apps", "web")
	o := BuildOptions{ReleaseName: "web", Namespace: "shop", KubeVersion: "1.34.4", Root: root,
		ValuesFiles: []string{"values-prod.yaml", "../shared.yaml"}, HelmParameters: map[string]string{"replicas": "2", "hosts": "a,b"}}
	got, err := helmTemplateArgs(app, o)
	if err != nil {
		t.Fatal(err)
	}
	rootReal, _ := filepath.EvalSymlinks(root)
	want := []string{"template", "web", app, "--include-crds", "--namespace", "shop", "--kube-version", "1.34.4",
		"--values", filepath.Join(rootReal, "apps/web/values-prod.yaml"), "--values", filepath.Join(rootReal, "apps/shared.yaml"),
		"--set", `hosts=a\,b`, "--set", "replicas=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The repository is apps/: secret.txt beside it is out of reach, also
	// through a link inside it.
	o.Root = filepath.Join(root, "apps")
	if err := os.Symlink(filepath.Join(root, "secret.txt"), filepath.Join(app, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ file, want string }{
		{"../../secret.txt", "is outside the repository"},
		{"link.yaml", "is outside the repository"},
		{"/etc/passwd", "is not a relative path"},
		{"https://example.com/values.yaml", "is not a relative path"},
		{"missing.yaml", "does not exist"},
	} {
		o.ValuesFiles = []string{bad.file}
		if _, err := helmTemplateArgs(app, o); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("values file %s: %v, want %q", bad.file, err, bad.want)
		}
	}
}

// TestHelmSetValue: helm-parameters reach helm --set as Argo CD's own Helm
// source passes them (findings/04), so the same Application parameters
// mean the same values.
func TestHelmSetValue(t *testing.T) {
	tests := []struct{ value, want string }{
		{"2", "2"},
		{"a,b", `a\,b`}, // one string with a comma
		{"{a.example.com,b.example.com}", "{a.example.com,b.example.com}"}, // Helm's list syntax: two items
		{`x\,y`, `x\,y`}, // escaped already: not twice
		{`a,b\,c`, `a\,b\,c`},
		{"{a,b", `{a\,b`}, // not a list: no closing brace
		{"", ""},
	}
	for _, tc := range tests {
		if got := helmSetValue(tc.value); got != tc.want {
			t.Errorf("helmSetValue(%q) = %q, want %q", tc.value, got, tc.want)
		}
	}
}

func TestArgoGeneratePlain(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.26\n",
		"release.yaml":    testRelease,
	})
	var out, errOut bytes.Buffer
	noEnv := func(string) string { return "" }
	if err := ArgoGenerate(dir, noEnv, map[string]string{"replicas": "6"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"replicas: 6", "image: nginx:1.27"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	// A missing tool is named, with what to do.
	kdir := writeTree(t, map[string]string{"kustomization.yaml": "resources: []\n"})
	env := func(k string) string {
		if k == "ROLLSPEC_KUSTOMIZE" {
			return "/nonexistent/kustomize"
		}
		return ""
	}
	err := ArgoGenerate(kdir, env, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/kustomize is not installed") || out.Len() != 0 {
		t.Errorf("err %v, stdout %q", err, out.String())
	}
}

// TestReleasesBeside: the Releases a kustomize or Helm app adds to its
// build, or the error that names the file of an item meant to be one.
func TestReleasesBeside(t *testing.T) {
	local := strings.Replace(testRelease, "metadata:\n  name: web\n", "metadata:\n  name: web\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", 1)
	api := strings.Replace(local, "name: web", "name: api", 1)
	tests := []struct {
		name    string
		files   map[string]string
		app     string
		kind    SourceKind
		want    []string // Release names read from files
		wantErr string
	}{
		{"beside, not listed", map[string]string{"kustomization.yaml": "resources: [deploy.yaml]\n", "deploy.yaml": "kind: Deployment\n", "release.yaml": local}, "", SourceKustomize, []string{"web"}, ""},
		// kustomize drops a listed local-config Release: it is read from
		// its file (findings/02).
		{"listed, local-config", map[string]string{"kustomization.yaml": "resources: [deploy.yaml, release.yaml]\n", "release.yaml": local}, "", SourceKustomize, []string{"web"}, ""},
		{"listed in a base, local-config", map[string]string{"prod/kustomization.yaml": "resources: [../base]\n", "base/kustomization.yaml": "resources: [release.yaml]\n", "base/release.yaml": local}, "prod", SourceKustomize, []string{"web"}, ""},
		// Without local-config kustomize keeps it: the build's copy, as
		// the build transformed it, is the one applied.
		{"listed, applied by kustomize", map[string]string{"kustomization.yaml": "resources: [release.yaml]\n", "release.yaml": testRelease}, "", SourceKustomize, nil, ""},
		{"listed, local-config false", map[string]string{"kustomization.yaml": "resources: [release.yaml]\n", "release.yaml": strings.Replace(local, `"true"`, `"false"`, 1)}, "", SourceKustomize, nil, ""},
		// findings/03: a mistyped kind or group beside the build is an
		// error naming the file, as render makes it.
		{"kind Relase beside a kustomization", map[string]string{"kustomization.yaml": "resources: [deploy.yaml]\n", "web-release.yaml": local, "api-release.yaml": strings.Replace(api, "kind: Release", "kind: Relase", 1)}, "", SourceKustomize, nil,
			`api-release.yaml: rollspec.dev/v1alpha1 "Relase" "api" is not a kind of rollspec; allowed: Release`},
		{"kind Relase listed, local-config", map[string]string{"kustomization.yaml": "resources: [release.yaml]\n", "release.yaml": strings.Replace(local, "kind: Release", "kind: Relase", 1)}, "", SourceKustomize, nil,
			`release.yaml: rollspec.dev/v1alpha1 "Relase" "web" is not a kind of rollspec; allowed: Release`},
		{"group rollspec.io beside a chart", map[string]string{"Chart.yaml": "name: web\n", "release.yaml": strings.Replace(local, "rollspec.dev/", "rollspec.io/", 1)}, "", SourceHelm, nil,
			`release.yaml: rollspec.io/v1alpha1 "Release" "web" is not a rollspec Release; allowed: apiVersion rollspec.dev/v1alpha1, kind Release`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(writeTree(t, tc.files), tc.app)
			releases, err := releasesBeside(dir, tc.kind, BuildOptions{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range releases {
				got = append(got, r.GetName())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReleasesListedOutsideTheRepository: under Argo CD (a known
// repository root) a kustomization that lists a file out of the
// repository, directly or through a symbolic link, does not make the
// plugin's sidecar read it; kustomize decides about such files itself.
func TestReleasesListedOutsideTheRepository(t *testing.T) {
	local := strings.Replace(testRelease, "metadata:\n  name: web\n", "metadata:\n  name: web\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", 1)
	outside := strings.Replace(local, "name: web", "name: outside", 1)
	tree := writeTree(t, map[string]string{
		"repo/app/kustomization.yaml":  "resources: [../base, ../../outside.yaml, linked.yaml]\n",
		"repo/base/kustomization.yaml": "resources: [release.yaml]\n",
		"repo/base/release.yaml":       local,
		"outside.yaml":                 outside,
	})
	if err := os.Symlink(filepath.Join(tree, "outside.yaml"), filepath.Join(tree, "repo/app/linked.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		root string
		want []string
	}{
		{root: filepath.Join(tree, "repo"), want: []string{"web"}},
		{root: "", want: []string{"outside", "outside", "web"}}, // the CLI on the user's own files: no bound
	} {
		releases, err := releasesBeside(filepath.Join(tree, "repo/app"), SourceKustomize, BuildOptions{Root: tc.root})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range releases {
			got = append(got, r.GetName())
		}
		sort.Strings(got)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("root %q: Releases read (-want +got):\n%s", tc.root, diff)
		}
	}
}
