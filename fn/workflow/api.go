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
	"rollspec.dev/rollspec/strategies"
)

// This file is the one place that calls package fn: the Release parser and
// the renderer. When they move (fn/api), only these lines change.

// release is a parsed Release.
type release = fn.Release

// parseRelease decodes a Release document strictly, as render does; the
// error lists every problem with its field path.
func parseRelease(n *yaml.Node) (*release, error) {
	r, findings := fn.ParseRelease(yaml.NewRNode(n))
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

// isRelease tells a Release document by its apiVersion group and kind.
func isRelease(apiVersion, kind string) bool {
	return kind == fn.Kind && strings.HasPrefix(apiVersion, "rollspec.dev/")
}
