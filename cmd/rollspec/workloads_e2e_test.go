//go:build e2e

// StatefulSets and DaemonSets on the real control plane: the API server
// accepts what rollspec renders for them, a partitioned canary replaces
// exactly the pods the plan names and no other, and a DaemonSet's rolling
// update stays within the bounds its plan gives.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"rollspec.dev/rollspec/fn"
)

// goldenItems is the items of a golden case's expected output as a YAML
// stream, without the Releases and other local-config objects, in
// namespace ns.
func goldenItems(t *testing.T, name, ns string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/golden", name, "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := (&kio.ByteReader{Reader: strings.NewReader(string(b)), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, n := range nodes {
		if n.GetKind() == "Release" || n.GetAnnotations()["config.kubernetes.io/local-config"] == "true" {
			continue
		}
		if err := n.SetNamespace(ns); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, n.MustString())
	}
	return strings.Join(docs, "---\n")
}

// TestClusterWorkloadsAccepted: the StatefulSets and DaemonSets of the
// golden cases and every step of the StatefulSet canary example pass a
// server-side dry run and a real apply. A 1.34 API server without the
// MaxUnavailableStatefulSet feature gate drops a StatefulSet's
// maxUnavailable, as the README and rollspec's warning say.
func TestClusterWorkloadsAccepted(t *testing.T) {
	t.Parallel()
	// Each output in a namespace of its own.
	nsOf := func(name string) string {
		ns := "wl-" + strings.NewReplacer(" ", "-", "_", "-").Replace(name)
		return ns[:min(len(ns), 50)] + "-" + runID
	}
	streams := map[string]string{}
	cases, _ := filepath.Glob("../../testdata/golden/*/expected.yaml")
	for _, c := range cases {
		name := filepath.Base(filepath.Dir(c))
		if strings.HasPrefix(name, "statefulset-") || strings.HasPrefix(name, "daemonset-") {
			streams[name] = goldenItems(t, name, nsOf(name))
		}
	}
	ex := "../../examples/statefulset-canary/"
	steps, _ := filepath.Glob(ex + "steps/*.yaml")
	for _, s := range append([]string{ex + "release.yaml"}, steps...) {
		name := "example " + strings.TrimSuffix(filepath.Base(s), ".yaml")
		streams[name] = inNamespace(render(t, "", ex+"statefulset.yaml", ex+"service.yaml", s), nsOf(name))
	}
	if len(streams) < 15 {
		t.Fatalf("found %d outputs to apply, want the golden cases and the example's steps", len(streams))
	}
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := nsOf(name)
			namespace(t, ns)
			stream := streams[name]
			if _, err := kubectl(t, stream, "apply", "--server-side", "--dry-run=server", "-n", ns, "-f", "-"); err != nil {
				t.Fatalf("server-side dry run rejected the rendered output: %v", err)
			}
			if _, err := kubectl(t, stream, "apply", "--server-side", "-n", ns, "-f", "-"); err != nil {
				t.Fatalf("apply rejected the rendered output: %v", err)
			}
			if name == "statefulset-max-unavailable" {
				live := mustKubectl(t, "", "get", "statefulset", "cache", "-n", ns, "-o", "jsonpath={.spec.updateStrategy.rollingUpdate.maxUnavailable}")
				if live != "" {
					t.Errorf("maxUnavailable is %q on the live StatefulSet; a 1.34 API server without the feature gate drops it", live)
				}
			}
		})
	}
}

// podEvent is one line of a pod watch.
type podEvent struct {
	kind, name, uid, revision, image, ready, deleting string
}

// podWatchFormat prints a watch event of a pod as podEvent's fields.
const podWatchFormat = `jsonpath={.type}|{.object.metadata.name}|{.object.metadata.uid}|{.object.metadata.labels.controller-revision-hash}|{.object.spec.containers[0].image}|{.object.status.conditions[?(@.type=="Ready")].status}|{.object.metadata.deletionTimestamp}{"\n"}`

// podWatch follows the pods of a namespace: every pod (by UID) ever seen,
// the order in which pods were deleted, and the most and fewest ready pods
// that are not being deleted, seen at any event.
type podWatch struct {
	mu       sync.Mutex
	pods     map[string]podEvent // by UID, the latest event
	deleted  []string            // pod names, in the order deletion began
	minReady int
	maxPods  int
	version  func(podEvent) string // what a pod runs: old or new
	pairs    [][2]int              // distinct (old, new) counts of live pods
	stop     chan struct{}
	wg       *sync.WaitGroup
}

func watchPods(t *testing.T, ns string, version func(podEvent) string) *podWatch {
	t.Helper()
	w := &podWatch{pods: map[string]podEvent{}, minReady: 1 << 30, version: version, stop: make(chan struct{})}
	w.wg = watch(t, w.stop, []string{"get", "pods", "-n", ns, "--watch", "--output-watch-events", "-o", podWatchFormat}, func(line string) {
		f := strings.Split(line, "|")
		if len(f) != 7 {
			return
		}
		ev := podEvent{f[0], f[1], f[2], f[3], f[4], f[5], f[6]}
		w.mu.Lock()
		defer w.mu.Unlock()
		prev, seen := w.pods[ev.uid]
		if (ev.deleting != "" || ev.kind == "DELETED") && (!seen || (prev.deleting == "" && prev.kind != "DELETED")) {
			w.deleted = append(w.deleted, ev.name)
		}
		w.pods[ev.uid] = ev
		w.count()
	})
	return w
}

// count updates the bounds from the pods as they are now.
func (w *podWatch) count() {
	live, ready := 0, 0
	byVersion := map[string]int{}
	for _, p := range w.pods {
		if p.kind == "DELETED" || p.deleting != "" {
			continue
		}
		live++
		byVersion[w.version(p)]++
		if p.ready == "True" {
			ready++
		}
	}
	w.maxPods = max(w.maxPods, live)
	w.minReady = min(w.minReady, ready)
	pair := [2]int{byVersion["old"], byVersion["new"]}
	if len(w.pairs) == 0 || w.pairs[len(w.pairs)-1] != pair {
		w.pairs = append(w.pairs, pair)
	}
}

// reset starts the bounds and the deletion order afresh.
func (w *podWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deleted, w.minReady, w.maxPods, w.pairs = nil, 1<<30, 0, nil
	w.count()
}

func (w *podWatch) done() {
	close(w.stop)
	w.wg.Wait()
}

// uids maps each live pod's name to its UID.
func (w *podWatch) uids() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := map[string]string{}
	for _, p := range w.pods {
		if p.kind != "DELETED" && p.deleting == "" {
			m[p.name] = p.uid
		}
	}
	return m
}

// statefulSetStatus is what the tests read of a live StatefulSet.
type statefulSetStatus struct {
	Metadata struct{ Generation int64 }
	Spec     struct{ Replicas int64 }
	Status   struct {
		ObservedGeneration                              int64
		ReadyReplicas, UpdatedReplicas, CurrentReplicas int64
		CurrentRevision, UpdateRevision                 string
	}
}

func getStatefulSet(t *testing.T, ns, name string) statefulSetStatus {
	t.Helper()
	var s statefulSetStatus
	out, err := kubectl(t, "", "get", "statefulset", name, "-n", ns, "-o", "json")
	if err == nil {
		_ = json.Unmarshal([]byte(out), &s)
	}
	return s
}

// podRevisions maps the StatefulSet's pods to their revision.
func podRevisions(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := mustKubectl(t, "", "get", "pods", "-n", ns, "-o", `jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.controller-revision-hash} {.metadata.deletionTimestamp}{"\n"}{end}`)
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}

// claimVolumes makes a PersistentVolume for each claim the StatefulSet's
// pods will ask for, bound to it ahead, so that the pods can start: the
// control plane has no volume provisioner.
func claimVolumes(t *testing.T, ns, claim, statefulSet string, replicas int) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < replicas; i++ {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: PersistentVolume
metadata: {name: %[1]s-%[2]s-%[3]s-%[4]d}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /tmp/%[1]s-%[4]d}
  claimRef: {namespace: %[1]s, name: %[2]s-%[3]s-%[4]d}
`, ns, claim, statefulSet, i)
	}
	mustKubectl(t, b.String(), "apply", "-f", "-")
	t.Cleanup(func() {
		for i := 0; i < replicas; i++ {
			_, _ = kubectl(t, "", "delete", "pv", fmt.Sprintf("%s-%s-%s-%d", ns, claim, statefulSet, i), "--wait=false")
		}
	})
}

// TestClusterWorkloadsPartitionedCanary runs the StatefulSet canary example
// commit by commit, with client-side and server-side apply: after each
// commit exactly the pods the plan names run the new revision, they were
// replaced in the plan's order with no more than its unavailable pods, the
// other pods kept theirs (same UID), and promote and abort converge.
func TestClusterWorkloadsPartitionedCanary(t *testing.T) {
	t.Parallel()
	ex := "../../examples/statefulset-canary/"
	for _, mode := range []string{"client-side", "server-side"} {
		for _, end := range []string{"3-promote", "3-abort"} {
			t.Run(mode+" "+end, func(t *testing.T) {
				t.Parallel()
				ns := fmt.Sprintf("sts-%s-%s-%s", mode[:6], end[2:], runID)
				namespace(t, ns)
				claimVolumes(t, ns, "data", "index-api", 4)
				dir := t.TempDir()
				// Rendered as in the example (namespace search), for the
				// plan, and in the test's namespace, for the cluster.
				var rendered string
				renderStep := func(step string) string {
					rendered = render(t, "", ex+"statefulset.yaml", ex+"service.yaml", step)
					return inNamespace(rendered, ns)
				}
				sts := func() statefulSetStatus { return getStatefulSet(t, ns, "index-api") }
				settled := func() bool {
					s := sts()
					return s.Status.ObservedGeneration >= s.Metadata.Generation && s.Status.ReadyReplicas == s.Spec.Replicas &&
						len(podRevisions(t, ns)) == int(s.Spec.Replicas)
				}

				// The StatefulSet as written: 3.1.0 on every pod.
				live := renderStep(ex + "steps/3-abort.yaml")
				mustKubectl(t, live, applyArgs(mode)...)
				waitFor(t, 120*time.Second, "index-api ready", settled)
				w := watchPods(t, ns, func(p podEvent) string { return p.revision })
				defer w.done()
				waitFor(t, 10*time.Second, "the watch to see 4 pods", func() bool { return len(w.uids()) == 4 })
				stable := w.uids()

				for _, step := range []string{"1-canary-25", "2-canary-50", end} {
					// What the plan says this commit replaces, from what runs.
					liveFile := filepath.Join(dir, "live.yaml")
					_ = os.WriteFile(liveFile, []byte(rendered), 0o644)
					plans, err := fn.Plan([]string{liveFile, ex + "steps/" + step + ".yaml"}, nil, nil, io.Discard)
					if err != nil || len(plans) != 1 || len(plans[0].Rollouts) != 1 {
						t.Fatalf("%s: plan: %v %+v", step, err, plans)
					}
					ro := plans[0].Rollouts[0]
					var want []string
					for _, i := range ro.Replaced {
						want = append(want, fmt.Sprintf("index-api-%d", ro.Start+i))
					}
					// rollspec status on this commit's files, in the test's
					// namespace: not applied yet, so not healthy.
					app := filepath.Join(dir, step)
					_ = os.MkdirAll(app, 0o755)
					for _, f := range []string{ex + "statefulset.yaml", ex + "service.yaml", ex + "steps/" + step + ".yaml"} {
						b, err := os.ReadFile(f)
						if err != nil {
							t.Fatal(err)
						}
						_ = os.WriteFile(filepath.Join(app, filepath.Base(f)), []byte(strings.ReplaceAll(string(b), "namespace: search", "namespace: "+ns)), 0o644)
					}
					stsRef := "StatefulSet " + ns + "/index-api"
					if code, states := statusJSON(t, app, ns); code != 2 || states[stsRef] != "progressing" {
						t.Errorf("%s: status before the apply: exit %d %v, want 2 with the StatefulSet progressing", step, code, states)
					}
					before := w.uids()
					w.reset()
					next := renderStep(ex + "steps/" + step + ".yaml")
					mustKubectl(t, next, applyArgs(mode)...)
					prune(t, ns, live, next)
					live = next
					waitFor(t, 120*time.Second, step+" rolled out", func() bool {
						s := sts()
						if !settled() || s.Status.UpdatedReplicas != s.Spec.Replicas-partitionOf(t, ns) {
							return false
						}
						return len(w.uids()) == 4
					})
					time.Sleep(time.Second) // the watch's last events
					if code, states := statusJSON(t, app, ns); code != 0 || states[stsRef] != "healthy" {
						t.Errorf("%s: status once the step rolled out: exit %d %v, want 0 with the StatefulSet healthy", step, code, states)
					}
					w.mu.Lock()
					deleted, minReady := append([]string(nil), w.deleted...), w.minReady
					w.mu.Unlock()
					// kwok (v0.8.0), the fake kubelet, finishes a pod's
					// deletion in its pod-delete stage and retries the stage
					// by name: when its first try raced with its own delete,
					// the retry deletes the pod the controller has just
					// created under that name (kwok.log: "failed to delete
					// pod index-api-3: not found", then "Delete pod"
					// index-api-3). The controller then creates it again.
					// A real kubelet does not delete pods, so a pod replaced
					// twice in a row counts once; the log keeps it.
					if again := slices.Compact(slices.Clone(deleted)); len(again) != len(deleted) {
						t.Logf("%s (%s): deletions %v: a pod deleted again right after its replacement (kwok's pod-delete retry)", step, mode, deleted)
						deleted = again
					}
					if diff := cmp.Diff(want, deleted); diff != "" {
						t.Errorf("%s: pods replaced, in order (-plan +cluster):\n%s", step, diff)
					}
					if int64(minReady) < ro.MinAvailable {
						t.Errorf("%s: %d ready pods at one point, the plan keeps at least %d", step, minReady, ro.MinAvailable)
					}
					after := w.uids()
					for name, uid := range before {
						replaced := false
						for _, r := range want {
							replaced = replaced || r == name
						}
						if !replaced && after[name] != uid {
							t.Errorf("%s: %s restarted (UID %s, now %s), though the plan does not replace it", step, name, uid, after[name])
						}
					}
					s := sts()
					revs := podRevisions(t, ns)
					t.Logf("%s (%s): replaced %v; revisions %v; partition %d", step, mode, deleted, revs, partitionOf(t, ns))
					for name, rev := range revs {
						var ordinal int64
						fmt.Sscanf(strings.TrimPrefix(name, "index-api-"), "%d", &ordinal)
						wantRev := s.Status.CurrentRevision
						if ordinal >= partitionOf(t, ns) {
							wantRev = s.Status.UpdateRevision
						}
						if rev != wantRev {
							t.Errorf("%s: %s runs revision %s, want %s", step, name, rev, wantRev)
						}
					}
					if strings.HasPrefix(step, "1-") || strings.HasPrefix(step, "2-") {
						var canary []string
						for _, name := range sortedKeys(revs) {
							if revs[name] == s.Status.UpdateRevision {
								canary = append(canary, name)
							}
						}
						waitFor(t, 30*time.Second, "index-api-canary selecting the canary pods", func() bool {
							p, _ := endpointPods(t, ns, "index-api-canary")
							return cmp.Equal(p, canary)
						})
					}
				}
				// Abort never touched the stable pods.
				if final := w.uids(); end == "3-abort" {
					for _, name := range []string{"index-api-0", "index-api-1"} {
						if final[name] != stable[name] {
							t.Errorf("abort: stable pod %s was replaced", name)
						}
					}
				}
				image := map[string]string{"3-promote": "registry.example.com/index-api:3.2.0", "3-abort": "registry.example.com/index-api:3.1.0"}[end]
				out := mustKubectl(t, "", "get", "pods", "-n", ns, "-o", `jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}`)
				if images := strings.Fields(out); len(images) != 4 || strings.Count(out, image) != 4 {
					t.Errorf("%s: pods run %v, want 4 of %s", end, images, image)
				}
				if _, err := kubectl(t, "", "get", "service", "index-api-canary", "-n", ns); err == nil {
					t.Errorf("%s: index-api-canary still exists after the prune", end)
				}
			})
		}
	}
}

// partitionOf reads the live StatefulSet's partition.
func partitionOf(t *testing.T, ns string) int64 {
	t.Helper()
	out, _ := kubectl(t, "", "get", "statefulset", "index-api", "-n", ns, "-o", "jsonpath={.spec.updateStrategy.rollingUpdate.partition}")
	var p int64
	fmt.Sscanf(out, "%d", &p)
	return p
}

// daemonSet is a node agent on the test cluster's pool nodes.
const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent, namespace: NS}
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      nodeSelector: {rollspec.dev/pool: workloads}
      tolerations: [{key: rollspec.dev/pool, operator: Exists, effect: NoSchedule}]
      containers:
      - name: agent
        image: registry.example.com/node-agent:1.4
        ports: [{name: metrics, containerPort: 9100}]
`

func daemonSetRelease(ns, rolling, image string) string {
	return fmt.Sprintf(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: node-agent, namespace: %s, annotations: {config.kubernetes.io/local-config: "true"}}
spec:
  target: {kind: DaemonSet}
  image: %s
  rolling: %s
  probes: {readiness: tcp:metrics}
`, ns, image, rolling)
}

// daemonSetDone reports whether a DaemonSet runs its current template,
// available, on every node it selects.
func daemonSetDone(t *testing.T, ns, name string) bool {
	out, err := kubectl(t, "", "get", "daemonset", name, "-n", ns, "-o", "json")
	if err != nil {
		return false
	}
	var d struct {
		Metadata struct{ Generation int64 }
		Status   struct {
			ObservedGeneration                                              int64
			DesiredNumberScheduled, UpdatedNumberScheduled, NumberAvailable int64
		}
	}
	_ = json.Unmarshal([]byte(out), &d)
	return d.Status.ObservedGeneration >= d.Metadata.Generation && d.Status.DesiredNumberScheduled > 0 &&
		d.Status.UpdatedNumberScheduled == d.Status.DesiredNumberScheduled && d.Status.NumberAvailable == d.Status.DesiredNumberScheduled
}

// TestClusterWorkloadsDaemonSetRolling: a DaemonSet on the cluster's pool
// nodes rolls from 1.4 to 1.5 with each rolling profile it takes; the pods
// it runs and the ready pods stay within the plan's bounds, and where each
// step moves one pod, the old/new counts go as the plan's.
func TestClusterWorkloadsDaemonSetRolling(t *testing.T) {
	t.Parallel()
	out := mustKubectl(t, "", "get", "nodes", "-l", "rollspec.dev/pool=workloads", "-o", "name")
	nodes := int64(len(strings.Fields(out)))
	if nodes < 2 {
		t.Fatalf("%d pool nodes; scripts/cluster/up.sh starts several", nodes)
	}
	for _, tc := range []struct{ name, rolling string }{
		{"surge-first", "{profile: surge-first}"},
		{"drain-first", "{profile: drain-first}"},
		{"two at a time", "{maxUnavailable: 2}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := "ds-" + strings.ReplaceAll(tc.name, " ", "-") + "-" + runID
			namespace(t, ns)
			dir := t.TempDir()
			file := filepath.Join(dir, "daemonset.yaml")
			_ = os.WriteFile(file, []byte(strings.Replace(daemonSet, "NS", ns, 1)), 0o644)
			v1 := render(t, daemonSetRelease(ns, tc.rolling, "registry.example.com/node-agent:1.4"), file)
			mustKubectl(t, v1, "apply", "--server-side", "-f", "-")
			waitFor(t, 90*time.Second, "node-agent on every pool node", func() bool { return daemonSetDone(t, ns, "node-agent") })

			live := filepath.Join(dir, "live.yaml")
			_ = os.WriteFile(live, []byte(v1), 0o644)
			rel := filepath.Join(dir, "release.yaml")
			_ = os.WriteFile(rel, []byte(daemonSetRelease(ns, tc.rolling, "registry.example.com/node-agent:1.5")), 0o644)
			plans, err := fn.PlanOnNodes([]string{live, rel}, nil, nil, io.Discard, nodes)
			if err != nil || len(plans) != 1 || len(plans[0].Rollouts) != 1 {
				t.Fatalf("plan: %v %+v", err, plans)
			}
			ro := plans[0].Rollouts[0]

			w := watchPods(t, ns, func(p podEvent) string {
				if strings.HasSuffix(p.image, ":1.5") {
					return "new"
				}
				return "old"
			})
			defer w.done()
			waitFor(t, 10*time.Second, "the watch to see every pod", func() bool { return int64(len(w.uids())) == nodes })
			w.reset()
			mustKubectl(t, render(t, daemonSetRelease(ns, tc.rolling, "registry.example.com/node-agent:1.5"), file), "apply", "--server-side", "-f", "-")
			waitFor(t, 120*time.Second, "node-agent 1.5 on every pool node", func() bool {
				return daemonSetDone(t, ns, "node-agent") && strings.Count(mustKubectl(t, "", "get", "pods", "-n", ns, "-o", "jsonpath={.items[*].spec.containers[0].image}"), ":1.5") == int(nodes)
			})
			time.Sleep(time.Second)
			w.mu.Lock()
			maxPods, minReady, pairs := w.maxPods, w.minReady, append([][2]int(nil), w.pairs...)
			w.mu.Unlock()
			t.Logf("%s on %d nodes: at most %d pods (plan %d), at least %d ready (plan %d); old/new %v", tc.name, nodes, maxPods, ro.MaxTotal, minReady, ro.MinAvailable, pairs)
			if int64(maxPods) > ro.MaxTotal {
				t.Errorf("%d pods at one point, the plan allows %d", maxPods, ro.MaxTotal)
			}
			if int64(minReady) < ro.MinAvailable {
				t.Errorf("%d ready pods at one point, the plan keeps at least %d", minReady, ro.MinAvailable)
			}
			if ro.MaxSurge > 0 && int64(maxPods) != ro.MaxTotal {
				t.Errorf("the rollout never surged: at most %d pods, the plan %d", maxPods, ro.MaxTotal)
			}
			if ro.MaxSurge+ro.MaxUnavailable == 1 {
				// One pod at a time: the counts go exactly as planned.
				var want [][2]int
				for _, s := range ro.Steps {
					p := [2]int{int(s.Old), int(s.New)}
					if len(want) == 0 || want[len(want)-1] != p {
						want = append(want, p)
					}
				}
				if diff := cmp.Diff(want, pairs); diff != "" {
					t.Errorf("old/new pods (-plan +cluster):\n%s", diff)
				}
			}
		})
	}
}
