package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/krmio"
	"rollspec.dev/rollspec/strategies"
)

// RunFunction runs rollspec as a KRM function: a ResourceList in, a
// ResourceList out. On error the items are written back unchanged with the
// results, and the returned error makes the process exit non-zero.
//
// It does what framework.Execute does, with one difference: the writer.
// kyaml's writer emits the whole ResourceList as one YAML document, and
// yaml.v3's emitter does not compact its event queue within a document, so
// its cost grows faster than the input; writeResourceList encodes each item
// on its own and indents it under items:, which parses to the same tree
// (TestWriterMatchesKyaml checks that).
//
// Warnings and infos also go to errOut, one line each: kustomize drops the
// results of a function, so its users would never see them otherwise.
func RunFunction(in io.Reader, out, errOut io.Writer) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading the ResourceList: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		// An empty answer would read as "delete everything" to the caller.
		return errors.New("reading the ResourceList: standard input is empty; rollspec without a command is a KRM function (see rollspec --help)")
	}
	list, err := krmio.ReadResourceList(b)
	if err != nil {
		return fmt.Errorf("reading the ResourceList: %w", err)
	}
	if list.Kind != kio.ResourceListKind {
		// A bare stream would come back with reader annotations added.
		return krmio.ErrNotResourceList
	}
	for i, it := range list.Items {
		// Not a resource: kyaml reads `items` of other shapes into such
		// nodes, and they cannot be written back as they came.
		if it.YNode() == nil || it.YNode().Kind != yaml.MappingNode {
			return fmt.Errorf("reading the ResourceList: items[%d] is not a mapping; allowed: a list of resources, each a mapping with apiVersion, kind and metadata", i)
		}
	}
	if bytes.IndexByte(b, '&') >= 0 {
		nodes := make([]*yaml.Node, 0, len(list.Items)+1)
		for _, it := range list.Items {
			nodes = append(nodes, it.YNode())
		}
		if list.FunctionConfig != nil {
			nodes = append(nodes, list.FunctionConfig.YNode())
		}
		if err := strategies.LocalizeAliases(nodes); err != nil {
			return fmt.Errorf("reading the ResourceList: %w", err)
		}
	}
	// framework.Execute also keeps kpt's legacy and internal file
	// annotations in step around the processor; rollspec writes both
	// itself on the only objects whose file it sets (see placeGenerated),
	// and leaves the others as they came.
	rl := &framework.ResourceList{Items: list.Items, FunctionConfig: list.FunctionConfig}
	// The strategies edit the items in place (no copy of every target);
	// on error the items are read again from the input bytes, so they go
	// back exactly as they came.
	processErr := Processor{InPlace: true}.Process(rl)
	if processErr != nil {
		again := &kio.ByteReader{Reader: bytes.NewReader(b)}
		if rl.Items, err = again.Read(); err != nil {
			return fmt.Errorf("reading the ResourceList again: %w", err)
		}
		rl.FunctionConfig = again.FunctionConfig
	}
	logResults(errOut, rl.Results)
	if err := krmio.WriteResourceList(out, list.APIVersion, list.Kind, rl.Items, rl.FunctionConfig, rl.Results); err != nil {
		return fmt.Errorf("writing the ResourceList: %w", err)
	}
	return processErr
}
