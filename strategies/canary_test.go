package strategies

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestCanaryReplicaSplit: weight percent of replicas, rounded up, at least
// 1 and at most replicas.
func TestCanaryReplicaSplit(t *testing.T) {
	weights := []int64{1, 10, 25, 33, 50, 99, 100}
	want := map[int64][]int64{ // replicas -> canary pods per weight
		1:  {1, 1, 1, 1, 1, 1, 1},
		2:  {1, 1, 1, 1, 1, 2, 2},
		3:  {1, 1, 1, 1, 2, 3, 3},
		4:  {1, 1, 1, 2, 2, 4, 4},
		5:  {1, 1, 2, 2, 3, 5, 5},
		6:  {1, 1, 2, 2, 3, 6, 6},
		7:  {1, 1, 2, 3, 4, 7, 7},
		8:  {1, 1, 2, 3, 4, 8, 8},
		9:  {1, 1, 3, 3, 5, 9, 9},
		10: {1, 1, 3, 4, 5, 10, 10},
	}
	for replicas := int64(1); replicas <= 10; replicas++ {
		var got []int64
		for _, w := range weights {
			w := w
			n, _ := CanaryReplicas(&Canary{Weight: &w}, replicas)
			got = append(got, n)
			// The same split through steps.
			step := int64(0)
			if ns, _ := CanaryReplicas(&Canary{Steps: []int64{w}, Step: &step}, replicas); ns != n {
				t.Errorf("replicas %d, steps [%d]: %d pods, weight gives %d", replicas, w, ns, n)
			}
		}
		if diff := cmp.Diff(want[replicas], got); diff != "" {
			t.Errorf("replicas %d (-want +got):\n%s", replicas, diff)
		}
	}
}

const canaryStable = `apiVersion: apps/v1
kind: Deployment
metadata: {name: hexo, namespace: devops}
spec:
  replicas: 6
  selector: {matchLabels: {app: hexo}}
  template:
    metadata:
      labels: {app: hexo} # pods of the stable track
    spec:
      containers:
      - name: hexo
        image: registry.sword.org/nginx:v2.0
        ports: [{name: http, containerPort: 80}]
`

// TestCanaryKeepsStableTemplate: at every step the stable Deployment's
// selector comes out exactly as it went in, and its pod template is the one
// the rolling release of the same spec renders (the release before the
// canary, or after its promote): a canary never changes the stable pods.
// Only replicas move.
func TestCanaryKeepsStableTemplate(t *testing.T) {
	steps := []struct {
		spec       string
		wantStable int64
		wantCanary int64
		wantFind   []string
	}{
		{"{strategy: canary, replicas: 6, canary: {image: 'registry.sword.org/hexo:v0.50', steps: [10, 50], step: 0}}", 5, 1, nil},
		{"{strategy: canary, replicas: 6, canary: {image: 'registry.sword.org/hexo:v0.50', steps: [10, 50], step: 1}}", 3, 3, nil},
		{"{strategy: canary, replicas: 6, canary: {image: 'registry.sword.org/hexo:v0.50', replicas: 2}, probes: {readiness: 'http:http/'}}", 4, 2, nil},
		{"{strategy: canary, image: 'registry.sword.org/nginx:v2.1', canary: {image: 'registry.sword.org/hexo:v0.50', weight: 100}}", 0, 6, []string{
			"the canary takes all 6 pods",
		}},
	}
	for _, st := range steps {
		in := node(t, canaryStable)
		rolling := specTarget(t, "hexo", st.spec, CopyRNode(in))
		rolling.Options.Strategy = &Rolling{}
		wantTemplate := mustLookup(t, Apply(rolling).Workloads[0], "spec", "template")
		wantSelector := mustLookup(t, in, "spec", "selector")
		res := Apply(specTarget(t, "hexo", st.spec, CopyRNode(in)))
		if len(res.Workloads) != 2 {
			t.Fatalf("%s: want stable and canary, got %d Deployments", st.spec, len(res.Workloads))
		}
		stable, canary := res.Workloads[0], res.Workloads[1]
		if diff := cmp.Diff(wantTemplate, mustLookup(t, stable, "spec", "template")); diff != "" {
			t.Errorf("%s: stable pod template differs from the rolling release's (-rolling +canary):\n%s", st.spec, diff)
		}
		if diff := cmp.Diff(wantSelector, mustLookup(t, stable, "spec", "selector")); diff != "" {
			t.Errorf("%s: stable selector changed (-in +out):\n%s", st.spec, diff)
		}
		if got := [2]int64{Replicas(stable), Replicas(canary)}; got != [2]int64{st.wantStable, st.wantCanary} {
			t.Errorf("%s: stable/canary replicas %v, want %d/%d", st.spec, got, st.wantStable, st.wantCanary)
		}
		sel := path(canary.YNode(), "spec", "selector")
		if !LabelSelectorMatches(sel, PodLabels(canary)) || PodLabels(canary)[LabelTrack] != "canary" {
			t.Errorf("%s: canary selector %s does not select its own pods %s", st.spec, mustLookup(t, canary, "spec", "selector"), PodLabels(canary))
		}
		for _, w := range st.wantFind {
			found := false
			for _, f := range res.Findings {
				found = found || strings.HasPrefix(f.Message, w)
			}
			if !found {
				t.Errorf("%s: no finding starting with %q in %+v", st.spec, w, res.Findings)
			}
		}
	}
}

func mustLookup(t *testing.T, n *yaml.RNode, p ...string) string {
	t.Helper()
	v, err := n.Pipe(yaml.Lookup(p...))
	if err != nil || v == nil {
		t.Fatalf("no %v in\n%s", p, n.MustString())
	}
	return v.MustString()
}

// TestCanaryAutoscaled: under an autoscaler the stable track keeps its
// replicas field as it was (absent in the normal shape, never 0), and the
// canary's count is the weight applied to the autoscaler's minReplicas, or
// canary.replicas.
func TestCanaryAutoscaled(t *testing.T) {
	const hpa = "{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: hexo, namespace: devops}, spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hexo}, minReplicas: MIN, maxReplicas: 10}}"
	noReplicas := strings.Replace(canaryStable, "  replicas: 6\n", "", 1)
	tests := []struct {
		name         string
		deployment   string
		min          string
		spec         string
		wantStable   string // the stable track's replicas field, "" when absent
		wantCanary   int64
		wantFindings []Finding
	}{
		{
			name: "10% of a floor of 2", deployment: noReplicas, min: "2",
			spec:         "{strategy: canary, canary: {image: 'registry.sword.org/hexo:v0.50', weight: 10}}",
			wantCanary:   1,
			wantFindings: []Finding{{Info, "spec.canary", `the canary runs 1 pod beside the stable track, which HorizontalPodAutoscaler "hexo" keeps between 2 and 10 pods: 33.3% of the traffic that the Services spread by pod at its minimum, less as it scales up; asked for 10%, rounded up to whole pods; the autoscaler's metrics count the canary pods too (its Deployment's selector matches them)`}},
		},
		{
			name: "100% never empties the stable track", deployment: noReplicas, min: "3",
			spec:         "{strategy: canary, canary: {image: 'registry.sword.org/hexo:v0.50', weight: 100}}",
			wantCanary:   3,
			wantFindings: []Finding{{Info, "spec.canary", `the canary runs 3 pods beside the stable track, which HorizontalPodAutoscaler "hexo" keeps between 3 and 10 pods: 50.0% of the traffic that the Services spread by pod at its minimum, less as it scales up; the autoscaler's metrics count the canary pods too (its Deployment's selector matches them)`}},
		},
		{
			name: "canary.replicas above the floor", deployment: noReplicas, min: "2",
			spec:         "{strategy: canary, canary: {image: 'registry.sword.org/hexo:v0.50', replicas: 3}}",
			wantCanary:   3,
			wantFindings: []Finding{{Info, "spec.canary", `the canary runs 3 pods beside the stable track, which HorizontalPodAutoscaler "hexo" keeps between 2 and 10 pods: 60.0% of the traffic that the Services spread by pod at its minimum, less as it scales up; the autoscaler's metrics count the canary pods too (its Deployment's selector matches them)`}},
		},
		{
			name: "a replicas field in the manifest stays, not lowered", deployment: canaryStable, min: "2",
			spec:       "{strategy: canary, canary: {image: 'registry.sword.org/hexo:v0.50', weight: 50}}",
			wantStable: "6", wantCanary: 1,
			wantFindings: []Finding{{Info, "spec.canary", `the canary runs 1 pod beside the stable track, which HorizontalPodAutoscaler "hexo" keeps between 2 and 10 pods: 33.3% of the traffic that the Services spread by pod at its minimum, less as it scales up; the autoscaler's metrics count the canary pods too (its Deployment's selector matches them)`}},
		},
		{
			name: "spec.replicas is written and warned about", deployment: noReplicas, min: "2",
			spec:       "{strategy: canary, replicas: 4, canary: {image: 'registry.sword.org/hexo:v0.50', weight: 50}}",
			wantStable: "4", wantCanary: 1,
			wantFindings: []Finding{
				{Info, "spec.canary", `the canary runs 1 pod beside the stable track, which HorizontalPodAutoscaler "hexo" keeps between 2 and 10 pods: 33.3% of the traffic that the Services spread by pod at its minimum, less as it scales up; the autoscaler's metrics count the canary pods too (its Deployment's selector matches them)`},
				{Warning, "spec.replicas", `HorizontalPodAutoscaler "hexo" scales Deployment "hexo" between 2 and 10: spec.replicas 4 is overridden by it, and every apply resets the live count to 4 until it scales again; allowed: leave spec.replicas out and set the autoscaler's minReplicas and maxReplicas`},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := node(t, strings.Replace(hpa, "MIN", tc.min, 1))
			before := h.MustString()
			tgt := specTarget(t, "hexo", tc.spec, node(t, tc.deployment))
			tgt.Related[kindHPA] = []*yaml.RNode{h}
			res := Apply(tgt)
			stable, canary := res.Workloads[0], res.Workloads[1]
			got := ""
			if n := path(stable.YNode(), "spec", "replicas"); n != nil {
				got = n.Value
			}
			if got != tc.wantStable || Replicas(canary) != tc.wantCanary {
				t.Errorf("stable replicas %q, canary %d; want %q, %d", got, Replicas(canary), tc.wantStable, tc.wantCanary)
			}
			if diff := cmp.Diff(tc.wantFindings, res.Findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if len(res.Related[kindHPA]) != 0 || h.MustString() != before {
				t.Errorf("the autoscaler changed: %v\n%s", res.Related[kindHPA], h.MustString())
			}
		})
	}
}
