package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runCLI runs the command line in-process and returns exit code, stdout, stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.26
`

const goodRelease = `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata:
  name: web
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  image: nginx:1.27
`

func TestRender(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string
		stdin      string
		env        map[string]string // set for the run (PARAM_*, ARGOCD_ENV_*)
		args       []string          // "DIR" is replaced by the temp dir
		wantCode   int
		wantOut    []string // substrings of stdout
		wantNotOut []string
		wantErr    []string // substrings of stderr
	}{
		{
			name:       "directory",
			files:      map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease, "kustomization.yaml": "resources: [deployment.yaml]\n"},
			args:       []string{"render", "DIR"},
			wantOut:    []string{"image: nginx:1.27", "app.kubernetes.io/version: \"1.27\""},
			wantNotOut: []string{"kind: Release", "resources:", "config.kubernetes.io/path", "config.kubernetes.io/index"},
			wantErr:    []string{`warning: Release "web": spec.probes.readiness: container "web" has no readinessProbe`},
		},
		{
			name:    "stdin stream and a file",
			files:   map[string]string{"release.yaml": goodRelease},
			stdin:   deployment,
			args:    []string{"render", "-", "DIR/release.yaml"},
			wantOut: []string{"image: nginx:1.27"},
		},
		{
			name:     "bad Release prints nothing",
			files:    map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease + "  rolling: {maxSurge: 0, maxUnavailable: 0}\n"},
			args:     []string{"render", "DIR"},
			wantCode: 1,
			wantErr:  []string{`Release "web": spec.rolling: maxSurge and maxUnavailable are both 0`},
		},
		{
			name:     "malformed YAML names the file",
			files:    map[string]string{"deployment.yaml": deployment, "release.yaml": "kind: Release\nspec: [unclosed\n"},
			args:     []string{"render", "DIR"},
			wantCode: 1,
			wantErr:  []string{"release.yaml:2: YAML syntax error: did not find expected ',' or ']'"},
		},
		{
			name:     "missing file",
			args:     []string{"render", "DIR/nope.yaml"},
			wantCode: 1,
			wantErr:  []string{"nope.yaml: no such file or directory"},
		},
		{
			name:     "empty directory is an error, not an empty stream",
			files:    map[string]string{"kustomization.yaml": "resources: []\n"},
			args:     []string{"render", "DIR"},
			wantCode: 1,
			wantErr:  []string{"no manifests found in"},
		},
		{name: "function mode with empty stdin", args: nil, wantCode: 1, wantErr: []string{"standard input is empty"}},
		{
			name:    "--set overrides the Release",
			files:   map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			args:    []string{"render", "--set", "tag=1.28", "--set", "replicas=5", "DIR"},
			wantOut: []string{"image: nginx:1.28", "replicas: 5"},
		},
		{
			name:     "--set with a bad value names the flag",
			files:    map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			args:     []string{"render", "--set", "replicas=010", "DIR"},
			wantCode: 1,
			wantErr:  []string{`--set replicas=010: spec.replicas: "010" is not a decimal integer; allowed: an integer in decimal digits without leading zeros, such as 10`},
		},
		{
			name:     "--set that conflicts with the Release is named under the error",
			files:    map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			args:     []string{"render", "--set", "rolling.maxSurge=0", "--set", "rolling.maxUnavailable=0", "DIR"},
			wantCode: 1,
			wantErr:  []string{`Release "web": spec.rolling: maxSurge and maxUnavailable are both 0`, "(spec.rolling.maxSurge was set by --set rolling.maxSurge=0; spec.rolling.maxUnavailable was set by --set rolling.maxUnavailable=0)"},
		},
		// image and tag replace each other: whichever comes later (or
		// from the source of higher precedence) is the image rendered,
		// never the repository of one with the tag of the other.
		{
			name:       "--set image after --set tag wins",
			files:      map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			args:       []string{"render", "--set", "tag=1.0", "--set", "image=nginx:2.0", "DIR"},
			wantOut:    []string{"image: nginx:2.0"},
			wantNotOut: []string{"nginx:1.0"},
		},
		{
			name:       "--set tag after --set image wins",
			files:      map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			args:       []string{"render", "--set", "image=nginx:2.0", "--set", "tag=1.0", "DIR"},
			wantOut:    []string{"image: nginx:1.0"},
			wantNotOut: []string{"nginx:2.0"},
		},
		{
			name:       "--set image wins over PARAM_TAG",
			files:      map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			env:        map[string]string{"PARAM_TAG": "1.0"},
			args:       []string{"render", "--env-params", "--set", "image=nginx:2.0", "DIR"},
			wantOut:    []string{"image: nginx:2.0"},
			wantNotOut: []string{"nginx:1.0"},
		},
		{
			name:       "--set tag wins over PARAM_IMAGE",
			files:      map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			env:        map[string]string{"PARAM_IMAGE": "nginx:2.0"},
			args:       []string{"render", "--env-params", "--set", "tag=1.0", "DIR"},
			wantOut:    []string{"image: nginx:1.0"},
			wantNotOut: []string{"nginx:2.0"},
		},
		{
			name:       "Argo CD: the declared parameter image wins over the Application's env TAG",
			files:      map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			env:        map[string]string{"ARGOCD_ENV_TAG": "1.0", "PARAM_IMAGE": "nginx:2.0"},
			args:       []string{"argocd", "generate", "DIR"},
			wantOut:    []string{"image: nginx:2.0"},
			wantNotOut: []string{"nginx:1.0"},
		},
		{
			name:       "Argo CD: the declared parameter tag wins over the Application's env IMAGE",
			files:      map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			env:        map[string]string{"ARGOCD_ENV_IMAGE": "nginx:2.0", "PARAM_TAG": "1.0"},
			args:       []string{"argocd", "generate", "DIR"},
			wantOut:    []string{"image: nginx:1.0"},
			wantNotOut: []string{"nginx:2.0"},
		},
		{
			name:     "Argo CD: image and tag of equal standing are an error naming both",
			files:    map[string]string{"deployment.yaml": deployment, "release.yaml": goodRelease},
			env:      map[string]string{"PARAM_IMAGE": "nginx:2.0", "PARAM_TAG": "1.0"},
			args:     []string{"argocd", "generate", "DIR"},
			wantCode: 1,
			wantErr:  []string{"PARAM_IMAGE=nginx:2.0 and PARAM_TAG=1.0 are both set; spec.image and spec.tag replace each other; allowed: one of them, the other unset or empty"},
		},
		{
			name:       "post-render: --set image wins over PARAM_TAG",
			files:      map[string]string{"release.yaml": goodRelease},
			stdin:      deployment,
			env:        map[string]string{"PARAM_TAG": "1.0"},
			args:       []string{"post-render", "--env-params", "--set", "image=nginx:2.0", "DIR/release.yaml"},
			wantOut:    []string{"image: nginx:2.0"},
			wantNotOut: []string{"nginx:1.0"},
		},
		{
			name:     "post-render: a Release file with kind Relase fails, naming the file",
			files:    map[string]string{"release.yaml": strings.Replace(goodRelease, "kind: Release", "kind: Relase", 1)},
			stdin:    deployment,
			args:     []string{"post-render", "DIR/release.yaml"},
			wantCode: 1,
			wantErr:  []string{`release.yaml: rollspec.dev/v1alpha1 "Relase" "web" is not a kind of rollspec; allowed: Release`},
		},
		{
			name:     "post-render: a file without a Release fails",
			files:    map[string]string{"deployment.yaml": deployment},
			stdin:    deployment,
			args:     []string{"post-render", "DIR/deployment.yaml"},
			wantCode: 1,
			wantErr:  []string{"deployment.yaml holds no Release; allowed: a file or directory with an object of apiVersion rollspec.dev/v1alpha1, kind Release"},
		},
		{
			name:     "--set without a Release",
			files:    map[string]string{"deployment.yaml": deployment},
			args:     []string{"render", "--set", "tag=1.28", "DIR"},
			wantCode: 1,
			wantErr:  []string{"parameters tag were given, but the input has no Release to apply them to"},
		},
		{name: "render help", args: []string{"render", "--help"}, wantOut: []string{"Usage: rollspec render [DIR|FILE|-]..."}},
		{name: "unknown flag", args: []string{"render", "--nope"}, wantCode: 2, wantErr: []string{"unknown flag: --nope"}},
		{name: "unknown command", args: []string{"deploy"}, wantCode: 2, wantErr: []string{`unknown command "deploy"`}},
		{name: "help", args: []string{"--help"}, wantOut: []string{"rollspec render [DIR|FILE|-]..."}},
		{name: "version", args: []string{"version"}, wantOut: []string{"(devel)"}},
		{name: "version takes no arguments", args: []string{"version", "x"}, wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "DIR", dir)
			}
			code, out, errOut := runCLI(t, tc.stdin, args...)
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out, errOut)
			}
			if code != 0 && out != "" {
				t.Errorf("stdout must be empty on failure, got:\n%s", out)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantNotOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestFunctionModeFailsWithResults(t *testing.T) {
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " +
		strings.ReplaceAll(deployment, "\n", "\n  ") + "\nfunctionConfig:\n  " +
		strings.ReplaceAll(goodRelease+"  replicas: many\n", "\n", "\n  ")
	code, out, errOut := runCLI(t, in)
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr: %s", code, errOut)
	}
	for _, w := range []string{"image: nginx:1.26", "severity: error", `spec.replicas: got the string "many"`} {
		if !strings.Contains(out, w) {
			t.Errorf("output ResourceList lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(errOut, `Release "web": spec.replicas: got the string "many"; allowed: an integer`) {
		t.Errorf("stderr lacks the message:\n%s", errOut)
	}
}

func TestSchemaIsJSON(t *testing.T) {
	code, out, _ := runCLI(t, "", "schema")
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	var s map[string]interface{}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	spec := s["properties"].(map[string]interface{})["spec"].(map[string]interface{})
	rolling := spec["properties"].(map[string]interface{})["rolling"].(map[string]interface{})
	if rolling["additionalProperties"] != false {
		t.Errorf("spec.rolling must reject unknown fields, as the parser does")
	}
}

// TestSchemaFileIsCurrent keeps examples/release.schema.json, which the
// examples name for editor validation, equal to what `rollspec schema` prints.
func TestSchemaFileIsCurrent(t *testing.T) {
	_, out, _ := runCLI(t, "", "schema")
	file, err := os.ReadFile("../../examples/release.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(file) != out {
		t.Fatal("examples/release.schema.json is stale: run go run ./cmd/rollspec schema > examples/release.schema.json")
	}
}

// TestPlanOutput compares `rollspec plan` on the zero-downtime example with
// the reviewed table and chart, and keeps the SVG in the example current.
func TestPlanOutput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		file string
	}{
		{[]string{"plan", "../../examples/zero-downtime"}, "../../testdata/plan/zero-downtime.txt"},
		{[]string{"plan", "-o", "svg", "../../examples/zero-downtime"}, "../../examples/zero-downtime/plan.svg"},
		{[]string{"plan", "../../examples/statefulset-canary"}, "../../testdata/plan/statefulset-canary.txt"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		want, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), out); diff != "" {
			t.Errorf("%v differs from %s (-want +got):\n%s", tc.args, tc.file, diff)
		}
	}
	// --set on plan, as the example's comment suggests: drain-first rolls 0/1.
	if code, out, errOut := runCLI(t, "", "plan", "--set", "rolling.profile=drain-first", "../../examples/zero-downtime"); code != 0 || !strings.Contains(out, "maxSurge 0, maxUnavailable 1") {
		t.Errorf("plan --set: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "plan", "-o", "png", "../../examples/zero-downtime"); code != 1 || !strings.Contains(errOut, `--output "png": allowed: text, svg`) {
		t.Errorf("plan -o png: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "plan", "--nodes", "0", "../../examples/zero-downtime"); code != 1 || !strings.Contains(errOut, `--nodes 0: allowed: 1 to 10000`) {
		t.Errorf("plan --nodes 0: exit %d, %s", code, errOut)
	}
}

// TestMakeHelpListsEveryTarget: every phony target of the Makefile has a
// line in `make help` (its pattern once skipped names with digits, e2e).
func TestMakeHelpListsEveryTarget(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, line := range strings.Split(string(mk), "\n") {
		if rest, ok := strings.CutPrefix(line, ".PHONY:"); ok {
			targets = append(targets, strings.Fields(rest)...)
		}
	}
	cmd := exec.Command("make", "-s", "help")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make help: %v", err)
	}
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			listed = append(listed, f[0])
		}
	}
	sort.Strings(targets)
	sort.Strings(listed)
	if diff := cmp.Diff(targets, listed); diff != "" {
		t.Errorf("make help (-phony targets +listed):\n%s", diff)
	}
}

// TestHelpOnStdout: --help of every command prints its usage on stdout
// and exits 0, so `rollspec render --help | less` works; a usage error
// goes to stderr with exit 2.
func TestHelpOnStdout(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Usage:\n  rollspec < resourcelist.yaml"},
		{[]string{"help"}, "rollspec post-render [FILE]..."},
		{[]string{"render", "--help"}, "Usage: rollspec render [DIR|FILE|-]..."},
		{[]string{"render", "-h"}, "--env-params"},
		{[]string{"plan", "--help"}, "Usage: rollspec plan [DIR|FILE|-]..."},
		{[]string{"post-render", "--help"}, "Usage: rollspec post-render [RELEASE-FILE|DIR]..."},
		{[]string{"schema", "--help"}, "Usage: rollspec schema"},
		{[]string{"version", "--help"}, "Usage: rollspec version"},
		{[]string{"argocd", "--help"}, "rollspec argocd generate [DIR]"},
		{[]string{"argocd", "discover", "--help"}, "Usage: rollspec argocd discover [DIR]"},
		{[]string{"argocd", "parameters", "--help"}, "Usage: rollspec argocd parameters [DIR]"},
		{[]string{"argocd", "generate", "--help"}, "Usage: rollspec argocd generate [DIR]"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) || errOut != "" {
			t.Errorf("%v: exit %d, stdout lacks %q or stderr is not empty:\n%s\nstderr:\n%s", tc.args, code, tc.want, out, errOut)
		}
	}
	for _, args := range [][]string{{"render", "--nope"}, {"argocd"}, {"argocd", "deploy"}, {"argocd", "generate", "a", "b"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code == 0 || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a usage error on stderr", args, code, out, errOut)
		}
	}
}
