//go:build e2e

// Tests against a real control plane (scripts/cluster/up.sh; run them with
// `make e2e-cluster`): the API server accepts what rollspec renders, and
// the deployment controller performs the rollouts rollspec plans. They
// observe the cluster through watches (cluster_watch_e2e_test.go) and wait
// on conditions with deadlines of minutes, so a busy machine makes them
// slower, not wrong.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"rollspec.dev/rollspec/fn"
)

// Labels of the release contract (DESIGN.md); spelled out rather than
// imported, so that the tests check the contract and not a constant.
const (
	labelColor = "rollspec.dev/color"
	labelTrack = "rollspec.dev/track"
)

// settleLimit bounds every wait for the cluster to reach a state. It is
// minutes, not seconds: on a loaded 2-core machine a rollout that takes a
// second when idle can take tens of seconds.
const settleLimit = 4 * time.Minute

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

// applied is what the API server answered to an apply, keyed "Kind/name".
type applied map[string]appliedObject

// appliedObject is an applied object's generation and resourceVersion. A
// watch may still hold the previous, rolled-out generation of a
// Deployment; only the new one tells that this release is done. The
// revision marks the apply in a merged history (event.Revision).
type appliedObject struct{ Generation, Revision int64 }

// apply applies a stream with kubectl (args as applyArgs gives them).
func apply(t *testing.T, stream string, args ...string) applied {
	t.Helper()
	gens, err := tryApply(t, stream, args...)
	if err != nil {
		t.Fatal(err)
	}
	return gens
}

// tryApply is apply that returns kubectl's error.
func tryApply(t *testing.T, stream string, args ...string) (applied, error) {
	t.Helper()
	out, err := kubectl(t, stream, append(args, "-o", "json")...)
	if err != nil {
		return nil, err
	}
	gens := applied{}
	type object struct {
		Kind     string
		Metadata struct {
			Name            string
			Generation      int64
			ResourceVersion string
		}
		Items []json.RawMessage
	}
	record := func(o object) error {
		rev, err := strconv.ParseInt(o.Metadata.ResourceVersion, 10, 64)
		if err != nil {
			return fmt.Errorf("kubectl apply's output: %s/%s: resourceVersion: %v", o.Kind, o.Metadata.Name, err)
		}
		gens[o.Kind+"/"+o.Metadata.Name] = appliedObject{o.Metadata.Generation, rev}
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var o object
		if err := dec.Decode(&o); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading kubectl apply's output: %v\n%s", err, out)
		}
		if o.Kind != "List" {
			if err := record(o); err != nil {
				return nil, err
			}
			continue
		}
		for _, raw := range o.Items {
			var item object
			if err := json.Unmarshal(raw, &item); err != nil {
				return nil, fmt.Errorf("reading kubectl apply's output: %v", err)
			}
			if err := record(item); err != nil {
				return nil, err
			}
		}
	}
	return gens, nil
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

// namespace creates ns and waits for its default ServiceAccount, without
// which the API server rejects pods.
func namespace(t *testing.T, ns string) {
	t.Helper()
	mustKubectl(t, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n", "apply", "-f", "-")
	mustKubectl(t, "", "wait", "--for=create", "serviceaccount/default", "-n", ns, fmt.Sprintf("--timeout=%s", settleLimit))
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
	steps, _ := filepath.Glob("../../examples/hexo-blue-green/steps/*.yaml")
	sort.Strings(steps)
	if len(steps) != 4 {
		t.Fatalf("%d blue/green steps, want 4: %v", len(steps), steps)
	}
	for i, step := range steps {
		examples[fmt.Sprintf("hexo-blue-green step %d", i+1)] = render(t, "", "../../examples/hexo-blue-green/deployment.yaml", "../../examples/hexo-blue-green/service.yaml", step)
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

// rsSizes is the desired size of the ReplicaSet of each revision.
func rsSizes(v *view) map[string]int64 {
	sizes := map[string]int64{}
	for _, rs := range v.list("replicasets", nil) {
		sizes[rs.Metadata.Annotations["deployment.kubernetes.io/revision"]] = rs.replicas()
	}
	return sizes
}

// TestClusterRollingUpdates watches real rolling updates: the ReplicaSet
// sizes go through exactly the steps `rollspec plan` computes and never
// sum to more than replicas+maxSurge; the pods that exist exceed it only
// by old pods awaiting deletion (podsOverSurge); and at every event
// neither the ready pods nor the Deployment's available count (absent
// means 0) drop below replicas-maxUnavailable.
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
		name := fmt.Sprintf("%d replicas %s-%s", c.replicas, strings.Trim(c.surge, `"%`), strings.Trim(c.unavailable, `"%`))
		ns := fmt.Sprintf("rolling-%d-%s", i, runID)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			namespace(t, ns)
			w := watchNamespace(t, ns, "deployments", "replicasets", "pods")
			dir := t.TempDir()
			dep := filepath.Join(dir, "deployment.yaml")
			writeFile(t, dep, strings.Replace(rolloutDeployment, "NS", ns, 1))
			v1 := render(t, rolloutRelease(ns, c.replicas, c.surge, c.unavailable, "registry.example.com/web:1.0"), dep)
			gen1 := apply(t, v1, "apply", "--server-side", "-f", "-")["Deployment/web"].Generation
			w.waitUntil(t, settleLimit, "version 1 rolled out", func(v *view) bool {
				return v.rolledOut("web", gen1) && v.settled() && len(v.pods(nil)) == int(c.replicas)
			})

			// The plan for the same update, from the live replica count.
			live := filepath.Join(dir, "live.yaml")
			writeFile(t, live, strings.Replace(strings.Replace(rolloutDeployment, "NS", ns, 1), "replicas: 1", fmt.Sprintf("replicas: %d", c.replicas), 1))
			rel := filepath.Join(dir, "release.yaml")
			writeFile(t, rel, rolloutRelease(ns, c.replicas, c.surge, c.unavailable, "registry.example.com/web:2.0"))
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

			// From here to the end of the update, every event is checked.
			// The checks share these variables under the view's lock.
			var seq [][2]int64
			var maxDesired int64
			minReady, minAvailable := c.replicas, c.replicas
			w.check(func(v *view) {
				sizes := rsSizes(v)
				seq = append(seq, [2]int64{sizes["1"], sizes["2"]})
			}, func(v *view, ev event) string {
				switch ev.Resource {
				case "replicasets":
					sizes := rsSizes(v)
					var desired int64
					for rev, n := range sizes {
						if rev != "1" && rev != "2" {
							return fmt.Sprintf("a ReplicaSet of revision %q appeared", rev)
						}
						desired += n
					}
					if pair := [2]int64{sizes["1"], sizes["2"]}; seq[len(seq)-1] != pair {
						seq = append(seq, pair)
					}
					maxDesired = max(maxDesired, desired)
					if desired > ro.MaxTotal {
						return fmt.Sprintf("the ReplicaSets asked for %d pods, over replicas+maxSurge = %d", desired, ro.MaxTotal)
					}
				case "pods":
					pods := v.pods(nil)
					var ready int64
					for _, p := range pods {
						if p.ready() {
							ready++
						}
					}
					minReady = min(minReady, ready)
					if ready < ro.MinAvailable {
						return fmt.Sprintf("%d pods ready, under replicas-maxUnavailable = %d", ready, ro.MinAvailable)
					}
				case "deployments":
					// availableReplicas is absent at 0; the decoder reads 0.
					avail := ev.Object.Status.AvailableReplicas
					if ev.Type == "DELETED" {
						avail = 0
					}
					minAvailable = min(minAvailable, avail)
					if avail < ro.MinAvailable {
						return fmt.Sprintf("the Deployment reports %d available, under replicas-maxUnavailable = %d", avail, ro.MinAvailable)
					}
				}
				return ""
			})
			v2 := render(t, "", live, rel)
			update := apply(t, v2, "apply", "--server-side", "-f", "-")["Deployment/web"]
			gen2 := update.Generation
			// Every stream must reach the end state: the Deployment done,
			// the old ReplicaSet at 0, the pods those of the new one.
			w.waitUntil(t, settleLimit, "version 2 rolled out", func(v *view) bool {
				sizes := rsSizes(v)
				return v.rolledOut("web", gen2) && sizes["1"] == 0 && sizes["2"] == c.replicas && v.settled()
			})
			w.stop(t)

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
			maxPods, maxLeaving, violations := podsOverSurge(w.merged("replicasets", "pods"), update.Revision, ro.MaxTotal)
			for _, v := range violations {
				t.Error(v)
			}
			t.Logf("%d ReplicaSet and %d pod events: at most %d pods asked for, %d existing of which %d already scaled away (bound %d); at least %d ready and %d available (bound %d)",
				w.eventCount("replicasets"), w.eventCount("pods"), maxDesired, maxPods, maxLeaving, ro.MaxTotal, minReady, minAvailable, ro.MinAvailable)
		})
	}
}

// podsOverSurge replays ReplicaSet and pod events in the order the API
// server wrote them and checks the pods that exist against
// replicas+maxSurge. The deployment controller applies maxSurge to the
// sizes it gives the ReplicaSets (checked on every event above); the
// ReplicaSet controller then creates and deletes pods on its own time, so
// a new pod can exist before the old pod its ReplicaSet was told to give
// up is deleted, and the pods that exist briefly exceed replicas+maxSurge
// (kubernetes/kubernetes#99513). So the exact property on real pods is:
// each ReplicaSet holds no more pods than it asks for, apart from pods it
// was scaled below and has not deleted yet (at most the amount it was
// scaled down by), and without those the pods never exceed
// replicas+maxSurge. The history builds the state from the start; the
// property is checked on the events after revision from, the update: a
// watch lists the objects that exist when it starts as ADDED events with
// their latest revision, so only what follows is in the order of writing.
// It returns the most pods that existed at once and the most of them
// awaiting deletion, and what broke the property.
func podsOverSurge(history []event, from, maxTotal int64) (maxPods, maxLeaving int64, violations []string) {
	spec, peak := map[string]int64{}, map[string]int64{}
	pods := map[string]*object{}
	for _, ev := range history {
		o := ev.Object
		switch {
		case ev.Resource == "replicasets" && ev.Type == "DELETED":
			delete(spec, o.Metadata.Name)
		case ev.Resource == "replicasets":
			spec[o.Metadata.Name] = o.replicas()
			peak[o.Metadata.Name] = max(peak[o.Metadata.Name], o.replicas())
		case ev.Type == "DELETED" || !o.active():
			delete(pods, o.Metadata.Name)
		default:
			pods[o.Metadata.Name] = o
		}
		if ev.Revision <= from {
			continue
		}
		active := map[string]int64{}
		for _, p := range pods {
			active[p.ownerName()]++
		}
		var total, leaving int64
		for rs, n := range active {
			want, known := spec[rs]
			if !known {
				violations = append(violations, fmt.Sprintf("%d pods of %q, which is not a ReplicaSet of the Deployment (at %s)", n, rs, ev))
				continue
			}
			// Pods a ReplicaSet was scaled below and still has.
			awaiting := min(max(0, n-want), peak[rs]-want)
			if n-awaiting > want {
				violations = append(violations, fmt.Sprintf("ReplicaSet %s holds %d pods, %d more than it asks for and was never scaled below (at %s)", rs, n, n-awaiting-want, ev))
			}
			total += n
			leaving += awaiting
		}
		maxPods, maxLeaving = max(maxPods, total), max(maxLeaving, leaving)
		if total-leaving > maxTotal {
			violations = append(violations, fmt.Sprintf("%d pods exist, %d of them awaiting deletion: over replicas+maxSurge = %d (at %s)", total, leaving, maxTotal, ev))
		}
	}
	return maxPods, maxLeaving, violations
}

// TestClusterPodsOverSurge pins what podsOverSurge forgives: only old
// pods awaiting deletion after a scale-down, never a pod created over a
// ReplicaSet's size, nor more than a ReplicaSet was scaled down by.
func TestClusterPodsOverSurge(t *testing.T) {
	t.Parallel()
	rs := func(typ, name string, replicas int64) event {
		o := &object{}
		o.Metadata.Name, o.Spec.Replicas = name, &replicas
		return event{Type: typ, Resource: "replicasets", Object: o}
	}
	yes := true
	pod := func(typ, name, owner string, deleting bool) event {
		o := &object{}
		o.Metadata.Name = name
		o.Metadata.OwnerReferences = append(o.Metadata.OwnerReferences, struct {
			Kind, Name, UID string
			Controller      *bool
		}{"ReplicaSet", owner, "uid-" + owner, &yes})
		if deleting {
			now := "2026-01-01T00:00:00Z"
			o.Metadata.DeletionTimestamp = &now
		}
		return event{Type: typ, Resource: "pods", Object: o}
	}
	start := []event{rs("ADDED", "old", 2), pod("ADDED", "o1", "old", false), pod("ADDED", "o2", "old", false)}
	cases := []struct {
		name                string
		events              []event
		from                int64 // the revision of the update
		maxPods, maxLeaving int64
		violations          int
	}{
		{"the controller's order: new pod, then the old one leaves", append(start[:3:3],
			rs("ADDED", "new", 1), pod("ADDED", "n1", "new", false),
			rs("MODIFIED", "old", 1), rs("MODIFIED", "new", 2), pod("ADDED", "n2", "new", false),
			pod("MODIFIED", "o1", "old", true), pod("DELETED", "o1", "old", true)), 0, 4, 1, 0},
		{"a pod over the new ReplicaSet's size", append(start[:3:3],
			rs("ADDED", "new", 1), pod("ADDED", "n1", "new", false), pod("ADDED", "n2", "new", false)), 0, 4, 0, 2},
		{"more old pods than the scale-down", append(start[:3:3],
			rs("MODIFIED", "old", 1), pod("ADDED", "o3", "old", false)), 0, 3, 1, 1},
		{"a pod of an unknown owner", append(start[:3:3], pod("ADDED", "x", "other", false)), 0, 2, 0, 1},
		// A watch that starts late lists a ReplicaSet with its latest
		// revision, after its pods: not in the order of writing.
		{"listed before the update", []event{pod("ADDED", "o1", "old", false), pod("ADDED", "o2", "old", false), rs("ADDED", "old", 2),
			rs("MODIFIED", "old", 1), rs("ADDED", "new", 1), pod("ADDED", "n1", "new", false)}, 3, 3, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range c.events {
				c.events[i].Revision = int64(i + 1)
			}
			maxPods, maxLeaving, violations := podsOverSurge(c.events, c.from, 3)
			if diff := cmp.Diff([]int64{c.maxPods, c.maxLeaving, int64(c.violations)}, []int64{maxPods, maxLeaving, int64(len(violations))}); diff != "" {
				t.Errorf("(most pods, most awaiting deletion, violations) (-want +got):\n%s\n%v", diff, violations)
			}
		})
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

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

// allReady reports whether there are n pods and all are ready.
func allReady(pods []*object, n int) bool {
	if len(pods) != n {
		return false
	}
	for _, p := range pods {
		if !p.ready() {
			return false
		}
	}
	return true
}

// TestClusterBlueGreenFlip: through the flip, at every change of its
// EndpointSlices, hexo-service has a ready endpoint and routes only to
// hexo's pods; after the flip its endpoints are exactly the green pods and
// stay so, while the preview turns to exactly the blue ones; no pod is
// replaced.
func TestClusterBlueGreenFlip(t *testing.T) {
	t.Parallel()
	ns := "bluegreen-" + runID
	namespace(t, ns)
	w := watchNamespace(t, ns, "deployments", "pods", "endpointslices")
	gens := apply(t, hexoRender(t, ns, "hexo-blue-green", "../../examples/hexo-blue-green/steps/2-green-preview.yaml"), "apply", "--server-side", "-f", "-")
	var blue, green, both []string
	w.waitUntil(t, settleLimit, "hexo-blue and hexo-green rolled out with 6 ready pods each", func(v *view) bool {
		return v.rolledOut("hexo-blue", gens["Deployment/hexo-blue"].Generation) && v.rolledOut("hexo-green", gens["Deployment/hexo-green"].Generation) &&
			allReady(v.pods(map[string]string{labelColor: "blue"}), 6) && allReady(v.pods(map[string]string{labelColor: "green"}), 6) &&
			len(v.list("pods", nil)) == 12
	})
	w.with(func(v *view) {
		blue, green, both = names(v.pods(map[string]string{labelColor: "blue"})), names(v.pods(map[string]string{labelColor: "green"})), names(v.pods(nil))
		for color, image := range map[string]string{"blue": "registry.sword.org/nginx:v1.0", "green": "registry.sword.org/nginx:v2.0"} {
			for _, p := range v.pods(map[string]string{labelColor: color}) {
				if p.image() != image {
					t.Errorf("%s pod %s runs %s, want %s", color, p.Metadata.Name, p.image(), image)
				}
			}
		}
	})
	w.waitUntil(t, settleLimit, "hexo-service selecting the blue pods and hexo-service-preview the green ones", func(v *view) bool {
		return cmp.Equal(v.endpoints("hexo-service"), blue) && cmp.Equal(v.endpoints("hexo-service-preview"), green)
	})

	member := map[string]bool{}
	for _, p := range both {
		member[p] = true
	}
	states, flipped := 0, false
	w.check(nil, func(v *view, ev event) string {
		switch ev.Resource {
		case "endpointslices":
			if ev.Object.Metadata.Labels["kubernetes.io/service-name"] != "hexo-service" {
				return ""
			}
			states++
			eps := v.endpoints("hexo-service")
			if len(eps) == 0 {
				return "hexo-service has no ready endpoint"
			}
			for _, p := range eps {
				if !member[p] {
					return fmt.Sprintf("hexo-service routes to %s, not a pod of hexo-blue or hexo-green", p)
				}
			}
			if cmp.Equal(eps, green) {
				flipped = true
			} else if flipped {
				return fmt.Sprintf("hexo-service left the green pods after the flip: %v", eps)
			}
		case "pods":
			if pods := v.pods(nil); !allReady(pods, len(both)) || !cmp.Equal(names(pods), both) {
				return fmt.Sprintf("the pods changed during the flip, which only changes Service selectors: %v", names(pods))
			}
		}
		return ""
	})
	apply(t, hexoRender(t, ns, "hexo-blue-green", "../../examples/hexo-blue-green/steps/3-flip-to-green.yaml"), "apply", "--server-side", "-f", "-")
	w.waitUntil(t, settleLimit, "hexo-service selecting exactly the green pods and hexo-service-preview the blue ones", func(v *view) bool {
		return cmp.Equal(v.endpoints("hexo-service"), green) && cmp.Equal(v.endpoints("hexo-service-preview"), blue)
	})
	w.stop(t)
	w.with(func(*view) {
		t.Logf("%d changes of hexo-service's endpoints during the flip, all seen, none empty", states)
	})
}

// prune deletes what the previous output had and the next one has not, as
// Argo CD's or Flux's prune does.
func prune(t *testing.T, ns, before, after string) {
	t.Helper()
	next := objectsIn(after)
	for obj := range objectsIn(before) {
		if !next[obj] {
			mustKubectl(t, "", "delete", "-n", ns, strings.ToLower(obj), "--wait=false")
		}
	}
}

// objectsIn lists the "Kind/name" of every object of a stream.
func objectsIn(stream string) map[string]bool {
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

// deploymentOf is the Deployment that owns a pod through its ReplicaSet.
func deploymentOf(v *view, pod *object) string {
	if rs := v.get("replicasets", pod.ownerName()); rs != nil {
		return rs.ownerName()
	}
	return ""
}

// TestClusterCanary: the stable and canary Deployments hold their planned
// pods (3 and 3) and the Services their endpoints; for a minute of holding
// no pod or ReplicaSet appears, goes or changes size; throughout the test
// no pod or ReplicaSet ever changes owner although the Deployments'
// selectors overlap, and hexo-service never loses its last endpoint;
// promote and abort converge to 6 stable pods of the right image.
func TestClusterCanary(t *testing.T) {
	t.Parallel()
	for _, end := range []string{"promote", "abort"} {
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			ns := "canary-" + end + "-" + runID
			namespace(t, ns)
			w := watchNamespace(t, ns, "deployments", "replicasets", "pods", "endpointslices")
			// Owners, by uid, from each object's first event: a change is
			// the controllers fighting over the overlapping selectors.
			owners := map[string]string{}
			served := false
			w.check(nil, func(v *view, ev event) string {
				switch ev.Resource {
				case "pods", "replicasets":
					key, own := ev.Resource+"/"+ev.Object.Metadata.UID, ev.Object.owner()
					first, seen := owners[key]
					switch {
					case !seen && own == "":
						return fmt.Sprintf("%s %s has no controller", ev.Resource, ev.Object.Metadata.Name)
					case !seen:
						owners[key] = own
					case own != first:
						return fmt.Sprintf("%s %s changed owner from %s to %q", ev.Resource, ev.Object.Metadata.Name, first, own)
					}
				case "endpointslices":
					if n := len(v.endpoints("hexo-service")); n > 0 {
						served = true
					} else if served {
						return "hexo-service has no ready endpoint"
					}
				}
				return ""
			})

			step := hexoRender(t, ns, "hexo-canary", "../../examples/hexo-canary/steps/2-canary-50.yaml")
			gens := apply(t, step, "apply", "--server-side", "-f", "-")
			w.waitUntil(t, settleLimit, "hexo and hexo-canary rolled out", func(v *view) bool {
				return v.rolledOut("hexo", gens["Deployment/hexo"].Generation) && v.rolledOut("hexo-canary", gens["Deployment/hexo-canary"].Generation) && v.settled()
			})
			var canary, all []string
			w.with(func(v *view) {
				all = names(v.pods(map[string]string{"app": "hexo"}))
				canary = names(v.pods(map[string]string{labelTrack: "canary"}))
				byDeployment := map[string][]string{}
				for _, p := range v.pods(nil) {
					byDeployment[deploymentOf(v, p)] = append(byDeployment[deploymentOf(v, p)], p.Metadata.Name)
				}
				want := map[string][]string{"hexo-canary": canary}
				for _, p := range all {
					if !contains(canary, p) {
						want["hexo"] = append(want["hexo"], p)
					}
				}
				if len(canary) != 3 || len(all) != 6 {
					t.Fatalf("%d canary pods of %d, want 3 of 6:\n%s", len(canary), len(all), v)
				}
				if diff := cmp.Diff(want, byDeployment); diff != "" {
					t.Fatalf("pods by owning Deployment (-want +got):\n%s", diff)
				}
			})
			w.waitUntil(t, settleLimit, "hexo-service selecting all 6 pods and hexo-service-canary the 3 canary pods", func(v *view) bool {
				return cmp.Equal(v.endpoints("hexo-service"), all) && cmp.Equal(v.endpoints("hexo-service-canary"), canary)
			})

			// The hold: a minute of watching in which nothing may change.
			// The deployment and ReplicaSet controllers act on events, so
			// a fight over the overlapping selectors would start at once;
			// the minute is the window of observation, not a wait.
			holding := false
			var sizes map[string]int64
			var gen map[string]int64
			w.check(func(v *view) {
				holding = true
				sizes, gen = map[string]int64{}, map[string]int64{}
				for _, rs := range v.list("replicasets", nil) {
					sizes[rs.Metadata.Name] = rs.replicas()
				}
				for _, d := range v.list("deployments", nil) {
					gen[d.Metadata.Name] = d.Metadata.Generation
				}
			}, func(v *view, ev event) string {
				if !holding {
					return ""
				}
				o := ev.Object
				switch ev.Resource {
				case "pods":
					if ev.Type != "MODIFIED" || !o.active() || !o.ready() {
						return fmt.Sprintf("pod %s changed while the canary held (%s, active %t, ready %t)", o.Metadata.Name, ev.Type, o.active(), o.ready())
					}
				case "replicasets":
					if ev.Type != "MODIFIED" || o.replicas() != sizes[o.Metadata.Name] {
						return fmt.Sprintf("ReplicaSet %s changed while the canary held (%s, size %d)", o.Metadata.Name, ev.Type, o.replicas())
					}
				case "deployments":
					if ev.Type != "MODIFIED" || o.Metadata.Generation != gen[o.Metadata.Name] {
						return fmt.Sprintf("Deployment %s changed while the canary held (%s, generation %d)", o.Metadata.Name, ev.Type, o.Metadata.Generation)
					}
				}
				return ""
			})
			w.observe(t, time.Minute)
			w.with(func(*view) { holding = false })

			next := hexoRender(t, ns, "hexo-canary", "../../examples/hexo-canary/steps/3-"+end+".yaml")
			gens = apply(t, next, "apply", "--server-side", "-f", "-")
			prune(t, ns, step, next)
			image := map[string]string{"promote": "registry.sword.org/hexo:v0.50", "abort": "registry.sword.org/nginx:v2.0"}[end]
			var stable []string
			w.waitUntil(t, settleLimit, "hexo converged to 6 pods of "+image+" and hexo-canary gone", func(v *view) bool {
				if !v.rolledOut("hexo", gens["Deployment/hexo"].Generation) || v.get("deployments", "hexo-canary") != nil || !v.settled() {
					return false
				}
				pods := v.pods(nil)
				for _, p := range pods {
					if p.image() != image || deploymentOf(v, p) != "hexo" {
						return false
					}
				}
				stable = names(pods)
				return len(pods) == 6
			})
			w.waitUntil(t, settleLimit, "hexo-service selecting the 6 converged pods", func(v *view) bool {
				return cmp.Equal(v.endpoints("hexo-service"), stable)
			})
			w.stop(t)
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ns := "moves-" + mode + "-" + runID
			namespace(t, ns)
			w := watchNamespace(t, ns, "deployments")
			dir := "../../examples/hexo-blue-green"
			// The starting point: the plain Deployment, defaulted by the API server.
			prev := hexoPlain(t, ns, dir)
			gens := apply(t, prev, applyArgs(mode)...)
			w.waitUntil(t, settleLimit, "hexo rolled out", func(v *view) bool { return v.rolledOut("hexo", gens["Deployment/hexo"].Generation) })
			for _, m := range moves {
				rel := filepath.Join(t.TempDir(), "release.yaml")
				writeFile(t, rel, moveRelease(m.spec))
				next := withoutNodePort(inNamespace(render(t, "", dir+"/deployment.yaml", dir+"/service.yaml", rel), ns))
				gens, err := tryApply(t, next, applyArgs(mode)...)
				if err != nil {
					t.Fatalf("%s: the API server rejected the move: %v", m.name, err)
				}
				prune(t, ns, prev, next)
				want := deploymentsIn(next)
				w.waitUntil(t, settleLimit, m.name+": "+strings.Join(want, " and ")+" rolled out, the others pruned", func(v *view) bool {
					for _, d := range want {
						if !v.rolledOut(d, gens["Deployment/"+d].Generation) {
							return false
						}
					}
					return cmp.Equal(names(v.list("deployments", nil)), want)
				})
				prev = next
			}
			w.stop(t)
		})
	}
}

// hexoPlain is the hexo Deployment and Service without any release.
func hexoPlain(t *testing.T, ns, dir string) string {
	return withoutNodePort(inNamespace(readFile(t, dir+"/deployment.yaml")+"---\n"+readFile(t, dir+"/service.yaml"), ns))
}

// deploymentsIn lists the Deployments of a stream, by name.
func deploymentsIn(stream string) []string {
	var out []string
	for obj := range objectsIn(stream) {
		if name, ok := strings.CutPrefix(obj, "Deployment/"); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
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
	writeFile(t, rel, moveRelease("  strategy: recreate\n"))
	for _, mode := range []string{"client-side", "server-side"} {
		ns := "defaulted-" + mode + "-" + runID
		namespace(t, ns)
		args := applyArgs(mode)
		mustKubectl(t, hexoPlain(t, ns, dir), args...)
		next := withoutNodePort(inNamespace(render(t, "", dir+"/deployment.yaml", dir+"/service.yaml", rel), ns))
		_, err := kubectl(t, next, args...)
		switch {
		case mode == "client-side" && err != nil:
			t.Errorf("client-side apply rejected the move to Recreate: %v", err)
		case mode == "server-side" && (err == nil || !strings.Contains(err.Error(), "may not be specified when strategy `type` is 'Recreate'")):
			t.Errorf("server-side apply over a defaulted rollingUpdate: got %v; the API server's behaviour changed, update the README", err)
		}
	}
}
