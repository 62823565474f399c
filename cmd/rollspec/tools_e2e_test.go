//go:build e2e

// End-to-end tests with the real tools: kustomize (installed by
// scripts/install-tools.sh into bin/), kpt (from the machine image), and
// the Argo CD plugin's generate command run the way the repo-server runs
// it. Run with `make e2e`.
package main

import (
	"bytes"
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
	for _, tool := range []string{"kustomize", "kpt"} {
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

// argoGenerate runs the generate command of examples/argocd/plugin.yaml
// the way the repo-server's sidecar does: in the app's directory, with the
// build environment, the Application's env as ARGOCD_ENV_* and its
// parameters as PARAM_*.
func argoGenerate(t *testing.T, appDir string, env []string) (string, string, error) {
	t.Helper()
	plugin, err := yaml.ReadFile(filepath.Join(repo, "examples/argocd/plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cmdNode, err := plugin.Pipe(yaml.Lookup("spec", "generate", "command"))
	if err != nil || cmdNode == nil {
		t.Fatalf("plugin.yaml has no spec.generate.command: %v", err)
	}
	command, _ := cmdNode.ElementValues("")
	if len(command) == 0 {
		elems, _ := cmdNode.Elements()
		for _, e := range elems {
			command = append(command, yaml.GetValue(e))
		}
	}
	base := []string{"ARGOCD_APP_NAME=hexo", "ARGOCD_APP_NAMESPACE=devops", "ARGOCD_APP_REVISION=0123abc", "ARGOCD_APP_SOURCE_PATH=examples/hexo-blue-green"}
	return runTool(t, appDir, append(base, env...), command[0], command[1:]...)
}

func TestArgoCDGenerate(t *testing.T) {
	app := filepath.Join(repo, "examples/hexo-blue-green")
	out, errOut, err := argoGenerate(t, app, []string{"ARGOCD_ENV_REPLICAS=6", "PARAM_ACTIVE=green"})
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
	want := []string{"Deployment/hexo-blue", "Deployment/hexo-green", "Service/hexo-service", "Service/hexo-service-preview"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	golden(t, "argocd-hexo.yaml", out)
}

func TestArgoCDGenerateBroken(t *testing.T) {
	app := filepath.Join(repo, "examples/hexo-blue-green")
	out, errOut, err := argoGenerate(t, app, []string{"PARAM_ACTIVE=purple"})
	if err == nil {
		t.Fatalf("generate succeeded with a bad parameter:\n%s", out)
	}
	if out != "" {
		t.Errorf("stdout must be empty on error (Argo CD would prune the app), got:\n%s", out)
	}
	if want := `Release "devops/hexo": spec.blueGreen.active: unknown color "purple"; allowed: blue, green`; !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
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
