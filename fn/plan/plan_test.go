package plan_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/fn/plan"
)

// planOf writes files into a directory and plans them like `rollspec plan`.
func planOf(t *testing.T, files map[string]string) []plan.ReleasePlan {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var errOut bytes.Buffer
	plans, err := fn.Plan([]string{dir}, nil, nil, &errOut)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, errOut.String())
	}
	return plans
}

const planDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.0
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: http}, initialDelaySeconds: 5}
`

// TestPlanReplicasAndImageTogether: 1 → 4 replicas with a new image. The
// controller scales the old ReplicaSet to 4 first, then rolls; the plan
// says so in its header and its steps, and its limits are the rolling
// phase's.
func TestPlanReplicasAndImageTogether(t *testing.T) {
	plans := planOf(t, map[string]string{
		"deployment.yaml": planDeployment,
		"release.yaml": `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: shop, annotations: {config.kubernetes.io/local-config: "true"}}
spec: {image: registry.example.com/web:2.0, replicas: 4, rolling: {profile: surge-first}}
`,
	})
	var out bytes.Buffer
	plan.WritePlanText(&out, plans)
	text := out.String()
	wantHeader := "Deployment web: 1→4 replicas with a new pod template: the controller first scales the old ReplicaSet to 4 (a scaling event), then rolls with maxSurge 1, maxUnavailable 0: at most 5 pods, and at least 4 available once the old ReplicaSet's pods are ready; a new pod is available ~5s after it starts"
	if !strings.Contains(text, wantHeader+"\n") {
		t.Errorf("no header %q in\n%s", wantHeader, text)
	}
	var got []string
	for _, s := range plans[0].Rollouts[0].Steps {
		got = append(got, s.Action)
	}
	want := []string{"start", "scale old 1→4", "scale new 0→1", "pods ready",
		"scale old 4→3", "scale new 1→2", "pods ready", "scale old 3→2", "scale new 2→3", "pods ready",
		"scale old 2→1", "scale new 3→4", "pods ready", "scale old 1→0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s\n%s", diff, text)
	}
	// The chart shows the old ReplicaSet's new pods as not ready yet.
	if !strings.Contains(text, ". old pod, not ready yet") || !strings.Contains(text, "2 |    .  .  o  o") {
		t.Errorf("the chart does not show old pods that are not ready:\n%s", text)
	}
}

// TestPlanStartupProbe: the kubelet runs no readiness probe before the
// startup probe succeeds, so a pod is ready no sooner than the startup
// probe's initial delay; the header also says how long the startup probe
// lets a pod take.
func TestPlanStartupProbe(t *testing.T) {
	tests := []struct {
		name        string
		probes      string
		wantReady   int64
		wantStartup int64
	}{
		{"readiness only", "readiness: {check: 'tcp:http', initialDelaySeconds: 5}", 5 + 3, 0},
		{"startup slower than readiness", "readiness: {check: 'tcp:http', initialDelaySeconds: 5}, startup: {check: 'http:http/healthz', initialDelaySeconds: 20, failureThreshold: 30, periodSeconds: 2}", 20 + 3, 20 + 60 + 3},
		{"startup with API defaults", "readiness: {check: 'tcp:http', initialDelaySeconds: 15}, startup: 'tcp:http'", 15 + 3, 30 + 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plans := planOf(t, map[string]string{
				"deployment.yaml": planDeployment,
				"release.yaml": `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: shop, annotations: {config.kubernetes.io/local-config: "true"}}
spec: {image: registry.example.com/web:2.0, minReadySeconds: 3, probes: {` + tc.probes + `}}
`,
			})
			ro := plans[0].Rollouts[0]
			if ro.ReadySeconds != tc.wantReady || ro.StartupLimit != tc.wantStartup {
				t.Errorf("ready %ds, startup limit %ds; want %ds, %ds", ro.ReadySeconds, ro.StartupLimit, tc.wantReady, tc.wantStartup)
			}
			if last := ro.Steps[len(ro.Steps)-1]; last.Time != tc.wantReady {
				t.Errorf("the rollout ends at %ds, want %ds (one pod, ready after %ds)", last.Time, tc.wantReady, tc.wantReady)
			}
		})
	}
}

// TestPlanAutoscaled: a Deployment without replicas that an autoscaler
// scales is planned at the autoscaler's minReplicas, with a note.
func TestPlanAutoscaled(t *testing.T) {
	plans := planOf(t, map[string]string{
		"deployment.yaml": strings.Replace(planDeployment, "  replicas: 1\n", "", 1),
		"hpa.yaml":        "{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: web, namespace: shop}, spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 3, maxReplicas: 9}}\n",
		"release.yaml": `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: shop, annotations: {config.kubernetes.io/local-config: "true"}}
spec: {image: registry.example.com/web:2.0, rolling: {profile: surge-first}}
`,
	})
	ro := plans[0].Rollouts[0]
	if ro.From != 3 || ro.Replicas != 3 || ro.ScalesFirst {
		t.Errorf("from %d to %d (scales first %v), want 3 to 3", ro.From, ro.Replicas, ro.ScalesFirst)
	}
	want := []string{"web: HorizontalPodAutoscaler web sets its replicas; planned at its minReplicas, 3 (the live count may be higher)"}
	if diff := cmp.Diff(want, plans[0].Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

// TestPlanHugeFleet: a fleet of two billion pods plans in the number of
// steps, not of pods: the plan stops at its step bound and says so, the
// chart stands for many pods a row, and the output stays small.
func TestPlanHugeFleet(t *testing.T) {
	for _, tc := range []struct {
		rolling       string
		steps         int
		truncated     bool
		chart, svgRow bool
	}{
		{rolling: "{maxSurge: 1, maxUnavailable: 0}", steps: plan.MaxPlanSteps, truncated: true},
		{rolling: "{maxSurge: 25%, maxUnavailable: 25%}", steps: 9, chart: true, svgRow: true},
	} {
		t.Run(tc.rolling, func(t *testing.T) {
			start := time.Now()
			plans := planOf(t, map[string]string{
				"deployment.yaml": strings.Replace(planDeployment, "replicas: 1", "replicas: 2000000000", 1),
				"release.yaml": `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: shop, annotations: {config.kubernetes.io/local-config: "true"}}
spec: {image: registry.example.com/web:2.0, rolling: ` + tc.rolling + `}
`,
			})
			ro := plans[0].Rollouts[0]
			if len(ro.Steps) != tc.steps || ro.Truncated != tc.truncated {
				t.Errorf("%d steps, truncated %v; want %d, %v", len(ro.Steps), ro.Truncated, tc.steps, tc.truncated)
			}
			var text, svg bytes.Buffer
			plan.WritePlanText(&text, plans)
			plan.WritePlanSVG(&svg, plans)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("planning took %v", d)
			}
			if text.Len() > 200_000 || svg.Len() > 200_000 {
				t.Errorf("output of %d (text) and %d (svg) bytes", text.Len(), svg.Len())
			}
			if got := strings.Contains(text.String(), "(each row is 62500000 pods)"); got != tc.chart {
				t.Errorf("chart with 62500000 pods a row: %v, want %v\n%s", got, tc.chart, text.String())
			}
			if got := strings.Contains(text.String(), "the plan stops after 1000 steps"); got != tc.truncated {
				t.Errorf("says it stops: %v, want %v", got, tc.truncated)
			}
			if got := strings.Contains(svg.String(), "more than a chart shows"); got == tc.svgRow {
				t.Errorf("svg leaves the chart out: %v, want %v", got, !tc.svgRow)
			}
		})
	}
}
