//go:build e2e

// Traffic through Gateway API HTTPRoutes on the real control plane
// (scripts/cluster/up.sh installs the standard-channel CRDs of
// sigs.k8s.io/gateway-api v1.6.3): the API server accepts every rendered
// route with the CRDs' schema and CEL rules, applying each step of the
// example leaves no difference between the live objects and the render,
// and the live Services' endpoints split requests exactly as asked.
package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// trafficWait polls ok until it holds or the limit passes.
func trafficWait(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// trafficReady reports whether every Deployment of a stream has rolled
// out completely.
func trafficReady(t *testing.T, ns string, deployments []string) bool {
	for _, d := range deployments {
		out, err := kubectl(t, "", "get", "deployment", d, "-n", ns, "-o", "json")
		if err != nil {
			return false
		}
		var dep struct {
			Metadata struct{ Generation int64 }
			Spec     struct{ Replicas int64 }
			Status   struct {
				ObservedGeneration                           int64
				Replicas, UpdatedReplicas, AvailableReplicas int64
			}
		}
		if json.Unmarshal([]byte(out), &dep) != nil {
			return false
		}
		s := dep.Status
		if s.ObservedGeneration < dep.Metadata.Generation || s.UpdatedReplicas != dep.Spec.Replicas || s.AvailableReplicas != dep.Spec.Replicas || s.Replicas != dep.Spec.Replicas {
			return false
		}
	}
	return true
}

// trafficPods lists the running, not terminating, pods with a selector.
func trafficPods(t *testing.T, ns, selector string) []string {
	t.Helper()
	out := mustKubectl(t, "", "get", "pods", "-n", ns, "-l", selector, "-o", `jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp}{"\n"}{end}`)
	var pods []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] == "Running" {
			pods = append(pods, f[0])
		}
	}
	sort.Strings(pods)
	return pods
}

// trafficEndpoints lists the pods behind a Service's ready endpoints.
func trafficEndpoints(t *testing.T, ns, svc string) []string {
	t.Helper()
	out, err := kubectl(t, "", "get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name="+svc, "-o", "json")
	if err != nil {
		return nil
	}
	var list struct {
		Items []struct {
			Endpoints []struct {
				Conditions struct{ Ready *bool }
				TargetRef  struct{ Name string }
			}
		}
	}
	if json.Unmarshal([]byte(out), &list) != nil {
		return nil
	}
	var pods []string
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				pods = append(pods, e.TargetRef.Name)
			}
		}
	}
	sort.Strings(pods)
	return pods
}

// deploymentNames lists the Deployments of a rendered stream.
func deploymentNames(t *testing.T, stream string) []string {
	t.Helper()
	var out []string
	for _, n := range streamObjects(t, stream) {
		if n.GetKind() == "Deployment" {
			out = append(out, n.GetName())
		}
	}
	return out
}

func streamObjects(t *testing.T, stream string) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, doc := range strings.Split(stream, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		n, err := yaml.Parse(doc)
		if err != nil {
			t.Fatalf("rendered stream: %v", err)
		}
		out = append(out, n)
	}
	return out
}

// liveShare computes, from the live route and the live endpoints, the
// share of the requests of the route's last rule that reach the pods
// with label new among the pods of the release: each backendRef takes
// weight/Σweight, spread over its Service's ready endpoints.
func liveShare(t *testing.T, ns, route, isNewSelector string) *big.Rat {
	t.Helper()
	out := mustKubectl(t, "", "get", "httproute", route, "-n", ns, "-o", "json")
	var r struct {
		Spec struct {
			Rules []struct {
				BackendRefs []struct {
					Name   string
					Weight *int64
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	rule := r.Spec.Rules[len(r.Spec.Rules)-1]
	fresh := map[string]bool{}
	for _, p := range trafficPods(t, ns, isNewSelector) {
		fresh[p] = true
	}
	total := big.NewRat(0, 1)
	for _, b := range rule.BackendRefs {
		total.Add(total, big.NewRat(*b.Weight, 1)) // the API server defaults weight to 1
	}
	share := big.NewRat(0, 1)
	for _, b := range rule.BackendRefs {
		if *b.Weight == 0 {
			continue
		}
		pods := trafficEndpoints(t, ns, b.Name)
		if len(pods) == 0 {
			t.Fatalf("backendRef %s takes weight %d, and its Service has no ready endpoint", b.Name, *b.Weight)
		}
		var n int64
		for _, p := range pods {
			if fresh[p] {
				n++
			}
		}
		part := new(big.Rat).Quo(big.NewRat(*b.Weight, 1), total)
		share.Add(share, part.Mul(part, big.NewRat(n, int64(len(pods)))))
	}
	return share
}

// noDiff asserts that applying stream again changes nothing: kubectl diff
// (a server-side dry run of the apply) is empty.
func noDiff(t *testing.T, stream, mode string) {
	t.Helper()
	args := []string{"diff", "-f", "-"}
	if mode == "server-side" {
		// kubectl apply --server-side's own field manager.
		args = []string{"diff", "--server-side", "--field-manager", "kubectl", "-f", "-"}
	}
	// kubectl exits 1 when there is a difference.
	if out, err := kubectl(t, stream, args...); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("kubectl %s after the apply: the live objects differ from the render (%v):\n%s", strings.Join(args, " "), err, out)
	}
}

// TestClusterTrafficRoutesAccepted: every rendered route of the traffic
// golden cases, with the Services and Deployments beside it, passes a
// server-side dry run and a real server-side apply against the Gateway
// API CRDs' schema and CEL validation.
func TestClusterTrafficRoutesAccepted(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../testdata/golden/traffic-*/expected.yaml")
	if len(files) == 0 {
		t.Fatal("no traffic golden cases")
	}
	for i, f := range files {
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := fmt.Sprintf("trgold-%d-%s", i, runID)
			namespace(t, ns)
			rl, err := yaml.Parse(readFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			items, _ := rl.Pipe(yaml.Lookup("items"))
			elems, _ := items.Elements()
			var docs []string
			routes := 0
			for _, e := range elems {
				if e.GetKind() == "Namespace" {
					continue
				}
				if e.GetKind() == "HTTPRoute" {
					routes++
				}
				if err := e.SetNamespace(ns); err != nil {
					t.Fatal(err)
				}
				docs = append(docs, e.MustString())
			}
			if routes == 0 {
				t.Fatal("the case has no HTTPRoute")
			}
			stream := strings.Join(docs, "---\n")
			if _, err := kubectl(t, stream, "apply", "--server-side", "--dry-run=server", "-f", "-"); err != nil {
				t.Fatalf("server-side dry run rejected the render: %v", err)
			}
			if _, err := kubectl(t, stream, "apply", "--server-side", "-f", "-"); err != nil {
				t.Fatalf("apply rejected the render: %v", err)
			}
		})
	}
}

// TestClusterTrafficExample walks examples/hexo-traffic commit by commit,
// applying each render client-side (Argo CD's default) and server-side
// (Flux, Argo CD with ServerSideApply), pruning what left the output, to
// promote and to abort. After every step: kubectl diff of the render
// against the live objects is empty (no ignoreDifferences needed), the
// stable and canary Services' endpoints are exactly the stable and canary
// pods, the live route and endpoints give the new pods exactly the
// step's share of requests, and no stable pod restarted (the example's
// Deployment carries rollspec.dev/track: stable). After promote or abort
// the live route is the route as written.
func TestClusterTrafficExample(t *testing.T) {
	t.Parallel()
	dir := "../../examples/hexo-traffic"
	base := []string{dir + "/deployment.yaml", dir + "/service.yaml", dir + "/gateway.yaml", dir + "/route.yaml"}
	steps := []struct {
		file   string
		weight int64
	}{{"1-canary-1", 1}, {"2-canary-5", 5}, {"3-canary-25", 25}, {"4-canary-50", 50}}
	for _, mode := range []string{"client-side", "server-side"} {
		for _, end := range []string{"promote", "abort"} {
			mode, end := mode, end
			t.Run(mode+"/"+end, func(t *testing.T) {
				t.Parallel()
				ns := fmt.Sprintf("traffic-%s-%s-%s", strings.TrimSuffix(mode, "-side"), end, runID)
				namespace(t, ns)
				renderStep := func(step string) string {
					return inNamespace(render(t, "", append(base, dir+"/steps/"+step+".yaml")...), ns)
				}
				apply := func(stream string) {
					t.Helper()
					args := []string{"apply", "-f", "-"}
					if mode == "server-side" {
						args = []string{"apply", "--server-side", "-f", "-"}
					}
					dry := append([]string{args[0], "--dry-run=server"}, args[1:]...)
					if _, err := kubectl(t, stream, dry...); err != nil {
						t.Fatalf("server dry run: %v", err)
					}
					mustKubectl(t, stream, args...)
				}
				// Before the first canary: the app as written, rolling.
				before := inNamespace(render(t, "", append(base, dir+"/steps/5-abort.yaml")...), ns)
				apply(before)
				trafficWait(t, 90*time.Second, "hexo ready", func() bool { return trafficReady(t, ns, []string{"hexo"}) })
				stable := trafficPods(t, ns, "rollspec.dev/track=stable")
				if len(stable) != 6 {
					t.Fatalf("%d stable pods before the canary, want 6", len(stable))
				}
				for _, s := range steps {
					stream := renderStep(s.file)
					apply(stream)
					prune(t, ns, before, stream)
					before = stream
					trafficWait(t, 90*time.Second, s.file+" rolled out", func() bool { return trafficReady(t, ns, deploymentNames(t, stream)) })
					canary := trafficPods(t, ns, "rollspec.dev/track=canary")
					now := trafficPods(t, ns, "rollspec.dev/track=stable")
					trafficWait(t, 30*time.Second, "the per-track Services' endpoints", func() bool {
						return strings.Join(trafficEndpoints(t, ns, "hexo-service-stable"), ",") == strings.Join(now, ",") &&
							strings.Join(trafficEndpoints(t, ns, "hexo-service-canary"), ",") == strings.Join(canary, ",")
					})
					for _, p := range now {
						if !containsString(stable, p) {
							t.Errorf("%s: stable pod %s is new: a stable pod restarted", s.file, p)
						}
					}
					if got, want := liveShare(t, ns, "hexo", "rollspec.dev/track=canary"), big.NewRat(s.weight, 100); got.Cmp(want) != 0 {
						t.Errorf("%s: the live route and endpoints give the canary %s of the requests, want %s", s.file, got.RatString(), want.RatString())
					}
					noDiff(t, stream, mode)
				}
				last := renderStep("5-" + end)
				apply(last)
				prune(t, ns, before, last)
				trafficWait(t, 90*time.Second, end+" converged", func() bool {
					return trafficReady(t, ns, []string{"hexo"}) && len(trafficPods(t, ns, "rollspec.dev/track=canary")) == 0
				})
				noDiff(t, last, mode)
				// The live route is the route as written, nothing added.
				noDiff(t, inNamespace(readFile(t, dir+"/route.yaml"), ns), mode)
				for _, gone := range []string{"service/hexo-service-stable", "service/hexo-service-canary", "deployment/hexo-canary"} {
					if _, err := kubectl(t, "", "get", gone, "-n", ns); err == nil {
						t.Errorf("%s is still there after %s and prune", gone, end)
					}
				}
				want := map[string]string{"promote": "registry.sword.org/hexo:v0.50", "abort": "registry.sword.org/nginx:v2.0"}[end]
				trafficWait(t, 60*time.Second, "every hexo pod on "+want, func() bool {
					images := mustKubectl(t, "", "get", "pods", "-n", ns, "-l", "app=hexo", "--field-selector", "status.phase=Running", "-o", `jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}`)
					f := strings.Fields(images)
					for _, i := range f {
						if i != want {
							return false
						}
					}
					return len(f) == 6
				})
			})
		}
	}
}

func containsString(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// TestKptTrafficInPlace: kpt fn render renders its own output in place,
// so every step starts from the route rollspec rendered before. The
// package walks examples/hexo-traffic's commits with real kpt; after
// promote and after abort the route's file is byte for byte what a
// render of the untouched package writes, and the route as written.
func TestKptTrafficInPlace(t *testing.T) {
	src := "../../examples/hexo-traffic"
	kptfile := "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: hexo\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n    - exec: rollspec\n      configPath: release.yaml\n"
	pkg := func(t *testing.T) string {
		dir := t.TempDir()
		for _, f := range []string{"deployment.yaml", "service.yaml", "gateway.yaml", "route.yaml"} {
			writeTrafficFile(t, filepath.Join(dir, f), readFile(t, src+"/"+f))
		}
		writeTrafficFile(t, filepath.Join(dir, "Kptfile"), kptfile)
		return dir
	}
	step := func(t *testing.T, dir, name string) map[string]string {
		writeTrafficFile(t, filepath.Join(dir, "release.yaml"), readFile(t, src+"/steps/"+name+".yaml"))
		return kptRender(t, dir)
	}
	for _, end := range []string{"5-promote", "5-abort"} {
		t.Run(end, func(t *testing.T) {
			direct := pkg(t)
			want := step(t, direct, end)
			dir := pkg(t)
			for _, s := range []string{"1-canary-1", "2-canary-5", "3-canary-25", "4-canary-50"} {
				files := step(t, dir, s)
				if !strings.Contains(files["route.yaml"], strategies.AnnotationTraffic) {
					t.Fatalf("%s: route.yaml has no %s:\n%s", s, strategies.AnnotationTraffic, files["route.yaml"])
				}
				for _, f := range []string{"service_hexo-service-stable.yaml", "service_hexo-service-canary.yaml", "deployment_hexo-canary.yaml"} {
					if files[f] == "" {
						t.Errorf("%s: kpt wrote no %s", s, f)
					}
				}
			}
			got := step(t, dir, end)
			for name, content := range want {
				if got[name] != content {
					t.Errorf("%s after the canary differs from %s on the untouched package (-direct +steps):\n%s", name, end, cmp.Diff(content, got[name]))
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("%s is left in the package after %s", name, end)
				}
			}
			if got["route.yaml"] != readFile(t, src+"/route.yaml") {
				t.Errorf("route.yaml after %s is not the route as written (-written +now):\n%s", end, cmp.Diff(readFile(t, src+"/route.yaml"), got["route.yaml"]))
			}
		})
	}
}

func writeTrafficFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
