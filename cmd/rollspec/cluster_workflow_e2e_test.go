//go:build e2e

// The release workflow on a real control plane: the canary and blue/green
// examples driven only by the verbs, render, kubectl apply and
// rollspec status --wait (examples/ci/release.sh), and a rollout made to
// fail by kwok (images containing "never-ready" never become ready,
// scripts/cluster/up.sh) that status --wait reports and abort recovers.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sigsyaml "sigs.k8s.io/yaml"
)

var (
	buildStatusOnce sync.Once
	buildStatusErr  error
)

// toolBin is the directory TestMain built rollspec into; rollspec-status
// is built next to it, where rollspec status looks first. -trimpath, as
// make build does, so the build cache of make test serves it.
func toolBin(t *testing.T) string {
	t.Helper()
	dir := filepath.SplitList(toolPath)[0]
	buildStatusOnce.Do(func() {
		build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "rollspec-status"), "../rollspec-status")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			buildStatusErr = fmt.Errorf("building rollspec-status: %v\n%s", err, out)
		}
	})
	if buildStatusErr != nil {
		t.Fatal(buildStatusErr)
	}
	return dir
}

// TestClusterWorkflowHelper builds rollspec-status, which rollspec status
// runs, before the parallel cluster tests start (a test that does not call
// t.Parallel runs while they wait): compiling client-go takes a core for a
// minute on a cold cache, and the tests that sample the cluster's timing
// must not share the machine with it.
func TestClusterWorkflowHelper(t *testing.T) {
	// rollspec renders, finds the helper next to itself and returns its
	// exit code: 3, no verdict, for a kubeconfig that is not there.
	code, _, stderr := rollspecBin(t, "status", "../../examples/user-v1", "--kubeconfig", "/nonexistent/kubeconfig")
	if code != 3 || !strings.Contains(stderr, "rollspec status: loading the kubeconfig:") {
		t.Fatalf("rollspec status with no kubeconfig: exit %d, want 3\n%s", code, stderr)
	}
}

// workflowEnv is the environment of a CI job: the fresh binaries first on
// PATH, the test cluster, a Git identity and no user Git config.
func workflowEnv(t *testing.T, extra ...string) []string {
	toolBin(t)
	env := append(os.Environ(), "PATH="+toolPath, "KUBECONFIG="+kubeconfig(t),
		"GIT_AUTHOR_NAME=rollspec-ci", "GIT_AUTHOR_EMAIL=ci@example.com",
		"GIT_COMMITTER_NAME=rollspec-ci", "GIT_COMMITTER_EMAIL=ci@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
	return append(env, extra...)
}

// appRepo copies an example app (its manifests and one Release) into a
// fresh Git repository, in namespace ns and without the fixed nodePort
// (tests run side by side), and commits it.
func appRepo(t *testing.T, ns, example, release string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"deployment.yaml": "../../examples/" + example + "/deployment.yaml",
		"service.yaml":    "../../examples/" + example + "/service.yaml",
		"release.yaml":    "../../examples/" + example + "/" + release,
	}
	for name, src := range files {
		text := withoutNodePort(strings.ReplaceAll(readFile(t, src), "namespace: devops", "namespace: "+ns))
		if name == "release.yaml" && edit != nil {
			text = edit(text)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "the app as it is")
	return dir
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = workflowEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// subjects are the commit subjects, newest first.
func subjects(t *testing.T, dir string) []string {
	return strings.Split(strings.TrimSpace(gitIn(t, dir, "log", "--format=%s")), "\n")
}

// releaseScript runs examples/ci/release.sh as a CI job would.
func releaseScript(t *testing.T, app, ns, image string, extra ...string) (int, string) {
	t.Helper()
	script, _ := filepath.Abs("../../examples/ci/release.sh")
	cmd := exec.Command("bash", script, app, image)
	cmd.Env = workflowEnv(t, append([]string{"COMMIT=1", "DEPLOY=kubectl", "NAMESPACE=" + ns, "TIMEOUT=90s"}, extra...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// rollspecBin runs the built rollspec (status needs its helper next to it).
func rollspecBin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(toolBin(t), "rollspec"), args...)
	cmd.Env = workflowEnv(t)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// statusJSON is rollspec status -o json on an app.
func statusJSON(t *testing.T, app, ns string, args ...string) (int, map[string]string) {
	t.Helper()
	code, out, errOut := rollspecBin(t, append([]string{"status", app, "-n", ns, "-o", "json"}, args...)...)
	var rep struct {
		State   string
		Objects []struct{ Object, State string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status -o json: exit %d, not JSON: %v\n%s%s", code, err, out, errOut)
	}
	states := map[string]string{"": rep.State}
	for _, o := range rep.Objects {
		states[o.Object] = o.State
	}
	return code, states
}

// applyApp renders and applies an app with an ApplySet, which prunes what
// left the render, as release.sh does.
func applyApp(t *testing.T, app, ns string) {
	t.Helper()
	code, out, errOut := rollspecBin(t, "render", app)
	if code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errOut)
	}
	cmd := exec.Command("kubectl", "--kubeconfig", kubeconfig(t), "apply", "-n", ns, "--prune", "--applyset=hexo", "-f", "-")
	cmd.Env = append(os.Environ(), "KUBECTL_APPLYSET=true")
	cmd.Stdin = strings.NewReader(out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, b)
	}
}

// podImages counts the images the pods of a namespace run: "6 IMAGE, ...".
func podImages(t *testing.T, ns string) string {
	out := mustKubectl(t, "", "get", "pods", "-n", ns, "-o", `jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}`)
	count := map[string]int{}
	for _, i := range strings.Fields(out) {
		count[i]++
	}
	var parts []string
	for i, n := range count {
		parts = append(parts, fmt.Sprintf("%d %s", n, i))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// renderedImage is the image of a Deployment in an app's render.
func renderedImage(t *testing.T, app, name string) string {
	t.Helper()
	code, out, errOut := rollspecBin(t, "render", app)
	if code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errOut)
	}
	for _, doc := range strings.Split(out, "\n---\n") {
		var d struct {
			Kind     string
			Metadata struct{ Name string }
			Spec     struct {
				Template struct {
					Spec struct{ Containers []struct{ Image string } }
				}
			}
		}
		if err := sigsyaml.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		if d.Kind == "Deployment" && d.Metadata.Name == name && len(d.Spec.Template.Spec.Containers) > 0 {
			return d.Spec.Template.Spec.Containers[0].Image
		}
	}
	return ""
}

// TestClusterWorkflowCanary: the canary example reaches promote through
// release.sh (step, commit, apply, status --wait, next step), one commit
// per step; then a second release of a new image as a canary of the
// promoted Release, which keeps the stable pods on the promoted image
// until its own promote.
func TestClusterWorkflowCanary(t *testing.T) {
	t.Parallel()
	ns := "wf-canary-" + runID
	namespace(t, ns)
	app := appRepo(t, ns, "hexo-canary", "release.yaml", nil)
	code, log := releaseScript(t, app, ns, "registry.sword.org/hexo:v0.50")
	if code != 0 {
		t.Fatalf("release.sh: exit %d\n%s", code, log)
	}
	want := []string{
		ns + "/hexo: promote canary registry.sword.org/hexo:v0.50",
		ns + "/hexo: canary registry.sword.org/hexo:v0.50 at step 1 (50%)",
		"the app as it is",
	}
	if diff := cmp.Diff(want, subjects(t, app)); diff != "" {
		t.Errorf("commits (-want +got):\n%s\n%s", diff, log)
	}
	if got := strings.Count(log, "status --wait: exit 0"); got != 3 {
		t.Errorf("status --wait passed %d times, want 3 (start, step 1, promote):\n%s", got, log)
	}
	if got := podImages(t, ns); got != "6 registry.sword.org/hexo:v0.50" {
		t.Errorf("pods run %s, want 6 of v0.50", got)
	}

	// The next release, a canary of the promoted Release: at its first
	// step the stable pods still run v0.50.
	code, log = releaseScript(t, app, ns, "registry.sword.org/hexo:v0.51", "CANARY_STEPS=50")
	if code != 0 {
		t.Fatalf("second release: exit %d\n%s", code, log)
	}
	want = append([]string{
		ns + "/hexo: promote canary registry.sword.org/hexo:v0.51",
		ns + "/hexo: start canary registry.sword.org/hexo:v0.51 at step 0 (50%)",
	}, want...)
	if diff := cmp.Diff(want, subjects(t, app)); diff != "" {
		t.Errorf("commits (-want +got):\n%s\n%s", diff, log)
	}
	gitIn(t, app, "checkout", "-q", "HEAD~1")
	if code, states := statusJSON(t, app, ns); code != 2 || states["Deployment "+ns+"/hexo-canary"] != "progressing" {
		t.Errorf("status of the canary commit after promote: exit %d %v, want 2 with hexo-canary missing", code, states)
	}
	if img := renderedImage(t, app, "hexo"); img != "registry.sword.org/hexo:v0.50" {
		t.Errorf("during the second canary the stable track renders %s, want the promoted v0.50", img)
	}
	gitIn(t, app, "checkout", "-q", "-")
	if code, states := statusJSON(t, app, ns); code != 0 {
		t.Errorf("status after the second promote: exit %d %v", code, states)
	}
}

// TestClusterWorkflowBlueGreen: the blue/green example (green active)
// releases v3.0 into blue and promotes: the Service ends on blue, and
// status checks that its endpoints are blue's pods only.
func TestClusterWorkflowBlueGreen(t *testing.T) {
	t.Parallel()
	ns := "wf-bluegreen-" + runID
	namespace(t, ns)
	app := appRepo(t, ns, "hexo-blue-green", "release.yaml", nil)
	code, log := releaseScript(t, app, ns, "registry.sword.org/nginx:v3.0")
	if code != 0 {
		t.Fatalf("release.sh: exit %d\n%s", code, log)
	}
	want := []string{
		ns + "/hexo: promote blue (registry.sword.org/nginx:v3.0)",
		ns + "/hexo: deploy registry.sword.org/nginx:v3.0 to the idle colour blue",
		"the app as it is",
	}
	if diff := cmp.Diff(want, subjects(t, app)); diff != "" {
		t.Errorf("commits (-want +got):\n%s\n%s", diff, log)
	}
	sel := mustKubectl(t, "", "get", "service", "hexo-service", "-n", ns, "-o", "jsonpath={.spec.selector.rollspec\\.dev/color}")
	if sel != "blue" {
		t.Errorf("hexo-service selects %q, want blue", sel)
	}
	if code, states := statusJSON(t, app, ns); code != 0 || states["Service "+ns+"/hexo-service"] != "healthy" {
		t.Errorf("status: exit %d %v", code, states)
	}
	blue := podsWith(t, ns, "rollspec.dev/color=blue")
	if p, _ := endpointPods(t, ns, "hexo-service"); !cmp.Equal(p, blue) || len(blue) != 6 {
		t.Errorf("hexo-service reaches %v, want the 6 blue pods %v", p, blue)
	}
	// Released once: promote again with the same image changes nothing.
	if code, out, errOut := rollspecBin(t, "promote", app, "--expect-image", "registry.sword.org/nginx:v3.0"); code != 0 || !strings.Contains(out, "unchanged") {
		t.Errorf("a second promote: exit %d\n%s%s", code, out, errOut)
	}
}

// TestClusterWorkflowFailedRollout: a canary of an image whose pods never
// become ready makes status --wait exit 1 once the progress deadline
// passes; abort, applied, brings the app back to a healthy state (exit 0),
// with the canary pruned. Then release.sh does the same on its own: it
// rolls back with abort and exits 1.
func TestClusterWorkflowFailedRollout(t *testing.T) {
	t.Parallel()
	ns := "wf-failed-" + runID
	namespace(t, ns)
	deadline := func(release string) string {
		return strings.Replace(release, "  replicas: 6\n", "  replicas: 6\n  progressDeadlineSeconds: 10\n", 1)
	}
	app := appRepo(t, ns, "hexo-canary", "steps/3-abort.yaml", deadline)
	applyApp(t, app, ns)
	if code, out, errOut := rollspecBin(t, "status", app, "-n", ns, "--wait", "--timeout", "90s"); code != 0 {
		t.Fatalf("the app before the release: exit %d\n%s%s", code, out, errOut)
	}

	if code, out, errOut := rollspecBin(t, "set-image", app, "registry.sword.org/hexo:never-ready", "--canary-steps", "20,50"); code != 0 {
		t.Fatalf("set-image: exit %d\n%s%s", code, out, errOut)
	}
	applyApp(t, app, ns)
	start := time.Now()
	code, out, errOut := rollspecBin(t, "status", app, "-n", ns, "--wait", "--timeout", "90s")
	if code != 1 || !strings.Contains(out, "failed      Deployment "+ns+"/hexo-canary: the rollout passed spec.progressDeadlineSeconds") {
		t.Fatalf("status --wait on the failing canary: exit %d after %s, want 1\n%s%s", code, time.Since(start), out, errOut)
	}
	t.Logf("status --wait failed after %s:\n%s", time.Since(start).Round(time.Second), out)
	if code, out, errOut := rollspecBin(t, "abort", app); code != 0 {
		t.Fatalf("abort: exit %d\n%s%s", code, out, errOut)
	}
	applyApp(t, app, ns)
	if code, out, errOut := rollspecBin(t, "status", app, "-n", ns, "--wait", "--timeout", "90s"); code != 0 {
		t.Fatalf("status after abort: exit %d, want 0\n%s%s", code, out, errOut)
	}
	if _, err := kubectl(t, "", "get", "deployment", "hexo-canary", "-n", ns); err == nil {
		t.Error("hexo-canary still exists after abort")
	}
	if got := podImages(t, ns); got != "6 registry.sword.org/nginx:v2.0" {
		t.Errorf("after abort the pods run %s, want 6 of v2.0", got)
	}

	// set-image and abort gave back the file as it was: nothing to commit.
	if st := gitIn(t, app, "status", "--porcelain"); st != "" {
		t.Errorf("after set-image and abort the files differ from the commit:\n%s", st)
	}
	code, log := releaseScript(t, app, ns, "registry.sword.org/hexo:never-ready-2", "CANARY_STEPS=20,50")
	if code != 1 || !strings.Contains(log, "status --wait: exit 1") || !strings.Contains(log, "rolling back") {
		t.Fatalf("release.sh on a failing image: exit %d, want 1 after a rollback\n%s", code, log)
	}
	want := []string{
		ns + "/hexo: abort canary registry.sword.org/hexo:never-ready-2",
		ns + "/hexo: start canary registry.sword.org/hexo:never-ready-2 at step 0 (20%)",
	}
	if got := subjects(t, app)[:2]; !cmp.Equal(want, got) {
		t.Errorf("commits (-want +got):\n%s", cmp.Diff(want, got))
	}
	if code, states := statusJSON(t, app, ns); code != 0 {
		t.Errorf("status after the script's rollback: exit %d %v", code, states)
	}
}
