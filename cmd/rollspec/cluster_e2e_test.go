//go:build e2e

// Tests against a real control plane (scripts/cluster/up.sh; run them with
// `make e2e-cluster`): the API server accepts what rollspec renders, and
// the deployment controller performs the rollouts rollspec plans.
package main

import (
	"bufio"
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

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/strategies"
)

// runID keeps namespaces of one run apart from a previous run's, which
// may still be terminating.
var runID = fmt.Sprintf("%x", time.Now().Unix()%0xfffff)

// kubeconfig is the cluster the tests use; a missing one is a failure,
// not a skip: make e2e-cluster starts the cluster.
func kubeconfig(t *testing.T) string {
	t.Helper()
	kc := os.Getenv("KUBECONFIG")
	if kc == "" {
		t.Fatal("KUBECONFIG is not set: run make e2e-cluster, which starts the control plane")
	}
	return kc
}

// kubectl runs kubectl against the test cluster with stdin.
func kubectl(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", kubeconfig(t)}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return out.String() + errOut.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

func mustKubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := kubectl(t, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// render runs `rollspec render` on files (and an optional Release text).
func render(t *testing.T, release string, files ...string) string {
	t.Helper()
	args := append([]string{"render"}, files...)
	stdin := ""
	if release != "" {
		args = append(args, "-")
		stdin = release
	}
	code, out, errOut := runCLI(t, stdin, args...)
	if code != 0 {
		t.Fatalf("render %v: exit %d\n%s", files, code, errOut)
	}
	return out
}

// inNamespace rewrites every namespace of a rendered stream.
func inNamespace(stream, ns string) string {
	var b strings.Builder
	for _, line := range strings.Split(stream, "\n") {
		if strings.HasPrefix(line, "  namespace: ") {
			line = "  namespace: " + ns
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func namespace(t *testing.T, ns string) {
	t.Helper()
	mustKubectl(t, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n", "apply", "-f", "-")
	waitFor(t, 30*time.Second, "the default ServiceAccount in "+ns, func() bool {
		_, err := kubectl(t, "", "get", "serviceaccount", "default", "-n", ns)
		return err == nil
	})
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// deploymentReady reports whether a Deployment has rolled out completely.
func deploymentReady(t *testing.T, ns, name string) bool {
	out, err := kubectl(t, "", "get", "deployment", name, "-n", ns, "-o", "json")
	if err != nil {
		return false
	}
	var d struct {
		Metadata struct{ Generation int64 }
		Spec     struct{ Replicas int64 }
		Status   struct {
			ObservedGeneration                           int64
			Replicas, UpdatedReplicas, AvailableReplicas int64
		}
	}
	_ = json.Unmarshal([]byte(out), &d)
	return d.Status.ObservedGeneration >= d.Metadata.Generation && d.Status.UpdatedReplicas == d.Spec.Replicas &&
		d.Status.AvailableReplicas == d.Spec.Replicas && d.Status.Replicas == d.Spec.Replicas
}

// TestClusterAcceptsExamples: every example's rendered output passes a
// server-side dry run and a real apply.
func TestClusterAcceptsExamples(t *testing.T) {
	t.Parallel()
	examples := map[string]string{
		"user-v1":         render(t, "", "../../examples/user-v1"),
		"zero-downtime":   render(t, "", "../../examples/zero-downtime"),
		"hexo-blue-green": render(t, "", "../../examples/hexo-blue-green"),
		"hexo-canary":     render(t, "", "../../examples/hexo-canary"),
		"kpt":             render(t, "", "../../examples/kpt"),
		// What the real tools produced (make e2e checks these files).
		"kustomize overlay": readFile(t, "../../testdata/e2e/kustomize-prod.yaml"),
		"argocd plugin":     readFile(t, "../../testdata/e2e/argocd-hexo.yaml"),
	}
	for step := range []int{0, 1, 2, 3} {
		files, _ := filepath.Glob("../../examples/hexo-blue-green/steps/*.yaml")
		sort.Strings(files)
		examples[fmt.Sprintf("hexo-blue-green step %d", step+1)] = render(t, "", "../../examples/hexo-blue-green/deployment.yaml", "../../examples/hexo-blue-green/service.yaml", files[step])
	}
	for _, name := range sortedKeys(examples) {
		t.Run(name, func(t *testing.T) {
			ns := "accept-" + strings.NewReplacer(" ", "-", "/", "-").Replace(name) + "-" + runID
			namespace(t, ns)
			// Fixed nodePorts are cluster-wide: free them for the next example.
			t.Cleanup(func() { _, _ = kubectl(t, "", "delete", "service", "--all", "-n", ns, "--wait") })
			stream := inNamespace(examples[name], ns)
			if _, err := kubectl(t, stream, "apply", "--server-side", "--dry-run=server", "-n", ns, "-f", "-"); err != nil {
				t.Fatalf("server-side dry run rejected the rendered output: %v", err)
			}
			if _, err := kubectl(t, stream, "apply", "--server-side", "-n", ns, "-f", "-"); err != nil {
				t.Fatalf("apply rejected the rendered output: %v", err)
			}
		})
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

const rolloutDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NS
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.0
        ports: [{name: http, containerPort: 8080}]
`

func rolloutRelease(ns string, replicas int64, surge, unavailable, image string) string {
	return fmt.Sprintf(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: %s, annotations: {config.kubernetes.io/local-config: "true"}}
spec:
  image: %s
  replicas: %d
  minReadySeconds: 1
  rolling: {maxSurge: %s, maxUnavailable: %s}
  probes: {readiness: "tcp:http"}
`, ns, image, replicas, surge, unavailable)
}

// rsEvent is one observed ReplicaSet state.
type rsEvent struct {
	revision string
	replicas int64
}

// TestClusterRollingUpdates watches real rolling updates: the ReplicaSet
// sizes go through exactly the steps `rollspec plan` computes, pods never
// exceed replicas+maxSurge, and available pods never drop below
// replicas-maxUnavailable.
func TestClusterRollingUpdates(t *testing.T) {
	t.Parallel()
	type tc struct {
		surge, unavailable string
		replicas           int64
	}
	var cases []tc
	for _, r := range []int64{4, 10} {
		for _, su := range [][2]string{{"1", "0"}, {"0", "1"}, {"1", "1"}, {`"25%"`, `"25%"`}} {
			cases = append(cases, tc{su[0], su[1], r})
		}
	}
	for i, c := range cases {
		c := c
		name := fmt.Sprintf("%d replicas %s-%s", c.replicas, strings.Trim(c.surge, `"%`), strings.Trim(c.unavailable, `"%`))
		ns := fmt.Sprintf("rolling-%d-%s", i, runID)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			namespace(t, ns)
			dir := t.TempDir()
			dep := filepath.Join(dir, "deployment.yaml")
			_ = os.WriteFile(dep, []byte(strings.Replace(rolloutDeployment, "NS", ns, 1)), 0o644)
			v1 := render(t, rolloutRelease(ns, c.replicas, c.surge, c.unavailable, "registry.example.com/web:1.0"), dep)
			mustKubectl(t, v1, "apply", "--server-side", "-f", "-")
			waitFor(t, 60*time.Second, "version 1 ready", func() bool { return deploymentReady(t, ns, "web") })

			// The plan for the same update, from the live replica count.
			live := filepath.Join(dir, "live.yaml")
			_ = os.WriteFile(live, []byte(strings.Replace(strings.Replace(rolloutDeployment, "NS", ns, 1), "replicas: 1", fmt.Sprintf("replicas: %d", c.replicas), 1)), 0o644)
			rel := filepath.Join(dir, "release.yaml")
			_ = os.WriteFile(rel, []byte(rolloutRelease(ns, c.replicas, c.surge, c.unavailable, "registry.example.com/web:2.0")), 0o644)
			plans, err := fn.Plan([]string{live, rel}, nil, nil, os.Stderr)
			if err != nil || len(plans) != 1 || len(plans[0].Rollouts) != 1 {
				t.Fatalf("plan: %v %+v", err, plans)
			}
			ro := plans[0].Rollouts[0]
			// The plan's ReplicaSet sizes. It assumes that the pods one
			// scale-up creates become available together; a real cluster
			// may make them available one by one, splitting a later step.
			// So the whole sequence must match when every step moves one
			// pod, and otherwise up to the first pods becoming available
			// (everything before that is decided by the controller alone).
			oneByOne := ro.MaxSurge+ro.MaxUnavailable <= 1
			var want [][2]int64
			for _, s := range ro.Steps {
				if !oneByOne && s.Action == "pods ready" {
					break
				}
				if len(want) == 0 || want[len(want)-1] != [2]int64{s.Old, s.New} {
					want = append(want, [2]int64{s.Old, s.New})
				}
			}

			// Watch ReplicaSets and the Deployment while the update runs.
			stop := make(chan struct{})
			var mu sync.Mutex
			var seq [][2]int64
			sizes := map[string]int64{"1": c.replicas}
			var maxPods int64
			record := func() {
				pair := [2]int64{sizes["1"], sizes["2"]}
				maxPods = max(maxPods, pair[0]+pair[1])
				if len(seq) == 0 || seq[len(seq)-1] != pair {
					seq = append(seq, pair)
				}
			}
			record()
			rsWatch := watch(t, stop, []string{"get", "rs", "-n", ns, "--watch", "-o",
				`jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision} {.spec.replicas}{"\n"}`}, func(line string) {
				var ev rsEvent
				if _, err := fmt.Sscan(line, &ev.revision, &ev.replicas); err != nil {
					return
				}
				mu.Lock()
				sizes[ev.revision] = ev.replicas
				record()
				mu.Unlock()
			})
			minAvailable := c.replicas
			depWatch := watch(t, stop, []string{"get", "deployment", "web", "-n", ns, "--watch", "-o",
				`jsonpath={.status.availableReplicas}{"\n"}`}, func(line string) {
				var avail int64
				if n, _ := fmt.Sscan(line, &avail); n < 1 {
					return
				}
				mu.Lock()
				minAvailable = min(minAvailable, avail)
				mu.Unlock()
			})
			time.Sleep(500 * time.Millisecond) // let the watches list first
			v2 := render(t, "", live, rel)
			mustKubectl(t, v2, "apply", "--server-side", "-f", "-")
			waitFor(t, 90*time.Second, "version 2 rolled out", func() bool { return deploymentReady(t, ns, "web") })
			time.Sleep(time.Second)
			close(stop)
			rsWatch.Wait()
			depWatch.Wait()

			mu.Lock()
			defer mu.Unlock()
			got := seq
			if !oneByOne && len(got) > len(want) {
				got = got[:len(want)]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ReplicaSet sizes (old, new) differ from the plan (-plan +observed):\n%s\nobserved in full: %v", diff, seq)
			}
			if last := seq[len(seq)-1]; last != [2]int64{0, c.replicas} {
				t.Errorf("the rollout ended at %v, want [0 %d]", last, c.replicas)
			}
			for i := 1; i < len(seq); i++ {
				if seq[i][0] > seq[i-1][0] || seq[i][1] < seq[i-1][1] {
					t.Errorf("the rollout went backwards: %v then %v", seq[i-1], seq[i])
				}
			}
			if maxPods > ro.MaxTotal {
				t.Errorf("the ReplicaSets asked for %d pods at once, over replicas+maxSurge = %d", maxPods, ro.MaxTotal)
			}
			if minAvailable < ro.MinAvailable {
				t.Errorf("%d available pods at one point, under replicas-maxUnavailable = %d", minAvailable, ro.MinAvailable)
			}
		})
	}
}

// watch streams a kubectl watch's lines to f until stop closes.
func watch(t *testing.T, stop chan struct{}, args []string, f func(string)) *sync.WaitGroup {
	t.Helper()
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", kubeconfig(t)}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f(sc.Text())
		}
	}()
	go func() {
		<-stop
		_ = cmd.Process.Kill()
	}()
	return &wg
}

var _ = strategies.LabelColor

// hexoRender renders hexo with a Release into namespace ns.
func hexoRender(t *testing.T, ns, example, release string) string {
	t.Helper()
	dir := "../../examples/" + example
	return withoutNodePort(inNamespace(render(t, "", dir+"/deployment.yaml", dir+"/service.yaml", release), ns))
}

// withoutNodePort drops hexo's fixed nodePort: it is cluster-wide, and the
// tests run side by side.
func withoutNodePort(stream string) string {
	return strings.ReplaceAll(stream, "      nodePort: 32080\n", "")
}

// applyArgs is kubectl's apply in a mode: client-side or server-side.
func applyArgs(mode string) []string {
	if mode == "server-side" {
		return []string{"apply", "--server-side", "-f", "-"}
	}
	return []string{"apply", "-f", "-"}
}

// endpointPods lists the pods behind a Service's ready endpoints.
func endpointPods(t *testing.T, ns, svc string) ([]string, error) {
	out, err := kubectl(t, "", "get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name="+svc, "-o", "json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Endpoints []struct {
				Conditions struct{ Ready *bool }
				TargetRef  struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, err
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
	return pods, nil
}

// podsWith lists the running pods with a label selector.
func podsWith(t *testing.T, ns, selector string) []string {
	t.Helper()
	out := mustKubectl(t, "", "get", "pods", "-n", ns, "-l", selector, "--field-selector", "status.phase=Running", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}")
	pods := strings.Fields(out)
	sort.Strings(pods)
	return pods
}

// TestClusterBlueGreenFlip: after the flip the Service's endpoints are
// exactly the green pods, and at no sampled moment during the flip does the
// Service have no endpoint.
func TestClusterBlueGreenFlip(t *testing.T) {
	t.Parallel()
	ns := "bluegreen-" + runID
	namespace(t, ns)
	mustKubectl(t, hexoRender(t, ns, "hexo-blue-green", "../../examples/hexo-blue-green/steps/2-green-preview.yaml"), "apply", "--server-side", "-f", "-")
	for _, d := range []string{"hexo-blue", "hexo-green"} {
		waitFor(t, 60*time.Second, d+" ready", func() bool { return deploymentReady(t, ns, d) })
	}
	blue := podsWith(t, ns, "rollspec.dev/color=blue")
	green := podsWith(t, ns, "rollspec.dev/color=green")
	waitFor(t, 30*time.Second, "hexo-service selecting blue", func() bool {
		p, _ := endpointPods(t, ns, "hexo-service")
		return cmp.Equal(p, blue)
	})

	stop := make(chan struct{})
	var samples, empty int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p, err := endpointPods(t, ns, "hexo-service"); err == nil {
				samples++
				if len(p) == 0 {
					empty++
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	mustKubectl(t, hexoRender(t, ns, "hexo-blue-green", "../../examples/hexo-blue-green/steps/3-flip-to-green.yaml"), "apply", "--server-side", "-f", "-")
	waitFor(t, 30*time.Second, "hexo-service selecting exactly the green pods", func() bool {
		p, _ := endpointPods(t, ns, "hexo-service")
		return cmp.Equal(p, green)
	})
	time.Sleep(time.Second)
	close(stop)
	<-done
	if samples < 10 {
		t.Fatalf("only %d samples of the endpoints during the flip", samples)
	}
	if empty > 0 {
		t.Errorf("hexo-service had no endpoint in %d of %d samples during the flip", empty, samples)
	}
	if p, _ := endpointPods(t, ns, "hexo-service-preview"); !cmp.Equal(p, blue) {
		t.Errorf("the preview selects %v, want the blue pods %v", p, blue)
	}
	t.Logf("%d samples of hexo-service's endpoints during the flip, none empty", samples)
}

// owners maps each running pod to its owning ReplicaSet.
func owners(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := mustKubectl(t, "", "get", "pods", "-n", ns, "-o", `jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences[0].name} {.metadata.deletionTimestamp}{"\n"}{end}`)
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}

// prune deletes what the previous output had and the next one has not, as
// Argo CD's or Flux's prune does.
func prune(t *testing.T, ns, before, after string) {
	t.Helper()
	objects := func(stream string) map[string]bool {
		m := map[string]bool{}
		kind := ""
		for _, line := range strings.Split(stream, "\n") {
			if strings.HasPrefix(line, "kind: ") {
				kind = strings.TrimPrefix(line, "kind: ")
			}
			if strings.HasPrefix(line, "  name: ") {
				m[kind+"/"+strings.TrimPrefix(line, "  name: ")] = true
			}
		}
		return m
	}
	next := objects(after)
	for obj := range objects(before) {
		if !next[obj] {
			mustKubectl(t, "", "delete", "-n", ns, strings.ToLower(obj), "--wait=false")
		}
	}
}

// TestClusterCanary: the Service's endpoints are the stable plus canary
// pods in the planned numbers; the two Deployments keep their own pods for
// a minute of watching although their selectors overlap; promote and
// abort converge.
func TestClusterCanary(t *testing.T) {
	t.Parallel()
	for _, end := range []string{"promote", "abort"} {
		end := end
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			ns := "canary-" + end + "-" + runID
			namespace(t, ns)
			step := hexoRender(t, ns, "hexo-canary", "../../examples/hexo-canary/steps/2-canary-50.yaml")
			mustKubectl(t, step, "apply", "--server-side", "-f", "-")
			for _, d := range []string{"hexo", "hexo-canary"} {
				waitFor(t, 60*time.Second, d+" ready", func() bool { return deploymentReady(t, ns, d) })
			}
			canary := podsWith(t, ns, "rollspec.dev/track=canary")
			all := podsWith(t, ns, "app=hexo")
			if len(canary) != 3 || len(all) != 6 {
				t.Fatalf("%d canary pods of %d, want 3 of 6", len(canary), len(all))
			}
			waitFor(t, 30*time.Second, "hexo-service selecting all 6 pods", func() bool {
				p, _ := endpointPods(t, ns, "hexo-service")
				return cmp.Equal(p, all)
			})
			if p, _ := endpointPods(t, ns, "hexo-service-canary"); !cmp.Equal(p, canary) {
				t.Errorf("hexo-service-canary selects %v, want the canary pods %v", p, canary)
			}
			if end == "promote" {
				// One minute of watching: no pod changes hands or is replaced.
				first := owners(t, ns)
				deadline := time.Now().Add(time.Minute)
				for time.Now().Before(deadline) {
					time.Sleep(3 * time.Second)
					if now := owners(t, ns); !cmp.Equal(first, now) {
						t.Fatalf("pods changed while the canary held (-before +now):\n%s", cmp.Diff(first, now))
					}
				}
			}
			next := hexoRender(t, ns, "hexo-canary", "../../examples/hexo-canary/steps/3-"+end+".yaml")
			mustKubectl(t, next, "apply", "--server-side", "-f", "-")
			prune(t, ns, step, next)
			image := map[string]string{"promote": "registry.sword.org/hexo:v0.50", "abort": "registry.sword.org/nginx:v2.0"}[end]
			waitFor(t, 90*time.Second, "hexo converged", func() bool {
				if !deploymentReady(t, ns, "hexo") {
					return false
				}
				out, _ := kubectl(t, "", "get", "pods", "-n", ns, "-o", `jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}`)
				images := strings.Fields(out)
				if len(images) != 6 {
					return false
				}
				for _, i := range images {
					if i != image {
						return false
					}
				}
				return true
			})
			if _, err := kubectl(t, "", "get", "deployment", "hexo-canary", "-n", ns); err == nil {
				t.Error("hexo-canary still exists after the prune")
			}
		})
	}
}

// moveRelease is a Release of hexo for one move between strategies.
func moveRelease(spec string) string {
	return "apiVersion: rollspec.dev/v1alpha1\nkind: Release\nmetadata: {name: hexo, namespace: devops, annotations: {config.kubernetes.io/local-config: \"true\"}}\nspec:\n  replicas: 4\n" + spec
}

// TestClusterStrategyMoves applies every move between strategies to the
// live objects of the previous release, with client-side and with
// server-side apply, pruning what left the output as Argo CD and Flux do.
// The first state is a Deployment the API server defaulted (a
// rollingUpdate block nobody wrote), the trap for a move to Recreate:
// rollspec writes the rolling values out, so the applier owns them and a
// later Recreate removes them.
func TestClusterStrategyMoves(t *testing.T) {
	t.Parallel()
	moves := []struct{ name, spec string }{
		{"first release, rolling", "  image: registry.sword.org/nginx:v1.0\n"},
		{"rolling to recreate", "  image: registry.sword.org/nginx:v1.1\n  strategy: recreate\n"},
		{"recreate to rolling", "  image: registry.sword.org/nginx:v1.2\n  rolling: {profile: fastest}\n  probes: {readiness: 'http:http/'}\n"},
		{"rolling to blue-green", "  strategy: blue-green\n  blueGreen: {active: blue, blue: {image: 'registry.sword.org/nginx:v1.2'}, green: {image: 'registry.sword.org/nginx:v1.3'}, preview: true}\n"},
		{"flip", "  strategy: blue-green\n  blueGreen: {active: green, blue: {image: 'registry.sword.org/nginx:v1.2'}, green: {image: 'registry.sword.org/nginx:v1.3'}}\n"},
		{"blue-green to canary", "  image: registry.sword.org/nginx:v1.3\n  strategy: canary\n  canary: {image: 'registry.sword.org/hexo:v0.50', weight: 25, service: true}\n"},
		{"promote", "  image: registry.sword.org/hexo:v0.50\n"},
		{"canary again", "  image: registry.sword.org/hexo:v0.50\n  strategy: canary\n  canary: {image: 'registry.sword.org/hexo:v0.51', replicas: 1}\n"},
		{"abort", "  image: registry.sword.org/hexo:v0.50\n  strategy: rolling\n"},
		{"rolling to recreate again", "  image: registry.sword.org/hexo:v0.50\n  strategy: recreate\n"},
	}
	for _, mode := range []string{"client-side", "server-side"} {
		mode := mode
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ns := "moves-" + mode + "-" + runID
			namespace(t, ns)
			apply := applyArgs(mode)
			dir := "../../examples/hexo-blue-green"
			// The starting point: the plain Deployment, defaulted by the API server.
			prev := hexoPlain(t, ns, dir)
			mustKubectl(t, prev, apply...)
			waitFor(t, 60*time.Second, "hexo ready", func() bool { return deploymentReady(t, ns, "hexo") })
			for _, m := range moves {
				rel := filepath.Join(t.TempDir(), "release.yaml")
				_ = os.WriteFile(rel, []byte(moveRelease(m.spec)), 0o644)
				next := withoutNodePort(inNamespace(render(t, "", dir+"/deployment.yaml", dir+"/service.yaml", rel), ns))
				if out, err := kubectl(t, next, apply...); err != nil {
					t.Fatalf("%s: the API server rejected the move: %v\n%s", m.name, err, out)
				}
				prune(t, ns, prev, next)
				for _, d := range deploymentsIn(next) {
					waitFor(t, 90*time.Second, m.name+": "+d+" ready", func() bool { return deploymentReady(t, ns, d) })
				}
				prev = next
			}
		})
	}
}

// hexoPlain is the hexo Deployment and Service without any release.
func hexoPlain(t *testing.T, ns, dir string) string {
	return withoutNodePort(inNamespace(readFile(t, dir+"/deployment.yaml")+"---\n"+readFile(t, dir+"/service.yaml"), ns))
}

// deploymentsIn lists the Deployments of a stream.
func deploymentsIn(stream string) []string {
	var out []string
	kind := ""
	for _, line := range strings.Split(stream, "\n") {
		if strings.HasPrefix(line, "kind: ") {
			kind = strings.TrimPrefix(line, "kind: ")
		}
		if kind == "Deployment" && strings.HasPrefix(line, "  name: ") {
			out = append(out, strings.TrimPrefix(line, "  name: "))
		}
	}
	return out
}

// TestClusterRecreateFromDefaulted pins the one move that no single
// manifest can make: server-side apply of Recreate over a Deployment whose
// rollingUpdate the API server defaulted and nobody owns
// (kubernetes/kubernetes#24198). The README tells users to release with
// rollspec once (any strategy but recreate) first. Client-side apply makes
// the move, thanks to the retainKeys patch strategy of spec.strategy.
func TestClusterRecreateFromDefaulted(t *testing.T) {
	t.Parallel()
	dir := "../../examples/hexo-blue-green"
	rel := filepath.Join(t.TempDir(), "release.yaml")
	_ = os.WriteFile(rel, []byte(moveRelease("  strategy: recreate\n")), 0o644)
	for _, mode := range []string{"client-side", "server-side"} {
		ns := "defaulted-" + mode + "-" + runID
		namespace(t, ns)
		apply := applyArgs(mode)
		mustKubectl(t, hexoPlain(t, ns, dir), apply...)
		next := withoutNodePort(inNamespace(render(t, "", dir+"/deployment.yaml", dir+"/service.yaml", rel), ns))
		_, err := kubectl(t, next, apply...)
		switch {
		case mode == "client-side" && err != nil:
			t.Errorf("client-side apply rejected the move to Recreate: %v", err)
		case mode == "server-side" && (err == nil || !strings.Contains(err.Error(), "may not be specified when strategy `type` is 'Recreate'")):
			t.Errorf("server-side apply over a defaulted rollingUpdate: got %v; the API server's behaviour changed, update the README", err)
		}
	}
}
