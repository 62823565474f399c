package fn

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// The safety cases feed the function input that tries to make it lose,
// corrupt or take over a resource: objects that carry rollspec's labels
// without being its own, names that collide with what it generates, YAML
// anchors and merge keys, hostile sizes, malformed objects and values the
// API server would reject.

// safeWeb is the Deployment and Service most cases start from; the
// readiness probe keeps the "no readinessProbe" warning out of the way.
const safeWeb = `
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    replicas: 4
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
        - name: web
          image: registry.example.com/web:1.0
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /ready, port: http}}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec:
    selector: {app: web}
    ports: [{port: 80, targetPort: http}]
`

// safeRelease is a Release item for web in shop; cases append spec lines.
const safeRelease = `
- apiVersion: rollspec.dev/v1alpha1
  kind: Release
  metadata:
    name: web
    namespace: shop
    annotations: {config.kubernetes.io/local-config: "true"}
  spec:
`

const (
	blueGreen = "    strategy: blue-green\n    blueGreen: {active: blue}\n"
	preview   = "    strategy: blue-green\n    blueGreen: {active: blue, preview: true}\n"
	canary10  = "    strategy: canary\n    canary: {image: 'registry.example.com/web:2.0', weight: 10}\n"
)

// labelledDeployment is a Deployment named name in ns that carries
// rollspec's labels for release web and role.
func labelledDeployment(name, ns, role string) string {
	return fmt.Sprintf(`
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: %s
    namespace: %s
    labels: {rollspec.dev/release: web, rollspec.dev/role: %s}
  spec:
    replicas: 5
    selector: {matchLabels: {app: %s}}
    template:
      metadata: {labels: {app: %s}}
      spec:
        containers: [{name: app, image: 'registry.example.com/%s:7'}]
`, name, ns, role, name, name, name)
}

// plainService is a Service named name in shop that selects app.
func plainService(name, app, labels string) string {
	return fmt.Sprintf(`
- apiVersion: v1
  kind: Service
  metadata: {name: %s, namespace: shop%s}
  spec:
    selector: {app: %s}
    ports: [{port: 80}]
`, name, labels, app)
}

// anchoredWeb is web with one anchor for its labels, selector and pod
// labels, and an unrelated ConfigMap whose anchors must survive.
const anchoredWeb = `
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    labels: &labels {app: web}
  spec:
    replicas: 4
    selector: {matchLabels: *labels}
    template:
      metadata: {labels: *labels}
      spec:
        containers:
        - &web
          name: web
          image: registry.example.com/web:1.0
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /ready, port: http}}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec:
    selector: {app: web}
    ports: [{port: 80, targetPort: http}]
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: anchored, namespace: shop}
  data: {a: &v value, b: *v}
`

// aliasBomb is a flow mapping of a few hundred bytes whose aliases expand
// to 10^9 nodes.
var aliasBomb = func() string {
	var b strings.Builder
	b.WriteString("{a0: &a0 [x, x, x, x, x, x, x, x, x, x]")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, ", a%d: &a%d [", i, i)
		for k := 0; k < 10; k++ {
			if k > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]")
	}
	return b.String() + "}"
}()

type safetyCase struct {
	name  string
	items string // the items of the ResourceList
	fc    string // the functionConfig, if any
	// fails says the function must exit non-zero with the items unchanged.
	fails bool
	// want are the error and warning messages, in order.
	want []string
	// untouched are the objects ("Kind ns/name") that must come out
	// byte-identical to how they came in.
	untouched []string
	// check looks at the output items of a run that succeeds.
	check func(t *testing.T, out []*yaml.RNode)
}

func TestSafety(t *testing.T) {
	for _, tc := range safetyCases() {
		t.Run(tc.name, func(t *testing.T) { runSafetyCase(t, tc) })
	}
}

func safetyCases() []safetyCase {
	return []safetyCase{
		// Take-over by labels.
		{name: "labelled payments-blue is not web's blue", items: safeWeb + labelledDeployment("payments-blue", "shop", "blue") + safeRelease + blueGreen,
			want:      []string{`Release "shop/web": metadata.name: Deployment "shop/payments-blue" carries the labels rollspec.dev/release=web and rollspec.dev/role=blue, but the Release owns only Deployment "shop/web-blue" for that role; it is left untouched; allowed: remove the labels from objects rollspec did not generate`},
			untouched: []string{"Deployment shop/payments-blue"},
			check: func(t *testing.T, out []*yaml.RNode) {
				wantNames(t, out, "Deployment", "web-blue", "web-green", "payments-blue")
			}},
		{name: "labelled payments is not web's canary", items: safeWeb + labelledDeployment("payments", "shop", "canary") + safeRelease + canary10,
			want:      []string{`Release "shop/web": metadata.name: Deployment "shop/payments" carries the labels rollspec.dev/release=web and rollspec.dev/role=canary, but the Release owns only Deployment "shop/web-canary" for that role; it is left untouched; allowed: remove the labels from objects rollspec did not generate`},
			untouched: []string{"Deployment shop/payments"},
			check: func(t *testing.T, out []*yaml.RNode) {
				wantReplicas(t, out, "web", 3)
				wantReplicas(t, out, "web-canary", 1)
				wantReplicas(t, out, "payments", 5)
			}},
		{name: "labelled Service is not web's preview", items: safeWeb + plainService("promo", "web", ", labels: {rollspec.dev/release: web, rollspec.dev/role: preview-service}") + safeRelease + preview,
			want:      []string{`Release "shop/web": metadata.name: Service "shop/promo" carries the labels rollspec.dev/release=web and rollspec.dev/role=preview-service, but the Release owns only the objects it generates for that role; it is left untouched; allowed: remove the labels from objects rollspec did not generate`},
			untouched: []string{"Service shop/promo"},
			check: func(t *testing.T, out []*yaml.RNode) {
				wantNames(t, out, "Service", "web", "web-preview", "promo")
			}},
		{name: "no web Deployment: a labelled one elsewhere is not taken", items: labelledDeployment("payments", "other", "blue") + strings.Replace(safeRelease, "    namespace: shop\n", "", 1) + blueGreen,
			fails: true,
			want: []string{
				`Release "web": spec.deployment: Deployment "web" not found in the input (the workloads there are Deployment other/payments); allowed: the name of a Deployment in the input, or spec.image and spec.port to generate one`,
			}},
		{name: "labelled web-canary in another namespace is not the canary", items: safeWeb + labelledDeployment("web-canary", "other", "canary") + safeRelease + canary10,
			want:      []string{`Release "shop/web": metadata.name: Deployment "other/web-canary" carries the labels rollspec.dev/release=web and rollspec.dev/role=canary, but the Release owns only Deployment "shop/web-canary" for that role; it is left untouched; allowed: remove the labels from objects rollspec did not generate`},
			untouched: []string{"Deployment other/web-canary"},
			check: func(t *testing.T, out []*yaml.RNode) {
				wantNames(t, out, "Deployment", "web", "web-canary", "web-canary")
			}},
		{name: "a Release's labels on every object, as common labels", items: strings.ReplaceAll(safeWeb, "{name: web, namespace: shop}", "{name: web, namespace: shop, labels: {rollspec.dev/release: web}}") + plainService("admin", "admin", ", labels: {rollspec.dev/release: web}") + safeRelease + blueGreen,
			untouched: []string{"Service shop/admin"},
			check: func(t *testing.T, out []*yaml.RNode) {
				wantNames(t, out, "Deployment", "web-blue", "web-green")
			}},

		// Names that collide with what a Release generates.
		{name: "unowned web-blue", items: safeWeb + strings.Replace(labelledDeployment("web-blue", "shop", "blue"), "    labels: {rollspec.dev/release: web, rollspec.dev/role: blue}\n", "", 1) + safeRelease + blueGreen,
			fails: true,
			want:  []string{`Release "shop/web": spec.blueGreen: the Release generates Deployment "shop/web-blue" (role blue), but the input already has Deployment "shop/web-blue", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: blue; allowed: rename or remove that object, or add both labels to hand it over to this Release`}},
		{name: "web-green with another role", items: safeWeb + labelledDeployment("web-green", "shop", "canary") + safeRelease + blueGreen,
			fails: true,
			want: []string{
				`Release "shop/web": spec.blueGreen: the Release generates Deployment "shop/web-green" (role green), but the input already has Deployment "shop/web-green", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: green; allowed: rename or remove that object, or add both labels to hand it over to this Release`,
			}},
		{name: "web-blue of another release", items: safeWeb + strings.Replace(labelledDeployment("web-blue", "shop", "blue"), "rollspec.dev/release: web", "rollspec.dev/release: shop", 1) + safeRelease + blueGreen,
			fails: true,
			want:  []string{`Release "shop/web": spec.blueGreen: the Release generates Deployment "shop/web-blue" (role blue), but the input already has Deployment "shop/web-blue", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: blue; allowed: rename or remove that object, or add both labels to hand it over to this Release`}},
		{name: "unowned web-preview", items: safeWeb + plainService("web-preview", "other", "") + safeRelease + preview,
			fails: true,
			want:  []string{`Release "shop/web": spec.blueGreen.preview: the Release generates Service "shop/web-preview" (role preview-service), but the input already has Service "shop/web-preview", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: preview-service; allowed: rename or remove that object, or add both labels to hand it over to this Release`}},
		{name: "unowned web-canary Deployment", items: safeWeb + strings.Replace(labelledDeployment("web-canary", "shop", "canary"), "    labels: {rollspec.dev/release: web, rollspec.dev/role: canary}\n", "", 1) + safeRelease + canary10,
			fails: true,
			want:  []string{`Release "shop/web": spec.canary: the Release generates Deployment "shop/web-canary" (role canary), but the input already has Deployment "shop/web-canary", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: canary; allowed: rename or remove that object, or add both labels to hand it over to this Release`}},
		{name: "unowned web-canary Service", items: safeWeb + plainService("web-canary", "other", "") + safeRelease + strings.Replace(canary10, "weight: 10}", "weight: 10, service: true}", 1),
			fails: true,
			want:  []string{`Release "shop/web": spec.canary.service: the Release generates Service "shop/web-canary" (role canary-service), but the input already has Service "shop/web-canary", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: canary-service; allowed: rename or remove that object, or add both labels to hand it over to this Release`}},
		{name: "a generated Service's name is taken", items: plainService("api", "other", "") + safeRelease + "    deployment: api\n    image: nginx:1.27\n    port: 8080\n    probes: {readiness: 'tcp:http'}\n",
			fails: true,
			want:  []string{`Release "shop/web": spec: the Release generates Service "shop/api" (role generated), but the input already has Service "shop/api", which is not rollspec's: it lacks the labels rollspec.dev/release: web and rollspec.dev/role: generated; allowed: rename or remove that object, or add both labels to hand it over to this Release`}},

		// YAML anchors, aliases and merge keys in the objects a Release edits.
		{name: "selector and pod labels share one anchor, blue/green", items: anchoredWeb + safeRelease + blueGreen,
			untouched: []string{"ConfigMap shop/anchored"},
			check: func(t *testing.T, out []*yaml.RNode) {
				for _, color := range []string{"blue", "green"} {
					d := find(t, out, "Deployment", "web-"+color)
					wantLabels(t, d, "app=web,rollspec.dev/color="+color, "spec", "selector", "matchLabels")
					wantLabels(t, d, "app=web,app.kubernetes.io/version=1.0,rollspec.dev/color="+color, "spec", "template", "metadata", "labels")
					wantLabels(t, d, "app=web,rollspec.dev/release=web,rollspec.dev/role="+color, "metadata", "labels")
					noAliases(t, d)
				}
				wantLabels(t, find(t, out, "Service", "web"), "app=web,rollspec.dev/color=blue", "spec", "selector")
			}},
		{name: "selector and pod labels share one anchor, new version", items: anchoredWeb + safeRelease + "    image: registry.example.com/web:2.0\n",
			untouched: []string{"ConfigMap shop/anchored", "Service shop/web"},
			check: func(t *testing.T, out []*yaml.RNode) {
				d := find(t, out, "Deployment", "web")
				wantLabels(t, d, "app=web", "spec", "selector", "matchLabels")
				wantLabels(t, d, "app=web,app.kubernetes.io/version=2.0", "spec", "template", "metadata", "labels")
				wantLabels(t, d, "app=web", "metadata", "labels")
				noAliases(t, d)
			}},
		{name: "replicas through a merge key", items: strings.Replace(safeWeb, "    replicas: 4\n", "    <<: &defaults {replicas: 10, revisionHistoryLimit: 2}\n", 1) + safeRelease + canary10,
			check: func(t *testing.T, out []*yaml.RNode) {
				wantReplicas(t, out, "web", 9)
				wantReplicas(t, out, "web-canary", 1)
			}},
		{name: "replicas through an alias to another item", items: "\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: sizes, namespace: shop}, data: {big: &ten 10}}" + strings.Replace(safeWeb, "    replicas: 4\n", "    replicas: *ten\n", 1) + safeRelease + canary10,
			untouched: []string{"ConfigMap shop/sizes"},
			check: func(t *testing.T, out []*yaml.RNode) {
				wantReplicas(t, out, "web", 9)
				wantReplicas(t, out, "web-canary", 1)
			}},
		{name: "an untouched item aliases an anchor in the target", items: strings.Replace(safeWeb, "  metadata: {name: web, namespace: shop}\n  spec:\n", "  metadata: {name: web, namespace: shop, annotations: {size: &ten '10'}}\n  spec:\n", 1) + "- {apiVersion: v1, kind: ConfigMap, metadata: {name: sizes, namespace: shop}, data: {big: *ten}}\n" + safeRelease + canary10,
			check: func(t *testing.T, out []*yaml.RNode) {
				wantLabels(t, find(t, out, "ConfigMap", "sizes"), "big=10", "data")
			}},
		{name: "replicas through an alias in the object", items: strings.Replace(strings.Replace(safeWeb, "    replicas: 4\n", "    replicas: *ten\n", 1), "  metadata: {name: web, namespace: shop}\n  spec:\n", "  metadata: {name: web, namespace: shop, annotations: {size: &ten 10}}\n  spec:\n", 1) + safeRelease + canary10,
			check: func(t *testing.T, out []*yaml.RNode) {
				wantReplicas(t, out, "web", 9)
				wantReplicas(t, out, "web-canary", 1)
			}},
		{name: "a merge after an explicit key wins, as the API server reads it", items: strings.Replace(safeWeb, "    replicas: 4\n", "    replicas: 3\n    <<: {replicas: 10}\n", 1) + safeRelease + canary10,
			check: func(t *testing.T, out []*yaml.RNode) {
				wantReplicas(t, out, "web", 9)
				wantReplicas(t, out, "web-canary", 1)
			}},
		{name: "matchExpressions only, blue/green twice", items: strings.Replace(safeWeb, "selector: {matchLabels: {app: web}}", "selector: {matchExpressions: [{key: app, operator: In, values: [web]}]}", 1) + safeRelease + blueGreen,
			check: func(t *testing.T, out []*yaml.RNode) {
				wantLabels(t, find(t, out, "Deployment", "web-blue"), "rollspec.dev/color=blue", "spec", "selector", "matchLabels")
				wantLabels(t, find(t, out, "Deployment", "web-green"), "rollspec.dev/color=green", "spec", "selector", "matchLabels")
			}},
		{name: "duplicate replicas key in the target", items: strings.Replace(safeWeb, "    replicas: 4\n", "    replicas: 4\n    replicas: 6\n", 1) + safeRelease + canary10,
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "shop/web" cannot be released: it sets the key "replicas" twice in spec (the API server keeps the last one); allowed: each key once`}},

		// Hostile sizes.
		{name: "alias bomb in a Release", items: safeWeb + safeRelease + "    probes:\n      readiness:\n        httpGet: " + aliasBomb + "\n",
			fails: true,
			want:  []string{`Release "shop/web": its YAML aliases expand to more than 100000 nodes (or 1000 levels); allowed: anchors and aliases that expand to less`}},
		{name: "alias bomb in the target", items: strings.Replace(safeWeb, "          image: registry.example.com/web:1.0\n", "          image: registry.example.com/web:1.0\n          args: "+aliasBomb+"\n", 1) + safeRelease + "    replicas: 2\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "shop/web" cannot be released: its YAML aliases expand to more than 100000 nodes (or 1000 levels); allowed: anchors and aliases that expand to less`}},
		{name: "alias bomb in an object no Release reads", items: safeWeb + "- {apiVersion: v1, kind: ConfigMap, metadata: {name: bomb, namespace: shop}, data: " + aliasBomb + "}\n" + safeRelease + "    replicas: 2\n",
			untouched: []string{"ConfigMap shop/bomb", "Service shop/web"},
			check:     func(t *testing.T, out []*yaml.RNode) { wantReplicas(t, out, "web", 2) }},

		// Malformed objects: errors, never panics.
		{name: "Release metadata as a list", items: safeWeb + strings.Replace(safeRelease, "  metadata:\n    name: web\n    namespace: shop\n    annotations: {config.kubernetes.io/local-config: \"true\"}\n", "  metadata: [web, shop]\n", 1) + "    replicas: 2\n",
			fails: true,
			want:  []string{`Release "(unnamed)": metadata: got a list; allowed: a mapping`}},
		{name: "Deployment metadata as a list", items: safeWeb + "- {apiVersion: apps/v1, kind: Deployment, metadata: [api], spec: {replicas: 2}}\n" + safeRelease + "    replicas: 2\n",
			untouched: []string{"Service shop/web"},
			check:     func(t *testing.T, out []*yaml.RNode) { wantReplicas(t, out, "web", 2) }},
		{name: "PVC metadata as a list", items: safeWeb + "- {apiVersion: v1, kind: PersistentVolumeClaim, metadata: [data], spec: {accessModes: [ReadWriteOnce]}}\n" + strings.Replace(safeRelease, "    namespace: shop\n", "", 1) + "    replicas: 2\n",
			check: func(t *testing.T, out []*yaml.RNode) { wantReplicas(t, out, "web", 2) }},
		{name: "functionConfig metadata as a list", items: safeWeb, fc: "{apiVersion: rollspec.dev/v1alpha1, kind: Release, metadata: [web], spec: {replicas: 2}}",
			fails: true,
			want:  []string{`Release "(unnamed)": metadata: got a list; allowed: a mapping`}},
		{name: "kind and apiVersion of the wrong shape", items: safeWeb + "- {apiVersion: [v1], kind: {a: b}, metadata: {name: x}}\n- {kind: Deployment, metadata: {name: 7}}\n" + safeRelease + "    replicas: 2\n",
			check: func(t *testing.T, out []*yaml.RNode) { wantReplicas(t, out, "web", 2) }},
		{name: "unnamed container with a named probe port", items: strings.Replace(safeWeb, "        - name: web\n          image:", "        - image:", 1) + safeRelease + "    probes: {readiness: 'http:http/ready'}\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "web": spec.template.spec.containers[0] has no name; allowed: every container named`}},
		{name: "nameless Release item and nameless ConfigMap functionConfig", items: safeWeb + strings.Replace(safeRelease, "    name: web\n", "", 1) + "    replicas: 2\n",
			fc:    "{apiVersion: v1, kind: ConfigMap, metadata: {name: fn}, data: {replicas: '3'}}",
			fails: true,
			want: []string{
				`Release "fn" (from ConfigMap "fn"): data.name: is missing; allowed: the Release name (also the default target Deployment), as name=NAME`,
				`Release "shop/(unnamed)": metadata.name: is missing; allowed: the Release's name (also the default target Deployment)`,
			}},
		{name: "containers null", items: strings.Replace(safeWeb, "        containers:\n        - name: web\n", "        containers: [null]\n        initContainers:\n        - name: web\n", 1) + safeRelease + "    image: registry.example.com/web:2.0\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "web": spec.template.spec.containers[0] is not a container; allowed: a mapping with a name and an image`}},
		{name: "containers as names", items: strings.Replace(safeWeb, "        containers:\n        - name: web\n", "        containers: [web]\n        initContainers:\n        - name: web\n", 1) + safeRelease + "    image: registry.example.com/web:2.0\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "web": spec.template.spec.containers[0] is not a container; allowed: a mapping with a name and an image`}},
		{name: "containers as a mapping", items: strings.Replace(safeWeb, "        containers:\n        - name: web\n", "        containers:\n          name: web\n", 1) + safeRelease + "    image: registry.example.com/web:2.0\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "web" has no list of containers at spec.template.spec.containers; allowed: a Deployment with at least one container`}},
		{name: "two containers of one name", items: strings.Replace(safeWeb, "        containers:\n", "        containers:\n        - {name: web, image: sidecar:1}\n", 1) + safeRelease + "    container: web\n    image: registry.example.com/web:2.0\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "web" has two containers named "web"; allowed: one container per name`}},

		// Values the API server would reject.
		{name: "Release name too long for a label", items: strings.ReplaceAll(safeWeb, "web", strings.Repeat("w", 70)) + strings.Replace(safeRelease, "name: web", "name: "+strings.Repeat("w", 70), 1) + blueGreen,
			fails: true,
			want: []string{
				`Release "shop/` + strings.Repeat("w", 70) + `": metadata.name: the Release's name goes into the label rollspec.dev/release of the objects it generates: "` + strings.Repeat("w", 70) + `" is not a valid label value; allowed: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
			}},
		{name: "preview Service name too long", items: safeWeb + plainService(strings.Repeat("s", 60), "web", "") + safeRelease + preview,
			fails: true,
			want:  []string{`Release "shop/web": spec.blueGreen.preview: the Release generates Service "` + strings.Repeat("s", 60) + `-preview", which is not a valid Service name (68 characters); allowed: up to 63 lowercase letters, digits and '-', starting with a letter: shorten the Service's name`}},
		{name: "replicas over int32", items: safeWeb + safeRelease + "    replicas: 2147483648\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.replicas: 2147483648 is out of range; allowed: an integer up to 2147483647`}},
		{name: "replicas 2^63-1 with a weight", items: safeWeb + safeRelease + "    replicas: 9223372036854775807\n" + canary10,
			fails: true,
			want:  []string{`Release "shop/web": spec.replicas: 9223372036854775807 is out of range; allowed: an integer up to 2147483647`}},
		{name: "replicas past int64", items: safeWeb + safeRelease + "    replicas: 99999999999999999999\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.replicas: 99999999999999999999 is out of range; allowed: an integer up to 2147483647`}},
		{name: "huge percent", items: safeWeb + safeRelease + "    rolling: {maxSurge: '9223372036854775807%'}\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.rolling.maxSurge: "9223372036854775807%" is out of range; allowed: an integer or a percent up to 2147483647`}},
		{name: "huge integer surge is echoed as written", items: safeWeb + safeRelease + "    rolling: {maxSurge: 9223372036854775808}\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.rolling.maxSurge: 9223372036854775808 is out of range; allowed: an integer up to 2147483647`}},
		{name: "octal-looking replicas", items: safeWeb + safeRelease + "    replicas: 010\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.replicas: got 010, which YAML readers do not all read as the same number; allowed: an integer written in decimal digits, without leading zeros`}},
		{name: "hex replicas", items: safeWeb + safeRelease + "    replicas: 0x10\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.replicas: got 0x10, which YAML readers do not all read as the same number; allowed: an integer written in decimal digits, without leading zeros`}},
		{name: "target replicas over int32", items: strings.Replace(safeWeb, "replicas: 4", "replicas: 9223372036854775807", 1) + safeRelease + canary10,
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "shop/web" cannot be released: its spec.replicas 9223372036854775807 is out of range; allowed: an integer from 0 to 2147483647 in decimal digits, or no replicas field`}},

		// Error texts.
		{name: "empty key in spec", items: safeWeb + safeRelease + "    \"\": 1\n",
			fails: true,
			want:  []string{`Release "shop/web": spec: unknown field ""; allowed: blueGreen, canary, container, deployment, image, minReadySeconds, paused, port, probes, progressDeadlineSeconds, replicas, revisionHistoryLimit, rolling, services, shutdown, strategy, tag, target, traffic, version`}},
		{name: "percent with a space", items: safeWeb + safeRelease + "    rolling: {maxSurge: '25 %'}\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.rolling.maxSurge: "25 %" is neither an integer nor a percent; allowed: an integer >= 0 or a percent such as "25%"`}},
		{name: "a StatefulSet of the target's name", items: strings.Replace(safeWeb, "kind: Deployment", "kind: StatefulSet", 1) + safeRelease + "    replicas: 2\n",
			fails: true,
			want:  []string{`Release "shop/web": spec.deployment: Deployment "web" not found in namespace "shop" (the workloads there are StatefulSet shop/web); allowed: the name of a Deployment in the input, or spec.image and spec.port to generate one, or spec.target: {kind: StatefulSet, name: web} for StatefulSet "shop/web"`}},
		{name: "a rollspec object of another kind", items: safeWeb + "- {apiVersion: rollspec.dev/v1alpha1, kind: release, metadata: {name: web}, spec: {replicas: 2}}\n",
			fails: true,
			want:  []string{`rollspec.dev/v1alpha1 "release" "web" is not a kind of rollspec; allowed: Release`}},

		// Object-form probes get the checks the shorthand gets.
		{name: "exec probe without a command", items: safeWeb + safeRelease + "    probes: {readiness: {exec: {}}}\n", fails: true,
			want: []string{`Release "shop/web": spec.probes.readiness.exec.command: is missing or empty; allowed: a list of the command and its arguments`}},
		{name: "httpGet probe on port 0", items: safeWeb + safeRelease + "    probes: {readiness: {httpGet: {port: 0}}}\n", fails: true,
			want: []string{`Release "shop/web": spec.probes.readiness.httpGet.port: port 0 is out of range; allowed: 1 to 65535 or a container port name`}},
		{name: "tcpSocket probe on port 70000", items: safeWeb + safeRelease + "    probes: {liveness: {tcpSocket: {port: 70000}}}\n", fails: true,
			want: []string{`Release "shop/web": spec.probes.liveness.tcpSocket.port: port 70000 is out of range; allowed: 1 to 65535 or a container port name`}},
		{name: "httpGet probe with an FTP scheme", items: safeWeb + safeRelease + "    probes: {readiness: {httpGet: {port: http, scheme: FTP}}}\n", fails: true,
			want: []string{`Release "shop/web": spec.probes.readiness.httpGet.scheme: got FTP; allowed: HTTP, HTTPS`}},
		{name: "grpc probe on a named port", items: safeWeb + safeRelease + "    probes: {readiness: {grpc: {port: http}}}\n", fails: true,
			want: []string{`Release "shop/web": spec.probes.readiness.grpc.port: "http" is a name; allowed: a port number from 1 to 65535 (gRPC probes take numbers only)`}},
	}
}

// runSafetyCase runs a case through the KRM function, checks exit code,
// messages and untouched objects, and runs a success again on its own
// output.
func runSafetyCase(t *testing.T, tc safetyCase) {
	t.Helper()
	input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + tc.items
	if tc.fc != "" {
		input += "functionConfig: " + tc.fc + "\n"
	}
	start := time.Now()
	var stdout, stderr bytes.Buffer
	err := RunFunction(strings.NewReader(input), &stdout, &stderr)
	got := stdout.Bytes()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the function took %v; hostile input must be rejected in well under a second", d)
	}
	if tc.fails != (err != nil) {
		t.Fatalf("exit error = %v, want failure = %v; output:\n%s", err, tc.fails, got)
	}
	if diff := cmp.Diff(tc.want, messages(t, got, "error", "warning")); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	// kustomize drops the results: the warnings must reach stderr too.
	for _, w := range messages(t, got, "warning") {
		if !strings.Contains(stderr.String(), "warning: "+w+"\n") {
			t.Errorf("warning missing from stderr: %s\nstderr:\n%s", w, stderr.String())
		}
	}
	if tc.fails {
		if diff := cmp.Diff(itemStrings(t, []byte(input)), itemStrings(t, got)); diff != "" {
			t.Errorf("items changed on error (-in +out):\n%s", diff)
		}
		return
	}
	in, out := readItems(t, []byte(input)), readItems(t, got)
	for _, id := range tc.untouched {
		want, ok := byIdentity(in)[id]
		if !ok {
			t.Fatalf("no input object %s", id)
		}
		if diff := cmp.Diff(want, byIdentity(out)[id]); diff != "" {
			t.Errorf("%s changed (-in +out):\n%s", id, diff)
		}
	}
	if tc.check != nil {
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(got), OmitReaderAnnotations: true}).Read()
		if err != nil {
			t.Fatal(err)
		}
		tc.check(t, nodes)
	}
	again, err := runFunction(withoutResults(t, got))
	if err != nil {
		t.Fatalf("second run on own output failed: %v\n%s", err, again)
	}
	if diff := cmp.Diff(itemStrings(t, got), itemStrings(t, again)); diff != "" {
		t.Errorf("second run on own output differs (-first +second):\n%s", diff)
	}
}

// messages lists the messages of the results of the given severities.
func messages(t *testing.T, rl []byte, severities ...string) []string {
	t.Helper()
	out, err := yaml.Parse(string(rl))
	if err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, rl)
	}
	var msgs []string
	results, _ := out.Pipe(yaml.Lookup("results"))
	if results == nil {
		return nil
	}
	elems, _ := results.Elements()
	for _, e := range elems {
		sev := yaml.GetValue(e.Field("severity").Value)
		for _, s := range severities {
			if sev == s {
				msgs = append(msgs, yaml.GetValue(e.Field("message").Value))
			}
		}
	}
	return msgs
}

// readItems serialises each item of a ResourceList on its own, with its
// identity ("Kind ns/name").
func readItems(t *testing.T, rl []byte) [][2]string {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(rl), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, n := range nodes {
		s, err := n.String()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{strategies.Kind(n) + " " + strategies.Namespace(n) + "/" + strategies.Name(n), s})
	}
	return out
}

func byIdentity(items [][2]string) map[string]string {
	m := map[string]string{}
	for _, it := range items {
		m[it[0]] += it[1]
	}
	return m
}

// wantNames checks the names of the output objects of a kind, in order.
func wantNames(t *testing.T, out []*yaml.RNode, kind string, names ...string) {
	t.Helper()
	var got []string
	for _, n := range out {
		if strategies.Kind(n) == kind {
			got = append(got, strategies.Name(n))
		}
	}
	if diff := cmp.Diff(names, got); diff != "" {
		t.Errorf("%s names (-want +got):\n%s", kind, diff)
	}
}

// wantReplicas checks spec.replicas of the Deployment called name.
func wantReplicas(t *testing.T, out []*yaml.RNode, name string, replicas int64) {
	t.Helper()
	for _, n := range out {
		if strategies.Kind(n) == "Deployment" && strategies.Name(n) == name {
			if got := strategies.Replicas(n); got != replicas {
				t.Errorf("Deployment %s: replicas %d, want %d", name, got, replicas)
			}
			return
		}
	}
	t.Errorf("no Deployment %s in the output", name)
}

// find returns the output object of a kind called name.
func find(t *testing.T, out []*yaml.RNode, kind, name string) *yaml.RNode {
	t.Helper()
	for _, n := range out {
		if strategies.Kind(n) == kind && strategies.Name(n) == name {
			return n
		}
	}
	t.Fatalf("no %s %s in the output", kind, name)
	return nil
}

// wantLabels checks a label mapping of an object, as k=v pairs in key order.
func wantLabels(t *testing.T, n *yaml.RNode, want string, path ...string) {
	t.Helper()
	m, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || m == nil {
		t.Errorf("%s: no %s", strategies.Name(n), strings.Join(path, "."))
		return
	}
	got := map[string]string{}
	for _, kv := range strategies.StringMap(m.YNode()) {
		got[kv.Key] = kv.Value
	}
	if g := strategies.Labels(got).String(); g != "{"+want+"}" {
		t.Errorf("%s %s = %s, want {%s}", strategies.Name(n), strings.Join(path, "."), g, want)
	}
}

// noAliases checks that an edited object holds no alias or anchor: an edit
// must never write through a node shared with another part of a document.
func noAliases(t *testing.T, n *yaml.RNode) {
	t.Helper()
	if strategies.HasAliases(n.YNode()) {
		t.Errorf("%s still holds YAML aliases or anchors:\n%s", strategies.Name(n), n.MustString())
	}
}
