package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
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
func RunFunction(in io.Reader, out io.Writer) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading the ResourceList: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		// An empty answer would read as "delete everything" to the caller.
		return errors.New("reading the ResourceList: standard input is empty; rollspec without a command is a KRM function (see rollspec --help)")
	}
	r := &kio.ByteReader{Reader: bytes.NewReader(b)}
	items, err := r.Read()
	if err != nil {
		return fmt.Errorf("reading the ResourceList: %w", err)
	}
	if r.WrappingKind != kio.ResourceListKind {
		// A bare stream would come back with reader annotations added.
		return errors.New("reading the ResourceList: the input is not a ResourceList; for a YAML stream use rollspec render -")
	}
	// framework.Execute also keeps kpt's legacy and internal file
	// annotations in step around the processor; rollspec writes both
	// itself on the only objects whose file it sets (see placeGenerated),
	// and leaves the others as they came.
	rl := &framework.ResourceList{Items: items, FunctionConfig: r.FunctionConfig}
	processErr := Processor{}.Process(rl)
	if err := writeResourceList(out, r.WrappingAPIVersion, r.WrappingKind, rl.Items, rl.FunctionConfig, rl.Results); err != nil {
		return fmt.Errorf("writing the ResourceList: %w", err)
	}
	return processErr
}

// writeResourceList writes a ResourceList whose tree is the one kyaml's
// ByteWriter writes (with KeepReaderAnnotations, as framework.Execute
// uses it), encoding each item as its own document.
func writeResourceList(w io.Writer, apiVersion, kind string, items []*yaml.RNode, fc *yaml.RNode, results framework.Results) error {
	if fc != nil && fc.YNode().Kind != yaml.MappingNode {
		// Not a case worth a fast path: let kyaml write it.
		return kyamlWrite(w, apiVersion, kind, items, fc, results)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var doc bytes.Buffer
	encode := func(n *yaml.Node) error {
		doc.Reset()
		e := yaml.NewEncoder(&doc)
		if err := e.Encode(n); err != nil {
			return err
		}
		return e.Close()
	}
	header := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "apiVersion"}, {Kind: yaml.ScalarNode, Value: apiVersion},
		{Kind: yaml.ScalarNode, Value: "kind"}, {Kind: yaml.ScalarNode, Value: kind},
	}}
	if err := encode(header); err != nil {
		return err
	}
	bw.Write(doc.Bytes())
	if len(items) == 0 {
		bw.WriteString("items: []\n")
	} else {
		bw.WriteString("items:\n")
	}
	for _, it := range items {
		clearEmptyAnnotations(it.YNode())
		if err := encode(it.YNode()); err != nil {
			return err
		}
		indent(bw, doc.Bytes(), "- ", "  ")
	}
	if fc != nil {
		if err := encode(fc.YNode()); err != nil {
			return err
		}
		bw.WriteString("functionConfig:\n")
		indent(bw, doc.Bytes(), "  ", "  ")
	}
	if len(results) > 0 {
		b, err := yaml.Marshal(results)
		if err != nil {
			return err
		}
		bw.WriteString("results:\n")
		bw.Write(b)
	}
	return bw.Flush()
}

// indent writes a document's lines, the first after first, the others
// after rest; empty lines stay empty.
func indent(w *bufio.Writer, doc []byte, first, rest string) {
	prefix := first
	for len(doc) > 0 {
		line := doc
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			doc = nil
		}
		if len(line) > 0 {
			w.WriteString(prefix)
			w.Write(line)
		}
		w.WriteByte('\n')
		prefix = rest
	}
}

// kyamlWrite is kyaml's own writer, as framework.Execute calls it.
func kyamlWrite(w io.Writer, apiVersion, kind string, items []*yaml.RNode, fc *yaml.RNode, results framework.Results) error {
	bw := kio.ByteWriter{Writer: w, KeepReaderAnnotations: true, FunctionConfig: fc, WrappingAPIVersion: apiVersion, WrappingKind: kind}
	if len(results) > 0 {
		b, err := yaml.Marshal(results)
		if err != nil {
			return err
		}
		if bw.Results, err = yaml.Parse(string(b)); err != nil {
			return err
		}
	}
	return bw.Write(items)
}
