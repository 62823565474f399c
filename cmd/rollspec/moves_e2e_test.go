//go:build e2e

// Strategy moves on rollspec's own output under real kpt and kustomize
// (inputs in testdata/moves): every move renders as the same Release on
// the original input does, three renders in a row change nothing, and the
// autoscalers and budgets the user wrote come back where the user wrote
// them when a Release leaves blue/green.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var moves = filepath.Join(repo, "testdata", "moves")

// kptWebRelease is a kpt Release file for the package in testdata/moves/kpt-web.
func kptWebRelease(spec string) string {
	return "apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata:\n  name: web\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\nspec:\n" + spec
}

// kptLayout says which objects each file of a package holds, in order,
// and gives the autoscalers and budgets whole: what must not depend on
// the renders before.
func kptLayout(t *testing.T, files map[string]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, content := range files {
		if name == "release.yaml" || name == "Kptfile" {
			continue
		}
		for _, n := range parseStream(t, name, content) {
			entry := n.GetKind() + " " + n.GetName()
			if k := n.GetKind(); k == "HorizontalPodAutoscaler" || k == "PodDisruptionBudget" {
				entry += "\n" + n.MustString()
			}
			out[name] = append(out[name], entry)
		}
	}
	return out
}

// TestKptStrategyMovesFilesNamedAfterApp: a package whose file is named
// after the app, released blue/green, canary, flipped, with the idle
// color at 0 and back, and rolling, each step on the output of the one
// before. Before, the canary after blue/green wrote the user's autoscaler
// into horizontalpodautoscaler_web-green.yaml and the next blue/green
// render failed ("two objects to file ... at index 0"); bringing the idle
// color back after inactiveReplicas 0 wrote two autoscalers to web.yaml.
func TestKptStrategyMovesFilesNamedAfterApp(t *testing.T) {
	src := filepath.Join(moves, "kpt-web")
	bgBlue := "  strategy: blue-green\n  blueGreen: {active: blue, green: {image: nginx:1.27}}\n"
	bgGreen := "  strategy: blue-green\n  blueGreen: {active: green, green: {image: nginx:1.27}}\n"
	steps := []struct {
		name, spec string
		// whole: the package equals a render of the original package
		// with the step's Release. Otherwise the Deployments may differ,
		// as they should (a canary or rolling release after green was
		// active starts from green's image; the idle color's replicas
		// field lands elsewhere in its manifest), and only the files,
		// the objects in them and the autoscalers and budgets are
		// compared.
		whole bool
	}{
		{"blue-green", bgBlue, true},
		{"canary", "  strategy: canary\n  canary: {image: nginx:1.27, weight: 50}\n", true},
		{"blue-green again", bgBlue, true},
		{"flip to green", bgGreen, true},
		{"flip to blue", bgBlue, true},
		{"green, idle color at 0", "  strategy: blue-green\n  blueGreen: {active: green, inactiveReplicas: 0, green: {image: nginx:1.27}}\n", false},
		{"green, idle color back", bgGreen, false},
		{"rolling", "  strategy: rolling\n", false},
		{"blue-green after rolling", bgBlue, false},
	}
	dir := t.TempDir()
	copyTree(t, src, dir)
	for _, s := range steps {
		release := kptWebRelease(s.spec)
		if err := os.WriteFile(filepath.Join(dir, "release.yaml"), []byte(release), 0o644); err != nil {
			t.Fatal(err)
		}
		got := kptRender(t, dir)
		for i := 2; i <= 3; i++ {
			if diff := cmp.Diff(got, kptRender(t, dir)); diff != "" {
				t.Fatalf("%s: render %d changed the package (-before +after):\n%s", s.name, i, diff)
			}
		}
		checkProperties(t, "kpt render, step "+s.name, packageObjects(t, got))

		fresh := t.TempDir()
		copyTree(t, src, fresh)
		if err := os.WriteFile(filepath.Join(fresh, "release.yaml"), []byte(release), 0o644); err != nil {
			t.Fatal(err)
		}
		want := kptRender(t, fresh)
		// kpt rewrites the Release file in its own style; it is the same.
		want["release.yaml"], got["release.yaml"] = "", ""
		if s.whole {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s on the previous step's output differs from the original package rendered with it (-original +moved):\n%s", s.name, diff)
			}
			continue
		}
		if diff := cmp.Diff(kptLayout(t, want), kptLayout(t, got)); diff != "" {
			t.Fatalf("%s on the previous step's output puts objects elsewhere than on the original package (-original +moved):\n%s", s.name, diff)
		}
	}
}

// TestKustomizeOverlayOverBlueGreenBase: an overlay (namespace: prod,
// namePrefix: prod-) over a base whose own Release renders blue/green,
// with a Release of the same name that flips, goes canary or leaves
// blue/green. The build equals the overlay's over the same base without
// a Release. Before, the per-color autoscalers were not recognised once
// renamed: the flip left green pinned at the standby count and blue
// scaling, leaving blue/green kept both copies, one targeting web-green,
// a Deployment that exists nowhere, with warnings that they were not the
// Release's.
func TestKustomizeOverlayOverBlueGreenBase(t *testing.T) {
	root := t.TempDir()
	base, plain := filepath.Join(root, "base"), filepath.Join(root, "plain-base")
	copyTree(t, filepath.Join(moves, "kustomize-web", "base"), base)
	copyTree(t, base, plain)
	if err := os.WriteFile(filepath.Join(plain, "kustomization.yaml"), []byte("resources: [app.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(over, spec string) (string, string) {
		t.Helper()
		dir, err := os.MkdirTemp(root, "overlay")
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, over)
		k := fmt.Sprintf("namespace: prod\nnamePrefix: prod-\nresources: [%s]\ntransformers: [release.yaml]\n", rel)
		release := "apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata:\n  name: web\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n    config.kubernetes.io/function: |\n      exec:\n        path: rollspec\nspec:\n" + spec
		for name, content := range map[string]string{"kustomization.yaml": k, "release.yaml": release} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, errOut, err := runTool(t, dir, nil, "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", ".")
		if err != nil {
			t.Fatalf("kustomize build: %v\n%s", err, errOut)
		}
		return out, errOut
	}
	for _, c := range []struct{ name, spec string }{
		{"flip to green", "  strategy: blue-green\n  blueGreen: {active: green, green: {image: nginx:1.27}}\n"},
		{"canary", "  strategy: canary\n  canary: {image: nginx:1.27, weight: 50}\n"},
		{"rolling", "  strategy: rolling\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, _ := build(plain, c.spec)
			got, stderr := build(base, c.spec)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("over the blue/green base (+) and over the plain base (-):\n%s", diff)
			}
			if strings.Contains(stderr, "left untouched") {
				t.Errorf("the Release disowns objects it generated:\n%s", stderr)
			}
			objs := parseStream(t, "kustomize build", got)
			checkProperties(t, "kustomize build, "+c.name, objs)
			var hpas []string
			for _, n := range objs {
				if n.GetKind() == "HorizontalPodAutoscaler" {
					hpas = append(hpas, fmt.Sprintf("%s -> %s %s..%s", n.GetName(), str(n, "spec", "scaleTargetRef", "name"), str(n, "spec", "minReplicas"), str(n, "spec", "maxReplicas")))
				}
			}
			sort.Strings(hpas)
			wantHPAs := map[string][]string{
				"flip to green": {"prod-web-blue -> prod-web-blue 2..2", "prod-web-green -> prod-web-green 2..6"},
				"canary":        {"prod-web -> prod-web 2..6"},
				"rolling":       {"prod-web -> prod-web 2..6"},
			}[c.name]
			if diff := cmp.Diff(wantHPAs, hpas); diff != "" {
				t.Errorf("autoscalers (-want +got):\n%s", diff)
			}
		})
	}
}
