package fn

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// trafficItems are a Deployment, its Service, another Service and a route
// to them, in namespace shop; REPLICAS and RULES are filled in.
const trafficItems = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    replicas: REPLICAS
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
        - name: web
          image: registry.example.com/web:1.0
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {tcpSocket: {port: http}}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec:
    selector: {app: web}
    ports: [{name: http, port: 80, targetPort: http}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: legacy, namespace: shop}
  spec:
    replicas: 2
    selector: {matchLabels: {app: legacy}}
    template:
      metadata: {labels: {app: legacy}}
      spec: {containers: [{name: legacy, image: 'registry.example.com/legacy:7'}]}
- apiVersion: v1
  kind: Service
  metadata: {name: legacy, namespace: shop}
  spec:
    selector: {app: legacy}
    ports: [{port: 8080}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: web, namespace: shop}
  spec:
    parentRefs: [{name: gateway, namespace: infra}]
    rules:
RULES
`

// release is a Release functionConfig for web with spec lines.
func trafficRelease(spec string) string {
	return "functionConfig:\n  apiVersion: rollspec.dev/v1alpha1\n  kind: Release\n  metadata: {name: web, namespace: shop}\n  spec:\n" + spec
}

// requestShares computes, from rendered objects alone, the share of the
// requests a route's rule sends to the release's pods that reaches the
// new pods, and to the current ones: each backendRef takes weight/Σweight
// of the rule's requests, and a Service spreads them evenly over the
// pods its selector matches (each Deployment's replicas, with its pod
// template labels). isNew says which Deployments run the new version.
// Requests that reach other pods (another app) are left out; a backendRef
// with a weight and no pod to take it is an error.
func requestShares(t *testing.T, objects []*yaml.RNode, rule *yaml.RNode, isNew func(deployment string) bool) (newShare, oldShare *big.Rat) {
	t.Helper()
	type pods struct {
		labels   map[string]string
		replicas int64
		name     string
	}
	var deployments []pods
	services := map[string]map[string]string{}
	for _, o := range objects {
		switch o.GetKind() {
		case "Deployment":
			var r int64 = 1
			if v, _ := o.Pipe(yaml.Lookup("spec", "replicas")); v != nil {
				fmt.Sscan(v.YNode().Value, &r)
			}
			deployments = append(deployments, pods{labels: stringMapAt(o, "spec", "template", "metadata", "labels"), replicas: r, name: o.GetName()})
		case "Service":
			services[o.GetName()] = stringMapAt(o, "spec", "selector")
		}
	}
	refs, _ := rule.Pipe(yaml.Lookup("backendRefs"))
	elems, _ := refs.Elements()
	total := big.NewRat(0, 1)
	weights := make([]*big.Rat, len(elems))
	for i, e := range elems {
		weights[i] = big.NewRat(1, 1)
		if w := e.Field("weight"); w != nil {
			var n int64
			fmt.Sscan(w.Value.YNode().Value, &n)
			weights[i] = big.NewRat(n, 1)
		}
		total.Add(total, weights[i])
	}
	newShare, oldShare = big.NewRat(0, 1), big.NewRat(0, 1)
	for i, e := range elems {
		if weights[i].Sign() == 0 {
			continue
		}
		name := yaml.GetValue(e.Field("name").Value)
		sel, ok := services[name]
		if !ok {
			t.Fatalf("backendRef %s names no Service of the output", name)
		}
		var all, fresh, mine int64
		for _, d := range deployments {
			if !selects(sel, d.labels) {
				continue
			}
			all += d.replicas
			if d.name == "web" || strings.HasPrefix(d.name, "web-") {
				mine += d.replicas
			}
			if isNew(d.name) {
				fresh += d.replicas
			}
		}
		if all == 0 {
			t.Fatalf("backendRef %s takes weight %s but its Service selects no pod", name, weights[i].RatString())
		}
		if mine == 0 {
			continue // another app's Service
		}
		part := new(big.Rat).Quo(weights[i], total)
		newShare.Add(newShare, new(big.Rat).Mul(part, big.NewRat(fresh, all)))
		oldShare.Add(oldShare, new(big.Rat).Mul(part, big.NewRat(mine-fresh, all)))
	}
	// Of the requests that reach the release's pods.
	sum := new(big.Rat).Add(newShare, oldShare)
	if sum.Sign() == 0 {
		t.Fatal("the rule sends no request to the release's pods")
	}
	return newShare.Quo(newShare, sum), oldShare.Quo(oldShare, sum)
}

func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func stringMapAt(n *yaml.RNode, path ...string) map[string]string {
	out := map[string]string{}
	m, _ := n.Pipe(yaml.Lookup(path...))
	if m == nil {
		return out
	}
	_ = m.VisitFields(func(f *yaml.MapNode) error {
		out[yaml.GetValue(f.Key)] = yaml.GetValue(f.Value)
		return nil
	})
	return out
}

// renderItems runs the function and returns the output items.
func renderItems(t *testing.T, input string) ([]*yaml.RNode, string) {
	t.Helper()
	out, err := runFunction([]byte(input))
	if err != nil {
		t.Fatalf("render failed: %v\n%s", err, out)
	}
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	items, _ := rl.Pipe(yaml.Lookup("items"))
	elems, _ := items.Elements()
	return elems, string(out)
}

func routeRules(t *testing.T, items []*yaml.RNode, name string) []*yaml.RNode {
	t.Helper()
	for _, o := range items {
		if o.GetKind() == "HTTPRoute" && o.GetName() == name {
			rules, _ := o.Pipe(yaml.Lookup("spec", "rules"))
			elems, _ := rules.Elements()
			return elems
		}
	}
	t.Fatalf("no HTTPRoute %s in the output", name)
	return nil
}

// TestTrafficExactShares renders a table of weights and replica counts
// and computes, from the rendered objects alone, the share of requests
// the new pods get: it is the weight, exactly, every time. A pod split
// cannot do that (10% of 3 replicas is 33%).
func TestTrafficExactShares(t *testing.T) {
	weights := []int64{0, 1, 2, 5, 10, 25, 33, 50, 67, 90, 99, 100}
	replicas := []int64{1, 2, 3, 5, 6, 10, 100}
	shapes := []struct {
		name, rules, spec string
		isNew             func(string) bool
	}{
		{name: "canary", rules: "    - backendRefs: [{name: web, port: 80}]\n",
			spec:  "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: W}\n    traffic: {routes: [web]}\n",
			isNew: func(d string) bool { return d == "web-canary" }},
		{name: "canary next to another backend", rules: "    - backendRefs: [{name: web, port: 80, weight: 7}, {name: legacy, port: 8080, weight: 3}]\n",
			spec:  "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', steps: [W], replicas: 1}\n    traffic: {routes: [web]}\n",
			isNew: func(d string) bool { return d == "web-canary" }},
		{name: "blue-green", rules: "    - matches: [{path: {type: PathPrefix, value: /}}]\n      backendRefs: [{name: web, port: 80}]\n",
			spec:  "    strategy: blue-green\n    blueGreen: {active: blue, green: {image: 'registry.example.com/web:2.0'}, weight: W}\n    traffic: {routes: [web]}\n",
			isNew: func(d string) bool { return d == "web-green" }},
	}
	for _, s := range shapes {
		for _, r := range replicas {
			for _, w := range weights {
				t.Run(fmt.Sprintf("%s/%d replicas/%d%%", s.name, r, w), func(t *testing.T) {
					input := strings.ReplaceAll(trafficItems, "REPLICAS", fmt.Sprint(r))
					input = strings.Replace(input, "RULES\n", s.rules, 1)
					input += trafficRelease(strings.ReplaceAll(s.spec, "W", fmt.Sprint(w)))
					items, _ := renderItems(t, input)
					rules := routeRules(t, items, "web")
					if len(rules) != 1 {
						t.Fatalf("%d rules, want the one rule", len(rules))
					}
					got, _ := requestShares(t, items, rules[0], s.isNew)
					if want := big.NewRat(w, 100); got.Cmp(want) != 0 {
						t.Errorf("the new pods get %s of the requests, want %s", got.RatString(), want.RatString())
					}
				})
			}
		}
	}
}

// TestTrafficHeaderAndMirror: the A/B rule sends requests with the header
// to the new pods only, ahead of the split rule (its matches are the
// split rule's plus the header, so it is the more specific); the mirror
// copies to the new pods only.
func TestTrafficHeaderAndMirror(t *testing.T) {
	input := strings.ReplaceAll(trafficItems, "REPLICAS", "3")
	input = strings.Replace(input, "RULES\n", "    - matches: [{path: {type: PathPrefix, value: /api}}, {path: {type: Exact, value: /}}]\n      backendRefs: [{name: web, port: 80}, {name: legacy, port: 8080}]\n", 1)
	input += trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web], header: {name: x-canary, value: always}, mirror: 20}\n")
	items, _ := renderItems(t, input)
	rules := routeRules(t, items, "web")
	if len(rules) != 2 {
		t.Fatalf("%d rules, want the A/B rule and the split rule", len(rules))
	}
	ab, split := rules[0], rules[1]
	if got, _ := requestShares(t, items, ab, func(d string) bool { return d == "web-canary" }); got.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("the A/B rule sends %s of its requests to the new pods, want all", got.RatString())
	}
	abMatches, _ := ab.Pipe(yaml.Lookup("matches"))
	splitMatches, _ := split.Pipe(yaml.Lookup("matches"))
	am, _ := abMatches.Elements()
	sm, _ := splitMatches.Elements()
	if len(am) != len(sm) {
		t.Fatalf("the A/B rule has %d matches, the split rule %d", len(am), len(sm))
	}
	for i := range sm {
		want := stringMapAt(sm[i], "path")
		if got := stringMapAt(am[i], "path"); !cmp.Equal(want, got) {
			t.Errorf("A/B match %d path %v, want the split rule's %v", i, got, want)
		}
		h, _ := am[i].Pipe(yaml.Lookup("headers", "0"))
		if got := stringMapAt(h, ""); !cmp.Equal(got, map[string]string{"name": "x-canary", "type": "Exact", "value": "always"}) {
			t.Errorf("A/B match %d header %v", i, got)
		}
	}
	mirror, _ := split.Pipe(yaml.Lookup("filters", "0", "requestMirror"))
	if mirror == nil {
		t.Fatal("the split rule has no mirror filter")
	}
	backend, _ := mirror.Pipe(yaml.Lookup("backendRef"))
	if got := stringMapAt(backend, ""); !cmp.Equal(got, map[string]string{"name": "web-canary", "port": "80"}) {
		t.Errorf("mirror backend %v, want web-canary:80", got)
	}
	if p := stringMapAt(mirror, "")["percent"]; p != "20" {
		t.Errorf("mirror percent %s, want 20", p)
	}
}

// routeBaseItems are the traffic test's objects with one split rule and
// an unrelated one.
func routeBaseItems(replicas string) string {
	input := strings.ReplaceAll(trafficItems, "REPLICAS", replicas)
	return strings.Replace(input, "RULES\n", `    - matches: [{path: {type: PathPrefix, value: /legacy}}]
      backendRefs: [{name: legacy, port: 8080}]
    - backendRefs: [{name: web, port: 80}]
`, 1)
}

const canaryAt5 = "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web], header: {name: x-canary, value: always}, mirror: 10}\n"

// rerender runs the function on its own output with another Release.
func rerender(t *testing.T, out, spec string) (string, error) {
	t.Helper()
	body := out[:strings.Index(out, "functionConfig:")]
	got, err := runFunction([]byte(body + trafficRelease(spec)))
	return string(got), err
}

// TestTrafficEditedRoute: a route edited after the render (kpt renders its
// own output in place) is given back with the edits that leave the split
// alone, and refused when the split it recorded is gone.
func TestTrafficEditedRoute(t *testing.T) {
	_, out := renderItems(t, routeBaseItems("4")+trafficRelease(canaryAt5))
	t.Run("an edit elsewhere survives the abort", func(t *testing.T) {
		edited := strings.Replace(out, "value: /legacy", "value: /old", 1)
		got, err := rerender(t, edited, "    strategy: rolling\n")
		if err != nil {
			t.Fatalf("abort failed: %v\n%s", err, got)
		}
		want := strings.Replace(routeBaseItems("4"), "value: /legacy", "value: /old", 1)
		wantItems, gotItems := itemStrings(t, []byte(want+"functionConfig: {}\n")), itemStrings(t, []byte(got))
		if diff := cmp.Diff(wantItems[len(wantItems)-1], gotItems[len(gotItems)-1]); diff != "" {
			t.Errorf("route after the abort (-want +got):\n%s", diff)
		}
	})
	for _, tc := range []struct{ name, old, new, problem string }{
		{"a split backendRef renamed", "{name: web-stable, port: 80, weight: 95}", "{name: web-main, port: 80, weight: 95}",
			"its rule with backendRefs [web-stable, web-canary] is gone or its backendRefs changed"},
		{"the A/B rule edited", "- name: x-canary", "- name: x-other", ""},
		{"the A/B rule gone", "- backendRefs:\n      - {name: web-canary, port: 80}\n", "- backendRefs:\n      - {name: legacy, port: 8080}\n",
			"the A/B rule before its rule with backendRefs [web-stable, web-canary] is gone or changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := strings.Replace(out, tc.old, tc.new, 1)
			if edited == out {
				t.Fatalf("the output has no %q to edit", tc.old)
			}
			got, err := rerender(t, edited, canaryAt5)
			if tc.problem == "" {
				// The A/B rule is rollspec's: an edit of it is replaced.
				if err != nil {
					t.Fatalf("re-render failed: %v\n%s", err, got)
				}
				if strings.Contains(got, "x-other") {
					t.Error("the edited A/B rule stayed next to the new one")
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error, got none:\n%s", got)
			}
			want := `HTTPRoute "web" carries rollspec.dev/traffic from an earlier render of Release "web", but ` + tc.problem
			if !strings.Contains(got, want) {
				t.Errorf("want a message with %q, got:\n%s", want, got)
			}
			if diff := cmp.Diff(itemStrings(t, []byte(edited)), itemStrings(t, []byte(got))); diff != "" {
				t.Errorf("items changed on error (-in +out):\n%s", diff)
			}
		})
	}
}

// TestTrafficBadInput: each check of spec.traffic fails the render with
// its message, the Release and the field path, and gives every item back
// unchanged.
func TestTrafficBadInput(t *testing.T) {
	base := routeBaseItems("4")
	canary := func(traffic string) string {
		return trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: " + traffic + "\n")
	}
	withRule := func(rule string) string {
		return strings.Replace(base, "    - backendRefs: [{name: web, port: 80}]\n", rule, 1)
	}
	secondRelease := `- apiVersion: rollspec.dev/v1alpha1
  kind: Release
  metadata: {name: api, namespace: shop, annotations: {config.kubernetes.io/local-config: "true"}}
  spec: {deployment: api, strategy: canary, canary: {image: 'api:2', weight: 5}, traffic: {routes: [web]}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: api, namespace: shop}
  spec:
    replicas: 2
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec: {containers: [{name: api, image: 'api:1', readinessProbe: {tcpSocket: {port: 80}}}]}
- apiVersion: v1
  kind: Service
  metadata: {name: api, namespace: shop}
  spec: {selector: {app: api}, ports: [{port: 80}]}
`
	cases := []struct {
		name, input string
		want        []string
	}{
		{name: "route missing", input: base + canary("{routes: [shop]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "shop" not found in namespace "shop" (it has web); allowed: the name of an HTTPRoute (gateway.networking.k8s.io) in the input, in the namespace of the Deployment`}},
		{name: "route names no steered Service", input: withRule("    - backendRefs: [{name: legacy, port: 8080}]\n") + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" has no backendRef to a steered Service (web); allowed: a route with a backendRef (group "", kind Service) that names one of them`}},
		{name: "a port the Service does not expose", input: withRule("    - backendRefs: [{name: web, port: 8080}]\n") + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].backendRefs[0] names port 8080 of Service "web", which exposes 80; allowed: one of the Service's ports`}},
		{name: "no port", input: withRule("    - backendRefs: [{name: web}]\n") + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].backendRefs[0] names Service "web" without a port (the API server rejects it); allowed: one of the Service's ports: 80`}},
		{name: "a generated Service in the route", input: withRule("    - backendRefs: [{name: web, port: 80}, {name: web-canary, port: 80}]\n") + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].backendRefs[1] names Service "web-canary", which rollspec generates for this Release and removes on promote and abort; allowed: backendRefs to the steered Services, which rollspec splits itself`}},
		{name: "the header is matched already", input: withRule("    - matches: [{headers: [{name: X-Canary, value: 'yes'}]}]\n      backendRefs: [{name: web, port: 80}]\n") + canary("{routes: [web], header: {name: x-canary, value: always}}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].matches[0] already matches header "X-Canary", so the A/B rule cannot add its own match on it; allowed: a spec.traffic.header.name that the steered rules do not match on`}},
		{name: "a weight that is not a number", input: withRule("    - backendRefs: [{name: web, port: 80, weight: heavy}]\n") + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].backendRefs[0] has weight "heavy"; allowed: an integer from 0 to 1000000`}},
		{name: "weights too large to split exactly", input: withRule("    - backendRefs: [{name: web, port: 80, weight: 999999}, {name: legacy, port: 8080, weight: 1}]\n") + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1]: an exact split needs weights above 1000000 (the HTTPRoute limit); allowed: smaller backendRef weights in the rule`}},
		{name: "too many rules with the A/B rules", input: withRule(strings.Repeat("    - matches: [{path: {type: PathPrefix, value: /x}}]\n      backendRefs: [{name: web, port: 80}]\n", 9)) + canary("{routes: [web], header: {name: x-canary, value: always}}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" would have 19 rules with the A/B rules, over the HTTPRoute limit of 16 (the API server rejects it); allowed: fewer rules, matches or backendRefs to steered Services in the route`}},
		{name: "a steered Service without a selector", input: strings.Replace(base, "    selector: {app: web}\n    ports: [{name: http", "    ports: [{name: http", 1) + trafficRelease("    services: [web]\n    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web]}\n"),
			want: []string{`Release "shop/web": spec.services[0]: HTTPRoute "web" rules[1].backendRefs[0] names Service "web", which has no selector of the Release's pods: rollspec splits requests through Services that select the steered Service's selector plus the track or color label, and with no selector they would select every such pod of the namespace; allowed: in spec.services and the routes, a Service whose spec.selector selects the Deployment's pods`}},
		{name: "a blue/green Service without a selector", input: strings.Replace(base, "    selector: {app: web}\n    ports: [{name: http", "    ports: [{name: http", 1) + trafficRelease("    services: [web]\n    strategy: blue-green\n    blueGreen: {active: blue, weight: 10}\n    traffic: {routes: [web]}\n"),
			want: []string{`Release "shop/web": spec.services[0]: HTTPRoute "web" rules[1].backendRefs[0] names Service "web", which has no selector of the Release's pods: rollspec splits requests through Services that select the steered Service's selector plus the track or color label, and with no selector they would select every such pod of the namespace; allowed: in spec.services and the routes, a Service whose spec.selector selects the Deployment's pods`}},
		{name: "the A/B header over the header matches limit", input: withRule("    - matches: [{headers: ["+strings.TrimSuffix(strings.Repeat("{name: h, value: v}, ", 16), ", ")+"]}]\n      backendRefs: [{name: web, port: 80}]\n") + canary("{routes: [web], header: {name: x-canary, value: always}}"),
			want: []string{`Release "shop/web": spec.traffic.header: HTTPRoute "web" rules[1].matches[0] would have 17 header matches with the A/B rule's, over the HTTPRoute limit of 16 (the API server rejects it); allowed: at most 15 header matches in each match of a steered rule, or no spec.traffic.header`}},
		{name: "the mirror over the filters limit", input: withRule("    - filters: ["+strings.TrimSuffix(strings.Repeat("{type: RequestMirror, requestMirror: {backendRef: {name: legacy, port: 8080}}}, ", 16), ", ")+"]\n      backendRefs: [{name: web, port: 80}]\n") + canary("{routes: [web], mirror: 10}"),
			want: []string{`Release "shop/web": spec.traffic.mirror: HTTPRoute "web" rules[1] would have 17 filters with the mirror filter, over the HTTPRoute limit of 16 (the API server rejects it); allowed: at most 15 filters in a steered rule, or no spec.traffic.mirror`}},
		{name: "two Releases steer one route", input: base + secondRelease + canary("{routes: [web]}"),
			want: []string{`Release "shop/api": spec.traffic.routes[0]: HTTPRoute "shop/web" is already steered by Release "shop/web"; allowed: one Release per HTTPRoute`}},
		{name: "the stable track label taken", input: strings.Replace(base, "metadata: {labels: {app: web}}", "metadata: {labels: {app: web, rollspec.dev/track: main}}", 1) + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic: Deployment "web" has the pod label rollspec.dev/track: "main"; allowed: "stable" or no such label, as the stable track's pods carry rollspec.dev/track: stable when requests are split through routes`}},
		{name: "blue/green weight for an idle color at 0", input: base + trafficRelease("    strategy: blue-green\n    blueGreen: {active: blue, weight: 10, inactiveReplicas: 0}\n    traffic: {routes: [web], header: {name: x-canary, value: always}}\n"),
			want: []string{
				`Release "shop/web": spec.blueGreen.weight: sends 10% of the requests to the idle color green, which has 0 replicas: those requests would fail; allowed: spec.blueGreen.inactiveReplicas above 0, or no weight`,
				`Release "shop/web": spec.traffic.header: sends requests with header x-canary to the idle color green, which has 0 replicas: those requests would fail; allowed: spec.blueGreen.inactiveReplicas above 0, or no header`,
			}},
		{name: "canary at 0 pods", input: base + trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5, replicas: 0}\n    traffic: {routes: [web]}\n"),
			want: []string{`Release "shop/web": spec.canary.replicas: 0 is below 1: the requests that spec.canary's weight and spec.traffic's header and mirror send to the canary would reach no pod; allowed: an integer >= 1 (delete the canary block to abort)`}},
		{name: "blue/green weight without traffic", input: base + trafficRelease("    strategy: blue-green\n    blueGreen: {active: blue, weight: 10}\n"),
			want: []string{`Release "shop/web": spec.blueGreen.weight: is set without spec.traffic: a blue/green pair splits requests only through routes; allowed: weight together with spec.traffic.routes`}},
		{name: "spec.traffic without routes", input: base + canary("{mirror: 10}"),
			want: []string{`Release "shop/web": spec.traffic.routes: is missing; allowed: the names of the HTTPRoutes whose backendRefs to the steered Services rollspec splits`}},
		{name: "a header name with a colon", input: base + canary("{routes: [web], header: {name: ':authority', value: x}}"),
			want: []string{`Release "shop/web": spec.traffic.header.name: ":authority" is not an HTTP header name; allowed: 1 to 256 letters, digits and !#$%&'*+-.^_` + "`" + `|~`}},
		{name: "a header value with a newline", input: base + canary(`{routes: [web], header: {name: x-canary, value: "a\nb"}}`),
			want: []string{`Release "shop/web": spec.traffic.header.value: "a\nb" is not a header value an HTTPRoute matches; allowed: 1 to 4096 printable ASCII characters, words separated by single spaces or tabs`}},
		{name: "mirror out of range", input: base + canary("{routes: [web], mirror: 0}"),
			want: []string{`Release "shop/web": spec.traffic.mirror: 0 is out of range; allowed: 1 to 100 (percent of requests copied to the new version; remove the field for no mirror)`}},
		{name: "a canary with traffic and no weight", input: base + trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', replicas: 2}\n    traffic: {routes: [web]}\n"),
			want: []string{`Release "shop/web": spec.canary: sets neither weight nor steps, and with spec.traffic they are the share of requests; allowed: weight or steps, and replicas for the canary's pod count`}},
		{name: "rules that are not a list", input: strings.Replace(base, "    rules:\n    - matches: [{path: {type: PathPrefix, value: /legacy}}]\n      backendRefs: [{name: legacy, port: 8080}]\n    - backendRefs: [{name: web, port: 80}]\n", "    rules: {backendRefs: [{name: web, port: 80}]}\n", 1) + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" has no backendRef to a steered Service (web); allowed: a route with a backendRef (group "", kind Service) that names one of them`}},
		{name: "backendRefs that are not a list", input: withRule("    - backendRefs: web\n") + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" has no backendRef to a steered Service (web); allowed: a route with a backendRef (group "", kind Service) that names one of them`}},
		{name: "a record that is not JSON", input: strings.Replace(base, "metadata: {name: web, namespace: shop}\n  spec:\n    parentRefs", "metadata: {name: web, namespace: shop, annotations: {rollspec.dev/traffic: '{not json'}}\n  spec:\n    parentRefs", 1) + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" has an annotation rollspec.dev/traffic that rollspec cannot read (invalid character 'n' looking for beginning of object key string); allowed: the annotation as rollspec wrote it, or the route as you wrote it without the annotation`}},
		{name: "a record of a split that is not there", input: strings.Replace(base, "metadata: {name: web, namespace: shop}\n  spec:\n    parentRefs", `metadata: {name: web, namespace: shop, annotations: {rollspec.dev/traffic: '{"release":"web","rules":[{"backendRefs":[{"name":"web","split":["web-stable","web-canary"]}]}]}'}}`+"\n  spec:\n    parentRefs", 1) + trafficRelease("    strategy: rolling\n"),
			want: []string{`Release "shop/web": spec.traffic: HTTPRoute "web" carries rollspec.dev/traffic from an earlier render of Release "web", but its rule with backendRefs [web-stable, web-canary] is gone or its backendRefs changed, so rollspec cannot give the route back as written; allowed: undo that edit of the rendered route, or put back the route as you wrote it (without the annotation)`}},
		{name: "a route another Release rendered", input: strings.Replace(base, "metadata: {name: web, namespace: shop}\n  spec:\n    parentRefs", `metadata: {name: web, namespace: shop, annotations: {rollspec.dev/traffic: '{"release":"api","rules":[]}'}}`+"\n  spec:\n    parentRefs", 1) + canary("{routes: [web]}"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" is steered by Release "api" (annotation rollspec.dev/traffic); allowed: one Release per route: list it in one Release's spec.traffic.routes; to hand it over from Release "api", render once with no Release listing it (Release "api" gives it back as written), then list it here, or put back the route as you wrote it (without the annotation)`}},
		{name: "a weight over 100", input: base + canary("{routes: [web]}") + "", // replaced below
			want: []string{`Release "shop/web": spec.canary.weight: 101 is out of range; allowed: 0 to 100 (percent of requests)`}},
	}
	cases[len(cases)-1].input = base + trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 101}\n    traffic: {routes: [web]}\n")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runFunction([]byte(tc.input))
			if err == nil {
				t.Fatalf("want a non-zero exit, got none; output:\n%s", got)
			}
			if diff := cmp.Diff(tc.want, resultMessages(t, got, "error")); diff != "" {
				t.Errorf("error messages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(itemStrings(t, []byte(tc.input)), itemStrings(t, got)); diff != "" {
				t.Errorf("items changed on error (-in +out):\n%s", diff)
			}
		})
	}
}

// TestTrafficWarnings: the traffic checks that do not stop the render.
func TestTrafficWarnings(t *testing.T) {
	base := routeBaseItems("4")
	cases := []struct {
		name, input string
		want        []string
		// info is an info message the render must give.
		info string
	}{
		{name: "a RegularExpression match next to the A/B rule",
			input: strings.Replace(base, "    - backendRefs: [{name: web, port: 80}]\n", "    - matches: [{path: {type: RegularExpression, value: '/v[0-9]+/.*'}}]\n      backendRefs: [{name: web, port: 80}]\n", 1) +
				trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web], header: {name: x-canary, value: always}}\n"),
			want: []string{
				`Release "shop/web": spec.traffic: Deployment "web" gets the pod label rollspec.dev/track: stable, which its pod template lacks, so that <service>-stable selects only the stable pods: the stable pods restart once, and until the first of them is ready <service>-stable has no endpoints for the 95% of requests it takes; add the label to the Deployment's pod template in a commit of its own before turning spec.traffic on (that restart keeps serving, as the Services select the pods by their other labels)`,
				`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].matches[0] uses a RegularExpression match, whose support and precedence are implementation-specific: whether requests with header x-canary: always reach the new pods ahead of it depends on the Gateway implementation; allowed: Exact and PathPrefix matches for a predictable A/B rule`,
			}},
		{name: "no restart when the template has the label",
			input: strings.Replace(base, "metadata: {labels: {app: web}}", "metadata: {labels: {app: web, rollspec.dev/track: stable}}", 1) +
				trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web]}\n")},
		{name: "an unsteered Service of the same pods in a split rule",
			input: strings.Replace(base, "    - backendRefs: [{name: web, port: 80}]\n", "    - backendRefs: [{name: web, port: 80}, {name: web-internal, port: 80}]\n", 1) +
				"- apiVersion: v1\n  kind: Service\n  metadata: {name: web-internal, namespace: shop}\n  spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}\n" +
				trafficRelease("    services: [web]\n    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 1}\n    traffic: {routes: [web]}\n"),
			want: []string{
				`Release "shop/web": spec.traffic: Deployment "web" gets the pod label rollspec.dev/track: stable, which its pod template lacks, so that <service>-stable selects only the stable pods: the stable pods restart once, and until the first of them is ready <service>-stable has no endpoints for the 99% of requests it takes; add the label to the Deployment's pod template in a commit of its own before turning spec.traffic on (that restart keeps serving, as the Services select the pods by their other labels)`,
				`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].backendRefs[1] names Service "web-internal", which is not steered and selects the pods of both versions: it spreads its share of the rule's requests over all of them, so the new version's share of the requests is not exactly the weight; allowed: that Service in spec.services, or that backendRef pointing elsewhere`,
			},
			info: `Release "shop/web": spec.canary: the canary takes 1% of the requests that the split backendRefs of HTTPRoute web carry, on 1 pod (not exactly 1% of all: see the warning on the unsteered Service); the stable track keeps 4 pods for the other 99%`},
		{name: "an unsteered Service of the same pods next to a blue/green split",
			input: strings.Replace(strings.Replace(base, "metadata: {labels: {app: web}}", "metadata: {labels: {app: web, rollspec.dev/track: stable}}", 1), "    - backendRefs: [{name: web, port: 80}]\n", "    - backendRefs: [{name: web, port: 80}, {name: web-internal, port: 80}]\n", 1) +
				"- apiVersion: v1\n  kind: Service\n  metadata: {name: web-internal, namespace: shop}\n  spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}\n" +
				trafficRelease("    services: [web]\n    strategy: blue-green\n    blueGreen: {active: blue, weight: 10}\n    traffic: {routes: [web]}\n"),
			want: []string{
				`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].backendRefs[1] names Service "web-internal", which is not steered and selects the pods of both versions: it spreads its share of the rule's requests over all of them, so the new version's share of the requests is not exactly the weight; allowed: that Service in spec.services, or that backendRef pointing elsewhere`,
				`Release "shop/web": spec.services: Service "web-internal" selects pods of both colors (selector {app=web}) while it is not steered; allowed: list it in spec.services so it follows spec.blueGreen.active, or give it a selector that excludes the release's pods`,
			},
			info: `Release "shop/web": spec.blueGreen.weight: the idle color green takes 10% of the requests that the split backendRefs of HTTPRoute web carry (not exactly 10% of all: see the warning on the unsteered Service), the active color blue the other 90%`},
		{name: "a backendRef by the Service's name before a kustomize namePrefix",
			input: strings.Replace(strings.Replace(base, "metadata: {labels: {app: web}}", "metadata: {labels: {app: web, rollspec.dev/track: stable}}", 1), "  metadata: {name: web, namespace: shop}\n  spec:\n    selector: {app: web}", "  metadata: {name: prod-web, namespace: shop, annotations: {internal.config.kubernetes.io/previousNames: web}}\n  spec:\n    selector: {app: web}", 1) +
				trafficRelease("    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web]}\n"),
			want: []string{`Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[1].backendRefs[0] names Service "web" by the name it had before kustomize renamed it "prod-web"; kustomize rewrites HTTPRoute backendRefs (after rollspec has run) only with a configurations: nameReference for them, and without one, once rollspec gives the route back (promote, abort), it names a Service that is not there; allowed: a nameReference for kind Service with fieldSpec kind HTTPRoute, path spec/rules/backendRefs/name (this warning stays, as rollspec cannot see it), or the Service's current name`}},
		{name: "header and mirror with a strategy of one version",
			input: base + trafficRelease("    traffic: {routes: [web], mirror: 10}\n"),
			want:  []string{`Release "shop/web": spec.traffic: header or mirror is set with strategy rolling, which runs one version: the routes stay as written; allowed: header and mirror with strategy canary or blue-green`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runFunction([]byte(tc.input))
			if err != nil {
				t.Fatalf("render failed: %v\n%s", err, got)
			}
			if diff := cmp.Diff(tc.want, resultMessages(t, got, "warning")); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if tc.info != "" && !slices.Contains(resultMessages(t, got, "info"), tc.info) {
				t.Errorf("no info %q in:\n%s", tc.info, strings.Join(resultMessages(t, got, "info"), "\n"))
			}
		})
	}
}

// resultMessages lists the messages of one severity in an output.
func resultMessages(t *testing.T, out []byte, severity string) []string {
	t.Helper()
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	var messages []string
	results, _ := rl.Pipe(yaml.Lookup("results"))
	if results == nil {
		return nil
	}
	elems, _ := results.Elements()
	for _, e := range elems {
		if yaml.GetValue(e.Field("severity").Value) == severity {
			messages = append(messages, yaml.GetValue(e.Field("message").Value))
		}
	}
	return messages
}

// TestTrafficRouteByteIdentical: after any steered render, promote and
// abort give every route back byte for byte as the input had it, with
// its comments, flow style and quoting, however many renders came
// between (kpt renders its own output in place).
func TestTrafficRouteByteIdentical(t *testing.T) {
	input := strings.Replace(routeBaseItems("6"), "    - backendRefs: [{name: web, port: 80}]\n", `    # the app
    - name: app
      matches:
      - path: {type: PathPrefix, value: "/"} # everything
      filters: []
      backendRefs:
      - {name: web, port: 80, weight: 3} # flow style
      - name: "legacy"
        port: 8080
        weight: 1
`, 1)
	steps := []string{
		"    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', steps: [1, 5, 50], step: 0}\n    traffic: {routes: [web], header: {name: x-canary, value: always}, mirror: 10}\n",
		"    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', steps: [1, 5, 50], step: 1}\n    traffic: {routes: [web], mirror: 10}\n",
		"    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', steps: [1, 5, 50], step: 2}\n    traffic: {routes: [web], header: {name: x-b, value: 'on'}}\n",
		"    strategy: blue-green\n    blueGreen: {active: blue, green: {image: 'registry.example.com/web:2.0'}, weight: 30}\n    traffic: {routes: [web], mirror: 1}\n",
	}
	for _, end := range []string{"    image: registry.example.com/web:2.0\n    traffic: {routes: [web]}\n", "    strategy: rolling\n"} {
		direct, err := runFunction([]byte(input + trafficRelease(end)))
		if err != nil {
			t.Fatalf("%q on the input failed: %v\n%s", end, err, direct)
		}
		out := input + trafficRelease(steps[0])
		got, err := runFunction([]byte(out))
		for i, s := range append(steps[1:], end) {
			if err != nil {
				t.Fatalf("step %d failed: %v\n%s", i, err, got)
			}
			var o string
			o, err = rerender(t, string(got), s)
			got = []byte(o)
		}
		if err != nil {
			t.Fatalf("%q failed: %v\n%s", end, err, got)
		}
		// The whole stream, byte for byte: the route as the input had it.
		if diff := cmp.Diff(string(direct), string(got)); diff != "" {
			t.Errorf("%q after every step differs from %q on the input (-input +steps):\n%s", strings.TrimSpace(end), strings.TrimSpace(end), diff)
		}
		items := itemStrings(t, got)
		if want := itemStrings(t, []byte(input+"functionConfig: {}\n")); !cmp.Equal(want[len(want)-1], items[len(items)-1]) {
			t.Errorf("the route is not the input's (-input +output):\n%s", cmp.Diff(want[len(want)-1], items[len(items)-1]))
		}
	}
}

// TestTrafficPlan: rollspec plan shows the share of requests next to the
// pod counts, read from the rendered route, and what the A/B rule and the
// mirror do.
func TestTrafficPlan(t *testing.T) {
	stream := func(spec string, rules ...string) string {
		input := routeBaseItems("6")
		if len(rules) == 2 {
			input = routeItems("6", rules[0]) + rules[1]
		}
		input += "- apiVersion: rollspec.dev/v1alpha1\n  kind: Release\n  metadata: {name: web, namespace: shop, annotations: {config.kubernetes.io/local-config: \"true\"}}\n  spec:\n" + spec
		items := itemStrings(t, []byte(input+"functionConfig: {}\n"))
		return strings.Join(items, "---\n")
	}
	for _, tc := range []struct {
		name, spec string
		want       []string
		// rules replace the route's rules, extra is added to the input.
		rules, extra string
	}{
		{name: "a split rule that gives the release nothing", spec: "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 1}\n    traffic: {routes: [web]}\n",
			rules: "    - name: old-clients\n      matches: [{path: {type: PathPrefix, value: /v1}}]\n      backendRefs: [{name: web, port: 80, weight: 0}, {name: legacy, port: 8080, weight: 1}]\n    - name: new-clients\n      matches: [{path: {type: PathPrefix, value: /v2}}]\n      backendRefs: [{name: web, port: 80, weight: 1}, {name: legacy, port: 8080, weight: 0}]\n",
			want: []string{
				"web: 6 pods, 99% of the requests (HTTPRoute web), registry.example.com/web:1.0",
				"web-canary: 1 pod, 1% of the requests (HTTPRoute web), registry.example.com/web:2.0",
			}},
		{name: "split rules that differ", spec: "    services: [web]\n    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 1}\n    traffic: {routes: [web]}\n",
			rules: "    - matches: [{path: {type: PathPrefix, value: /v1}}]\n      backendRefs: [{name: web, port: 80}]\n    - name: both\n      backendRefs: [{name: web, port: 80}, {name: web-internal, port: 80}]\n",
			extra: "- apiVersion: v1\n  kind: Service\n  metadata: {name: web-internal, namespace: shop}\n  spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}\n",
			want: []string{
				"web: 6 pods, 99% of the requests (HTTPRoute web rules[0]), 92.4% of the requests (HTTPRoute web rule both), registry.example.com/web:1.0",
				"web-canary: 1 pod, 1% of the requests (HTTPRoute web rules[0]), 7.6% of the requests (HTTPRoute web rule both), registry.example.com/web:2.0",
			}},
		{name: "canary at 5% with header and mirror", spec: canaryAt5, want: []string{
			"web: 6 pods, 95% of the requests (HTTPRoute web), registry.example.com/web:1.0",
			"web-canary: 1 pod, 5% of the requests (HTTPRoute web), registry.example.com/web:2.0",
			"HTTPRoute web: requests with header x-canary: always go to the new pods only; 10% of the requests are copied to the new pods too (responses discarded)",
		}},
		{name: "blue/green at 30%", spec: "    strategy: blue-green\n    blueGreen: {active: blue, green: {image: 'registry.example.com/web:2.0'}, weight: 30}\n    traffic: {routes: [web]}\n", want: []string{
			"web-blue: 6 pods of registry.example.com/web:1.0, selected by web, 70% of the requests (HTTPRoute web)",
			"web-green: 6 pods of registry.example.com/web:2.0, selected by web-preview, 30% of the requests (HTTPRoute web)",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := stream(tc.spec)
			if tc.rules != "" {
				in = stream(tc.spec, tc.rules, tc.extra)
			}
			plans, err := Plan([]string{"-"}, nil, strings.NewReader(in), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range plans[0].Notes {
				if strings.Contains(n, "request") {
					got = append(got, n)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan notes about requests (-want +got):\n%s", diff)
			}
		})
	}
}

// routeItems is trafficItems with replicas and the route's rules.
func routeItems(replicas, rules string) string {
	return strings.Replace(strings.ReplaceAll(trafficItems, "REPLICAS", replicas), "RULES\n", rules, 1)
}

// lastItem is the last item of a stream: the route in these inputs.
func lastItem(t *testing.T, stream string) string {
	t.Helper()
	if !strings.Contains(stream, "functionConfig:") {
		stream += "functionConfig: {}\n"
	}
	items := itemStrings(t, []byte(stream))
	return items[len(items)-1]
}

// TestTrafficRuleIdentity: a re-render finds each rule it split by the
// rule's own record (backendRefs with their group, kind, namespace and
// port; the rule's name or matches), never by position or by backendRef
// names alone; a rule it cannot tell apart from a copy is an error that
// names the rules, with every item unchanged.
func TestTrafficRuleIdentity(t *testing.T) {
	const canary = "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 1}\n    traffic: {routes: [web]}\n"
	const abort = "    strategy: rolling\n"
	// A rule to ServiceImports that happen to carry the generated names,
	// before the rule rollspec splits.
	imports := routeItems("6", `    - matches: [{path: {type: PathPrefix, value: /eu}}]
      backendRefs:
      - {group: multicluster.x-k8s.io, kind: ServiceImport, name: web-stable, port: 80}
      - {group: multicluster.x-k8s.io, kind: ServiceImport, name: web-canary, port: 80}
    - backendRefs: [{name: web, port: 80}]
`)
	// Two named rules that name the same backends with other weights.
	named := routeItems("6", `    - name: old-clients
      matches: [{path: {type: PathPrefix, value: /v1}}]
      backendRefs: [{name: web, port: 80, weight: 0}, {name: legacy, port: 8080, weight: 1}]
    - name: new-clients
      matches: [{path: {type: PathPrefix, value: /v2}}]
      backendRefs: [{name: web, port: 80, weight: 1}, {name: legacy, port: 8080, weight: 0}]
`)
	// The same without names: the matches tell them apart.
	unnamed := routeItems("6", `    - matches: [{path: {type: PathPrefix, value: /v1}}]
      backendRefs: [{name: web, port: 80, weight: 0}, {name: legacy, port: 8080, weight: 1}]
    - matches: [{path: {type: PathPrefix, value: /v2}}]
      backendRefs: [{name: web, port: 80, weight: 1}, {name: legacy, port: 8080, weight: 0}]
`)
	swap := func(out, first, second string) string {
		a, b := strings.Index(out, first), strings.Index(out, second)
		// The second rule ends where the route does: the next item, the
		// functionConfig or the end of the input.
		e := len(out)
		for _, end := range []string{"\n- apiVersion:", "\nfunctionConfig:"} {
			if i := strings.Index(out[b:], end); i >= 0 && b+i+1 < e {
				e = b + i + 1
			}
		}
		if a < 0 || b < a {
			t.Fatalf("cannot swap %q and %q in:\n%s", first, second, out)
		}
		return out[:a] + out[b:e] + out[a:b] + out[e:]
	}
	for _, tc := range []struct {
		name, input string
		// edit changes the rendered canary's output (a kpt user's edit).
		edit func(string) string
		// want is the route after the abort on the edited output (the
		// input's route when empty).
		want string
	}{
		{name: "a ServiceImport named like the generated Services", input: imports},
		{name: "named rules moved", input: named, edit: func(out string) string {
			return swap(out, "    - name: old-clients\n", "    - name: new-clients\n")
		}, want: swap(named, "    - name: old-clients\n", "    - name: new-clients\n")},
		{name: "unnamed rules moved", input: unnamed, edit: func(out string) string {
			return swap(out, "    - matches: [{path: {type: PathPrefix, value: /v1}}]\n", "    - matches: [{path: {type: PathPrefix, value: /v2}}]\n")
		}, want: swap(unnamed, "    - matches: [{path: {type: PathPrefix, value: /v1}}]\n", "    - matches: [{path: {type: PathPrefix, value: /v2}}]\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out := renderItems(t, tc.input+trafficRelease(canary))
			if tc.edit != nil {
				out = tc.edit(out)
			}
			again, err := rerender(t, out, canary)
			if err != nil {
				t.Fatalf("the same canary on its own output failed: %v\n%s", err, again)
			}
			if tc.edit == nil {
				if diff := cmp.Diff(out, again); diff != "" {
					t.Errorf("the same canary on its own output differs (-first +again):\n%s", diff)
				}
			}
			got, err := rerender(t, again, abort)
			if err != nil {
				t.Fatalf("abort failed: %v\n%s", err, got)
			}
			want := tc.want
			if want == "" {
				want = tc.input
			}
			if diff := cmp.Diff(lastItem(t, want), lastItem(t, got)); diff != "" {
				t.Errorf("route after the abort (-want +got):\n%s", diff)
			}
		})
	}

	// A copy of the split rule: told apart by its matches when they
	// differ; refused when nothing tells them apart.
	plain := routeItems("6", "    - matches:\n      - path:\n          type: PathPrefix\n          value: /\n      backendRefs:\n      - name: web\n        port: 80\n")
	_, out := renderItems(t, plain+trafficRelease(canary))
	rendered := "    - matches:\n      - path:\n          type: PathPrefix\n          value: /\n      backendRefs:\n      - name: web-stable\n        port: 80\n        weight: 99\n      - name: web-canary\n        port: 80\n        weight: 1\n"
	if !strings.Contains(out, rendered) {
		t.Fatalf("the rendered route has no rule %q:\n%s", rendered, out)
	}
	for _, tc := range []struct{ name, copied, spec, want, also string }{
		{name: "a copy with other matches, abort", copied: strings.Replace(rendered, "value: /\n", "value: /api\n", 1), spec: abort,
			want: `Release "shop/web": spec.traffic: HTTPRoute "web" rules[0].backendRefs[0] names Service "web-stable", which rollspec generates for this Release and removes on promote and abort; allowed: backendRefs to the steered Services, which rollspec splits itself`,
			also: `Release "shop/web": spec.traffic: HTTPRoute "web" rules[0].backendRefs[1] names Service "web-canary", which rollspec generates for this Release and removes on promote and abort; allowed: backendRefs to the steered Services, which rollspec splits itself`},
		{name: "an exact copy, abort", copied: rendered, spec: abort,
			want: `Release "shop/web": spec.traffic: HTTPRoute "web" carries rollspec.dev/traffic from an earlier render of Release "web", but rules[0] and rules[1] have the backendRefs of its rule with backendRefs [web-stable, web-canary] alike, and neither a rule name nor the matches tell which one it split (a copy of the rendered rule?), so rollspec cannot give the route back as written; allowed: undo that edit of the rendered route, or put back the route as you wrote it (without the annotation)`},
		{name: "an exact copy, the same canary", copied: rendered, spec: canary,
			want: `Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" carries rollspec.dev/traffic from an earlier render of Release "web", but rules[0] and rules[1] have the backendRefs of its rule with backendRefs [web-stable, web-canary] alike, and neither a rule name nor the matches tell which one it split (a copy of the rendered rule?), so rollspec cannot give the route back as written; allowed: undo that edit of the rendered route, or put back the route as you wrote it (without the annotation)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := strings.Replace(out, rendered, tc.copied+rendered, 1)
			got, err := rerender(t, edited, tc.spec)
			if err == nil {
				t.Fatalf("want an error, got none:\n%s", got)
			}
			want := []string{tc.want}
			if tc.also != "" {
				want = append(want, tc.also)
			}
			if diff := cmp.Diff(want, resultMessages(t, []byte(got), "error")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(itemStrings(t, []byte(edited)), itemStrings(t, []byte(got))); diff != "" {
				t.Errorf("items changed on error (-in +out):\n%s", diff)
			}
		})
	}
	t.Run("a copy with other matches, the same canary", func(t *testing.T) {
		edited := strings.Replace(out, rendered, strings.Replace(rendered, "value: /\n", "value: /api\n", 1)+rendered, 1)
		got, err := rerender(t, edited, canary)
		if err == nil {
			t.Fatalf("want an error, got none:\n%s", got)
		}
		want := `Release "shop/web": spec.traffic.routes[0]: HTTPRoute "web" rules[0].backendRefs[0] names Service "web-stable", which rollspec generates for this Release and removes on promote and abort; allowed: backendRefs to the steered Services, which rollspec splits itself`
		if msgs := resultMessages(t, []byte(got), "error"); len(msgs) == 0 || msgs[0] != want {
			t.Errorf("errors: want first %q, got %q", want, msgs)
		}
	})
}

// TestTrafficYAML11Strings: every rendered item reads the same to a YAML
// 1.1 reader (kubectl, Argo CD, the API server through sigs.k8s.io/yaml)
// as to a YAML 1.2 one: generated strings that YAML 1.1 takes for
// booleans (an A/B header or value yes, on, N; an image tag off as the
// version label) are written quoted.
func TestTrafficYAML11Strings(t *testing.T) {
	for _, tc := range []struct{ name, spec string }{
		{"header name and value", "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web], header: {name: 'on', value: 'yes'}}\n"},
		{"header value in another case", "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 5}\n    traffic: {routes: [web], header: {name: 'N', value: 'OFF'}}\n"},
		{"a tag that is a YAML 1.1 word", "    strategy: canary\n    canary: {image: 'registry.example.com/web:off', weight: 5}\n    traffic: {routes: [web], header: {name: x-canary, value: 'y'}}\n"},
		{"blue/green", "    strategy: blue-green\n    blueGreen: {active: blue, green: {image: 'registry.example.com/web:on'}, weight: 30}\n    traffic: {routes: [web], header: {name: x-b, value: 'no'}}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runFunction([]byte(routeBaseItems("4") + trafficRelease(tc.spec)))
			if err != nil {
				t.Fatalf("render failed: %v\n%s", err, got)
			}
			for _, item := range itemStrings(t, got) {
				var v12 interface{}
				if err := yaml.Unmarshal([]byte(item), &v12); err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(v12)
				j, err := sigsyaml.YAMLToJSON([]byte(item))
				if err != nil {
					t.Fatalf("a YAML 1.1 reader cannot read:\n%s\n%v", item, err)
				}
				var v11 interface{}
				if err := json.Unmarshal(j, &v11); err != nil {
					t.Fatal(err)
				}
				got, _ := json.Marshal(v11)
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("YAML 1.1 reads the item otherwise (-1.2 +1.1):\n%s\nitem:\n%s", diff, item)
				}
			}
		})
	}
}
