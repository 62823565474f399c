package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hexoApp is the hexo Deployment and Service of the examples, with a
// Release given per case.
func hexoApp(t *testing.T, release string, edits ...string) map[string]string {
	t.Helper()
	files := map[string]string{"release.yaml": release}
	for _, f := range []string{"deployment.yaml", "service.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../examples/hexo-canary", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	for i := 0; i+3 <= len(edits); i += 3 {
		files[edits[i]] = strings.Replace(files[edits[i]], edits[i+1], edits[i+2], 1)
	}
	return files
}

const releaseHead = `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata:
  name: hexo
  namespace: devops
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  replicas: 6
`

func bg(active, blue, green, extra string) string {
	return releaseHead + `  strategy: blue-green
  services: [hexo-service]
  blueGreen:
    active: ` + active + `
    blue: {image: ` + blue + `}
    green: {image: ` + green + `}
` + extra
}

func canaryAt(image string, step int, steps string) string {
	return releaseHead + `  strategy: canary
  canary:
    image: ` + image + `
    steps: ` + steps + `
    step: ` + string(rune('0'+step)) + `
`
}

const (
	v1 = "registry.sword.org/nginx:v1.0"
	v2 = "registry.sword.org/nginx:v2.0"
	v3 = "registry.sword.org/nginx:v3.0"
	c1 = "registry.sword.org/hexo:v0.50"
	c2 = "registry.sword.org/hexo:v0.51"
)

// trafficApp is the hexo-traffic example's manifests (Deployment, Service,
// Gateway, HTTPRoute) with a Release given per case.
func trafficApp(t *testing.T, release string) map[string]string {
	t.Helper()
	files := map[string]string{"release.yaml": release}
	for _, f := range []string{"deployment.yaml", "service.yaml", "gateway.yaml", "route.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../examples/hexo-traffic", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	return files
}

// exampleStep is a shipped example's app with one of its step Releases.
func exampleStep(t *testing.T, example, step string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, f := range []string{"deployment.yaml", "service.yaml", "gateway.yaml", "route.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../examples", example, f))
		if errors.Is(err, fs.ErrNotExist) && (f == "gateway.yaml" || f == "route.yaml") {
			continue // only the traffic example routes requests
		}
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	b, err := os.ReadFile(filepath.Join("../../examples", example, "steps", step+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files["release.yaml"] = string(b)
	return files
}

// TestDiffMoves: each unsafe move exits 1 with its reason and message;
// the shipped examples' steps are safe and exit 0.
func TestDiffMoves(t *testing.T) {
	type problem struct{ Reason, Message string }
	cases := []struct {
		name     string
		old, new map[string]string
		allow    []string
		want     []problem
		wantCode int
	}{{
		name: "flip to a colour with no pods",
		old:  hexoApp(t, bg("blue", v1, v2, "    inactiveReplicas: 0\n")),
		new:  hexoApp(t, bg("green", v1, v2, "    inactiveReplicas: 0\n")),
		want: []problem{{"flip-to-fewer-replicas", "Service devops/hexo-service: moves from devops/hexo-blue (6 replicas) to devops/hexo-green, which runs 0 in the old render: the Service would send all the traffic to fewer pods than serve it now; allowed: bring devops/hexo-green to 6 replicas in a commit of its own, wait for rollspec status, then flip"},
			{"flip-and-scale-down", "Service devops/hexo-service: moves from devops/hexo-blue to devops/hexo-green, and devops/hexo-blue scales from 6 to 0 pods in the same commit: its pods go while the new colour takes the traffic, and no fast way back is left; allowed: flip in one commit, scale the old colour down in a later one"}},
		wantCode: 1,
	}, {
		name:     "flip to a smaller standby",
		old:      hexoApp(t, bg("blue", v1, v2, "    inactiveReplicas: 2\n")),
		new:      hexoApp(t, bg("green", v1, v2, "    inactiveReplicas: 6\n")),
		want:     []problem{{"flip-to-fewer-replicas", "Service devops/hexo-service: moves from devops/hexo-blue (6 replicas) to devops/hexo-green, which runs 2 in the old render: the Service would send all the traffic to fewer pods than serve it now; allowed: bring devops/hexo-green to 6 replicas in a commit of its own, wait for rollspec status, then flip"}},
		wantCode: 1,
	}, {
		name:     "flip to a colour whose image changes in the same commit",
		old:      hexoApp(t, bg("blue", v1, v2, "")),
		new:      hexoApp(t, bg("green", v1, v3, "")),
		want:     []problem{{"flip-to-changing-pods", "Service devops/hexo-service: moves to devops/hexo-green, whose pods are replaced in the same commit: the traffic arrives while they restart; allowed: change the idle colour in one commit, wait for rollspec status, flip in the next"}},
		wantCode: 1,
	}, {
		name:     "flip and scale the old colour down in one commit",
		old:      exampleStep(t, "hexo-blue-green", "2-green-preview"),
		new:      exampleStep(t, "hexo-blue-green", "4-blue-scaled-down"),
		want:     []problem{{"flip-and-scale-down", "Service devops/hexo-service: moves from devops/hexo-blue to devops/hexo-green, and devops/hexo-blue scales from 6 to 0 pods in the same commit: its pods go while the new colour takes the traffic, and no fast way back is left; allowed: flip in one commit, scale the old colour down in a later one"}},
		wantCode: 1,
	}, {
		name:     "the stable template changes during a canary",
		old:      hexoApp(t, canaryAt(c1, 0, "[10, 50]")),
		new:      hexoApp(t, canaryAt(c1, 0, "[10, 50]"), "deployment.yaml", "path: /", "path: /healthz"),
		want:     []problem{{"stable-template-during-canary", "Deployment devops/hexo: the stable track's pod template changes while its canary devops/hexo-canary runs (or as it starts): every stable pod restarts during the canary; allowed: change the stable track after promote or abort"}},
		wantCode: 1,
	}, {
		name:     "canary steps rewritten so the same step index jumps to 100%",
		old:      hexoApp(t, canaryAt(c1, 1, "[10, 25, 50]")),
		new:      hexoApp(t, canaryAt(c1, 1, "[10, 100]")),
		want:     []problem{{"canary-step-jump", "Release devops/hexo: the canary of registry.sword.org/hexo:v0.50 moves from 25% to 100% in one commit, past 50% of the steps [10, 25, 50]; allowed: one step per commit (rollspec step), with the steps left as they are"}},
		wantCode: 1,
	}, {
		name:     "canary steps traded for weight: 100",
		old:      hexoApp(t, canaryAt(c1, 0, "[10, 25, 50]")),
		new:      hexoApp(t, releaseHead+"  strategy: canary\n  canary: {image: "+c1+", weight: 100}\n"),
		want:     []problem{{"canary-step-jump", "Release devops/hexo: the canary of registry.sword.org/hexo:v0.50 moves from 10% to 100% in one commit, past 25%, 50% of the steps [10, 25, 50]; allowed: one step per commit (rollspec step), with the steps left as they are"}},
		wantCode: 1,
	}, {
		name: "canary steps rewritten one rung up",
		old:  hexoApp(t, canaryAt(c1, 0, "[10, 25, 50]")),
		new:  hexoApp(t, canaryAt(c1, 0, "[20, 50]")),
	}, {
		name:     "a Service selector removed",
		old:      hexoApp(t, releaseHead),
		new:      hexoApp(t, releaseHead, "service.yaml", "  selector:\n    app: hexo\n", ""),
		want:     []problem{{"service-selector-removed", "Service devops/hexo-service: spec.selector is removed (it selected devops/hexo): Kubernetes stops managing its endpoints, which keep the pods of now and point at nothing once the next rollout replaces them; allowed: keep the selector (a Service without one is for endpoints written by hand)"}},
		wantCode: 1,
	}, {
		name:     "a route flip to a 1-pod standby",
		old:      trafficApp(t, bg("blue", v2, c1, "    inactiveReplicas: 1\n    weight: 0\n  traffic: {routes: [hexo]}\n")),
		new:      trafficApp(t, bg("blue", v2, c1, "    inactiveReplicas: 1\n    weight: 100\n  traffic: {routes: [hexo]}\n")),
		want:     []problem{{"flip-to-fewer-replicas", "HTTPRoute devops/hexo rule 1: devops/hexo-green gets 100% of the requests (was 0%) on the 1 pods it keeps of those it runs now: 100.0% per pod, more than twice the 16.7% any pod carries now; allowed: a weight step that keeps each pod within twice its load, or bring devops/hexo-green to more replicas in a commit of its own, wait for rollspec status, then move the weight"}},
		wantCode: 1,
	}, {
		name: "a canary weight through a route from 1% to 100%",
		old:  trafficApp(t, releaseHead+"  strategy: canary\n  canary: {image: "+c1+", weight: 1}\n  traffic: {routes: [hexo]}\n"),
		new:  trafficApp(t, releaseHead+"  strategy: canary\n  canary: {image: "+c1+", weight: 100}\n  traffic: {routes: [hexo]}\n"),
		want: []problem{{"service-without-pods", "Service devops/hexo-service-stable: selects no running pod in the new render (it selected devops/hexo); requests fail until something matches app=hexo,rollspec.dev/track=stable; allowed: keep pods behind the selector"},
			{"flip-to-fewer-replicas", "HTTPRoute devops/hexo rule 1: devops/hexo-canary gets 100% of the requests (was 1%) on the 1 pods it keeps of those it runs now: 100.0% per pod, more than twice the 16.5% any pod carries now; allowed: a weight step that keeps each pod within twice its load, or bring devops/hexo-canary to more replicas in a commit of its own, wait for rollspec status, then move the weight"}},
		wantCode: 1,
	}, {
		name: "a route flip to a hot standby",
		old:  trafficApp(t, bg("blue", v2, c1, "    weight: 0\n  traffic: {routes: [hexo]}\n")),
		new:  trafficApp(t, bg("blue", v2, c1, "    weight: 100\n  traffic: {routes: [hexo]}\n")),
	}, {
		name: "a progressive route flip to a 1-pod standby, 10% first",
		old:  trafficApp(t, bg("blue", v2, c1, "    inactiveReplicas: 1\n    weight: 0\n  traffic: {routes: [hexo]}\n")),
		new:  trafficApp(t, bg("blue", v2, c1, "    inactiveReplicas: 1\n    weight: 10\n  traffic: {routes: [hexo]}\n")),
	}, {
		name: "a selector change",
		old:  hexoApp(t, releaseHead),
		new: hexoApp(t, releaseHead, "deployment.yaml", "    matchLabels:\n      app: hexo\n", "    matchLabels:\n      app: hexo\n      tier: web\n",
			"deployment.yaml", "      labels:\n        app: hexo\n", "      labels:\n        app: hexo\n        tier: web\n"),
		want:     []problem{{"selector-change", `Deployment devops/hexo: spec.selector changes from {"matchLabels":{"app":"hexo"}} to {"matchLabels":{"app":"hexo","tier":"web"}}; the API server rejects it (field is immutable) and the release stops there; allowed: the same selector, or a Deployment of another name`}},
		wantCode: 1,
	}, {
		name:     "rolling to blue-green in one commit",
		old:      hexoApp(t, releaseHead+"  image: "+v2+"\n"),
		new:      hexoApp(t, bg("blue", v2, v2, "")),
		want:     []problem{{"service-to-new-pods-only", "Service devops/hexo-service: would select only pods of devops/hexo-blue, which the old render does not have: no endpoints until they start and pass readiness, and with prune the pods it selects now go at once; allowed: apply the new Deployments and wait for them before the Service moves (Argo CD: the Service in a later sync wave, and PruneLast=true), or --allow service-to-new-pods-only"}},
		wantCode: 1,
	}, {
		name:     "blue-green back to rolling in one commit",
		old:      hexoApp(t, bg("green", v1, v2, "")),
		new:      hexoApp(t, releaseHead+"  image: "+v2+"\n"),
		want:     []problem{{"service-to-new-pods-only", "Service devops/hexo-service: would select only pods of devops/hexo, which the old render does not have: no endpoints until they start and pass readiness, and with prune the pods it selects now go at once; allowed: apply the new Deployments and wait for them before the Service moves (Argo CD: the Service in a later sync wave, and PruneLast=true), or --allow service-to-new-pods-only"}},
		wantCode: 1,
	}, {
		name:     "a canary step that jumps past a step",
		old:      hexoApp(t, canaryAt(c1, 0, "[10, 25, 50]")),
		new:      hexoApp(t, canaryAt(c1, 2, "[10, 25, 50]")),
		want:     []problem{{"canary-step-jump", "Release devops/hexo: the canary of registry.sword.org/hexo:v0.50 moves from step 0 (10%) to step 2 (50%), past step 1 (25%); allowed: one step per commit (rollspec step)"}},
		wantCode: 1,
	}, {
		name:     "a canary that starts past its first step",
		old:      hexoApp(t, releaseHead),
		new:      hexoApp(t, canaryAt(c1, 1, "[10, 50]")),
		want:     []problem{{"canary-step-jump", "Release devops/hexo: the canary of registry.sword.org/hexo:v0.50 starts at step 1 (50%), past step 0 (10%); allowed: start at step 0 (rollspec set-image)"}},
		wantCode: 1,
	}, {
		name:     "a new canary image at the step of the old one",
		old:      hexoApp(t, canaryAt(c1, 1, "[10, 50]")),
		new:      hexoApp(t, canaryAt(c2, 1, "[10, 50]")),
		want:     []problem{{"canary-new-image-past-first-step", "Release devops/hexo: the canary image changes from registry.sword.org/hexo:v0.50 to registry.sword.org/hexo:v0.51 at step 1 (50%): the new image starts on 50% of the pods; allowed: a new canary image at step 0 (rollspec set-image does so)"}},
		wantCode: 1,
	}, {
		name:     "recreate over a rolling update the API server defaulted",
		old:      hexoApp(t, ""),
		new:      hexoApp(t, releaseHead+"  strategy: recreate\n"),
		want:     []problem{{"recreate-over-defaulted-rolling", "Deployment devops/hexo: the strategy moves to Recreate from a RollingUpdate whose rollingUpdate block the API server filled in; server-side apply keeps that block and the API server rejects the Deployment (kubernetes/kubernetes#24198); allowed: one release with strategy rolling first (rollspec writes the block), or a client-side apply of this one"}},
		wantCode: 1,
	}, {
		name:     "a recreate release",
		old:      hexoApp(t, releaseHead+"  strategy: recreate\n  image: "+v2+"\n"),
		new:      hexoApp(t, releaseHead+"  strategy: recreate\n  image: "+v3+"\n"),
		want:     []problem{{"recreate-downtime", "Deployment devops/hexo: strategy Recreate and the pod template changes: all 6 pods stop before the new ones start; allowed: strategy rolling, or --allow recreate-downtime when the downtime is accepted"}},
		wantCode: 1,
	}, {
		name:     "a recreate release the team accepts",
		old:      hexoApp(t, releaseHead+"  strategy: recreate\n  image: "+v2+"\n"),
		new:      hexoApp(t, releaseHead+"  strategy: recreate\n  image: "+v3+"\n"),
		allow:    []string{"recreate-downtime"},
		want:     []problem{{"recreate-downtime", "Deployment devops/hexo: strategy Recreate and the pod template changes: all 6 pods stop before the new ones start; allowed: strategy rolling, or --allow recreate-downtime when the downtime is accepted"}},
		wantCode: 0,
	}, {
		name:     "a rolling update that may take every pod down",
		old:      hexoApp(t, strings.Replace(releaseHead, "replicas: 6", "replicas: 1", 1)+"  rolling: {maxSurge: 0, maxUnavailable: 1}\n"),
		new:      hexoApp(t, strings.Replace(releaseHead, "replicas: 6", "replicas: 1", 1)+"  rolling: {maxSurge: 0, maxUnavailable: 1}\n  image: "+v3+"\n"),
		want:     []problem{{"rolling-whole-fleet", "Deployment devops/hexo: the pod template changes and maxUnavailable (1) lets the controller take all 1 pods down at once; allowed: a maxUnavailable below replicas (rolling.profile: surge-first)"}},
		wantCode: 1,
	}, {
		name:     "a new image on a paused Deployment",
		old:      hexoApp(t, releaseHead+"  paused: true\n"),
		new:      hexoApp(t, releaseHead+"  paused: true\n  image: "+v3+"\n"),
		want:     []problem{{"paused-rollout", "Deployment devops/hexo: the pod template changes while spec.paused is true; the controller starts no rollout, so the step never completes; allowed: paused: false with a template change"}},
		wantCode: 1,
	}, {
		name:     "scaled to zero behind its Service",
		old:      hexoApp(t, releaseHead),
		new:      hexoApp(t, strings.Replace(releaseHead, "replicas: 6", "replicas: 0", 1)),
		want:     []problem{{"service-without-pods", "Service devops/hexo-service: selects no running pod in the new render (it selected devops/hexo); requests fail until something matches app=hexo; allowed: keep pods behind the selector"}},
		wantCode: 1,
	}, {
		name:     "a Service selector that matches nothing",
		old:      hexoApp(t, releaseHead),
		new:      hexoApp(t, releaseHead, "service.yaml", "app: hexo", "app: hexo-web"),
		want:     []problem{{"service-without-pods", "Service devops/hexo-service: selects no running pod in the new render (it selected devops/hexo); requests fail until something matches app=hexo-web; allowed: keep pods behind the selector"}},
		wantCode: 1,
	}}
	userV1 := func(withRelease bool) map[string]string {
		files := userV1Files(t)
		if !withRelease {
			files["release.yaml"] = ""
		}
		return files
	}
	cases = append(cases, struct {
		name     string
		old, new map[string]string
		allow    []string
		want     []problem
		wantCode int
	}{name: "user-v1 3 to 10 replicas with a new image, surge first", old: userV1(false), new: userV1(true)}, struct {
		name     string
		old, new map[string]string
		allow    []string
		want     []problem
		wantCode int
	}{name: "a canary starts at step 0", old: hexoApp(t, releaseHead), new: hexoApp(t, canaryAt(c1, 0, "[10, 50]"))})
	safe := [][2]string{
		{"hexo-blue-green", "1-blue-active"}, {"hexo-blue-green", "2-green-preview"},
		{"hexo-blue-green", "2-green-preview"}, {"hexo-blue-green", "3-flip-to-green"},
		{"hexo-blue-green", "3-flip-to-green"}, {"hexo-blue-green", "4-blue-scaled-down"},
		{"hexo-canary", "1-canary-10"}, {"hexo-canary", "2-canary-50"},
		{"hexo-canary", "2-canary-50"}, {"hexo-canary", "3-promote"},
		{"hexo-canary", "2-canary-50"}, {"hexo-canary", "3-abort"},
		{"hexo-canary", "1-canary-10"}, {"hexo-canary", "3-abort"},
		{"hexo-traffic", "1-canary-1"}, {"hexo-traffic", "2-canary-5"},
		{"hexo-traffic", "2-canary-5"}, {"hexo-traffic", "3-canary-25"},
		{"hexo-traffic", "3-canary-25"}, {"hexo-traffic", "4-canary-50"},
		{"hexo-traffic", "4-canary-50"}, {"hexo-traffic", "5-promote"},
		{"hexo-traffic", "4-canary-50"}, {"hexo-traffic", "5-abort"},
	}
	for i := 0; i < len(safe); i += 2 {
		example := safe[i][0]
		cases = append(cases, struct {
			name     string
			old, new map[string]string
			allow    []string
			want     []problem
			wantCode int
		}{
			name: example + " " + safe[i][1] + " to " + safe[i+1][1],
			old:  exampleStep(t, example, safe[i][1]),
			new:  exampleStep(t, example, safe[i+1][1]),
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.old["release.yaml"] == "" {
				delete(c.old, "release.yaml")
			}
			oldDir, newDir := writeFiles(t, c.old), writeFiles(t, c.new)
			args := []string{"diff", oldDir, newDir, "-o", "json"}
			for _, a := range c.allow {
				args = append(args, "--allow", a)
			}
			code, stdout, stderr := runCLI(t, "", args...)
			var got struct {
				Safe     bool
				Problems []problem
			}
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("exit %d, output is not JSON: %v\n%s\n%s", code, err, stdout, stderr)
			}
			if code != c.wantCode || got.Safe != (c.wantCode == 0) {
				t.Errorf("exit %d, safe %v; want exit %d\n%s", code, got.Safe, c.wantCode, stderr)
			}
			if diff := cmp.Diff(c.want, got.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiffText: the text a person reads, for a safe and an unsafe move.
func TestDiffText(t *testing.T) {
	oldDir := writeFiles(t, exampleStep(t, "hexo-canary", "1-canary-10"))
	newDir := writeFiles(t, exampleStep(t, "hexo-canary", "2-canary-50"))
	code, stdout, _ := runCLI(t, "", "diff", oldDir, newDir)
	want := "safe move: 2 changes\n  Deployment devops/hexo: replicas 5 -> 3\n  Deployment devops/hexo-canary: replicas 1 -> 3\n"
	if diff := cmp.Diff(want, stdout); diff != "" || code != 0 {
		t.Errorf("exit %d; output (-want +got):\n%s", code, diff)
	}
	flip := writeFiles(t, exampleStep(t, "hexo-blue-green", "4-blue-scaled-down"))
	code, stdout, _ = runCLI(t, "", "diff", writeFiles(t, exampleStep(t, "hexo-blue-green", "2-green-preview")), flip)
	want = `unsafe move: 1 problem
  flip-and-scale-down: Service devops/hexo-service: moves from devops/hexo-blue to devops/hexo-green, and devops/hexo-blue scales from 6 to 0 pods in the same commit: its pods go while the new colour takes the traffic, and no fast way back is left; allowed: flip in one commit, scale the old colour down in a later one
changes:
  Deployment devops/hexo-blue: replicas 6 -> 0
  Service devops/hexo-service: selects devops/hexo-green (was devops/hexo-blue)
  Service devops/hexo-service-preview: removed (the apply tool must prune it)
`
	if diff := cmp.Diff(want, stdout); diff != "" || code != 1 {
		t.Errorf("exit %d; output (-want +got):\n%s", code, diff)
	}
}

// TestDiffGitRevisions: git:REV:PATH reads a committed version, PATH as
// seen from the current directory.
func TestDiffGitRevisions(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed for git:REV:PATH")
	}
	repo := t.TempDir()
	app := filepath.Join(repo, "deploy", "hexo")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(files map[string]string) {
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	gitRun("init", "-q")
	write(exampleStep(t, "hexo-canary", "1-canary-10"))
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "step 0")
	write(exampleStep(t, "hexo-canary", "2-canary-50"))
	gitRun("commit", "-q", "-am", "step 1")
	t.Chdir(filepath.Join(repo, "deploy"))
	code, stdout, stderr := runCLI(t, "", "diff", "git:HEAD~1:hexo", "git:HEAD:hexo")
	if code != 0 || !strings.HasPrefix(stdout, "safe move: 2 changes\n") {
		t.Errorf("exit %d:\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "", "diff", "git:HEAD~5:hexo", "hexo")
	if code != 3 || !strings.Contains(stderr, "git:HEAD~5:hexo: git cat-file -t HEAD~5:./hexo") {
		t.Errorf("a missing revision: exit %d, want 3:\n%s", code, stderr)
	}
}

// TestDiffGitTrees: git:REV:PATH reads a committed directory as render
// reads it on disk: files whose names Git quotes, and symlinks followed
// inside the tree. Values starting with "symlink:" are links.
func TestDiffGitTrees(t *testing.T) {
	sel := func(files map[string]string, name string) map[string]string {
		out := map[string]string{}
		for k, v := range files {
			out[k] = v
		}
		out[name] = strings.Replace(strings.Replace(out[name], "    matchLabels:\n      app: hexo\n", "    matchLabels:\n      app: hexo\n      tier: web\n", 1),
			"      labels:\n        app: hexo\n", "      labels:\n        app: hexo\n        tier: web\n", 1)
		return out
	}
	app := hexoApp(t, releaseHead)
	quoted := map[string]string{"app/release.yaml": app["release.yaml"], "app/service.yaml": app["service.yaml"], "app/d\u00e9ploiement \"web\".yaml": app["deployment.yaml"]}
	linked := map[string]string{"app/release.yaml": app["release.yaml"], "app/service.yaml": app["service.yaml"], "shared/deployment.yaml": app["deployment.yaml"], "app/deployment.yaml": "symlink:../shared/deployment.yaml"}
	cases := []struct {
		name        string
		old, new    map[string]string
		args        []string
		wantCode    int
		wantReasons []string
		wantStderr  string
	}{{
		name: "a selector change in a file whose name Git quotes", old: quoted, new: sel(quoted, "app/d\u00e9ploiement \"web\".yaml"),
		args: []string{"git:HEAD~1:app", "app"}, wantCode: 1, wantReasons: []string{"selector-change"},
	}, {
		name: "both sides from Git", old: quoted, new: sel(quoted, "app/d\u00e9ploiement \"web\".yaml"),
		args: []string{"git:HEAD~1:app", "git:HEAD:app"}, wantCode: 1, wantReasons: []string{"selector-change"},
	}, {
		name: "a selector change through a symlinked manifest", old: linked, new: sel(linked, "shared/deployment.yaml"),
		args: []string{"git:HEAD~1:app", "app"}, wantCode: 1, wantReasons: []string{"selector-change"},
	}, {
		name: "a symlinked file as the path", old: linked, new: sel(linked, "shared/deployment.yaml"),
		args: []string{"git:HEAD~1:app/deployment.yaml", "app/deployment.yaml"}, wantCode: 1, wantReasons: []string{"selector-change"},
	}, {
		name: "a symlink to a file not committed", old: map[string]string{"app/deployment.yaml": "symlink:../elsewhere.yaml"}, new: map[string]string{"app/deployment.yaml": "symlink:../elsewhere.yaml"},
		args: []string{"git:HEAD~1:app", "git:HEAD:app"}, wantCode: 3, wantStderr: "git:HEAD~1:app: app/deployment.yaml is a symlink to ../elsewhere.yaml, which is not in the tree at HEAD~1; allowed: a link to a file committed with it\n",
	}, {
		name: "a symlink out of the repository", old: map[string]string{"app/deployment.yaml": "symlink:/etc/hosts"}, new: map[string]string{"app/deployment.yaml": "symlink:/etc/hosts"},
		args: []string{"git:HEAD~1:app", "git:HEAD:app"}, wantCode: 3, wantStderr: "git:HEAD~1:app: app/deployment.yaml is a symlink to /etc/hosts, outside the tree at HEAD~1; allowed: a relative link inside the repository, or the file itself\n",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			gitRun := func(args ...string) {
				t.Helper()
				cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
				cmd.Dir = repo
				cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			write := func(files map[string]string) {
				for name, content := range files {
					p := filepath.Join(repo, name)
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					os.Remove(p)
					var err error
					if target, ok := strings.CutPrefix(content, "symlink:"); ok {
						err = os.Symlink(target, p)
					} else {
						err = os.WriteFile(p, []byte(content), 0o644)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			gitRun("init", "-q")
			write(c.old)
			gitRun("add", "-A")
			gitRun("commit", "-q", "-m", "old")
			write(c.new)
			gitRun("add", "-A")
			gitRun("commit", "-q", "--allow-empty", "-m", "new")
			t.Chdir(repo)
			code, stdout, stderr := runCLI(t, "", append([]string{"diff", "-o", "json"}, c.args...)...)
			if code != c.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", code, c.wantCode, stdout, stderr)
			}
			if c.wantStderr != "" {
				if diff := cmp.Diff(c.wantStderr, strings.TrimPrefix(stderr, "rollspec: ")); diff != "" {
					t.Errorf("stderr (-want +got):\n%s", diff)
				}
				return
			}
			var got struct{ Problems []struct{ Reason string } }
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			var reasons []string
			for _, p := range got.Problems {
				reasons = append(reasons, p.Reason)
			}
			if diff := cmp.Diff(c.wantReasons, reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerbsMakeSafeMoves: every edit the verbs make, from the shipped
// examples on, is a move diff accepts.
func TestVerbsMakeSafeMoves(t *testing.T) {
	flows := []struct {
		name  string
		start map[string]string
		verbs [][]string
	}{
		{"canary promoted", exampleStep(t, "hexo-canary", "1-canary-10"), [][]string{
			{"step"}, {"promote"}, {"set-image", c2, "--canary-steps", "10,50,100"}, {"step"}, {"step"}, {"promote"},
		}},
		{"canary aborted", exampleStep(t, "hexo-canary", "2-canary-50"), [][]string{
			{"set-image", c2}, {"step"}, {"abort"},
		}},
		{"blue-green", exampleStep(t, "hexo-blue-green", "1-blue-active"), [][]string{
			{"set-image", v2}, {"promote"}, {"set-image", v3}, {"promote"}, {"flip"},
		}},
		{"rolling", userV1Files(t), [][]string{
			{"set-image", "nginx:user-v4"}, {"set-image", "nginx:user-v5", "--canary-steps", "20,60"}, {"step"}, {"promote"},
		}},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			dir := writeFiles(t, f.start)
			for _, v := range f.verbs {
				before := t.TempDir()
				for name, content := range readDir(t, dir) {
					if err := os.WriteFile(filepath.Join(before, name), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				args := append([]string{v[0], filepath.Join(dir, "release.yaml")}, v[1:]...)
				if code, _, stderr := runCLI(t, "", args...); code != 0 {
					t.Fatalf("%v: exit %d\n%s", v, code, stderr)
				}
				if code, stdout, stderr := runCLI(t, "", "diff", before, dir); code != 0 {
					t.Errorf("after %v: diff exit %d\n%s%s", v, code, stdout, stderr)
				}
			}
		})
	}
}

func userV1Files(t *testing.T) map[string]string {
	files := map[string]string{}
	for _, f := range []string{"deployment.yaml", "service.yaml", "release.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../examples/user-v1", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	return files
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}
