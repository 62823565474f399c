// Command krm-identity is the floor for any kyaml function: it reads a
// ResourceList with framework.Execute and returns the items unchanged. The
// benchmarks compare rollspec against it.
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
)

func main() {
	identity := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	if err := framework.Execute(identity, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
