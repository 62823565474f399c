//go:build e2e

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// helmEnv gives each Helm its own homes (Helm 3 cannot read a Helm 4
// plugin's plugin.yaml) and, for Helm 4, installs the plugin of
// examples/helm/rollspec-plugin the way the README says.
func helmEnv(t *testing.T, helm string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{"HELM_CACHE_HOME=" + home + "/cache", "HELM_CONFIG_HOME=" + home + "/config", "HELM_DATA_HOME=" + home + "/data"}
	if helm == "helm4/helm" {
		if _, errOut, err := runTool(t, repo, env, helm, "plugin", "install", "examples/helm/rollspec-plugin"); err != nil {
			t.Fatalf("helm plugin install: %v\n%s", err, errOut)
		}
		// The baseline: a post-renderer that returns its input. Helm 4
		// re-encodes whatever a post-renderer returns (sequence indent,
		// blank lines); rollspec must change nothing beyond that.
		identity := filepath.Join(home, "identity")
		_ = os.MkdirAll(identity, 0o755)
		_ = os.WriteFile(filepath.Join(identity, "plugin.yaml"), []byte("apiVersion: v1\ntype: postrenderer/v1\nname: identity\nversion: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n    - command: cat\n"), 0o644)
		if _, errOut, err := runTool(t, repo, env, helm, "plugin", "install", identity); err != nil {
			t.Fatalf("helm plugin install identity: %v\n%s", err, errOut)
		}
	}
	return env
}

// baselineArgs render without rollspec: Helm 3 without a post-renderer
// (it passes hooks to none), Helm 4 through the identity plugin.
func baselineArgs(helm string) []string {
	if helm == "helm4/helm" {
		return []string{"--post-renderer", "identity"}
	}
	return nil
}

// A chart test hook's name ends in five random letters (podinfo's
// randAlphaNum): the same in every compare.
var randomSuffix = regexp.MustCompile(`(-service-test-)[a-z0-9]{5}`)

func normalize(s string) string { return randomSuffix.ReplaceAllString(s, "${1}xxxxx") }

// helmCharts are the two charts the post-renderer is tried on: the example
// whose templates hold the Release, and a chart in podinfo's shape that
// nobody here wrote, with the Release in a file beside it.
var helmCharts = []struct {
	name        string
	args        []string // helm template arguments
	releaseFile string   // --post-renderer-args, if any
	generated   map[string]string
}{
	{
		name: "hexo",
		args: []string{"template", "hexo", "examples/helm/hexo", "--namespace", "devops"},
		// Objects rollspec makes, and the template Helm must file them under.
		generated: map[string]string{"Deployment/hexo-blue": "hexo/templates/deployment.yaml", "Deployment/hexo-green": "hexo/templates/deployment.yaml", "Service/hexo-service-preview": "hexo/templates/service.yaml"},
	},
	{
		name:        "podinfo",
		args:        []string{"template", "podinfo", "testdata/charts/podinfo", "--namespace", "web", "--set", "hpa.enabled=true,hpa.cpu=80,replicaCount=2,ingress.enabled=true,image.tag=6.9.0"},
		releaseFile: "testdata/charts/podinfo-release.yaml",
		generated:   map[string]string{"Deployment/podinfo-canary": "podinfo/templates/deployment.yaml"},
	},
}

// postRendererArgs are the flags for each Helm: Helm 3 runs an executable
// with arguments, Helm 4 a plugin whose command already says post-render.
func postRendererArgs(helm, releaseFile string) []string {
	var args []string
	if helm == "helm" {
		args = []string{"--post-renderer", "rollspec", "--post-renderer-args", "post-render"}
	} else {
		args = []string{"--post-renderer", "rollspec"}
	}
	if releaseFile != "" {
		args = append(args, "--post-renderer-args", releaseFile)
	}
	return args
}

// docs splits helm template's output into documents keyed by kind/name,
// each with the "# Source:" template Helm filed it under.
func docs(t *testing.T, out string) (map[string]string, map[string]string) {
	t.Helper()
	text, source := map[string]string{}, map[string]string{}
	for _, d := range strings.Split(out, "\n---\n") {
		d = strings.TrimPrefix(d, "---\n")
		var kind, name, src string
		for _, line := range strings.Split(d, "\n") {
			switch {
			case strings.HasPrefix(line, "# Source: "):
				src = strings.TrimPrefix(line, "# Source: ")
			case strings.HasPrefix(line, "kind: "):
				kind = strings.TrimPrefix(line, "kind: ")
			case strings.HasPrefix(line, "  name: ") && name == "":
				name = strings.TrimPrefix(line, "  name: ")
			}
		}
		if kind != "" {
			text[kind+"/"+name], source[kind+"/"+name] = d, src
		}
	}
	return text, source
}

// TestHelmPostRender runs helm template with rollspec as the post-renderer
// of Helm 3 and Helm 4 on both charts and compares with reviewed output.
// Hooks come out as Helm renders them without rollspec, Releases are
// gone, and Helm 4 files generated objects under their template, which it
// can only do if postrenderer.helm.sh/postrender-filename survived.
func TestHelmPostRender(t *testing.T) {
	for _, helm := range []string{"helm", "helm4/helm"} {
		for _, chart := range helmCharts {
			major := map[string]string{"helm": "helm3", "helm4/helm": "helm4"}[helm]
			t.Run(major+"/"+chart.name, func(t *testing.T) {
				env := helmEnv(t, helm)
				plain, errOut, err := runTool(t, repo, env, helm, append(chart.args, baselineArgs(helm)...)...)
				if err != nil {
					t.Fatalf("helm template without rollspec: %v\n%s", err, errOut)
				}
				out, errOut, err := runTool(t, repo, env, helm, append(chart.args, postRendererArgs(helm, chart.releaseFile)...)...)
				if err != nil {
					t.Fatalf("helm template: %v\n%s", err, errOut)
				}
				out, plain = normalize(out), normalize(plain)
				golden(t, major+"-"+chart.name+".yaml", out)
				if strings.Contains(out, "kind: Release") || strings.Contains(out, "postrenderer.helm.sh/") {
					t.Errorf("a Release or Helm's filename annotation reached the output:\n%s", out)
				}
				before, _ := docs(t, plain)
				after, source := docs(t, out)
				hooks := 0
				for id, d := range before {
					if strings.Contains(d, `"helm.sh/hook"`) {
						hooks++
						if diff := cmp.Diff(d, after[id]); diff != "" {
							t.Errorf("hook %s changed (-without rollspec +with):\n%s", id, diff)
						}
					}
				}
				if hooks == 0 {
					t.Error("the chart has no hook to check")
				}
				for id, want := range chart.generated {
					if source[id] != want {
						t.Errorf("%s filed under %q, want %q", id, source[id], want)
					}
				}
			})
		}
	}
}

// TestHelmPostRenderBroken: a value that breaks the Release makes helm
// fail with nothing on stdout. Helm 3 shows rollspec's message; Helm 4.3.1
// drops a plugin's stderr and says only that the plugin failed.
func TestHelmPostRenderBroken(t *testing.T) {
	args := []string{"template", "hexo", "examples/helm/hexo", "--set", "release.blueGreen.active=purple"}
	for helm, want := range map[string]string{
		"helm":       `Release "hexo": spec.blueGreen.active: unknown color "purple"; allowed: blue, green`,
		"helm4/helm": `plugin "rollspec" exited with error`,
	} {
		t.Run(helm, func(t *testing.T) {
			env := helmEnv(t, helm)
			out, errOut, err := runTool(t, repo, env, helm, append(args, postRendererArgs(helm, "")...)...)
			if err == nil {
				t.Fatalf("helm template succeeded:\n%s", out)
			}
			if out != "" {
				t.Errorf("stdout must be empty, got:\n%s", out)
			}
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		})
	}
	// What the README tells Helm 4 users to run to see the message.
	manifests, _, err := runTool(t, repo, helmEnv(t, "helm"), "helm", args...)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, manifests, "post-render")
	if code != 1 || out != "" || !strings.Contains(errOut, `spec.blueGreen.active: unknown color "purple"`) {
		t.Errorf("helm template | rollspec post-render: exit %d\n%s%s", code, out, errOut)
	}
}
