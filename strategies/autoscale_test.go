package strategies

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	asDeployment = `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop},
  spec: {REPLICAS selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web, tier: shop}},
  spec: {containers: [{name: web, image: 'web:1', readinessProbe: {tcpSocket: {port: 80}}}]}}}}`
	asHPA = `{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: web, namespace: shop},
  spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 8}}`
	asPDB       = `{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: web, namespace: shop}, spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}}`
	asBroadPDB  = `{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: shop, namespace: shop}, spec: {maxUnavailable: 1, selector: {matchLabels: {tier: shop}}}}`
	asOtherHPA  = `{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: api, namespace: shop}, spec: {scaleTargetRef: {kind: Deployment, name: api}, maxReplicas: 3}}`
	asTakenName = `{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: web-green, namespace: shop}, spec: {scaleTargetRef: {kind: Deployment, name: api}, maxReplicas: 3}}`
)

// summary describes what a blue/green render did to replicas, autoscalers
// and budgets, in one line per object, for comparison.
func summary(t Target, res Result) []string {
	var out []string
	for _, d := range res.Deployments {
		r := "no replicas"
		if n, ok := intField(d.YNode(), "spec", "replicas"); ok {
			r = fmt.Sprintf("replicas %d", n)
		}
		out = append(out, fmt.Sprintf("Deployment %s: %s", Name(d), r))
	}
	for _, list := range []struct {
		items []*yaml.RNode
		repl  map[int][]*yaml.RNode
	}{{t.Autoscalers, res.Autoscalers}, {t.Budgets, res.Budgets}} {
		for i, it := range list.items {
			nodes, ok := list.repl[i]
			if !ok {
				out = append(out, fmt.Sprintf("%s %s: untouched", Kind(it), Name(it)))
				continue
			}
			if len(nodes) == 0 {
				out = append(out, fmt.Sprintf("%s %s: dropped", Kind(it), Name(it)))
			}
			for _, n := range nodes {
				spec := path(n.YNode(), "spec")
				switch Kind(n) {
				case kindHPA:
					min, _ := intField(spec, "minReplicas")
					max, _ := intField(spec, "maxReplicas")
					out = append(out, fmt.Sprintf("HPA %s (role %s) -> %s, %d..%d", Name(n), role(n), scalar(path(spec, "scaleTargetRef", "name")), min, max))
				case kindPDB:
					out = append(out, fmt.Sprintf("PDB %s (role %s) selects %s", Name(n), role(n), readLabels(path(spec, "selector", "matchLabels"))))
				}
			}
		}
	}
	return out
}

// TestBlueGreenAutoscaled: each color gets an autoscaler targeting it (the
// idle color's pinned to the standby count, none when it has 0 replicas),
// Deployments carry replicas only where the manifest or the spec has
// them, budgets that select only the release's pods follow the colors,
// and what belongs to other workloads stays untouched.
func TestBlueGreenAutoscaled(t *testing.T) {
	tests := []struct {
		name     string
		replicas string // the Deployment's replicas field, "" for none
		spec     string
		extra    []string // more autoscalers and budgets in the namespace
		want     []string
		wantFind []Finding
	}{
		{
			name: "hot standby at the autoscaler's floor",
			spec: "{active: blue}",
			want: []string{
				"Deployment web-blue: no replicas", "Deployment web-green: no replicas",
				"HPA web-blue (role blue) -> web-blue, 2..8", "HPA web-green (role green) -> web-green, 2..2",
				"PDB web-blue (role blue) selects {app=web,rollspec.dev/color=blue}", "PDB web-green (role green) selects {app=web,rollspec.dev/color=green}",
			},
		},
		{
			name: "idle scaled down: replicas 0 and no autoscaler",
			spec: "{active: green, inactiveReplicas: 0}",
			want: []string{
				"Deployment web-blue: replicas 0", "Deployment web-green: no replicas",
				"HPA web-green (role green) -> web-green, 2..8",
				"PDB web-blue (role blue) selects {app=web,rollspec.dev/color=blue}", "PDB web-green (role green) selects {app=web,rollspec.dev/color=green}",
			},
		},
		{
			name: "a standby below the budget's minAvailable",
			spec: "{active: blue, inactiveReplicas: 1}",
			want: []string{
				"Deployment web-blue: no replicas", "Deployment web-green: no replicas",
				"HPA web-blue (role blue) -> web-blue, 2..8", "HPA web-green (role green) -> web-green, 1..1",
				"PDB web-blue (role blue) selects {app=web,rollspec.dev/color=blue}", "PDB web-green (role green) selects {app=web,rollspec.dev/color=green}",
			},
			wantFind: []Finding{{Warning, "spec.blueGreen.inactiveReplicas", `PodDisruptionBudget "web" keeps 2 pods available, but the idle color runs 1: none of its pods can be evicted, so node drains wait on them; allowed: spec.blueGreen.inactiveReplicas of at least 2, or 0`}},
		},
		{
			name:     "a replicas field in the manifest stays on both colors",
			replicas: "replicas: 3,",
			spec:     "{active: blue}",
			want: []string{
				"Deployment web-blue: replicas 3", "Deployment web-green: replicas 3",
				"HPA web-blue (role blue) -> web-blue, 2..8", "HPA web-green (role green) -> web-green, 3..3",
				"PDB web-blue (role blue) selects {app=web,rollspec.dev/color=blue}", "PDB web-green (role green) selects {app=web,rollspec.dev/color=green}",
			},
		},
		{
			name:  "other workloads' autoscalers and a broad budget stay",
			spec:  "{active: blue, inactiveReplicas: 0}",
			extra: []string{asOtherHPA, asBroadPDB},
			want: []string{
				"Deployment web-blue: no replicas", "Deployment web-green: replicas 0",
				"HPA web-blue (role blue) -> web-blue, 2..8", "HorizontalPodAutoscaler api: untouched",
				"PDB web-blue (role blue) selects {app=web,rollspec.dev/color=blue}", "PDB web-green (role green) selects {app=web,rollspec.dev/color=green}",
				"PodDisruptionBudget shop: untouched",
			},
			wantFind: []Finding{{Warning, "spec.strategy", `PodDisruptionBudget "shop" selects pods of both colors and, as its selector leaves out labels the Deployment selects on, maybe other workloads' pods: it is left as it is and counts both colors together; allowed: a budget whose selector includes the Deployment's selector labels, which rollspec splits by color`}},
		},
		{
			name:  "a generated name that another object has",
			spec:  "{active: blue}",
			extra: []string{asTakenName},
			want: []string{
				"Deployment web-blue: no replicas", "Deployment web-green: no replicas",
				"HPA web-blue (role blue) -> web-blue, 2..8", "HPA web-green (role green) -> web-green, 2..2", "HorizontalPodAutoscaler web-green: untouched",
				"PDB web-blue (role blue) selects {app=web,rollspec.dev/color=blue}", "PDB web-green (role green) selects {app=web,rollspec.dev/color=green}",
			},
			wantFind: []Finding{{Error, "spec.blueGreen", `the Release generates HorizontalPodAutoscaler "web-green" (role green), but the input already has one of that name that is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: green; allowed: rename or remove that object`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var bg BlueGreen
			if err := sigsyaml.UnmarshalStrict([]byte(tc.spec), &bg); err != nil {
				t.Fatal(err)
			}
			spec := &Spec{Strategy: StrategyBlueGreen, BlueGreen: &bg}
			tgt := Target{Release: "web", Spec: spec, Base: node(t, strings.Replace(asDeployment, "REPLICAS", tc.replicas, 1)),
				Autoscalers: []*yaml.RNode{node(t, asHPA)}, Budgets: []*yaml.RNode{node(t, asPDB)}}
			for _, e := range tc.extra {
				n := node(t, e)
				if Kind(n) == kindHPA {
					tgt.Autoscalers = append(tgt.Autoscalers, n)
				} else {
					tgt.Budgets = append(tgt.Budgets, n)
				}
			}
			res := Apply(tgt)
			if diff := cmp.Diff(tc.want, summary(tgt, res)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFind, res.Findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAutoscaledRoundTrip: rendering blue/green and then any strategy on
// that output gives back the user's autoscaler and budget, from the
// active color's copies; rolling on the original input leaves them as
// they are.
func TestAutoscaledRoundTrip(t *testing.T) {
	for _, active := range []string{RoleBlue, RoleGreen} {
		bg := &Spec{Strategy: StrategyBlueGreen, BlueGreen: &BlueGreen{Active: active}}
		first := Apply(Target{Release: "web", Spec: bg, Base: node(t, strings.Replace(asDeployment, "REPLICAS", "", 1)),
			Autoscalers: []*yaml.RNode{node(t, asHPA)}, Budgets: []*yaml.RNode{node(t, asPDB)}})
		svc := node(t, "{apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}, spec: {selector: {app: web, rollspec.dev/color: "+active+"}}}")
		next := Target{Release: "web", Spec: &Spec{Strategy: StrategyRolling}, Owned: first.Deployments, Services: []*yaml.RNode{svc},
			Autoscalers: first.Autoscalers[0], Budgets: first.Budgets[0]}
		next.Base = Rebase(next)
		res := Apply(next)
		for _, c := range []struct {
			got  map[int][]*yaml.RNode
			want string
		}{{res.Autoscalers, asHPA}, {res.Budgets, asPDB}} {
			if len(c.got) != 2 || len(c.got[0]) != 1 || len(c.got[1]) != 0 {
				t.Fatalf("active %s: want the first copy replaced by the plain object and the second dropped, got %v", active, c.got)
			}
			got, _ := c.got[0][0].MarshalJSON()
			want, _ := node(t, c.want).MarshalJSON()
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("active %s: rebuilt object (-want +got):\n%s", active, diff)
			}
		}
	}
}
