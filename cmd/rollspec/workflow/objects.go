package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"rollspec.dev/rollspec/strategies"
)

// object is a manifest of a rendered stream, with the fields diff and
// status read.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	// Raw is the whole object as JSON (what the API server would hold).
	Raw map[string]interface{} `json:"-"`
}

// ref names an object in messages: "Kind namespace/name".
func (o *object) ref() string {
	return o.Kind + " " + nsName(o.Metadata.Namespace, o.Metadata.Name)
}

// id is the object's identity in a stream.
func (o *object) id() string {
	return o.Kind + "/" + o.Metadata.Namespace + "/" + o.Metadata.Name
}

func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// deployment is what the checks read of a Deployment.
type deployment struct {
	obj          *object
	Replicas     *int64
	Selector     string // canonical JSON of spec.selector
	PodLabels    map[string]string
	Template     string // canonical JSON of spec.template
	Images       map[string]string
	StrategyType string // RollingUpdate when absent
	HasRolling   bool   // spec.strategy.rollingUpdate is written
	Unavailable  interface{}
	Paused       bool
}

// service is what the checks read of a Service.
type service struct {
	obj      *object
	Selector map[string]string
}

// rendered is a stream decoded for the checks, in stream order.
type rendered struct {
	objects     []*object
	deployments map[string]*deployment // by namespace/name
	services    map[string]*service
	// hpaMin is the minReplicas of the autoscaler that targets a
	// Deployment (namespace/name): its replica count when it has none.
	hpaMin map[string]int64
	// routes are the HTTPRoutes, in stream order.
	routes []*object
	// podSets are the StatefulSets and DaemonSets, by kind/namespace/name:
	// status checks the endpoints of the Services in front of their pods.
	podSets map[string]*podSet
}

// podSet is what status reads of a StatefulSet or DaemonSet.
type podSet struct {
	obj       *object
	PodLabels map[string]string
	// Replicas is a StatefulSet's pod count; -1 for a DaemonSet, whose
	// count is its nodes'.
	Replicas int64
}

// decodeStream reads a YAML stream of manifests.
func decodeStream(b []byte) (*rendered, error) {
	r := &rendered{deployments: map[string]*deployment{}, services: map[string]*service{}, hpaMin: map[string]int64{}, podSets: map[string]*podSet{}}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for i := 1; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(n.Content) == 0 {
			continue
		}
		text, err := yaml.Marshal(&n)
		if err != nil {
			return nil, err
		}
		o := &object{}
		if err := sigsyaml.Unmarshal(text, o); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if err := sigsyaml.Unmarshal(text, &o.Raw); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		r.add(o)
	}
	return r, nil
}

func (r *rendered) add(o *object) {
	r.objects = append(r.objects, o)
	key := nsName(o.Metadata.Namespace, o.Metadata.Name)
	switch o.Kind {
	case "Deployment":
		r.deployments[key] = readDeployment(o)
	case "StatefulSet", "DaemonSet":
		ps := &podSet{obj: o, PodLabels: stringMap(dig(o.Raw, "spec", "template", "metadata", "labels")), Replicas: -1}
		if o.Kind == "StatefulSet" {
			ps.Replicas = 1
			if n, ok := number(dig(o.Raw, "spec", "replicas")); ok {
				ps.Replicas = n
			}
		}
		if r.podSets == nil {
			r.podSets = map[string]*podSet{}
		}
		r.podSets[o.Kind+"/"+key] = ps
	case "Service":
		r.services[key] = &service{obj: o, Selector: stringMap(dig(o.Raw, "spec", "selector"))}
	case "HTTPRoute":
		r.routes = append(r.routes, o)
	case "HorizontalPodAutoscaler":
		if s, _ := dig(o.Raw, "spec", "scaleTargetRef", "kind").(string); s == "Deployment" {
			name, _ := dig(o.Raw, "spec", "scaleTargetRef", "name").(string)
			min := int64(1)
			if n, ok := number(dig(o.Raw, "spec", "minReplicas")); ok {
				min = n
			}
			r.hpaMin[nsName(o.Metadata.Namespace, name)] = min
		}
	}
}

func readDeployment(o *object) *deployment {
	d := &deployment{
		obj:          o,
		Selector:     canonical(dig(o.Raw, "spec", "selector")),
		PodLabels:    stringMap(dig(o.Raw, "spec", "template", "metadata", "labels")),
		Template:     canonical(dig(o.Raw, "spec", "template")),
		Images:       map[string]string{},
		StrategyType: "RollingUpdate",
		Unavailable:  dig(o.Raw, "spec", "strategy", "rollingUpdate", "maxUnavailable"),
	}
	if n, ok := number(dig(o.Raw, "spec", "replicas")); ok {
		d.Replicas = &n
	}
	if t, _ := dig(o.Raw, "spec", "strategy", "type").(string); t != "" {
		d.StrategyType = t
	}
	d.HasRolling = dig(o.Raw, "spec", "strategy", "rollingUpdate") != nil
	d.Paused, _ = dig(o.Raw, "spec", "paused").(bool)
	if cs, ok := dig(o.Raw, "spec", "template", "spec", "containers").([]interface{}); ok {
		for _, c := range cs {
			m, _ := c.(map[string]interface{})
			name, _ := m["name"].(string)
			img, _ := m["image"].(string)
			d.Images[name] = img
		}
	}
	return d
}

// replicas is a Deployment's pod count: spec.replicas, else its
// autoscaler's minimum, else the API default of 1.
func (r *rendered) replicas(key string) int64 {
	d := r.deployments[key]
	if d == nil {
		return 0
	}
	if d.Replicas != nil {
		return *d.Replicas
	}
	if n, ok := r.hpaMin[key]; ok {
		return n
	}
	return 1
}

// selected lists the Deployments (namespace/name, sorted) whose pods a
// Service's selector matches.
func (r *rendered) selected(s *service) []string {
	return selectedBy(s, r.deployments, func(d *deployment) (*object, map[string]string) { return d.obj, d.PodLabels })
}

// selectedSets lists the StatefulSets and DaemonSets (kind/namespace/name,
// sorted) whose pods a Service's selector matches.
func (r *rendered) selectedSets(s *service) []string {
	return selectedBy(s, r.podSets, func(ps *podSet) (*object, map[string]string) { return ps.obj, ps.PodLabels })
}

// selectedBy lists the keys (sorted) of the workloads in the Service's
// namespace whose pod labels its selector matches.
func selectedBy[W any](s *service, workloads map[string]W, pods func(W) (*object, map[string]string)) []string {
	if len(s.Selector) == 0 {
		return nil
	}
	var out []string
	for key, w := range workloads {
		if o, labels := pods(w); o.Metadata.Namespace == s.obj.Metadata.Namespace && matches(s.Selector, labels) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

func matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// dig walks nested maps.
func dig(v interface{}, path ...string) interface{} {
	for _, p := range path {
		m, ok := v.(map[string]interface{})
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func stringMap(v interface{}) map[string]string {
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil
	}
	out := map[string]string{}
	for k, x := range m {
		out[k] = fmt.Sprint(x)
	}
	return out
}

// number reads a JSON number (float64 after decoding) or an int64.
func number(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// canonical is a value as JSON with sorted keys, to compare by meaning.
func canonical(v interface{}) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// resolveUnavailable is maxUnavailable in pods for replicas, as the
// controller computes it (percents round down; 25% when unset).
func resolveUnavailable(v any, replicas int64) int64 {
	u, ok := strategies.ParseIntOrPercent(fmt.Sprint(v))
	if !ok {
		u = *strategies.Percent(25)
	}
	return u.Resolve(replicas, false)
}

// labelsOf renders a label set as k=v pairs, sorted.
func labelsOf(m map[string]string) string {
	return strings.Trim(strategies.Labels(m).String(), "{}")
}

// isCanaryTrack reports a canary Deployment rollspec generated.
func isCanaryTrack(d *deployment) bool {
	return d.obj.Metadata.Labels[strategies.LabelRole] == strategies.RoleCanary
}

// routeRule is what one HTTPRoute rule does with its requests.
type routeRule struct {
	label  string             // "HTTPRoute ns/name rule N", for messages
	shares map[string]float64 // Deployment (namespace/name) -> percent of the rule's requests
}

// routeShares gives, for each rule of each HTTPRoute, keyed by the route
// and the rule's matches (a rule added in front, such as a header match
// for the canary, leaves the others comparable), the percent of the rule's requests each Deployment
// (namespace/name) receives: a backendRef's weight share, spread over the
// Deployments its Service selects as the Service spreads it, by pods.
func (r *rendered) routeShares() map[string]routeRule {
	out := map[string]routeRule{}
	for _, o := range r.routes {
		rules, _ := dig(o.Raw, "spec", "rules").([]interface{})
		for i, rule := range rules {
			refs, _ := dig(rule, "backendRefs").([]interface{})
			type ref struct {
				svc    *service
				weight float64
			}
			var list []ref
			var total float64
			for _, x := range refs {
				m, _ := x.(map[string]interface{})
				w := int64(1) // the Gateway API default
				if n, ok := number(m["weight"]); ok {
					w = n
				}
				// Every backend takes its weight's share of the rule, a
				// Service or not; only core Services lead to Deployments.
				total += float64(w)
				group, _ := m["group"].(string)
				if k, _ := m["kind"].(string); group != "" || (k != "" && k != "Service") {
					continue
				}
				ns, _ := m["namespace"].(string)
				if ns == "" {
					ns = o.Metadata.Namespace
				}
				name, _ := m["name"].(string)
				if s := r.services[nsName(ns, name)]; s != nil {
					list = append(list, ref{s, float64(w)})
				}
			}
			if total == 0 {
				continue
			}
			shares := map[string]float64{}
			for _, b := range list {
				deps := r.selected(b.svc)
				var pods int64
				counts := make([]int64, len(deps))
				for i, d := range deps {
					counts[i] = r.replicas(d)
					pods += counts[i]
				}
				for i, d := range deps {
					if pods > 0 {
						shares[d] += 100 * b.weight / total * float64(counts[i]) / float64(pods)
					}
				}
			}
			out[o.id()+" "+canonical(dig(rule, "matches"))] = routeRule{fmt.Sprintf("%s rule %d", o.ref(), i+1), shares}
		}
	}
	return out
}
