//go:build e2e

// End-to-end tests with the real tools: kustomize, Helm 3 and Helm 4
// (installed by scripts/install-tools.sh into bin/), kpt (from the machine
// image), and the Argo CD plugin's commands run the way the repo-server
// runs them. Run with `make e2e`.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var updateE2E = flag.Bool("update-e2e", false, "rewrite testdata/e2e from the tools' output; review the diff")

const repo = "../.."

// toolPath puts a fresh rollspec and the installed tools first on PATH.
var toolPath string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "rollspec-e2e-")
	if err != nil {
		panic(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "rollspec"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building rollspec: %v\n%s", err, out)
		os.Exit(1)
	}
	abs, _ := filepath.Abs(filepath.Join(repo, "bin"))
	toolPath = dir + string(os.PathListSeparator) + abs + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, tool := range []string{"kustomize", "kpt", "helm", filepath.Join("helm4", "helm")} {
		if _, err := lookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "%s not found on %s: run scripts/install-tools.sh (make e2e does)\n", tool, toolPath)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func lookPath(tool string) (string, error) {
	for _, d := range filepath.SplitList(toolPath) {
		p := filepath.Join(d, tool)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", tool)
}

// runTool runs a command with the test PATH in dir, with extra env.
func runTool(t *testing.T, dir string, env []string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	p, lerr := lookPath(name)
	if lerr != nil {
		t.Fatal(lerr)
	}
	cmd := exec.Command(p, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PATH="+toolPath), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// golden compares got with testdata/e2e/name.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join(repo, "testdata", "e2e", name)
	if *updateE2E {
		_ = os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run make e2e-update and review)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// copyTree copies a directory for a tool that writes in place.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// packageFiles joins the files of a kpt package, in name order, for a golden compare.
func packageFiles(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		c, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "### %s\n%s", e.Name(), c)
	}
	return b.String()
}

func TestKustomizeExec(t *testing.T) {
	out, errOut, err := runTool(t, repo, nil, "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", "examples/kustomize/overlays/prod")
	if err != nil {
		t.Fatalf("kustomize build: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "name: prod-testpage") || !strings.Contains(out, "image: dean/testpage:0.9") {
		t.Errorf("the Release did not reach prod-testpage:\n%s", out)
	}
	golden(t, "kustomize-prod.yaml", out)
}

func TestKustomizeBrokenRelease(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(repo, "examples/kustomize"), dir)
	rel := filepath.Join(dir, "overlays/prod/release.yaml")
	b, _ := os.ReadFile(rel)
	_ = os.WriteFile(rel, bytes.Replace(b, []byte("profile: surge-first"), []byte("maxSurg: 1"), 1), 0o644)
	out, errOut, err := runTool(t, dir, nil, "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", "overlays/prod")
	if err == nil {
		t.Fatalf("kustomize build succeeded on a broken Release:\n%s", out)
	}
	want := `Release "testpage": spec.rolling.maxSurg: unknown field "maxSurg" (did you mean "maxSurge"?); allowed: maxSurge, maxUnavailable, profile`
	if !strings.Contains(errOut, want) {
		t.Errorf("kustomize's error does not name the Release and field:\n%s", errOut)
	}
}

func TestKptRender(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(repo, "examples/kpt"), dir)
	if _, errOut, err := runTool(t, dir, nil, "kpt", "fn", "render", "--allow-exec", "."); err != nil {
		t.Fatalf("kpt fn render: %v\n%s", err, errOut)
	}
	golden(t, "kpt-render.txt", packageFiles(t, dir))
	// Rendering again changes nothing: the pipeline is idempotent on disk.
	before := packageFiles(t, dir)
	if _, errOut, err := runTool(t, dir, nil, "kpt", "fn", "render", "--allow-exec", "."); err != nil {
		t.Fatalf("second kpt fn render: %v\n%s", err, errOut)
	}
	if diff := cmp.Diff(before, packageFiles(t, dir)); diff != "" {
		t.Errorf("second render changed the package (-first +second):\n%s", diff)
	}
}

func TestKptEvalFnConfig(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(repo, "examples/kpt"), dir)
	if _, errOut, err := runTool(t, dir, nil, "kpt", "fn", "eval", "--exec", "rollspec", "--fn-config", "release.yaml", "."); err != nil {
		t.Fatalf("kpt fn eval: %v\n%s", err, errOut)
	}
	golden(t, "kpt-eval-fn-config.txt", packageFiles(t, dir))
}

func TestKptEvalKeyValue(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(repo, "examples/kpt"), dir)
	if _, errOut, err := runTool(t, dir, nil, "kpt", "fn", "eval", "--exec", "rollspec", ".", "--",
		"name=deployment-demo", "tag=1.11.9", "rolling.maxSurge=25%", "probes.liveness=tcp:http"); err != nil {
		t.Fatalf("kpt fn eval: %v\n%s", err, errOut)
	}
	golden(t, "kpt-eval-key-value.txt", packageFiles(t, dir))
}

func TestKptBrokenRelease(t *testing.T) {
	for name, args := range map[string][]string{
		"fn-config": {"fn", "eval", "--exec", "rollspec", "--fn-config", "bad-release.yaml", "."},
		"key=value": {"fn", "eval", "--exec", "rollspec", ".", "--", "name=deployment-demo", "replicas=many"},
		"render":    {"fn", "render", "--allow-exec", "."},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, filepath.Join(repo, "examples/kpt"), dir)
			rel, _ := os.ReadFile(filepath.Join(dir, "release.yaml"))
			bad := bytes.Replace(rel, []byte("replicas: 4"), []byte("replicas: many"), 1)
			switch name {
			case "render":
				_ = os.WriteFile(filepath.Join(dir, "release.yaml"), bad, 0o644)
			case "fn-config":
				_ = os.WriteFile(filepath.Join(dir, "bad-release.yaml"), bad, 0o644)
			}
			before := packageFiles(t, dir)
			out, errOut, err := runTool(t, dir, nil, "kpt", args...)
			if err == nil {
				t.Fatalf("kpt succeeded on a broken Release:\n%s%s", out, errOut)
			}
			all := out + errOut
			if !strings.Contains(all, `deployment-demo"`) || !strings.Contains(all, `spec.replicas: got the string "many"; allowed: an integer`) {
				t.Errorf("kpt's output does not name the Release and field:\n%s\n%s", out, errOut)
			}
			if diff := cmp.Diff(before, packageFiles(t, dir)); diff != "" {
				t.Errorf("a failed run changed the package:\n%s", diff)
			}
		})
	}
}

// argoCommand reads a command of examples/argocd/plugin.yaml, the one
// copy of the plugin's config: field is generate, discover or parameters.
func argoCommand(t *testing.T, field string) []string {
	t.Helper()
	plugin, err := yaml.ReadFile(filepath.Join(repo, "examples/argocd/plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := map[string][]string{
		"generate":   {"spec", "generate", "command"},
		"discover":   {"spec", "discover", "find", "command"},
		"parameters": {"spec", "parameters", "dynamic", "command"},
	}[field]
	cmdNode, err := plugin.Pipe(yaml.Lookup(path...))
	if err != nil || cmdNode == nil {
		t.Fatalf("plugin.yaml has no %s: %v", strings.Join(path, "."), err)
	}
	var command []string
	for _, e := range cmdNode.YNode().Content {
		command = append(command, e.Value)
	}
	if len(command) == 0 {
		t.Fatalf("plugin.yaml: %s is empty", strings.Join(path, "."))
	}
	return command
}

// argoRun runs a command of the plugin the way the repo-server's sidecar
// does: in the app's directory, with the build environment, the
// Application's env as ARGOCD_ENV_* and its parameters as PARAM_* and
// ARGOCD_APP_PARAMETERS. The sidecar has no shell: the command runs as is.
func argoRun(t *testing.T, field, appDir, sourcePath string, env []string) (string, string, error) {
	t.Helper()
	command := argoCommand(t, field)
	base := []string{"ARGOCD_APP_NAME=hexo", "ARGOCD_APP_NAMESPACE=devops", "ARGOCD_APP_REVISION=0123abc", "ARGOCD_APP_SOURCE_PATH=" + sourcePath, "KUBE_VERSION=1.34.4"}
	return runTool(t, appDir, append(base, env...), command[0], command[1:]...)
}

// argoApps are the three app shapes of the plugin, as the Applications in
// examples/argocd/application.yaml set them up.
var argoApps = []struct {
	name, path string
	env        []string
	release    string   // what discover prints
	objects    []string // kind/name of the generated stream
	golden     string
}{
	{
		name: "plain directory", path: "examples/hexo-blue-green",
		env:     []string{"ARGOCD_ENV_REPLICAS=6", "PARAM_ACTIVE=green"},
		release: "release.yaml",
		objects: []string{"Deployment/hexo-blue", "Deployment/hexo-green", "Service/hexo-service", "Service/hexo-service-preview"},
		golden:  "argocd-hexo.yaml",
	},
	{
		name: "kustomize directory", path: "examples/argocd/kustomize-app",
		env:     []string{"PARAM_REPLICAS=5"},
		release: "release.yaml",
		objects: []string{"Service/testpage", "Deployment/testpage"},
		golden:  "argocd-kustomize.yaml",
	},
	{
		name: "Helm chart", path: "examples/helm/hexo",
		env: []string{
			`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["values-green.yaml"]},{"name":"helm-parameters","map":{"replicas":"4","service.nodePort":"32081"}}]`,
			"PARAM_VALUES_FILES_0=values-green.yaml", "PARAM_HELM_PARAMETERS_REPLICAS=4", "PARAM_HELM_PARAMETERS_SERVICE_NODEPORT=32081",
		},
		release: "templates/release.yaml",
		objects: []string{"Service/hexo-service", "Service/hexo-service-preview", "Deployment/hexo-blue", "Deployment/hexo-green", "Pod/hexo-test-connection"},
		golden:  "argocd-helm.yaml",
	},
}

// TestArgoCDApps runs discover, parameters and generate of the plugin on
// the three app shapes.
func TestArgoCDApps(t *testing.T) {
	for _, app := range argoApps {
		t.Run(app.name, func(t *testing.T) {
			dir := filepath.Join(repo, app.path)
			out, errOut, err := argoRun(t, "discover", dir, app.path, app.env)
			if err != nil || strings.TrimSpace(out) != app.release {
				t.Errorf("discover: %v, printed %q, want %q\n%s", err, out, app.release, errOut)
			}
			out, errOut, err = argoRun(t, "parameters", dir, app.path, app.env)
			if err != nil {
				t.Fatalf("parameters: %v\n%s", err, errOut)
			}
			var params []map[string]any
			if err := json.Unmarshal([]byte(out), &params); err != nil {
				t.Fatalf("parameters: not the JSON list Argo CD reads: %v\n%s", err, out)
			}
			if len(params) == 0 {
				t.Error("parameters: none announced")
			}
			out, errOut, err = argoRun(t, "generate", dir, app.path, app.env)
			if err != nil {
				t.Fatalf("generate: %v\n%s", err, errOut)
			}
			nodes, err := (&kio.ByteReader{Reader: strings.NewReader(out), OmitReaderAnnotations: true}).Read()
			if err != nil {
				t.Fatalf("stdout is not a YAML stream: %v\n%s", err, out)
			}
			var kinds []string
			for _, n := range nodes {
				kinds = append(kinds, n.GetKind()+"/"+n.GetName())
			}
			if diff := cmp.Diff(app.objects, kinds); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			golden(t, app.golden, out)
		})
	}
}

// TestArgoCDParameterValues: the UI shows each parameter's current value,
// read from the app's Release.
func TestArgoCDParameterValues(t *testing.T) {
	out, errOut, err := argoRun(t, "parameters", filepath.Join(repo, "examples/argocd/kustomize-app"), "examples/argocd/kustomize-app", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var params []struct {
		Name, String, CollectionType string
	}
	if err := json.Unmarshal([]byte(out), &params); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range params {
		got[p.Name] = p.String
	}
	for name, want := range map[string]string{"tag": "0.9", "replicas": "4", "profile": "surge-first", "image": "", "active": ""} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("parameter %s = %q (announced: %v), want %q", name, v, ok, want)
		}
	}
	out, _, _ = argoRun(t, "parameters", filepath.Join(repo, "examples/helm/hexo"), "examples/helm/hexo", nil)
	for _, want := range []string{`"name": "values-files"`, `"collectionType": "array"`, `"name": "helm-parameters"`, `"collectionType": "map"`} {
		if !strings.Contains(out, want) {
			t.Errorf("a Helm app's parameters lack %s:\n%s", want, out)
		}
	}
}

// TestArgoCDDiscoverNothing: a directory without a Release is left to
// other tools: no output, exit 0.
func TestArgoCDDiscoverNothing(t *testing.T) {
	for _, path := range []string{"examples/kustomize/base", "testdata/charts/podinfo"} {
		out, errOut, err := argoRun(t, "discover", filepath.Join(repo, path), path, nil)
		if err != nil || out != "" {
			t.Errorf("%s: discover: %v, printed %q\n%s", path, err, out, errOut)
		}
	}
}

// TestArgoCDBroken: a broken app prints nothing on stdout, exits non-zero,
// and says what to fix, naming the parameter a bad value came from.
func TestArgoCDBroken(t *testing.T) {
	brokenRelease := t.TempDir()
	copyTree(t, filepath.Join(repo, "examples/hexo-blue-green"), brokenRelease)
	_ = os.WriteFile(filepath.Join(brokenRelease, "release.yaml"), []byte("apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata:\n  name: hexo\nspec:\n  blueGreen:\n    active: green\n   preview: true\n"), 0o644)
	brokenKustomization := t.TempDir()
	copyTree(t, filepath.Join(repo, "examples/argocd/kustomize-app"), brokenKustomization)
	_ = os.WriteFile(filepath.Join(brokenKustomization, "kustomization.yaml"), []byte("resources:\n  - missing.yaml\n"), 0o644)
	tests := []struct {
		name, dir, path string
		env             []string
		want            string
	}{
		{"octal replicas", filepath.Join(repo, "examples/hexo-blue-green"), "examples/hexo-blue-green", []string{"PARAM_REPLICAS=010"},
			`PARAM_REPLICAS=010: spec.replicas: "010" is not a decimal integer`},
		{"unknown color", filepath.Join(repo, "examples/hexo-blue-green"), "examples/hexo-blue-green", []string{"PARAM_ACTIVE=purple"},
			`PARAM_ACTIVE=purple: spec.blueGreen.active: "purple" is not one of the choices; allowed: blue, green`},
		{"image from the Application's env", filepath.Join(repo, "examples/argocd/kustomize-app"), "examples/argocd/kustomize-app", []string{"ARGOCD_ENV_IMAGE={"},
			`ARGOCD_ENV_IMAGE={: spec.image: "{" is not an image reference`},
		{"YAML syntax error", brokenRelease, "apps/hexo", nil, "release.yaml:8: YAML syntax error"},
		{"kustomize fails", brokenKustomization, "apps/shop", nil, "building the kustomization in .: "},
		{"values file outside the repository", filepath.Join(repo, "examples/helm/hexo"), "examples/helm/hexo",
			[]string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["../../../../../../etc/passwd"]}]`},
			`parameter values-files: "../../../../../../etc/passwd" is outside the repository`},
		{"chart value that breaks the Release", filepath.Join(repo, "examples/helm/hexo"), "examples/helm/hexo",
			[]string{`ARGOCD_APP_PARAMETERS=[{"name":"helm-parameters","map":{"release.blueGreen.active":"purple"}}]`},
			`Release "hexo": spec.blueGreen.active: unknown color "purple"; allowed: blue, green`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := argoRun(t, "generate", tc.dir, tc.path, tc.env)
			if err == nil {
				t.Fatalf("generate succeeded:\n%s", out)
			}
			if out != "" {
				t.Errorf("stdout must be empty on error (Argo CD would prune the app), got:\n%s", out)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errOut)
			}
		})
	}
	// The broken Release is still discovered, so its error reaches the UI
	// instead of Argo CD applying the directory with another tool.
	if out, _, _ := argoRun(t, "discover", brokenRelease, "apps/hexo", nil); strings.TrimSpace(out) != "release.yaml" {
		t.Errorf("discover on a broken Release printed %q, want release.yaml", out)
	}
}

// TestArgoCDReleaseFiles: the Releases of a kustomize app are applied
// wherever the app keeps them, and one meant to be a Release but mistyped
// fails the render; never exit 0 with a release silently left out.
func TestArgoCDReleaseFiles(t *testing.T) {
	tests := []struct {
		name, path string
		discover   string // what discover prints
		wantImage  string // the image generate renders; "" when it must fail
		wantErr    string
	}{
		// findings/02: kustomize drops a listed local-config Release; the
		// plugin reads it from the file the kustomization lists.
		{"Release listed in resources", "testdata/sources/listed-release", "release.yaml", "image: nginx:1.27", ""},
		{"Release listed in a base", "testdata/sources/listed-in-base/prod", "../base/release.yaml", "image: nginx:1.27", ""},
		// findings/03: kind Relase beside the kustomization.
		{"kind Relase beside the kustomization", "testdata/sources/typo-beside", "api-release.yaml\nweb-release.yaml", "",
			`api-release.yaml: rollspec.dev/v1alpha1 "Relase" "api" is not a kind of rollspec; allowed: Release`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(repo, tc.path)
			out, errOut, err := argoRun(t, "discover", dir, tc.path, nil)
			if err != nil || strings.TrimSpace(out) != tc.discover {
				t.Errorf("discover: %v, printed %q, want %q\n%s", err, out, tc.discover, errOut)
			}
			out, errOut, err = argoRun(t, "generate", dir, tc.path, nil)
			if tc.wantErr != "" {
				if err == nil || out != "" || !strings.Contains(errOut, tc.wantErr) {
					t.Errorf("generate: %v, stdout %q, stderr lacks %q:\n%s", err, out, tc.wantErr, errOut)
				}
				return
			}
			if err != nil {
				t.Fatalf("generate: %v\n%s", err, errOut)
			}
			if !strings.Contains(out, tc.wantImage) || strings.Contains(out, "nginx:1.26") || strings.Contains(out, "kind: Release") {
				t.Errorf("generate: want %s, no nginx:1.26, no Release:\n%s", tc.wantImage, out)
			}
		})
	}
}

// TestArgoCDHelmParameters: helm-parameters mean for the plugin what they
// mean for Argo CD's own Helm source (findings/04), checked on the values
// the real Helm hands the chart.
func TestArgoCDHelmParameters(t *testing.T) {
	const path = "testdata/sources/values-chart"
	tests := []struct {
		name, params, want string
	}{
		{"a list in braces is a list", `{"hosts":"{a.example.com,b.example.com}"}`, `"hosts":["a.example.com","b.example.com"]`},
		{"an escaped comma is a comma", `{"note":"x\\,y"}`, `"note":"x,y"`},
		{"a plain comma is a comma", `{"note":"x,y"}`, `"note":"x,y"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{`ARGOCD_APP_PARAMETERS=[{"name":"helm-parameters","map":` + tc.params + `}]`}
			out, errOut, err := argoRun(t, "generate", filepath.Join(repo, path), path, env)
			if err != nil {
				t.Fatalf("generate: %v\n%s", err, errOut)
			}
			nodes, err := (&kio.ByteReader{Reader: strings.NewReader(out), OmitReaderAnnotations: true}).Read()
			if err != nil {
				t.Fatal(err)
			}
			var values string
			for _, n := range nodes {
				if n.GetKind() == "ConfigMap" && n.GetName() == "probe" {
					values = n.GetDataMap()["values"]
				}
			}
			if !strings.Contains(values, tc.want) {
				t.Errorf("the chart got %s, want %s in it", values, tc.want)
			}
		})
	}
}

// TestFluxRenderStep runs the CI render step of examples/flux: a rendered
// app for Flux, and on a broken Release nothing written at all.
func TestFluxRenderStep(t *testing.T) {
	out := filepath.Join(t.TempDir(), "deploy")
	if _, errOut, err := runTool(t, repo, nil, "bash", "examples/flux/render.sh", "examples/hexo-canary", out); err != nil {
		t.Fatalf("render.sh: %v\n%s", err, errOut)
	}
	manifests, err := os.ReadFile(filepath.Join(out, "hexo-canary", "manifests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifests), "name: hexo-canary") || strings.Contains(string(manifests), "kind: Release") {
		t.Errorf("manifests.yaml is not the rendered canary:\n%s", manifests)
	}
	if _, err := os.Stat(filepath.Join(out, "hexo-canary", "kustomization.yaml")); err != nil {
		t.Error(err)
	}
	// examples/ also holds the kustomize overlay's transformer config, which
	// has no Deployment beside it: the step must fail and write nothing.
	broken := filepath.Join(t.TempDir(), "deploy")
	if _, _, err := runTool(t, repo, nil, "bash", "examples/flux/render.sh", "examples", broken); err == nil {
		t.Fatal("render.sh succeeded although one app fails to render")
	}
	if _, err := os.Stat(broken); !os.IsNotExist(err) {
		t.Errorf("a failed render step wrote %s", broken)
	}
}

// TestFluxRenderSameNameApps: apps/team-a/web and apps/team-b/web are two
// apps of one name in two namespaces; both must reach the rendered branch,
// each in its own directory.
func TestFluxRenderSameNameApps(t *testing.T) {
	src := filepath.Join(t.TempDir(), "apps")
	for _, team := range []string{"team-a", "team-b"} {
		dir := filepath.Join(src, team, "web")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		dep := strings.Replace(deployment, "  name: web\n", "  name: web\n  namespace: "+team+"\n", 1)
		rel := strings.Replace(goodRelease, "  name: web\n", "  name: web\n  namespace: "+team+"\n", 1)
		_ = os.WriteFile(filepath.Join(dir, "deployment.yaml"), []byte(dep), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "release.yaml"), []byte(rel), 0o644)
	}
	out := filepath.Join(t.TempDir(), "deploy", "apps")
	if _, errOut, err := runTool(t, repo, nil, "bash", "examples/flux/render.sh", src, out); err != nil {
		t.Fatalf("render.sh: %v\n%s", err, errOut)
	}
	for _, team := range []string{"team-a", "team-b"} {
		b, err := os.ReadFile(filepath.Join(out, team, "web", "manifests.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "namespace: "+team+"\n") || !strings.Contains(string(b), "image: nginx:1.27") {
			t.Errorf("%s/web/manifests.yaml is not %s's rendered web:\n%s", team, team, b)
		}
		if _, err := os.Stat(filepath.Join(out, team, "web", "kustomization.yaml")); err != nil {
			t.Error(err)
		}
	}
}

// TestKptRenderBlueGreenFiles: in kpt's in-place render, the objects a
// blue/green release generates get files of their own next to their base,
// a re-render changes nothing, and a later step that drops the preview
// removes its file.
func TestKptRenderBlueGreenFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(repo, "examples/hexo-blue-green")
	for _, f := range []string{"deployment.yaml", "service.yaml"} {
		b, _ := os.ReadFile(filepath.Join(src, f))
		_ = os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	kptfile := "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: hexo\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n    - exec: rollspec\n      configPath: release.yaml\n"
	_ = os.WriteFile(filepath.Join(dir, "Kptfile"), []byte(kptfile), 0o644)
	step := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(src, "steps", name))
		_ = os.WriteFile(filepath.Join(dir, "release.yaml"), b, 0o644)
		if _, errOut, err := runTool(t, dir, nil, "kpt", "fn", "render", "--allow-exec", "."); err != nil {
			t.Fatalf("kpt fn render %s: %v\n%s", name, err, errOut)
		}
		return packageFiles(t, dir)
	}
	files := func() []string {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	first := step("2-green-preview.yaml")
	want := []string{"Kptfile", "deployment.yaml", "deployment_hexo-green.yaml", "release.yaml", "service.yaml", "service_hexo-service-preview.yaml"}
	if diff := cmp.Diff(want, files()); diff != "" {
		t.Fatalf("files after step 2 (-want +got):\n%s", diff)
	}
	if again := step("2-green-preview.yaml"); again != first {
		t.Errorf("re-rendering step 2 changed the package:\n%s", cmp.Diff(first, again))
	}
	step("4-blue-scaled-down.yaml")
	want = []string{"Kptfile", "deployment.yaml", "deployment_hexo-green.yaml", "release.yaml", "service.yaml"}
	if diff := cmp.Diff(want, files()); diff != "" {
		t.Errorf("files after step 4, the preview gone (-want +got):\n%s", diff)
	}
	golden(t, "kpt-render-blue-green.txt", packageFiles(t, dir))
}
