//go:build e2e

// The cluster tests observe the control plane through watches, not through
// samples: one long-running `kubectl get KIND --watch --output-watch-events
// -o json` per kind and namespace, decoded as a JSON stream into an
// in-memory view of the namespace. A watch delivers every change of every
// object in order, so a property checked on each event holds for every
// state the API server held, however slow the machine is; a sampler that
// starts one process per sample sees fewer states the busier the machine
// gets, and misses short outages altogether.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// object is what the tests read of a Pod, ReplicaSet, Deployment or
// EndpointSlice. The API server leaves a count out when it is zero
// (status.availableReplicas is absent while nothing is available): such a
// field decodes as 0 here, which is what it means.
type object struct {
	Kind     string
	Metadata struct {
		Name              string
		UID               string
		ResourceVersion   string
		Generation        int64
		Labels            map[string]string
		Annotations       map[string]string
		DeletionTimestamp *string
		OwnerReferences   []struct {
			Kind, Name, UID string
			Controller      *bool
		}
	}
	Spec struct {
		Replicas   *int64
		Containers []struct{ Name, Image string }
	}
	Status struct {
		Phase                                        string
		Conditions                                   []struct{ Type, Status string }
		ObservedGeneration                           int64
		Replicas, UpdatedReplicas, AvailableReplicas int64
	}
	Endpoints []struct {
		Conditions struct{ Ready *bool }
		TargetRef  *struct{ Kind, Name string }
	}
}

// owner is the controlling owner reference as "Kind/name/uid", or "".
func (o *object) owner() string {
	for _, r := range o.Metadata.OwnerReferences {
		if r.Controller != nil && *r.Controller {
			return r.Kind + "/" + r.Name + "/" + r.UID
		}
	}
	return ""
}

// ownerName is the controlling owner's name, or "".
func (o *object) ownerName() string {
	if f := strings.SplitN(o.owner(), "/", 3); len(f) == 3 {
		return f[1]
	}
	return ""
}

// active is the controllers' notion of a pod that counts: not being
// deleted and not finished (the ReplicaSet controller's FilterActivePods).
func (o *object) active() bool {
	return o.Metadata.DeletionTimestamp == nil && o.Status.Phase != "Succeeded" && o.Status.Phase != "Failed"
}

// ready reports whether a pod's Ready condition is True.
func (o *object) ready() bool {
	for _, c := range o.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

// image is the first container's image.
func (o *object) image() string {
	if len(o.Spec.Containers) == 0 {
		return ""
	}
	return o.Spec.Containers[0].Image
}

// replicas is spec.replicas; the API server always sets it on Deployments
// and ReplicaSets, so an absent one reads as -1 and matches no count.
func (o *object) replicas() int64 {
	if o.Spec.Replicas == nil {
		return -1
	}
	return *o.Spec.Replicas
}

// event is one watch event after it was applied to the view.
type event struct {
	Type     string // ADDED, MODIFIED or DELETED
	Resource string // pods, replicasets, deployments, endpointslices
	Object   *object
	// Revision is the object's resourceVersion as a number. With the etcd 3
	// storage of this cluster it is etcd's revision, one counter for every
	// write of every kind (a DELETED event carries the deletion's), so it
	// orders events of different watches as the API server wrote them;
	// the API calls it opaque, so only merged histories use it.
	Revision int64
}

func (e event) String() string {
	return fmt.Sprintf("%s %s/%s", e.Type, e.Resource, e.Object.Metadata.Name)
}

// view is the namespace as the watches last reported it.
type view struct {
	objects map[string]map[string]*object // resource -> name -> object
}

// list returns the objects of a resource that keep accepts, by name.
func (v *view) list(resource string, keep func(*object) bool) []*object {
	var out []*object
	for _, o := range v.objects[resource] {
		if keep == nil || keep(o) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out
}

func (v *view) get(resource, name string) *object { return v.objects[resource][name] }

// pods lists the active pods whose labels include every pair of selector.
func (v *view) pods(selector map[string]string) []*object {
	return v.list("pods", func(o *object) bool {
		if !o.active() {
			return false
		}
		for k, val := range selector {
			if o.Metadata.Labels[k] != val {
				return false
			}
		}
		return true
	})
}

// endpoints lists, by name, the pods behind a Service's ready endpoints,
// across all its EndpointSlices: what kube-proxy would route to. An
// endpoint without a ready condition counts as ready, as the API says.
func (v *view) endpoints(service string) []string {
	pods := []string{}
	for _, s := range v.list("endpointslices", func(o *object) bool {
		return o.Metadata.Labels["kubernetes.io/service-name"] == service
	}) {
		for _, e := range s.Endpoints {
			if (e.Conditions.Ready == nil || *e.Conditions.Ready) && e.TargetRef != nil {
				pods = append(pods, e.TargetRef.Name)
			}
		}
	}
	sort.Strings(pods)
	return pods
}

// rolledOut reports whether a Deployment has completed its rollout of at
// least generation gen: the controller has seen that generation and every
// pod it counts is updated and available.
func (v *view) rolledOut(name string, gen int64) bool {
	d := v.get("deployments", name)
	if d == nil || d.Metadata.Generation < gen || d.Status.ObservedGeneration < d.Metadata.Generation {
		return false
	}
	r := d.replicas()
	return d.Status.UpdatedReplicas == r && d.Status.AvailableReplicas == r && d.Status.Replicas == r
}

// settled reports whether the pods match the ReplicaSets: every ReplicaSet
// has as many active, ready pods as it asks for and no pod is left
// terminating, so the pod view is as complete as the others.
func (v *view) settled() bool {
	owned := map[string]int64{}
	for _, p := range v.list("pods", nil) {
		if !p.active() || !p.ready() {
			return false
		}
		owned[p.ownerName()]++
	}
	var total int64
	for _, rs := range v.list("replicasets", nil) {
		if owned[rs.Metadata.Name] != rs.replicas() {
			return false
		}
		total += rs.replicas()
	}
	return total == int64(len(v.objects["pods"]))
}

// names returns the names of objects.
func names(objs []*object) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, o.Metadata.Name)
	}
	return out
}

// String summarises the view for a failure message.
func (v *view) String() string {
	var b strings.Builder
	for _, res := range []string{"deployments", "replicasets", "pods", "endpointslices"} {
		objs, ok := v.objects[res]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  %s (%d):\n", res, len(objs))
		for _, o := range v.list(res, nil) {
			switch res {
			case "deployments":
				fmt.Fprintf(&b, "    %s generation %d observed %d: spec %d, replicas %d, updated %d, available %d\n", o.Metadata.Name,
					o.Metadata.Generation, o.Status.ObservedGeneration, o.replicas(), o.Status.Replicas, o.Status.UpdatedReplicas, o.Status.AvailableReplicas)
			case "replicasets":
				fmt.Fprintf(&b, "    %s (revision %s, owner %s): spec %d, replicas %d, available %d\n", o.Metadata.Name,
					o.Metadata.Annotations["deployment.kubernetes.io/revision"], o.ownerName(), o.replicas(), o.Status.Replicas, o.Status.AvailableReplicas)
			case "pods":
				fmt.Fprintf(&b, "    %s (owner %s, %s): %s, ready %t, active %t\n", o.Metadata.Name, o.ownerName(), o.image(), o.Status.Phase, o.ready(), o.active())
			case "endpointslices":
				fmt.Fprintf(&b, "    %s for %s: %d endpoints\n", o.Metadata.Name, o.Metadata.Labels["kubernetes.io/service-name"], len(o.Endpoints))
			}
		}
	}
	return b.String()
}

// maxViolations bounds the messages kept; the count goes on.
const maxViolations = 20

// watched is a namespace under watch: the view, the checks evaluated on
// every event, and what they found.
type watched struct {
	ns string

	mu         sync.Mutex
	view       view
	changed    chan struct{} // closed and replaced on every event
	checks     []func(*view, event) string
	violations []string
	violated   int
	events     map[string]int // per resource
	history    []event        // every event, in the order each watch gave it
	failures   []string       // watches that ended early or reported an error
	stopping   bool

	procs  []*exec.Cmd
	done   sync.WaitGroup
	finish sync.Once
}

// watchNamespace starts one watch per resource in namespace ns. Start it
// before the changes it must see; objects that already exist arrive as
// ADDED events. The watches stop, and what the checks found is reported,
// at stop or at the end of the test.
func watchNamespace(t *testing.T, ns string, resources ...string) *watched {
	t.Helper()
	w := &watched{ns: ns, changed: make(chan struct{}), events: map[string]int{},
		view: view{objects: map[string]map[string]*object{}}}
	t.Cleanup(func() { w.stop(t) }) // also ends the watches started before a failure
	for _, res := range resources {
		w.view.objects[res] = map[string]*object{}
		cmd := exec.Command("kubectl", "--kubeconfig", kubeconfig(t), "get", res, "-n", ns,
			"--watch", "--output-watch-events", "-o", "json")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stderr := &lockedBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting the watch of %s: %v", res, err)
		}
		w.procs = append(w.procs, cmd)
		w.done.Add(1)
		go w.read(res, cmd, stdout, stderr)
	}
	return w
}

// read decodes one watch's JSON stream into the view until it ends.
func (w *watched) read(res string, cmd *exec.Cmd, stdout io.Reader, stderr *lockedBuffer) {
	defer w.done.Done()
	dec := json.NewDecoder(stdout)
	var failure string
	for {
		var raw struct {
			Type   string
			Object json.RawMessage
		}
		if err := dec.Decode(&raw); err != nil {
			if err != io.EOF {
				failure = fmt.Sprintf("decoding the watch of %s: %v", res, err)
			}
			break
		}
		if raw.Type == "BOOKMARK" {
			continue
		}
		o := &object{}
		err := json.Unmarshal(raw.Object, o)
		var rev int64
		if err == nil {
			rev, err = strconv.ParseInt(o.Metadata.ResourceVersion, 10, 64)
		}
		if raw.Type == "ERROR" || err != nil {
			// The watch can no longer vouch for every change (e.g. 410
			// Gone): the view is no longer exact.
			failure = fmt.Sprintf("the watch of %s reported %s: %s (%v)", res, raw.Type, raw.Object, err)
			break
		}
		w.apply(event{Type: raw.Type, Resource: res, Object: o, Revision: rev})
	}
	if failure != "" {
		// Fail the waits now, not when the process happens to exit.
		w.fail(failure)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return
	}
	_ = cmd.Wait() // collects the rest of stderr
	w.fail(fmt.Sprintf("the watch of %s ended before the test did: %s", res, strings.TrimSpace(stderr.String())))
}

// fail records a watch that can no longer vouch for every change, unless
// the test is stopping the watches itself.
func (w *watched) fail(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopping {
		w.failures = append(w.failures, msg)
		w.broadcast()
	}
}

// apply updates the view with one event and runs every check on it.
func (w *watched) apply(ev event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	objs := w.view.objects[ev.Resource]
	if ev.Type == "DELETED" {
		delete(objs, ev.Object.Metadata.Name)
	} else {
		objs[ev.Object.Metadata.Name] = ev.Object
	}
	w.events[ev.Resource]++
	w.history = append(w.history, ev)
	for _, check := range w.checks {
		if msg := check(&w.view, ev); msg != "" {
			w.violated++
			if len(w.violations) < maxViolations {
				w.violations = append(w.violations, fmt.Sprintf("%s (at %s)", msg, ev))
			}
		}
	}
	w.broadcast()
}

func (w *watched) broadcast() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// check adds a property evaluated on the view after every later event; it
// returns a description of the violation, or "". init, when not nil, runs
// on the view first, in the same critical section, so that the state it
// records and the first event the check sees leave no gap between them.
func (w *watched) check(init func(*view), f func(*view, event) string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if init != nil {
		init(&w.view)
	}
	w.checks = append(w.checks, f)
}

// with runs f on the view, with the checks held off; f may change the
// state that checks share.
func (w *watched) with(f func(*view)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(&w.view)
}

// waitUntil waits for the view to satisfy cond, re-evaluating it on every
// event; limit is generous because the machine may be busy.
func (w *watched) waitUntil(t *testing.T, limit time.Duration, what string, cond func(*view) bool) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		if len(w.failures) > 0 {
			failures := strings.Join(w.failures, "; ")
			w.mu.Unlock()
			t.Fatalf("waiting for %s: %s", what, failures)
		}
		if cond(&w.view) {
			w.mu.Unlock()
			return
		}
		changed := w.changed
		w.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			w.mu.Lock()
			state := w.view.String()
			w.mu.Unlock()
			t.Fatalf("timed out after %s waiting for %s in %s; the watches last saw:\n%s", limit, what, w.ns, state)
		}
	}
}

// observe keeps watching for d, the length of a hold whose checks must
// not fire; it is a window of observation, not a wait for a state.
func (w *watched) observe(t *testing.T, d time.Duration) {
	t.Helper()
	end := time.NewTimer(d)
	defer end.Stop()
	for {
		w.mu.Lock()
		failures := strings.Join(w.failures, "; ")
		changed := w.changed
		w.mu.Unlock()
		if failures != "" {
			t.Fatalf("while observing %s: %s", w.ns, failures)
		}
		select {
		case <-changed:
		case <-end.C:
			return
		}
	}
}

// merged returns the events of the given resources in the order the API
// server wrote them, for properties that span kinds (pods against their
// ReplicaSets' sizes): each watch alone is in order, but two watches are
// two processes, and either may lag the other.
func (w *watched) merged(resources ...string) []event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []event
	for _, ev := range w.history {
		for _, r := range resources {
			if ev.Resource == r {
				out = append(out, ev)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out
}

// eventCount is the number of events seen for a resource so far.
func (w *watched) eventCount(res string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.events[res]
}

// stop ends the watches (once) and reports every violation of a check and
// every watch that ended early: a view with a gap proves nothing.
func (w *watched) stop(t *testing.T) {
	t.Helper()
	w.finish.Do(func() {
		w.mu.Lock()
		w.stopping = true
		w.mu.Unlock()
		for _, cmd := range w.procs {
			_ = cmd.Process.Kill()
		}
		w.done.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, f := range w.failures {
			t.Error(f)
		}
		if w.violated > 0 {
			t.Errorf("%d events in %s violated a property:\n  %s", w.violated, w.ns, strings.Join(w.violations, "\n  "))
		}
	})
}

// lockedBuffer is a kubectl stderr that the reader may read while the
// process still writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
