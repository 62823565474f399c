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
	for _, d := range res.Workloads {
		r := "no replicas"
		if n, ok := intField(d.YNode(), "spec", "replicas"); ok {
			r = fmt.Sprintf("replicas %d", n)
		}
		out = append(out, fmt.Sprintf("Deployment %s: %s", Name(d), r))
	}
	for _, list := range []struct {
		items []*yaml.RNode
		repl  map[int][]*yaml.RNode
	}{{t.Related[kindHPA], res.Related[kindHPA]}, {t.Related[kindPDB], res.Related[kindPDB]}} {
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
			tgt := testTarget("web", &bg, node(t, strings.Replace(asDeployment, "REPLICAS", tc.replicas, 1)))
			tgt.Related[kindHPA] = []*yaml.RNode{node(t, asHPA)}
			tgt.Related[kindPDB] = []*yaml.RNode{node(t, asPDB)}
			for _, e := range tc.extra {
				n := node(t, e)
				if Kind(n) == kindHPA {
					tgt.Related[kindHPA] = append(tgt.Related[kindHPA], n)
				} else {
					tgt.Related[kindPDB] = append(tgt.Related[kindPDB], n)
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
		tgt := testTarget("web", &BlueGreen{Active: active}, node(t, strings.Replace(asDeployment, "REPLICAS", "", 1)))
		tgt.Related[kindHPA] = []*yaml.RNode{node(t, asHPA)}
		tgt.Related[kindPDB] = []*yaml.RNode{node(t, asPDB)}
		first := Apply(tgt)
		svc := node(t, "{apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}, spec: {selector: {app: web, rollspec.dev/color: "+active+"}}}")
		next := testTarget("web", &Rolling{}, nil)
		next.Owned, next.Services = first.Workloads, []*yaml.RNode{svc}
		next.Related[kindHPA], next.Related[kindPDB] = first.Related[kindHPA][0], first.Related[kindPDB][0]
		next.Base = Rebase(next)
		res := Apply(next)
		for _, c := range []struct {
			got  map[int][]*yaml.RNode
			want string
		}{{res.Related[kindHPA], asHPA}, {res.Related[kindPDB], asPDB}} {
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

// testTarget builds the Target of a Deployment for a strategy's tests.
func testTarget(release string, s Strategy, base *yaml.RNode) Target {
	return Target{Options: &Options{Release: release, Strategy: s}, Workload: WorkloadOf(kindDeployment), Base: base, Related: map[string][]*yaml.RNode{}}
}

// specTarget builds the Target of a Deployment from a Release spec in
// YAML, as far as the strategies' tests need one: the strategy, its block
// and replicas.
func specTarget(t *testing.T, release, spec string, base *yaml.RNode) Target {
	t.Helper()
	var s struct {
		Strategy  string
		Replicas  *int64
		Image     string
		Probes    struct{ Readiness string }
		BlueGreen *BlueGreen `json:"blueGreen"`
		Canary    *Canary
	}
	if err := sigsyaml.UnmarshalStrict([]byte(spec), &s); err != nil {
		t.Fatal(err)
	}
	var st Strategy = &Rolling{}
	switch {
	case s.BlueGreen != nil:
		st = s.BlueGreen
	case s.Canary != nil:
		st = s.Canary
	}
	tgt := testTarget(release, st, base)
	tgt.Options.Replicas, tgt.Options.Image = s.Replicas, s.Image
	if s.Probes.Readiness != "" {
		chk, err := ParseCheck(s.Probes.Readiness)
		if err != nil {
			t.Fatal(err)
		}
		tgt.Options.Probes = []ProbeOptions{{Kind: "readiness", Path: "spec.probes.readiness", Check: &chk}}
	}
	return tgt
}
