package fn_test

import (
	"fmt"
	"os"
	"strings"

	"rollspec.dev/rollspec/fn"
)

// The KRM function reads a ResourceList and writes it back with the
// Release applied: here a canary of one pod beside three stable ones.
func ExampleRunFunction() {
	in := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
  spec:
    replicas: 4
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers: [{name: web, image: 'web:1', readinessProbe: {tcpSocket: {port: 80}}}]
functionConfig:
  apiVersion: rollspec.dev/v1alpha1
  kind: Release
  metadata: {name: web}
  spec: {strategy: canary, canary: {image: 'web:2', weight: 25}}
`
	var out strings.Builder
	if err := fn.RunFunction(strings.NewReader(in), &out, os.Stdout); err != nil {
		fmt.Println(err)
	}
	items, _, _ := strings.Cut(out.String(), "functionConfig:")
	for _, line := range strings.Split(items, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "metadata:") || strings.HasPrefix(line, "replicas:") || strings.HasPrefix(line, "containers:") {
			fmt.Println(line)
		}
	}
	// Output:
	// info: Release "web": spec.canary: the canary runs 1 of 4 pods (25.0% of the traffic that the Services spread by pod)
	// metadata: {name: web}
	// replicas: 3
	// metadata: {labels: {app: web}}
	// containers: [{name: web, image: 'web:1', readinessProbe: {tcpSocket: {port: 80}}}]
	// metadata: {name: web-canary, labels: {rollspec.dev/release: web, rollspec.dev/role: canary}}
	// replicas: 1
	// metadata: {labels: {app: web, app.kubernetes.io/version: "2", rollspec.dev/track: canary}}
	// containers: [{name: web, image: 'web:2', readinessProbe: {tcpSocket: {port: 80}}}]
}
