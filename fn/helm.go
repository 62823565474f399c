package fn

import (
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
)

// PostRender is rollspec as a Helm post-renderer: the chart's rendered
// manifests arrive on stdin, Releases come from the chart's own templates
// or from the files and directories in args, and the rendered stream goes
// to out. It is render with what Helm needs on top:
//   - Helm hooks (helm.sh/hook) come back unchanged, after the other
//     objects: Helm 4 sends them through the post-renderer, Helm 3 does
//     not, and no Release may edit a test Pod or a migration Job;
//   - Helm 4's postrenderer.helm.sh/postrender-filename survives on every
//     object, and an object generated from nothing gets its Release's, so
//     Helm files it under the template the Release came from;
//   - Releases are applied and dropped, whether a template or a file
//     holds them;
//   - on error nothing is written and the exit is non-zero, so Helm never
//     installs an empty release.
func PostRender(args []string, overrides map[string]string, stdin io.Reader, out, errOut io.Writer) error {
	items, err := readStream(stdin, "")
	if err != nil {
		return fmt.Errorf("reading the chart's manifests from Helm: %w", err)
	}
	for _, arg := range args {
		if arg == "-" {
			return fmt.Errorf("post-render reads the chart's manifests from standard input already; allowed arguments: Release files and directories")
		}
		nodes, err := readArg(arg, nil)
		if err != nil {
			return err
		}
		releases, err := releasesIn(nodes)
		if err != nil {
			return err
		}
		if len(releases) == 0 {
			// Helm shows a post-renderer's stderr only when it fails: a
			// warning here would let the chart go out without its release.
			return fmt.Errorf("%s holds no Release; allowed: a file or directory with an object of apiVersion %s, kind %s", arg, api.APIVersion, api.Kind)
		}
		items = append(items, releases...)
	}
	opts := streamOptions{passThrough: isHelmHook, sourceAnnotation: helmFileAnnotation}
	return renderStream(items, overrides, opts, "the chart", out, errOut)
}

// releasesIn keeps the Releases of files read only for their Releases
// (a post-render argument, the files beside a kustomization or chart) and
// refuses an item meant to be one, as render refuses it in its input: a
// rollspec.dev object of another kind, a Release of a near group. Dropped
// with the other objects, it would leave its release silently undone.
func releasesIn(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	var errs []error
	for _, n := range nodes {
		if isRelease(n) {
			continue
		}
		if f, bad := notARelease(n); bad {
			errs = append(errs, fmt.Errorf("%s: %s", displayPath(n), f.Message))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return releasesOnly(nodes), nil
}

// displayPath names the file an item was read from.
func displayPath(n *yaml.RNode) string {
	if p := filePath(n); p != "" {
		return p
	}
	return "standard input"
}

// releasesOnly keeps the Releases (and other local-config objects, which
// the output drops anyway) of files given next to a build's output: a
// Deployment in such a file would be a second copy of one the chart or
// kustomization renders.
func releasesOnly(nodes []*yaml.RNode) []*yaml.RNode {
	var out []*yaml.RNode
	for _, n := range nodes {
		if isRelease(n) {
			out = append(out, n)
		}
	}
	return out
}
