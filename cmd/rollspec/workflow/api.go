// Package workflow holds the release workflow verbs that act on files and
// on a cluster's state without a controller: step, promote, abort, flip
// and set-image edit Release documents in place (keeping every other byte
// of the file); Diff judges the move between two renders; Check compares
// the live objects with a render. Nothing here writes to a cluster.
package workflow

import (
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn"
	"rollspec.dev/rollspec/fn/api"
	"rollspec.dev/rollspec/strategies"
)

// This file is the one place that calls the Release API and the renderer.

// release is a parsed Release.
type release = api.Release

// The strategies the verbs drive, by the names spec.strategy gives them.
const (
	strategyRolling   = "rolling"
	strategyRecreate  = "recreate"
	strategyCanary    = "canary"
	strategyBlueGreen = "blue-green"
)

// canaryOf is the Release's canary block, nil when it has none.
func canaryOf(r *release) *strategies.Canary {
	c, _ := r.Spec.Blocks["canary"].(*strategies.Canary)
	return c
}

// blueGreenOf is the Release's blue/green block, nil when it has none.
func blueGreenOf(r *release) *strategies.BlueGreen {
	bg, _ := r.Spec.Blocks["blueGreen"].(*strategies.BlueGreen)
	return bg
}

// parseRelease decodes a Release document strictly, as render does; the
// error lists every problem with its field path.
func parseRelease(n *yaml.Node) (*release, error) {
	r, findings := api.Decode(yaml.NewRNode(n))
	var msgs []string
	for _, f := range findings {
		if f.Severity == strategies.Error {
			msgs = append(msgs, strings.TrimPrefix(f.Path+": "+f.Message, ": "))
		}
	}
	if len(msgs) > 0 || r == nil {
		return nil, fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return r, nil
}

// render renders manifests and Releases from files, directories or "-"
// exactly as `rollspec render` does, warnings to errOut.
func render(args []string, overrides map[string]string, stdin io.Reader, out, errOut io.Writer) error {
	return fn.Render(args, overrides, stdin, out, errOut)
}

// releaseInList refuses a List document holding a Release, as render
// does: the verbs edit documents, not items of a List.
func releaseInList(file string, doc int, root *yaml.Node) error {
	if scalar(root, "kind") != "List" {
		return nil
	}
	if name := fn.ReleaseInList(root); name != "" {
		return fmt.Errorf(fn.MsgReleaseInList, file, doc+1, name)
	}
	return nil
}

// isRelease tells a Release document by its apiVersion group and kind.
func isRelease(apiVersion, kind string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	return kind == api.Kind && group == api.Group
}
