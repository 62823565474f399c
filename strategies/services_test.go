package strategies

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestDerivedServiceShapes: the Service a preview or canary derives keeps
// the original's shape but nothing that addresses one Service only.
func TestDerivedServiceShapes(t *testing.T) {
	tests := []struct {
		name   string
		svc    string
		keepLB bool
		want   string
	}{
		{
			name: "ClusterIP drops its address",
			svc:  "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: 10.0.0.9, clusterIPs: [10.0.0.9], selector: {app: web}, ports: [{port: 80}]}}",
			want: "{apiVersion: v1, kind: Service, metadata: {name: web-preview, labels: {rollspec.dev/release: web, rollspec.dev/role: preview-service}}, spec: {selector: {app: web, rollspec.dev/color: green}, ports: [{port: 80}]}}",
		},
		{
			name: "headless stays headless",
			svc:  "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: None, clusterIPs: [None], selector: {app: web}, ports: [{port: 80}]}}",
			want: "{apiVersion: v1, kind: Service, metadata: {name: web-preview, labels: {rollspec.dev/release: web, rollspec.dev/role: preview-service}}, spec: {clusterIP: None, clusterIPs: [None], selector: {app: web, rollspec.dev/color: green}, ports: [{port: 80}]}}",
		},
		{
			name: "LoadBalancer becomes ClusterIP",
			svc:  "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 30001, loadBalancerClass: x/y, allocateLoadBalancerNodePorts: false, selector: {app: web}, ports: [{port: 80, nodePort: 30080}]}, status: {loadBalancer: {}}}",
			want: "{apiVersion: v1, kind: Service, metadata: {name: web-preview, labels: {rollspec.dev/release: web, rollspec.dev/role: preview-service}}, spec: {type: ClusterIP, selector: {app: web, rollspec.dev/color: green}, ports: [{port: 80}]}}",
		},
		{
			name:   "LoadBalancer kept on request",
			svc:    "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 30001, loadBalancerIP: 1.2.3.4, externalIPs: [1.2.3.5], selector: {app: web}, ports: [{port: 80, nodePort: 30080}]}}",
			keepLB: true,
			want:   "{apiVersion: v1, kind: Service, metadata: {name: web-preview, labels: {rollspec.dev/release: web, rollspec.dev/role: preview-service}}, spec: {type: LoadBalancer, externalTrafficPolicy: Local, selector: {app: web, rollspec.dev/color: green}, ports: [{port: 80}]}}",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := derivedService(node(t, tc.svc), "-preview", "web", RolePreviewService, LabelColor, RoleGreen, tc.keepLB)
			gotJSON, _ := got.MarshalJSON()
			wantJSON, _ := node(t, tc.want).MarshalJSON()
			if diff := cmp.Diff(string(wantJSON), string(gotJSON)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadBalancerOptIn: the per-Service opt-in names steered
// LoadBalancer Services, and needs the preview or canary Service it
// applies to.
func TestLoadBalancerOptIn(t *testing.T) {
	const lb = "{apiVersion: v1, kind: Service, metadata: {name: web-lb}, spec: {type: LoadBalancer, selector: {app: hexo}, ports: [{port: 80}]}}"
	const plain = "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: hexo}, ports: [{port: 80}]}}"
	tests := []struct {
		name string
		spec string
		want []Finding
	}{
		{
			name: "preview opt-in without preview",
			spec: "{strategy: blue-green, blueGreen: {active: blue, previewLoadBalancers: [web-lb]}}",
			want: []Finding{{Error, "spec.blueGreen.previewLoadBalancers", "is set without preview: true; allowed: previewLoadBalancers together with preview: true"}},
		},
		{
			name: "canary opt-in listed twice",
			spec: "{strategy: canary, canary: {image: 'nginx:2', weight: 10, service: true, serviceLoadBalancers: [web-lb, web-lb]}}",
			want: []Finding{{Error, "spec.canary.serviceLoadBalancers[1]", `"web-lb" is listed twice (also spec.canary.serviceLoadBalancers[0]); allowed: each Service once`}},
		},
		{
			name: "preview opt-in of a ClusterIP Service and of an unknown one",
			spec: "{strategy: blue-green, blueGreen: {active: blue, preview: true, previewLoadBalancers: [web, nope]}}",
			want: []Finding{
				{Error, "spec.blueGreen.previewLoadBalancers[0]", `Service "web" is of type ClusterIP, not LoadBalancer; allowed: steered Services of type LoadBalancer (web-lb)`},
				{Error, "spec.blueGreen.previewLoadBalancers[1]", `Service "nope" is not a Service the release steers; allowed: web-lb`},
				{Info, "spec.blueGreen.previewLoadBalancers", `Service "web-lb" is a LoadBalancer, so "web-lb-preview" is made a ClusterIP Service: a second load balancer would expose the idle color green publicly; reach it inside the cluster or with kubectl port-forward, or list "web-lb" in spec.blueGreen.previewLoadBalancers to keep the load balancer`},
			},
		},
		{
			name: "canary Service of a LoadBalancer kept",
			spec: "{strategy: canary, canary: {image: 'nginx:2', weight: 50, service: true, serviceLoadBalancers: [web-lb]}}",
			want: []Finding{
				{Info, "spec.canary", "the canary runs 1 of 2 pods (50.0% of the traffic that the Services spread by pod)"},
				{Info, "spec.canary.serviceLoadBalancers", `"web-lb-canary" is a second LoadBalancer, as spec.canary.serviceLoadBalancers asks: it exposes the canary pods outside the cluster`},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tgt := specTarget(t, "hexo", tc.spec, node(t, bgDeployment))
			got := tgt.Options.Strategy.Validate(tgt.Options)
			if !HasError(got) {
				tgt.Services = []*yaml.RNode{node(t, plain), node(t, lb)}
				got = Apply(tgt).Findings
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
