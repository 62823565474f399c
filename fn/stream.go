package fn

import (
	"bytes"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/krmio"
	"rollspec.dev/rollspec/strategies"
)

// Annotations that Helm reads on the stream a post-renderer returns.
const (
	// helmHookAnnotation marks a Helm hook (a test Pod, a pre-install
	// Job). Helm 4 sends hooks through the post-renderer with the rest;
	// rollspec hands them back unchanged.
	helmHookAnnotation = "helm.sh/hook"
	// helmFileAnnotation is the chart template an object came from: Helm
	// 4 sets it on every object it sends to a post-renderer and files the
	// returned objects under it (objects without it go to a file named
	// generated-by-postrender-N.yaml).
	helmFileAnnotation = "postrenderer.helm.sh/postrender-filename"
)

// streamOptions adapt rendering to where the stream comes from.
type streamOptions struct {
	// passThrough items are set aside before rendering and written after
	// the rendered items, as they came: no Release may touch them.
	passThrough func(*yaml.RNode) bool
	// sourceAnnotation, when set, is copied from a Release to the objects
	// it generates from nothing; objects derived from a base keep the
	// base's annotations already.
	sourceAnnotation string
}

// isHelmHook reports a Helm hook.
func isHelmHook(n *yaml.RNode) bool {
	_, ok := annotation(n, helmHookAnnotation)
	return ok
}

// renderStream renders items and writes the plain YAML stream that apply
// tools read: no Releases, no local-config objects. Warnings go to errOut.
// On error nothing is written to out: an empty stream with exit 0 would
// make Argo CD prune the app, and Helm install an empty release.
func renderStream(items []*yaml.RNode, overrides map[string]string, opts streamOptions, what string, out, errOut io.Writer) error {
	if err := applyOverrides(items, overrides); err != nil {
		return err
	}
	var aside []*yaml.RNode
	if opts.passThrough != nil {
		kept := items[:0:0]
		for _, it := range items {
			if opts.passThrough(it) {
				aside = append(aside, it)
			} else {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	sourceOf := map[string]string{}
	if opts.sourceAnnotation != "" {
		for _, it := range items {
			if isRelease(it) {
				if v, ok := annotation(it, opts.sourceAnnotation); ok {
					sourceOf[strategies.Name(it)] = v
				}
			}
		}
	}
	rl := &framework.ResourceList{Items: items}
	err := Processor{DropLocalConfig: true}.Process(rl)
	logResults(errOut, rl.Results)
	if err != nil {
		return err
	}
	for _, it := range rl.Items {
		if len(sourceOf) == 0 {
			break
		}
		if _, ok := annotation(it, opts.sourceAnnotation); ok {
			continue
		}
		if file, ok := sourceOf[label(it, strategies.LabelRelease)]; ok {
			setAnnotation(it, opts.sourceAnnotation, file)
		}
	}
	result := append(rl.Items, aside...)
	if len(result) == 0 {
		// An empty stream with exit 0 would make Argo CD prune the whole app.
		return fmt.Errorf("the rendered stream would be empty: every object read from %s is a Release or local-config; allowed: input with at least one object to apply", what)
	}
	// Buffered whole, so that a failed write leaves stdout empty.
	var buf bytes.Buffer
	if err := krmio.WriteStream(&buf, result); err != nil {
		return fmt.Errorf("writing the rendered manifests: %w", err)
	}
	_, err = out.Write(buf.Bytes())
	return err
}
