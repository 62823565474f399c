//go:build e2e

// Real-app shapes on a real control plane (make e2e-cluster): autoscaled
// canaries and blue/green pairs with their HorizontalPodAutoscalers and
// PodDisruptionBudgets, a plan for a replica change that comes with a new
// image, and a server-side apply taking over from client-side apply.
//
// The cluster has no metrics server, but the HPA controller still enforces
// its bounds (kube-controller-manager, podautoscaler/horizontal.go: below
// minReplicas it scales up, above maxReplicas down, both without metrics;
// within the bounds it needs metrics and leaves the count alone). So these
// tests run the real controller, in a kube-controller-manager of their
// own, and stand in for a load-driven decision by scaling a Deployment
// within its bounds through the scale subresource, as the HPA writes it.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"rollspec.dev/rollspec/fn"
)

// hpaControllerOnce starts one HPA controller for all the tests here.
var hpaControllerOnce sync.Once

// startHPAController runs a kube-controller-manager with only the
// horizontal-pod-autoscaler controller, syncing every second, until the
// test binary's tests are done. The control plane's own controller manager
// (scripts/cluster/up.sh) does not run it.
func startHPAController(t *testing.T) {
	t.Helper()
	hpaControllerOnce.Do(func() {
		out, err := exec.Command("../../scripts/cluster/build.sh").Output()
		if err != nil {
			t.Fatalf("scripts/cluster/build.sh: %v", err)
		}
		bin := filepath.Join(strings.TrimSpace(string(out)), "kube-controller-manager")
		logFile, err := os.CreateTemp("", "rollspec-hpa-controller-*.log")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--kubeconfig", kubeconfig(t), "--leader-elect=false",
			"--controllers", "horizontal-pod-autoscaler-controller",
			"--horizontal-pod-autoscaler-sync-period", "1s", "--secure-port", "0")
		cmd.Stdout, cmd.Stderr = logFile, logFile
		// Ends with the test binary, also when go test kills it on a timeout.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start the HPA controller: %v", err)
		}
		hpaProcess = cmd.Process
		t.Logf("HPA controller: pid %d, log %s", cmd.Process.Pid, logFile.Name())
	})
}

// hpaProcess is the HPA controller's process. The last of the tests that
// use it stops it (withHPAController); the package has no TestMain.
var hpaProcess *os.Process

// appsTests counts the running top-level tests of this file, so the last
// one stops the HPA controller.
var appsTests sync.WaitGroup

// withHPAController starts the HPA controller for a top-level test and
// stops it when every such test has finished.
func withHPAController(t *testing.T) {
	t.Helper()
	startHPAController(t)
	appsTests.Add(1)
	t.Cleanup(func() {
		appsTests.Done()
		go func() {
			appsTests.Wait()
			stopHPAController()
		}()
	})
}

var stopOnce sync.Once

func stopHPAController() {
	stopOnce.Do(func() {
		if hpaProcess != nil {
			_ = hpaProcess.Kill()
			_, _ = hpaProcess.Wait()
		}
	})
}

// appFiles writes name -> text into a new directory with NS replaced.
func appFiles(t *testing.T, ns string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(text, "NS", ns)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// jsonpath reads one field of an object; "" when it has none or is gone.
func jsonpath(t *testing.T, ns, object, path string) string {
	out, err := kubectl(t, "", "get", object, "-n", ns, "-o", "jsonpath={"+path+"}")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

func replicasOf(t *testing.T, ns, deployment string) int64 {
	n, _ := strconv.ParseInt(jsonpath(t, ns, "deployment/"+deployment, ".spec.replicas"), 10, 64)
	return n
}

// checkAutoscalers: every HorizontalPodAutoscaler in ns targets a
// Deployment that exists, and the controller can read its scale.
func checkAutoscalers(t *testing.T, ns string, want []string) {
	t.Helper()
	got := strings.Fields(mustKubectl(t, "", "get", "hpa", "-n", ns, "-o", "jsonpath={range .items[*]}{.metadata.name}{\" \"}{end}"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("autoscalers in %s (-want +got):\n%s", ns, diff)
	}
	for _, h := range got {
		target := jsonpath(t, ns, "hpa/"+h, ".spec.scaleTargetRef.name")
		if _, err := kubectl(t, "", "get", "deployment", target, "-n", ns); err != nil {
			t.Errorf("HorizontalPodAutoscaler %s targets Deployment %s, which does not exist", h, target)
			continue
		}
		waitFor(t, 20*time.Second, "HorizontalPodAutoscaler "+h+" able to scale "+target, func() bool {
			return jsonpath(t, ns, "hpa/"+h, `.status.conditions[?(@.type=="AbleToScale")].status`) == "True" &&
				jsonpath(t, ns, "hpa/"+h, ".status.currentReplicas") == jsonpath(t, ns, "deployment/"+target, ".spec.replicas")
		})
	}
}

// containsAll reports whether every item of want is in have.
func containsAll(have, want []string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// pruneObjects deletes what the previous render had and the next one
// has not, as Argo CD's or Flux's prune does; unlike prune, it reads the
// streams as YAML, so flow-style metadata counts too.
func pruneObjects(t *testing.T, ns, before, after string) {
	t.Helper()
	objects := func(stream string) []string {
		nodes, err := kio.FromBytes([]byte(stream))
		if err != nil {
			t.Fatalf("reading a render: %v", err)
		}
		var out []string
		for _, n := range nodes {
			out = append(out, strings.ToLower(n.GetKind())+"/"+n.GetName())
		}
		return out
	}
	next := map[string]bool{}
	for _, o := range objects(after) {
		next[o] = true
	}
	for _, o := range objects(before) {
		if !next[o] {
			mustKubectl(t, "", "delete", "-n", ns, o, "--wait=false")
		}
	}
}

// replicaWatch records every spec.replicas a set of Deployments goes
// through, as the API server reports them.
type replicaWatch struct {
	mu   sync.Mutex
	seen map[string][]int64
	stop chan struct{}
	wg   []*sync.WaitGroup
}

func watchReplicas(t *testing.T, ns string, deployments ...string) *replicaWatch {
	w := &replicaWatch{seen: map[string][]int64{}, stop: make(chan struct{})}
	for _, d := range deployments {
		d := d
		w.wg = append(w.wg, watch(t, w.stop, []string{"get", "deployment", d, "-n", ns, "--watch", "-o", `jsonpath={.spec.replicas}{"\n"}`}, func(line string) {
			n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
			if err != nil {
				return
			}
			w.mu.Lock()
			if s := w.seen[d]; len(s) == 0 || s[len(s)-1] != n {
				w.seen[d] = append(s, n)
			}
			w.mu.Unlock()
		}))
	}
	time.Sleep(500 * time.Millisecond) // let the watches list first
	return w
}

// done stops the watches and returns what each Deployment went through.
func (w *replicaWatch) done() map[string][]int64 {
	time.Sleep(500 * time.Millisecond)
	close(w.stop)
	for _, wg := range w.wg {
		wg.Wait()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}

// frontendApp is an autoscaled app in the shape Helm charts render with
// autoscaling on: no replicas in the Deployment, a HorizontalPodAutoscaler
// (2 to 6), a PodDisruptionBudget and a Service.
const frontendApp = `apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: NS}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
      - name: server
        image: registry.example.com/shop/frontend:2.3.0
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: http}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: frontend, namespace: NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: frontend}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: frontend, namespace: NS}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: frontend}}
---
apiVersion: v1
kind: Service
metadata: {name: frontend, namespace: NS}
spec:
  selector: {app: frontend}
  ports: [{name: http, port: 80, targetPort: http}]
`

// frontendRelease is a Release for frontendApp with the given spec body.
func frontendRelease(spec string) string {
	return `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: frontend, namespace: NS, annotations: {config.kubernetes.io/local-config: "true"}}
spec:
` + spec
}

// TestClusterAppsAutoscaledCanary: a canary on an autoscaled Deployment
// leaves the autoscaler in control. Applied client-side (Argo CD's
// default), the stable track never goes below the autoscaler's minimum,
// keeps what the autoscaler set through every step, and the autoscaler's
// target exists throughout; promote and abort converge with prune (a
// kubectl ApplySet for abort), and without prune the promoted canary
// keeps its pods behind the Service.
func TestClusterAppsAutoscaledCanary(t *testing.T) {
	withHPAController(t)
	t.Parallel()
	for _, end := range []string{"promote", "abort"} {
		end := end
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			ns := "apps-canary-" + end + "-" + runID
			namespace(t, ns)
			app := appFiles(t, ns, map[string]string{"app.yaml": frontendApp})
			rel := func(spec string) string {
				return strings.ReplaceAll(frontendRelease(spec), "NS", ns)
			}
			canary := func(step int) string {
				return rel(fmt.Sprintf("  strategy: canary\n  canary: {image: registry.example.com/shop/frontend:2.4.0, steps: [10, 100], step: %d, service: true}\n", step))
			}
			// abort applies through a kubectl ApplySet, which prunes; promote
			// applies plainly and prunes as a GitOps tool would, after
			// checking what plain apply leaves behind.
			apply := func(stream string) {
				t.Helper()
				if end == "abort" {
					cmd := exec.Command("kubectl", "--kubeconfig", kubeconfig(t), "apply", "-n", ns, "--prune", "--applyset=frontend", "-f", "-")
					cmd.Env = append(os.Environ(), "KUBECTL_APPLYSET=true")
					cmd.Stdin = strings.NewReader(stream)
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("kubectl apply --prune --applyset: %v\n%s", err, out)
					}
					return
				}
				mustKubectl(t, stream, "apply", "-f", "-")
			}
			plain := render(t, rel("  {}\n"), app)
			apply(plain)
			waitFor(t, 60*time.Second, "the autoscaler to raise frontend to 2 ready pods", func() bool {
				return replicasOf(t, ns, "frontend") == 2 && deploymentReady(t, ns, "frontend")
			})
			w := watchReplicas(t, ns, "frontend")

			// 10% of the autoscaler's minimum: one canary pod beside the
			// stable track, whose replicas the apply leaves alone.
			step0 := render(t, canary(0), app)
			if strings.Contains(strings.SplitN(step0, "name: frontend-canary", 2)[0], "replicas:") {
				t.Fatalf("the stable track carries replicas:\n%s", step0)
			}
			apply(step0)
			waitFor(t, 60*time.Second, "the canary ready", func() bool { return deploymentReady(t, ns, "frontend-canary") })
			if got := replicasOf(t, ns, "frontend-canary"); got != 1 {
				t.Errorf("canary replicas %d, want 1 (10%% of minReplicas 2, rounded up)", got)
			}
			checkAutoscalers(t, ns, []string{"frontend"})

			// Load: the autoscaler would scale the stable track up; the
			// controller keeps a count within its bounds without metrics.
			mustKubectl(t, "", "scale", "deployment", "frontend", "-n", ns, "--replicas", "4")
			time.Sleep(2 * time.Second)
			step1 := render(t, canary(1), app)
			apply(step1)
			waitFor(t, 60*time.Second, "two canary pods", func() bool {
				return replicasOf(t, ns, "frontend-canary") == 2 && deploymentReady(t, ns, "frontend-canary")
			})
			if got := replicasOf(t, ns, "frontend"); got != 4 {
				t.Errorf("the stable track has %d replicas after the next step, want the 4 the autoscaler set", got)
			}

			final := render(t, rel("  image: registry.example.com/shop/frontend:2.4.0\n"), app)
			wantImage := "registry.example.com/shop/frontend:2.4.0"
			if end == "abort" {
				final = plain
				wantImage = "registry.example.com/shop/frontend:2.3.0"
			}
			apply(final)
			if end == "promote" {
				// Without prune the canary stays, and the Service keeps
				// sending it traffic.
				canaryPods := podsWith(t, ns, "rollspec.dev/track=canary")
				time.Sleep(2 * time.Second)
				if _, err := kubectl(t, "", "get", "deployment", "frontend-canary", "-n", ns); err != nil || len(canaryPods) != 2 {
					t.Errorf("without prune, want the canary Deployment and its 2 pods live; err %v, pods %v", err, canaryPods)
				}
				if eps, _ := endpointPods(t, ns, "frontend"); !containsAll(eps, canaryPods) {
					t.Errorf("without prune, want the Service still to send traffic to the canary pods %v; endpoints %v", canaryPods, eps)
				}
				pruneObjects(t, ns, step1, final)
			}
			waitFor(t, 90*time.Second, end+" converged", func() bool {
				_, err := kubectl(t, "", "get", "deployment", "frontend-canary", "-n", ns)
				return err != nil && deploymentReady(t, ns, "frontend") &&
					jsonpath(t, ns, "deployment/frontend", ".spec.template.spec.containers[0].image") == wantImage
			})
			if got := replicasOf(t, ns, "frontend"); got != 4 {
				t.Errorf("after %s the Deployment has %d replicas, want the autoscaler's 4", end, got)
			}
			checkAutoscalers(t, ns, []string{"frontend"})
			seen := w.done()["frontend"]
			for _, n := range seen {
				if n < 2 {
					t.Errorf("the stable track went to %d replicas, under the autoscaler's minimum 2: %v", n, seen)
				}
			}
			t.Logf("%s: the stable track's replicas went %v", end, seen)
		})
	}
}

// checkoutApp is an autoscaled app (2 to 8) with a disruption budget.
const checkoutApp = `apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: NS}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
      - name: checkout
        image: registry.example.com/shop/checkout:1.7.0
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: http}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: checkout, namespace: NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: checkout}
  minReplicas: 2
  maxReplicas: 8
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: checkout, namespace: NS}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: checkout}}
---
apiVersion: v1
kind: Service
metadata: {name: checkout, namespace: NS}
spec:
  selector: {app: checkout}
  ports: [{name: http, port: 80, targetPort: http}]
`

func checkoutRelease(ns, active, extra string) string {
	return strings.ReplaceAll(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: checkout, namespace: NS, annotations: {config.kubernetes.io/local-config: "true"}}
spec:
  strategy: blue-green
  blueGreen:
    active: `+active+`
    blue: {image: registry.example.com/shop/checkout:1.7.0}
    green: {image: registry.example.com/shop/checkout:1.8.0}
`+extra, "NS", ns)
}

// TestClusterAppsAutoscaledBlueGreen: blue/green on an autoscaled
// Deployment with a disruption budget, applied client-side with prune:
// every autoscaler targets a Deployment that exists after every step, the
// active color scales under its autoscaler and never drops below the
// minimum (the flip included), the idle color is held at the standby
// count, and each budget selects exactly one color's pods.
func TestClusterAppsAutoscaledBlueGreen(t *testing.T) {
	withHPAController(t)
	t.Parallel()
	ns := "apps-bluegreen-" + runID
	namespace(t, ns)
	app := appFiles(t, ns, map[string]string{"app.yaml": checkoutApp})
	plain := render(t, strings.ReplaceAll(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: checkout, namespace: NS, annotations: {config.kubernetes.io/local-config: "true"}}
spec: {}
`, "NS", ns), app)
	mustKubectl(t, plain, "apply", "-f", "-")
	waitFor(t, 60*time.Second, "the autoscaler to raise checkout to 2", func() bool {
		return replicasOf(t, ns, "checkout") == 2 && deploymentReady(t, ns, "checkout")
	})

	// Step 1: blue active on 1.7.0, green on 1.8.0 as the hot standby.
	step1 := render(t, checkoutRelease(ns, "blue", "    preview: true\n"), app)
	mustKubectl(t, step1, "apply", "-f", "-")
	pruneObjects(t, ns, plain, step1)
	for _, d := range []string{"checkout-blue", "checkout-green"} {
		d := d
		waitFor(t, 60*time.Second, d+" at 2 ready pods", func() bool {
			return replicasOf(t, ns, d) == 2 && deploymentReady(t, ns, d)
		})
	}
	checkAutoscalers(t, ns, []string{"checkout-blue", "checkout-green"})
	for _, color := range []string{"blue", "green"} {
		sel := jsonpath(t, ns, "pdb/checkout-"+color, ".spec.selector.matchLabels")
		pods := podsWith(t, ns, "app=checkout,rollspec.dev/color="+color)
		all := podsWith(t, ns, "app=checkout")
		if !strings.Contains(sel, `"rollspec.dev/color":"`+color+`"`) || len(pods) != 2 || len(all) != 4 {
			t.Errorf("budget checkout-%s selects %s: %d of the %d pods", color, sel, len(pods), len(all))
		}
	}

	// Load on blue: the autoscaler would scale it up, within its bounds.
	mustKubectl(t, "", "scale", "deployment", "checkout-blue", "-n", ns, "--replicas", "5")
	waitFor(t, 60*time.Second, "checkout-blue at 5", func() bool { return deploymentReady(t, ns, "checkout-blue") && replicasOf(t, ns, "checkout-blue") == 5 })
	w := watchReplicas(t, ns, "checkout-blue", "checkout-green")

	// Step 2: the flip. Green's autoscaler now scales it from 2; blue's
	// holds it at the standby count of 2.
	step2 := render(t, checkoutRelease(ns, "green", "    preview: true\n"), app)
	mustKubectl(t, step2, "apply", "-f", "-")
	green := podsWith(t, ns, "rollspec.dev/color=green")
	waitFor(t, 30*time.Second, "checkout selecting the green pods", func() bool {
		p, _ := endpointPods(t, ns, "checkout")
		return cmp.Equal(p, green)
	})
	waitFor(t, 30*time.Second, "blue's autoscaler to bring it down to the standby 2", func() bool {
		return replicasOf(t, ns, "checkout-blue") == 2
	})
	checkAutoscalers(t, ns, []string{"checkout-blue", "checkout-green"})

	// Step 3: blue scaled down; its autoscaler goes with prune.
	step3 := render(t, checkoutRelease(ns, "green", "    inactiveReplicas: 0\n"), app)
	mustKubectl(t, step3, "apply", "-f", "-")
	pruneObjects(t, ns, step2, step3)
	waitFor(t, 30*time.Second, "blue at 0", func() bool { return replicasOf(t, ns, "checkout-blue") == 0 })
	checkAutoscalers(t, ns, []string{"checkout-green"})
	seen := w.done()
	if diff := cmp.Diff([]int64{5, 2, 0}, seen["checkout-blue"]); diff != "" {
		t.Errorf("blue's replicas from the flip on (-want +got):\n%s", diff)
	}
	for _, n := range seen["checkout-green"] {
		if n < 2 {
			t.Errorf("green, active from the flip on, went to %d replicas, under the autoscaler's minimum: %v", n, seen["checkout-green"])
		}
	}
	if got := replicasOf(t, ns, "checkout-green"); got != 2 {
		t.Errorf("green has %d replicas, want 2", got)
	}
	t.Logf("replicas from the flip on: %v", seen)
}

// TestClusterAppsPlanScaleAndRoll: `rollspec plan` for 1 → 4 replicas
// with a new image gives the ReplicaSet sizes the controller goes
// through: the old ReplicaSet grows to 4 first (a scaling event), then the
// rolling update runs one pod at a time (surge-first).
func TestClusterAppsPlanScaleAndRoll(t *testing.T) {
	t.Parallel()
	ns := "apps-plan-" + runID
	namespace(t, ns)
	dir := t.TempDir()
	dep := filepath.Join(dir, "deployment.yaml")
	_ = os.WriteFile(dep, []byte(strings.Replace(rolloutDeployment, "NS", ns, 1)), 0o644)
	release := func(replicas int64, image string) string {
		return fmt.Sprintf(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: %s, annotations: {config.kubernetes.io/local-config: "true"}}
spec:
  image: %s
  replicas: %d
  minReadySeconds: 1
  rolling: {profile: surge-first}
  probes: {readiness: "tcp:http"}
`, ns, image, replicas)
	}
	mustKubectl(t, render(t, release(1, "registry.example.com/web:1.0"), dep), "apply", "--server-side", "-f", "-")
	waitFor(t, 60*time.Second, "version 1 ready", func() bool { return deploymentReady(t, ns, "web") })

	// The plan, from what is live: one replica of version 1.
	live := filepath.Join(dir, "live.yaml")
	_ = os.WriteFile(live, []byte(render(t, release(1, "registry.example.com/web:1.0"), dep)), 0o644)
	rel := filepath.Join(dir, "release.yaml")
	_ = os.WriteFile(rel, []byte(release(4, "registry.example.com/web:2.0")), 0o644)
	plans, err := fn.Plan([]string{live, rel}, nil, nil, os.Stderr)
	if err != nil || len(plans) != 1 || len(plans[0].Rollouts) != 1 {
		t.Fatalf("plan: %v %+v", err, plans)
	}
	ro := plans[0].Rollouts[0]
	if !ro.ScalesFirst {
		t.Fatalf("the plan does not scale the old ReplicaSet first: %+v", ro)
	}
	var want [][2]int64
	for _, s := range ro.Steps {
		if len(want) == 0 || want[len(want)-1] != [2]int64{s.Old, s.New} {
			want = append(want, [2]int64{s.Old, s.New})
		}
	}

	stop := make(chan struct{})
	var mu sync.Mutex
	var seq [][2]int64
	sizes := map[string]int64{"1": 1}
	record := func() {
		pair := [2]int64{sizes["1"], sizes["2"]}
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
	time.Sleep(500 * time.Millisecond)
	mustKubectl(t, render(t, "", live, rel), "apply", "--server-side", "-f", "-")
	waitFor(t, 90*time.Second, "version 2 at 4 replicas", func() bool { return deploymentReady(t, ns, "web") && replicasOf(t, ns, "web") == 4 })
	time.Sleep(time.Second)
	close(stop)
	rsWatch.Wait()
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, seq); diff != "" {
		t.Errorf("ReplicaSet sizes (old, new) differ from the plan (-plan +observed):\n%s", diff)
	}
	t.Logf("observed ReplicaSet sizes (old, new): %v", seq)
}

// TestClusterAppsServerSideTakeover pins what happens when an app that was
// applied client-side (kubectl apply, Argo CD's default) is first applied
// server-side (Flux, Argo CD with ServerSideApply=true, kubectl
// --server-side) by a render whose probe changes its handler (gRPC to TCP):
// the old handler belongs to the client-side apply's field manager, so
// server-side apply keeps it next to the new one and the API server
// rejects the Deployment. Nothing in the manifest avoids it (explicit
// nulls for the other handlers do not); taking the fields over with the
// previous render first does, as does client-side apply.
func TestClusterAppsServerSideTakeover(t *testing.T) {
	t.Parallel()
	ns := "apps-takeover-" + runID
	namespace(t, ns)
	dir := t.TempDir()
	dep := filepath.Join(dir, "deployment.yaml")
	_ = os.WriteFile(dep, []byte(strings.Replace(strings.Replace(rolloutDeployment, "NS", ns, 1),
		"ports: [{name: http, containerPort: 8080}]", "ports: [{name: http, containerPort: 8080}, {name: grpc, containerPort: 9090}]", 1)), 0o644)
	release := func(probe string) string {
		return fmt.Sprintf(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: %s, annotations: {config.kubernetes.io/local-config: "true"}}
spec:
  probes: {readiness: %q}
`, ns, probe)
	}
	grpc := render(t, release("grpc:9090"), dep)
	tcp := render(t, release("tcp:grpc"), dep)
	withNulls := strings.Replace(tcp, "          tcpSocket:\n", "          grpc: null\n          httpGet: null\n          exec: null\n          tcpSocket:\n", 1)
	if withNulls == tcp {
		t.Fatalf("no tcpSocket probe in\n%s", tcp)
	}
	const rejected = "may not specify more than 1 handler type"
	probe := func() string {
		return jsonpath(t, ns, "deployment/web", ".spec.template.spec.containers[0].readinessProbe")
	}

	mustKubectl(t, grpc, "apply", "-f", "-")
	for _, c := range []struct {
		name     string
		manifest string
		args     []string
	}{
		{"server-side, another field manager", tcp, []string{"apply", "--server-side", "--field-manager", "kustomize-controller", "-f", "-"}},
		{"server-side, kubectl's manager", tcp, []string{"apply", "--server-side", "-f", "-"}},
		{"server-side with explicit nulls", withNulls, []string{"apply", "--server-side", "--field-manager", "kustomize-controller", "-f", "-"}},
	} {
		out, err := kubectl(t, c.manifest, c.args...)
		if err == nil || !strings.Contains(out, rejected) {
			t.Errorf("%s: want the API server to reject two handlers, got err %v:\n%s", c.name, err, out)
		}
	}
	if p := probe(); !strings.Contains(p, `"grpc":{`) || strings.Contains(p, "tcpSocket") {
		t.Errorf("the live probe changed: %s", p)
	}

	// The way through: apply the previous render server-side once (kubectl
	// moves the client-side apply's fields to the new manager after a
	// successful apply), then the new one.
	mustKubectl(t, grpc, "apply", "--server-side", "--field-manager", "kustomize-controller", "-f", "-")
	managers := jsonpath(t, ns, "deployment/web", "range .metadata.managedFields[*]}{.manager}/{.operation} {end")
	if strings.Contains(managers, "kubectl-client-side-apply") {
		t.Errorf("the client-side apply manager still owns fields: %s", managers)
	}
	if out, err := kubectl(t, tcp, "apply", "--server-side", "--field-manager", "kustomize-controller", "-f", "-"); err != nil {
		t.Fatalf("the takeover did not let the new probe through: %v\n%s", err, out)
	}
	if p := probe(); strings.Contains(p, `"grpc":{`) || !strings.Contains(p, "tcpSocket") {
		t.Errorf("after the takeover the probe is %s, want tcpSocket only", p)
	}
	waitFor(t, 60*time.Second, "the new pods ready", func() bool { return deploymentReady(t, ns, "web") })

	// Client-side apply changes the handler in one step: its patch sets the
	// old handler to null.
	ns2 := ns + "-csa"
	namespace(t, ns2)
	mustKubectl(t, strings.ReplaceAll(grpc, "namespace: "+ns, "namespace: "+ns2), "apply", "-f", "-")
	if out, err := kubectl(t, strings.ReplaceAll(tcp, "namespace: "+ns, "namespace: "+ns2), "apply", "-f", "-"); err != nil {
		t.Errorf("client-side apply of the new handler: %v\n%s", err, out)
	}
	if p := jsonpath(t, ns2, "deployment/web", ".spec.template.spec.containers[0].readinessProbe"); strings.Contains(p, `"grpc":{`) || !strings.Contains(p, "tcpSocket") {
		t.Errorf("client-side apply left the probe %s, want tcpSocket only", p)
	}
}
