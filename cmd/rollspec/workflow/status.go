package workflow

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Cluster reads live objects. It has no method that writes: status only
// ever looks.
type Cluster interface {
	// Get returns an object as decoded JSON, or nil when it does not exist.
	Get(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]interface{}, error)
	// List returns the objects of a kind in a namespace that match a label
	// selector ("" for all).
	List(ctx context.Context, apiVersion, kind, namespace, selector string) ([]map[string]interface{}, error)
}

// State is how far the live objects are from the render.
type State string

// The states, from best to worst; a Report takes its worst object's.
const (
	Healthy     State = "healthy"
	Progressing State = "progressing"
	Failed      State = "failed"
)

func (s State) rank() int {
	switch s {
	case Failed:
		return 2
	case Progressing:
		return 1
	}
	return 0
}

// ObjectStatus is one rendered object's state.
type ObjectStatus struct {
	Object  string `json:"object"` // "Kind namespace/name"
	State   State  `json:"state"`
	Message string `json:"message"`
}

// Report is the state of every rendered object.
type Report struct {
	State   State          `json:"state"`
	Objects []ObjectStatus `json:"objects"`
}

// Check compares the live objects with a rendered stream: every object
// present and, for the kinds a release moves, matching the render; every
// Deployment rolled out; every Service that selects rendered pods
// reaching those pods and no others. Objects without a namespace are
// looked up in defaultNamespace.
func Check(ctx context.Context, stream []byte, c Cluster, defaultNamespace string) (*Report, error) {
	r, err := decodeStream(stream)
	if err != nil {
		return nil, fmt.Errorf("reading the rendered stream: %w", err)
	}
	for _, o := range r.objects {
		if o.Metadata.Namespace == "" && namespaced(o.Kind) {
			o.Metadata.Namespace = defaultNamespace
		}
	}
	// Keys and selections read the namespaces just filled in.
	r2 := &rendered{deployments: map[string]*deployment{}, services: map[string]*service{}, hpaMin: map[string]int64{}}
	for _, o := range r.objects {
		r2.add(o)
	}
	ch := &checker{c: c, r: r2, pods: map[string]*podIndex{}}
	rep := &Report{State: Healthy}
	for _, o := range r2.objects {
		st, err := ch.object(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", o.ref(), err)
		}
		rep.Objects = append(rep.Objects, st)
		if st.State.rank() > rep.State.rank() {
			rep.State = st.State
		}
	}
	return rep, nil
}

// clusterScoped are the kinds with no namespace that a render may hold;
// any other kind is looked up in a namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"PersistentVolume": true, "StorageClass": true, "PriorityClass": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "APIService": true,
}

func namespaced(kind string) bool { return !clusterScoped[kind] }

type checker struct {
	c    Cluster
	r    *rendered
	pods map[string]*podIndex // by namespace
}

func (ch *checker) object(ctx context.Context, o *object) (ObjectStatus, error) {
	st := ObjectStatus{Object: o.ref()}
	live, err := ch.c.Get(ctx, o.APIVersion, o.Kind, o.Metadata.Namespace, o.Metadata.Name)
	if err != nil {
		return st, err
	}
	if live == nil {
		st.State, st.Message = Progressing, "not in the cluster: apply the render"
		return st, nil
	}
	if msg := differs(o, live); msg != "" {
		st.State, st.Message = Progressing, "differs from the render: "+msg
		return st, nil
	}
	switch o.Kind {
	case "Deployment":
		st.State, st.Message = rollout(live)
	case "StatefulSet":
		st.State, st.Message = statefulSetRollout(live)
	case "DaemonSet":
		st.State, st.Message = daemonSetRollout(live)
	case "Service":
		return ch.endpoints(ctx, o, st)
	default:
		st.State, st.Message = Healthy, "present"
	}
	return st, nil
}

// differs names the first field a release moves that the live object does
// not have as rendered ("" when none).
func differs(o *object, live map[string]interface{}) string {
	want := o.Raw
	eq := func(path ...string) string {
		w, l := dig(want, path...), dig(live, path...)
		if w == nil {
			return ""
		}
		if canonical(w) != canonical(l) {
			return fmt.Sprintf("%s is %s live, %s rendered", strings.Join(path, "."), orAbsent(l), canonical(w))
		}
		return ""
	}
	// What every workload's rollout moves: its size, its selector, its
	// pods' labels and images.
	workload := []func() string{
		func() string { return eq("spec", "replicas") },
		func() string { return eq("spec", "selector") },
		func() string {
			return subset("spec.template.metadata.labels", dig(want, "spec", "template", "metadata", "labels"), dig(live, "spec", "template", "metadata", "labels"))
		},
		func() string {
			return containerImages(dig(want, "spec", "template", "spec", "containers"), dig(live, "spec", "template", "spec", "containers"))
		},
	}
	var checks []func() string
	switch o.Kind {
	case "Deployment":
		checks = append(workload,
			func() string { return pausedDiffers(want, live) },
			func() string { return eq("spec", "strategy", "type") })
	case "Service":
		checks = []func() string{
			func() string { return eq("spec", "selector") },
			func() string { return eq("spec", "type") },
		}
	case "StatefulSet", "DaemonSet":
		checks = append(workload,
			func() string { return eq("spec", "updateStrategy", "type") },
			func() string { return partitionDiffers(want, live) })
	case "HorizontalPodAutoscaler":
		checks = []func() string{
			func() string { return eq("spec", "scaleTargetRef", "name") },
			func() string { return eq("spec", "minReplicas") },
			func() string { return eq("spec", "maxReplicas") },
		}
	case "HTTPRoute":
		checks = []func() string{func() string { return routeDiffers(want, live) }}
	case "PodDisruptionBudget":
		checks = []func() string{
			func() string { return eq("spec", "selector") },
			func() string { return eq("spec", "minAvailable") },
			func() string { return eq("spec", "maxUnavailable") },
		}
	}
	checks = append(checks, func() string {
		return subset("metadata.labels", dig(want, "metadata", "labels"), dig(live, "metadata", "labels"))
	})
	for _, c := range checks {
		if msg := c(); msg != "" {
			return msg
		}
	}
	return ""
}

// pausedDiffers compares a Deployment's spec.paused (absent is false).
func pausedDiffers(want, live map[string]interface{}) string {
	w, _ := dig(want, "spec", "paused").(bool)
	l, _ := dig(live, "spec", "paused").(bool)
	if w != l {
		return fmt.Sprintf("spec.paused is %v live, %v rendered", l, w)
	}
	return ""
}

// partitionDiffers compares a workload's update partition. A canary step
// moves only the partition, and a promote removes it: both ways, or the
// rollout of the step before would pass for this one's.
func partitionDiffers(want, live map[string]interface{}) string {
	w, l := dig(want, "spec", "updateStrategy", "rollingUpdate", "partition"), dig(live, "spec", "updateStrategy", "rollingUpdate", "partition")
	wn, _ := number(w)
	ln, _ := number(l)
	if wn != ln {
		return fmt.Sprintf("spec.updateStrategy.rollingUpdate.partition is %s live, %s rendered", orAbsent(l), orAbsent(w))
	}
	return ""
}

// routeDiffers compares what a split moves in an HTTPRoute: its rules,
// and in each rule the backendRefs with their weights and the mirror
// filters, with the API server's defaults (group "", kind Service, weight
// 1) filled in on both sides. A live route that is not split as rendered
// (the render's route apply failed, or another writer put the route as
// written back) sends requests by pod count, not by the step's weight.
func routeDiffers(want, live map[string]interface{}) string {
	w, l := rulesText(want), rulesText(live)
	if len(w) != len(l) {
		rules := "rules"
		if len(l) == 1 {
			rules = "rule"
		}
		return fmt.Sprintf("spec.rules holds %d %s live, %d rendered", len(l), rules, len(w))
	}
	for i := range w {
		if w[i].refs != l[i].refs {
			return fmt.Sprintf("spec.rules[%d].backendRefs are %s live, %s rendered", i, l[i].refs, w[i].refs)
		}
		if w[i].mirrors != l[i].mirrors {
			return fmt.Sprintf("spec.rules[%d] mirrors to %s live, %s rendered", i, orNone1(l[i].mirrors), orNone1(w[i].mirrors))
		}
	}
	return ""
}

// ruleText is a rule's backendRefs and mirror filters, written out with
// the API server's defaults.
type ruleText struct{ refs, mirrors string }

func rulesText(route map[string]interface{}) []ruleText {
	rules, _ := dig(route, "spec", "rules").([]interface{})
	out := make([]ruleText, len(rules))
	for i, r := range rules {
		rule, _ := r.(map[string]interface{})
		refs, _ := rule["backendRefs"].([]interface{})
		var rs []string
		for _, ref := range refs {
			m, _ := ref.(map[string]interface{})
			weight := "1"
			if v, ok := m["weight"]; ok {
				weight = canonical(v)
			}
			rs = append(rs, backendRef(m)+" weight "+weight)
		}
		out[i].refs = "[" + strings.Join(rs, ", ") + "]"
		filters, _ := rule["filters"].([]interface{})
		var ms []string
		for _, f := range filters {
			m, _ := f.(map[string]interface{})
			if m["type"] != "RequestMirror" {
				continue
			}
			ref, _ := dig(m, "requestMirror", "backendRef").(map[string]interface{})
			mirror := backendRef(ref)
			if p := dig(m, "requestMirror", "percent"); p != nil {
				mirror += " at " + canonical(p) + "%"
			}
			ms = append(ms, mirror)
		}
		out[i].mirrors = strings.Join(ms, ", ")
	}
	return out
}

// backendRef writes a backendRef as kind/name:port with the defaults.
func backendRef(m map[string]interface{}) string {
	group, _ := m["group"].(string)
	kind, _ := m["kind"].(string)
	if kind == "" {
		kind = "Service"
	}
	if group != "" {
		kind += "." + group
	}
	name, _ := m["name"].(string)
	if ns, _ := m["namespace"].(string); ns != "" {
		name = ns + "/" + name
	}
	out := kind + "/" + name
	if p, ok := m["port"]; ok {
		out += ":" + canonical(p)
	}
	return out
}

func orAbsent(v interface{}) string {
	if v == nil {
		return "absent"
	}
	return canonical(v)
}

// subset: every rendered label is live with its value.
func subset(path string, want, live interface{}) string {
	w, l := stringMap(want), stringMap(live)
	for _, k := range sortedKeys(w) {
		if lv, ok := l[k]; !ok || lv != w[k] {
			if !ok {
				lv = "absent"
			}
			return fmt.Sprintf("%s[%s] is %s live, %s rendered", path, k, lv, w[k])
		}
	}
	return ""
}

// containerImages: every rendered container runs its image live.
func containerImages(want, live interface{}) string {
	img := func(v interface{}) map[string]string {
		out := map[string]string{}
		list, _ := v.([]interface{})
		for _, c := range list {
			m, _ := c.(map[string]interface{})
			name, _ := m["name"].(string)
			out[name], _ = m["image"].(string)
		}
		return out
	}
	w, l := img(want), img(live)
	for _, name := range sortedKeys(w) {
		if l[name] != w[name] {
			return fmt.Sprintf("container %s runs %s live, %s rendered", name, orNone1(l[name]), w[name])
		}
	}
	return ""
}

func orNone1(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// liveNumber reads a number of a live object, 0 when absent.
func liveNumber(live map[string]interface{}, path ...string) int64 {
	n, _ := number(dig(live, path...))
	return n
}

// desiredReplicas is a live workload's spec.replicas, 1 (the API
// default) when absent.
func desiredReplicas(live map[string]interface{}) int64 {
	if n, ok := number(dig(live, "spec", "replicas")); ok {
		return n
	}
	return 1
}

// rollout judges a live Deployment as `kubectl rollout status` does: the
// controller saw the latest generation, every pod is updated, the old
// ones are gone, the new ones available; ProgressDeadlineExceeded fails.
func rollout(live map[string]interface{}) (State, string) {
	num := func(path ...string) int64 { return liveNumber(live, path...) }
	desired := desiredReplicas(live)
	gen, seen := num("metadata", "generation"), num("status", "observedGeneration")
	// Until the controller has seen the latest generation its conditions
	// are about the previous one: a deadline it passed is not this
	// rollout's (kubectl rollout status waits too).
	if conds, ok := dig(live, "status", "conditions").([]interface{}); ok && seen >= gen {
		for _, c := range conds {
			m, _ := c.(map[string]interface{})
			if m["type"] == "Progressing" && m["reason"] == "ProgressDeadlineExceeded" {
				return Failed, fmt.Sprintf("the rollout passed spec.progressDeadlineSeconds: %v", m["message"])
			}
		}
	}
	updated, total, available := num("status", "updatedReplicas"), num("status", "replicas"), num("status", "availableReplicas")
	paused, _ := dig(live, "spec", "paused").(bool)
	msg := ""
	switch {
	case seen < gen:
		msg = fmt.Sprintf("the deployment controller has not seen generation %d yet", gen)
	case updated < desired:
		msg = fmt.Sprintf("%d of %d pods updated", updated, desired)
	case total > updated:
		msg = fmt.Sprintf("%d old pods still running", total-updated)
	case available < updated:
		msg = fmt.Sprintf("%d of %d updated pods available", available, updated)
	}
	if msg != "" {
		if paused {
			msg += "; spec.paused is true, so the rollout does not go on"
		}
		return Progressing, msg
	}
	return Healthy, fmt.Sprintf("%d of %d pods updated and available", available, desired)
}

// statefulSetRollout judges a live StatefulSet as `kubectl rollout
// status` does: the controller saw the latest generation and every pod is
// ready; with a partition, the pods from the partition up run the update
// revision (a partitioned canary's rollout ends there), without one every
// pod does. Ready pods are counted as available, so minReadySeconds holds
// the gate too.
func statefulSetRollout(live map[string]interface{}) (State, string) {
	num := func(path ...string) int64 { return liveNumber(live, path...) }
	desired := desiredReplicas(live)
	if t, _ := dig(live, "spec", "updateStrategy", "type").(string); t == "OnDelete" {
		return Progressing, "spec.updateStrategy.type is OnDelete: the controller replaces no pod until it is deleted"
	}
	gen, seen := num("metadata", "generation"), num("status", "observedGeneration")
	available := num("status", "availableReplicas")
	updated := num("status", "updatedReplicas")
	current, update := dig(live, "status", "currentRevision"), dig(live, "status", "updateRevision")
	partition, partitioned := number(dig(live, "spec", "updateStrategy", "rollingUpdate", "partition"))
	switch {
	case seen == 0 || seen < gen:
		return Progressing, fmt.Sprintf("the statefulset controller has not seen generation %d yet", gen)
	case available < desired:
		return Progressing, fmt.Sprintf("%d of %d pods available", available, desired)
	case partitioned && updated < desired-partition:
		return Progressing, fmt.Sprintf("%d of the %d pods from the partition %d up updated", updated, max(desired-partition, 0), partition)
	case partitioned:
		return Healthy, fmt.Sprintf("%d of %d pods available, the %d from the partition %d up updated", available, desired, max(desired-partition, 0), partition)
	case current != update:
		return Progressing, fmt.Sprintf("%d of %d pods updated", updated, desired)
	}
	return Healthy, fmt.Sprintf("%d of %d pods updated and available", available, desired)
}

// daemonSetRollout judges a live DaemonSet as `kubectl rollout status`
// does: the controller saw the latest generation, and every node it
// schedules on runs an updated, available pod.
func daemonSetRollout(live map[string]interface{}) (State, string) {
	num := func(path ...string) int64 { return liveNumber(live, path...) }
	if t, _ := dig(live, "spec", "updateStrategy", "type").(string); t == "OnDelete" {
		return Progressing, "spec.updateStrategy.type is OnDelete: the controller replaces no pod until it is deleted"
	}
	gen, seen := num("metadata", "generation"), num("status", "observedGeneration")
	desired, updated, available := num("status", "desiredNumberScheduled"), num("status", "updatedNumberScheduled"), num("status", "numberAvailable")
	switch {
	case seen == 0 || seen < gen:
		return Progressing, fmt.Sprintf("the daemonset controller has not seen generation %d yet", gen)
	case updated < desired:
		return Progressing, fmt.Sprintf("%d of %d nodes run an updated pod", updated, desired)
	case available < desired:
		return Progressing, fmt.Sprintf("%d of %d nodes run an available pod", available, desired)
	}
	return Healthy, fmt.Sprintf("%d of %d nodes run an updated, available pod", updated, desired)
}

// podIndex maps the pods of a namespace to the workloads that own them: a
// Deployment by its name (through its ReplicaSets), a StatefulSet or
// DaemonSet as "Kind name".
type podIndex struct {
	owner map[string]string // pod name -> Deployment name ("" when none)
	ready map[string]bool   // pod name -> Ready condition
	live  map[string]bool   // every pod of the namespace
	// labels are each pod's labels: a partitioned canary's pods carry
	// another version label than the StatefulSet's other pods, so a
	// Service of the canary's version selects some of its pods only.
	labels map[string]map[string]string
}

func (ch *checker) podsIn(ctx context.Context, ns string) (*podIndex, error) {
	if p := ch.pods[ns]; p != nil {
		return p, nil
	}
	rss, err := ch.c.List(ctx, "apps/v1", "ReplicaSet", ns, "")
	if err != nil {
		return nil, err
	}
	rsOwner := map[string]string{}
	for _, rs := range rss {
		rsOwner[name(rs)] = controller(rs, "Deployment")
	}
	pods, err := ch.c.List(ctx, "v1", "Pod", ns, "")
	if err != nil {
		return nil, err
	}
	p := &podIndex{owner: map[string]string{}, ready: map[string]bool{}, live: map[string]bool{}, labels: map[string]map[string]string{}}
	for _, pod := range pods {
		n := name(pod)
		p.live[n] = true
		p.labels[n] = stringMap(dig(pod, "metadata", "labels"))
		if rs := controller(pod, "ReplicaSet"); rs != "" {
			p.owner[n] = rsOwner[rs]
		}
		for _, kind := range []string{"StatefulSet", "DaemonSet"} {
			if set := controller(pod, kind); set != "" {
				p.owner[n] = kind + " " + set
			}
		}
		if _, deleting := dig(pod, "metadata", "deletionTimestamp").(string); deleting {
			continue
		}
		conds, _ := dig(pod, "status", "conditions").([]interface{})
		for _, c := range conds {
			m, _ := c.(map[string]interface{})
			if m["type"] == "Ready" && m["status"] == "True" {
				p.ready[n] = true
			}
		}
	}
	ch.pods[ns] = p
	return p, nil
}

func name(o map[string]interface{}) string {
	s, _ := dig(o, "metadata", "name").(string)
	return s
}

// controller is the name of the owner of that kind that controls o.
func controller(o map[string]interface{}, kind string) string {
	refs, _ := dig(o, "metadata", "ownerReferences").([]interface{})
	for _, r := range refs {
		m, _ := r.(map[string]interface{})
		if m["kind"] == kind && m["controller"] == true {
			s, _ := m["name"].(string)
			return s
		}
	}
	return ""
}

// endpoints checks that a Service steered by the render reaches the ready
// pods of the rendered workloads it selects, and no other pod.
func (ch *checker) endpoints(ctx context.Context, o *object, st ObjectStatus) (ObjectStatus, error) {
	s := ch.r.services[nsName(o.Metadata.Namespace, o.Metadata.Name)]
	if len(s.Selector) == 0 {
		return ch.unmanaged(ctx, o, st)
	}
	want, sets := ch.r.selected(s), ch.r.selectedSets(s)
	if len(want) == 0 && len(sets) == 0 {
		st.State, st.Message = Healthy, "present (selects no rendered workload)"
		return st, nil
	}
	var names []string
	// expected are the owners of the pods the Service should reach: a
	// Deployment by its name (through its ReplicaSets), a StatefulSet or
	// DaemonSet by kind and name, as podIndex records them.
	expected := map[string]bool{}
	var desired int64
	for _, key := range want {
		n := ch.r.deployments[key].obj.Metadata.Name
		names = append(names, n)
		expected[n] = true
		desired += ch.r.replicas(key)
	}
	for _, key := range sets {
		ps := ch.r.podSets[key]
		names = append(names, ps.obj.Kind+" "+ps.obj.Metadata.Name)
		expected[ps.obj.Kind+" "+ps.obj.Metadata.Name] = true
		if ps.Replicas < 0 {
			desired++ // a DaemonSet: its pods are its nodes', unknown here
		} else {
			desired += ps.Replicas
		}
	}
	pods, slices, err := ch.podsAndSlices(ctx, o)
	if err != nil {
		return st, err
	}
	reached := map[string]bool{}
	var strays []string
	for _, sl := range slices {
		eps, _ := sl["endpoints"].([]interface{})
		for _, e := range eps {
			m, _ := e.(map[string]interface{})
			if ready, ok := dig(m, "conditions", "ready").(bool); ok && !ready {
				continue
			}
			if dig(m, "targetRef", "kind") != "Pod" {
				continue
			}
			pod, _ := dig(m, "targetRef", "name").(string)
			reached[pod] = true
			if owner := pods.owner[pod]; !expected[owner] {
				switch {
				case owner == "":
					strays = append(strays, "pod "+pod)
				case strings.Contains(owner, " "):
					strays = append(strays, "pod "+pod+" of "+owner)
				default:
					strays = append(strays, "pod "+pod+" of Deployment "+owner)
				}
			}
		}
	}
	sort.Strings(strays)
	var readyPods, missing int
	for pod, owner := range pods.owner {
		if expected[owner] && pods.ready[pod] && (!strings.Contains(owner, " ") || matches(s.Selector, pods.labels[pod])) {
			readyPods++
			if !reached[pod] {
				missing++
			}
		}
	}
	switch {
	case len(strays) > 0:
		st.State = Progressing
		st.Message = fmt.Sprintf("reaches %s, which the render does not select (not pruned yet?)", strings.Join(strays, ", "))
	case len(reached) == 0 && desired == 0:
		st.State = Healthy
		st.Message = fmt.Sprintf("no endpoints: the render runs no pod of %s", strings.Join(names, ", "))
	case len(reached) == 0:
		st.State = Progressing
		st.Message = fmt.Sprintf("no ready endpoints (the render selects the pods of %s)", strings.Join(names, ", "))
	case missing > 0:
		st.State = Progressing
		st.Message = fmt.Sprintf("endpoints reach %d of the %d ready pods of %s", readyPods-missing, readyPods, strings.Join(names, ", "))
	default:
		st.State = Healthy
		st.Message = fmt.Sprintf("endpoints reach the %d ready pods of %s and no others", len(reached), strings.Join(names, ", "))
	}
	return st, nil
}

// podsAndSlices reads the pods of a Service's namespace and the
// Service's EndpointSlices, which say which of them it reaches.
func (ch *checker) podsAndSlices(ctx context.Context, o *object) (*podIndex, []map[string]interface{}, error) {
	pods, err := ch.podsIn(ctx, o.Metadata.Namespace)
	if err != nil {
		return nil, nil, err
	}
	slices, err := ch.c.List(ctx, "discovery.k8s.io/v1", "EndpointSlice", o.Metadata.Namespace, "kubernetes.io/service-name="+o.Metadata.Name)
	if err != nil {
		return nil, nil, err
	}
	return pods, slices, nil
}

// unmanaged checks a Service without a selector: nothing keeps its
// endpoints up to date, so endpoints that name pods which no longer exist
// stay so, and the Service reaches nothing there.
func (ch *checker) unmanaged(ctx context.Context, o *object, st ObjectStatus) (ObjectStatus, error) {
	pods, slices, err := ch.podsAndSlices(ctx, o)
	if err != nil {
		return st, err
	}
	var gone []string
	for _, sl := range slices {
		eps, _ := sl["endpoints"].([]interface{})
		for _, e := range eps {
			m, _ := e.(map[string]interface{})
			if dig(m, "targetRef", "kind") != "Pod" {
				continue
			}
			if pod, _ := dig(m, "targetRef", "name").(string); !pods.live[pod] {
				gone = append(gone, pod)
			}
		}
	}
	sort.Strings(gone)
	if len(gone) > 0 {
		st.State = Failed
		st.Message = fmt.Sprintf("has no spec.selector, and its endpoints reach pods that no longer exist (%s): nothing updates them; allowed: a selector", strings.Join(gone, ", "))
		return st, nil
	}
	st.State, st.Message = Healthy, "present (no spec.selector: its endpoints are written by hand)"
	return st, nil
}
