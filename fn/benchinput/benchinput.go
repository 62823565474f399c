// Package benchinput generates deterministic inputs of N apps for the
// benchmarks: each app is a realistic Deployment, its Service and a
// Release, for one strategy. The same seed-free generator feeds the Go
// benchmarks, the whole-process comparison and its kustomize counterpart.
package benchinput

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Strategies the generator makes Releases for.
var Strategies = []string{"rolling", "blue-green", "canary"}

// PassThrough, given as the strategy, makes the same apps without their
// Releases: the Deployments and Services that rollspec passes through
// unchanged. Run by the same binary with the same settings, it is
// rollspec's own floor, so that the difference to a strategy's run is what
// the release logic costs (reading the Releases included), not what
// rollspec's reader and writer save against another program's.
const PassThrough = "pass-through"

// deployment is a realistic app: labels, annotations, env, resources,
// ports, a liveness probe, volumes and a comment that must survive.
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: APP
  namespace: team-NS
  labels:
    app.kubernetes.io/name: APP
    app.kubernetes.io/part-of: shop
    team: team-NS
  annotations:
    owner: team-NS@example.com # who to page
spec:
  replicas: 4
  selector:
    matchLabels:
      app.kubernetes.io/name: APP
  template:
    metadata:
      labels:
        app.kubernetes.io/name: APP
        app.kubernetes.io/part-of: shop
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: APP
      containers:
      - name: APP
        image: registry.example.com/shop/APP:1.4.2
        args: ["--listen=:8080", "--metrics=:9090", "--log-format=json"]
        env:
        - name: APP_NAME
          value: APP
        - name: CONFIG
          value: |
            region: eu-west-1
            cache: 512Mi
        ports:
        - name: http
          containerPort: 8080
        - name: metrics
          containerPort: 9090
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        livenessProbe:
          httpGet: {path: /healthz, port: http}
        volumeMounts:
        - name: tmp
          mountPath: /tmp
      volumes:
      - name: tmp
        emptyDir: {}
`

const service = `apiVersion: v1
kind: Service
metadata:
  name: APP
  namespace: team-NS
  labels:
    app.kubernetes.io/name: APP
spec:
  selector:
    app.kubernetes.io/name: APP
  ports:
  - name: http
    port: 80
    targetPort: http
`

// release is the Release for a strategy; it makes the same rolling edits
// the kustomize patches make (strategy, probes, image).
func release(strategy string) string {
	head := `apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata:
  name: APP
  namespace: team-NS
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
`
	switch strategy {
	case "blue-green":
		return head + `  strategy: blue-green
  blueGreen:
    active: blue
    blue: {image: registry.example.com/shop/APP:1.4.2}
    green: {image: registry.example.com/shop/APP:1.5.0}
    preview: true
  probes:
    readiness: http:http/ready
`
	case "canary":
		return head + `  strategy: canary
  canary:
    image: registry.example.com/shop/APP:1.5.0
    weight: 25
  probes:
    readiness: http:http/ready
`
	}
	return head + `  image: registry.example.com/shop/APP:1.5.0
  rolling:
    profile: surge-first
  minReadySeconds: 5
  probes:
    readiness:
      check: http:http/ready
      periodSeconds: 2
`
}

// App returns app i's Deployment, Service and Release as YAML documents
// (no Release for PassThrough).
func App(i int, strategy string) []string {
	name := fmt.Sprintf("app-%05d", i)
	ns := fmt.Sprintf("%02d", i%20)
	r := strings.NewReplacer("APP", name, "NS", ns)
	if strategy == PassThrough {
		return []string{r.Replace(deployment), r.Replace(service)}
	}
	return []string{r.Replace(deployment), r.Replace(service), r.Replace(release(strategy))}
}

// ResourceList is the KRM function input for n apps.
func ResourceList(n int, strategy string) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i := 0; i < n; i++ {
		for _, doc := range App(i, strategy) {
			b.WriteString(indentItem(doc))
		}
	}
	return []byte(b.String())
}

// Stream is the same apps as one YAML stream, as `render -` reads it.
func Stream(n int, strategy string) []byte {
	var docs []string
	for i := 0; i < n; i++ {
		docs = append(docs, App(i, strategy)...)
	}
	return []byte(strings.Join(docs, "---\n"))
}

func indentItem(doc string) string {
	lines := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	for i, l := range lines {
		switch {
		case i == 0:
			lines[i] = "- " + l
		case l != "":
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// WriteFiles writes n apps as files into dir (one file per app), for
// `rollspec render DIR`.
func WriteFiles(dir string, n int, strategy string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		name := filepath.Join(dir, fmt.Sprintf("app-%05d.yaml", i))
		if err := os.WriteFile(name, []byte(strings.Join(App(i, strategy), "---\n")), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteKustomization writes n apps as a kustomization with the
// hand-written patches that make the rolling edits users write today:
// strategy, readiness probe, minReadySeconds and image, one patch per app.
func WriteKustomization(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var k strings.Builder
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for i := 0; i < n; i++ {
		k.WriteString(fmt.Sprintf("- app-%05d.yaml\n", i))
	}
	k.WriteString("patches:\n")
	for i := 0; i < n; i++ {
		docs := App(i, "rolling")
		name := fmt.Sprintf("app-%05d", i)
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(docs[0]+"---\n"+docs[1]), 0o644); err != nil {
			return err
		}
		patch := strings.NewReplacer("APP", name, "NS", fmt.Sprintf("%02d", i%20)).Replace(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: APP
  namespace: team-NS
spec:
  minReadySeconds: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels:
        app.kubernetes.io/version: 1.5.0
    spec:
      containers:
      - name: APP
        image: registry.example.com/shop/APP:1.5.0
        readinessProbe:
          httpGet: {path: /ready, port: http}
          periodSeconds: 2
`)
		if err := os.WriteFile(filepath.Join(dir, name+"-patch.yaml"), []byte(patch), 0o644); err != nil {
			return err
		}
		k.WriteString(fmt.Sprintf("- path: %s-patch.yaml\n", name))
	}
	return os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k.String()), 0o644)
}
