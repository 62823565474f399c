package api_test

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
)

// A Release is decoded strictly, validated, and handed to the strategies
// as plain Options.
func ExampleDecode() {
	n := yaml.MustParse(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  image: nginx:1.27
  rolling: {profile: surge-first}
  shutdown: {preStopSleep: 5s}
`)
	r, findings := api.Decode(n)
	fmt.Println(len(findings), api.Validate(r))
	o := r.Options()
	fmt.Println(r.StrategyName(), o.Image, o.MaxSurge, o.MaxUnavailable, *o.PreStopSleep)
	// Output:
	// 0 []
	// rolling nginx:1.27 1 0 5
}

// Every mistake comes back with its field path and what is allowed.
func ExampleDecode_errors() {
	n := yaml.MustParse(`apiVersion: rollspec.dev/v1alpha1
kind: Release
metadata: {name: web}
spec: {replicas: 010, rolling: {maxSurg: 1}}
`)
	_, findings := api.Decode(n)
	for _, f := range findings {
		fmt.Printf("%s: %s\n", f.Path, f.Message)
	}
	// Output:
	// spec.replicas: got 010, which YAML readers do not all read as the same number; allowed: an integer written in decimal digits, without leading zeros
	// spec.rolling.maxSurg: unknown field "maxSurg" (did you mean "maxSurge"?); allowed: maxSurge, maxUnavailable, profile
}
