// Package contracttest holds a strategy that exists only in its test, in
// a test binary of its own, so that its registration reaches no other test.
package contracttest

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/strategies"
)

// annotate is a strategy that exists only in this test. It proves the
// strategy contract: a strategy is one file (this one) and one registry
// line (the Register call below), and nothing in package fn or fn/api
// names it. It puts an annotation on the target and leaves the rest to
// the rolling update.
type annotate struct {
	Key   string `json:"key,omitempty" doc:"The annotation's key."`
	Value string `json:"value,omitempty" doc:"The annotation's value."`
}

func (a *annotate) Validate(*strategies.Options) []strategies.Finding {
	if a.Key == "" {
		return []strategies.Finding{{Severity: strategies.Error, Path: "spec.annotate.key", Message: "is missing; allowed: an annotation key"}}
	}
	return nil
}

func (a *annotate) Expand(t strategies.Target) strategies.Result {
	res := (&strategies.Rolling{}).Expand(t)
	strategies.SetAnnotation(t.Base, a.Key, a.Value)
	return res
}

func init() {
	if err := strategies.Register(strategies.Registration{Name: "annotate", Block: "annotate", Required: "an annotate block with a key",
		BlockHint: "spec.annotate with strategy annotate", New: func() strategies.Strategy { return &annotate{} }}); err != nil {
		panic(err)
	}
}

// TestStrategyContract runs the test-only strategy through the function:
// its block is decoded and validated with paths, its unknown fields are
// refused, and its output is placed like any strategy's.
func TestStrategyContract(t *testing.T) {
	const items = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
  spec:
    replicas: 2
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers: [{name: web, image: 'web:1', readinessProbe: {tcpSocket: {port: 80}}}]
functionConfig:
  apiVersion: rollspec.dev/v1alpha1
  kind: Release
  metadata: {name: web}
  spec: SPEC
`
	tests := []struct {
		name, spec, annotation string
		errors                 []string
	}{
		{name: "expanded", spec: "{strategy: annotate, annotate: {key: example.com/reviewed, value: 'yes'}}", annotation: "yes"},
		{name: "validated", spec: "{strategy: annotate, annotate: {value: 'yes'}}",
			errors: []string{`Release "web": spec.annotate.key: is missing; allowed: an annotation key`}},
		{name: "strict", spec: "{strategy: annotate, annotate: {key: a, vlaue: b}}",
			errors: []string{`Release "web": spec.annotate.vlaue: unknown field "vlaue" (did you mean "value"?); allowed: key, value`}},
		{name: "required", spec: "{strategy: annotate}",
			errors: []string{`Release "web": spec.annotate: is missing; allowed: an annotate block with a key`}},
		{name: "left over", spec: "{strategy: rolling, annotate: {key: a}}",
			errors: []string{`Release "web": spec.annotate: is set but spec.strategy is rolling; allowed: spec.annotate with strategy annotate`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := fn.RunFunction(strings.NewReader(strings.Replace(items, "SPEC", tc.spec, 1)), &out, io.Discard)
			rl, perr := yaml.Parse(out.String())
			if perr != nil {
				t.Fatal(perr)
			}
			var errs []string
			if results, _ := rl.Pipe(yaml.Lookup("results")); results != nil {
				elems, _ := results.Elements()
				for _, e := range elems {
					if yaml.GetValue(e.Field("severity").Value) == "error" {
						errs = append(errs, yaml.GetValue(e.Field("message").Value))
					}
				}
			}
			if diff := cmp.Diff(tc.errors, errs); diff != "" {
				t.Fatalf("errors (-want +got):\n%s", diff)
			}
			if (err != nil) != (len(tc.errors) > 0) {
				t.Fatalf("exit error %v with errors %q", err, errs)
			}
			if tc.annotation == "" {
				return
			}
			nodes, err := (&kio.ByteReader{Reader: &out, OmitReaderAnnotations: true}).Read()
			if err != nil {
				t.Fatal(err)
			}
			if got := nodes[0].GetAnnotations()["example.com/reviewed"]; got != tc.annotation {
				t.Errorf("annotation %q, want %q\n%s", got, tc.annotation, nodes[0].MustString())
			}
		})
	}
}
