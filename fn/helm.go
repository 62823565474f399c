package fn

import (
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/yaml"
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
		items = append(items, releasesOnly(nodes)...)
	}
	opts := streamOptions{passThrough: isHelmHook, sourceAnnotation: helmFileAnnotation}
	return renderStream(items, overrides, opts, "the chart", out, errOut)
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
