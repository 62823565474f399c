package workflow

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRouteShares: each backendRef of a rule takes its weight's share of
// the rule's requests, whether or not it leads to a Service; only core
// Services spread their share over the Deployments they select, by pods.
func TestRouteShares(t *testing.T) {
	const objects = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web:1}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-canary, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web, track: canary}}
  template: {metadata: {labels: {app: web, track: canary}}, spec: {containers: [{name: web, image: web:2}]}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  rules:
  - backendRefs: REFS
`
	cases := []struct {
		name string
		refs string
		want map[string]float64
	}{
		{name: "one Service spreads by pods", refs: `[{name: web, port: 80}]`,
			want: map[string]float64{"shop/web": 75, "shop/web-canary": 25}},
		{name: "a backend of another kind keeps its share", refs: `[{name: web, port: 80, weight: 50}, {group: multicluster.x-k8s.io, kind: ServiceImport, name: web, port: 80, weight: 50}]`,
			want: map[string]float64{"shop/web": 37.5, "shop/web-canary": 12.5}},
		{name: "a group other than core is not a Service", refs: `[{name: web, port: 80, weight: 1}, {group: example.com, name: web, port: 80, weight: 3}]`,
			want: map[string]float64{"shop/web": 18.75, "shop/web-canary": 6.25}},
		{name: "an unknown Service keeps its share", refs: `[{name: web, port: 80}, {name: other, port: 80}]`,
			want: map[string]float64{"shop/web": 37.5, "shop/web-canary": 12.5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := decodeStream([]byte(strings.Replace(objects, "REFS", c.refs, 1)))
			if err != nil {
				t.Fatal(err)
			}
			rules := r.routeShares()
			if len(rules) != 1 {
				t.Fatalf("want one rule, got %v", rules)
			}
			for _, rule := range rules {
				if diff := cmp.Diff(c.want, rule.shares); diff != "" {
					t.Errorf("shares (-want +got):\n%s", diff)
				}
			}
		})
	}
}
