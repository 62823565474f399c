package fn

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAttackRegressions replays the inputs of an adversarial review of the
// safety rules (testdata/attack: a ResourceList file runs through the KRM
// function, a directory through render). Each once lost, changed or took
// over a resource, or misled; each now gives the listed messages.
func TestAttackRegressions(t *testing.T) {
	const (
		copied      = `carries the labels rollspec.dev/release=web and rollspec.dev/role=%s, but the Release owns only the objects it generates for that role; it is left untouched; allowed: remove the labels from objects rollspec did not generate`
		noReadiness = `Release "default/web": spec.probes.readiness: container "web" has no readinessProbe: new pods take traffic before they are ready; set spec.probes.readiness`
		takenGreen  = `Release "default/web": spec.blueGreen: the Release generates Deployment "default/web-green" (role green), but the input already has Deployment "%s", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: green; allowed: rename or remove that object, or add both labels to hand it over to this Release`
		hpaReplicas = `Release "web": spec.replicas: HorizontalPodAutoscaler "web" scales Deployment "web" between 2 and 10: spec.replicas 5 is overridden by it, and every apply resets the live count to 5 until it scales again; allowed: leave spec.replicas out and set the autoscaler's minReplicas and maxReplicas`
	)
	f := func(format, arg string) string { return strings.Replace(format, "%s", arg, 1) }
	cases := []struct {
		input string
		fails bool
		want  []string
	}{
		// Copied labels on objects of other apps: untouched, warned about.
		{"01-hpa-copied-labels.yaml", false, []string{`Release "shop/web": metadata.name: HorizontalPodAutoscaler "shop/api-hpa-blue" ` + f(copied, "blue")}},
		{"01-pdb-copied-labels.yaml", false, []string{
			`Release "shop/web": metadata.name: PodDisruptionBudget "shop/api-pdb-blue" ` + f(copied, "blue"),
			`Release "shop/web": metadata.name: PodDisruptionBudget "shop/api-pdb-green" ` + f(copied, "green"),
		}},
		{"02-service-copied-labels.yaml", false, []string{`Release "shop/web": metadata.name: Service "shop/db-preview" ` + f(copied, "preview-service")}},
		// namespace: null is the default namespace; a key written twice is
		// read last and a merged kind is read: the names are taken.
		{"03-null-namespace.yaml", true, []string{noReadiness, f(takenGreen, "web-green")}},
		{"03-service-null-namespace.yaml", false, []string{noReadiness}},
		{"04-kind-from-merge-key.yaml", true, []string{noReadiness, f(takenGreen, "default/web-green")}},
		{"04-kind-twice.yaml", true, []string{noReadiness, f(takenGreen, "web-green")}},
		{"04-namespace-twice.yaml", true, []string{noReadiness, f(takenGreen, "default/web-green")}},
		{"05-local-config-target", true, []string{`Release "web": spec.deployment: Deployment "web" is local-config (config.kubernetes.io/local-config: "true"): no apply tool applies it, so releasing it changes nothing, and ` + "`rollspec render`" + ` would print it; allowed: a Deployment that is applied`}},
		// spec.services: [web] steers the Service called web now, whatever
		// the input order.
		{"06-service-name-order.yaml", false, []string{`Release "shop/web": spec.services: Service "prod-web" selects pods of both colors (selector {app=web}) while it is not steered; allowed: list it in spec.services so it follows spec.blueGreen.active, or give it a selector that excludes the release's pods`}},
		// Kinds of other API groups are not Deployments or Services.
		{"08-custom-deployment", false, nil},
		{"08-knative-service", true, []string{`Release "web": spec.services[0]: Service "web" not found in namespace "default"; allowed: a Service in the input, in the Deployment's namespace`}},
		{"10-prestop-longer", true, []string{`Release "web": spec.shutdown.preStopSleep: 60s is longer than the grace period of 30s, which the API server rejects; allowed: a sleep shorter than spec.shutdown.gracePeriod`}},
		{"12-two-releases-one-name", true, []string{`Release "web": metadata.name: Release "shop/web" and Release "web" both release into namespace "shop", and the label rollspec.dev/release holds only the name, so each would take the other's objects for its own; allowed: one Release of a name per namespace`}},
		{"13-canary.yaml", true, []string{`Release "web": spec.deployment: Deployment "web" cannot be released: its spec.strategy.rollingUpdate.maxSurge is not a single value; allowed: an integer >= 0 or a percent such as "25%"`}},
		{"13-negative-blue-green.yaml", true, []string{`Release "web": spec.deployment: Deployment "web" cannot be released: its spec.strategy.rollingUpdate.maxUnavailable is "-1"; allowed: an integer >= 0 or a percent such as "25%"`}},
		{"13-rolling.yaml", true, []string{`Release "web": spec.deployment: Deployment "web" cannot be released: its spec.strategy.rollingUpdate.maxSurge is not a single value; allowed: an integer >= 0 or a percent such as "25%"`}},
		{"14-min-over-int32.yaml", true, []string{`Release "web": spec.deployment: HorizontalPodAutoscaler "web" scales Deployment "web", and its minReplicas is "99999999999"; allowed: an integer from 1 to 2147483647 in decimal digits`}},
		{"14-min-zero.yaml", true, []string{`Release "web": spec.deployment: HorizontalPodAutoscaler "web" scales Deployment "web", and its minReplicas is "0"; allowed: an integer from 1 to 2147483647 in decimal digits`}},
		{"17-color-tag", false, []string{`warning: Release "web": spec.blueGreen.green.version: the version label is left as it was: "_x" is not a valid label value; allowed: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; set spec.blueGreen.green.version`}},
		{"17-duplicate-key-in-release", true, []string{`Release "web": spec.image: is set twice; allowed: each field once`}},
		{"17-only-canary.yaml", true, []string{`Release "web": spec.deployment: Deployment "web" not found in namespace "default", and what an earlier render generated for it (Deployment "web-canary") cannot stand in for it; allowed: the target Deployment in the input`}},
		{"17-port-map.yaml", true, []string{`Release "web": spec.probes.readiness: port "http" is not declared by container "web"; allowed: a list of ports (the container's ports are not a list)`, hpaReplicas}},
		{"17-replicas-null.yaml", false, []string{hpaReplicas}},
		{"17-self-conflict", true, []string{`Release "web": spec.services[1]: "prod-web" names Service "prod-web", which spec.services[0] names already (kustomize renamed it); allowed: each Service once`}},
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "attack"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(cases) {
		t.Errorf("%d inputs in testdata/attack, %d cases", len(entries), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.input, func(t *testing.T) {
			p := filepath.Join("testdata", "attack", tc.input)
			if strings.HasSuffix(p, ".yaml") {
				in, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				err = RunFunction(bytes.NewReader(in), &out, io.Discard)
				if (err != nil) != tc.fails {
					t.Fatalf("exit error %v, want failure %v", err, tc.fails)
				}
				if diff := cmp.Diff(tc.want, messages(t, out.Bytes(), "error", "warning")); diff != "" {
					t.Errorf("messages (-want +got):\n%s", diff)
				}
				if tc.fails {
					if diff := cmp.Diff(itemStrings(t, in), itemStrings(t, out.Bytes())); diff != "" {
						t.Errorf("items changed on error (-in +out):\n%s", diff)
					}
				}
				return
			}
			var out, errOut bytes.Buffer
			err := Render([]string{p}, nil, nil, &out, &errOut)
			if (err != nil) != tc.fails {
				t.Fatalf("exit error %v, want failure %v", err, tc.fails)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
				if l != "" && !strings.HasPrefix(l, "info: ") {
					got = append(got, l)
				}
			}
			if err != nil {
				got = append(got, strings.Split(err.Error(), "\n  ")[1:]...)
				if out.Len() > 0 {
					t.Errorf("stdout is not empty on error:\n%s", out.String())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}
