package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

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
	list, err := readResourceList(b)
	if err != nil {
		return fmt.Errorf("reading the ResourceList: %w", err)
	}
	if list.kind != kio.ResourceListKind {
		// A bare stream would come back with reader annotations added.
		return errNotResourceList
	}
	for i, it := range list.items {
		// Not a resource: kyaml reads `items` of other shapes into such
		// nodes, and they cannot be written back as they came.
		if it.YNode() == nil || it.YNode().Kind != yaml.MappingNode {
			return fmt.Errorf("reading the ResourceList: items[%d] is not a mapping; allowed: a list of resources, each a mapping with apiVersion, kind and metadata", i)
		}
	}
	if bytes.IndexByte(b, '&') >= 0 {
		nodes := make([]*yaml.Node, 0, len(list.items)+1)
		for _, it := range list.items {
			nodes = append(nodes, it.YNode())
		}
		if list.functionConfig != nil {
			nodes = append(nodes, list.functionConfig.YNode())
		}
		if err := strategies.LocalizeAliases(nodes); err != nil {
			return fmt.Errorf("reading the ResourceList: %w", err)
		}
	}
	// framework.Execute also keeps kpt's legacy and internal file
	// annotations in step around the processor; rollspec writes both
	// itself on the only objects whose file it sets (see placeGenerated),
	// and leaves the others as they came.
	rl := &framework.ResourceList{Items: list.items, FunctionConfig: list.functionConfig}
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
	if err := writeResourceList(out, list.apiVersion, list.kind, rl.Items, rl.FunctionConfig, rl.Results); err != nil {
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
	encode := func(n *yaml.Node) error { return encodeNode(&doc, n) }
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
	chunks, err := encodeItems(items)
	if err != nil {
		return err
	}
	for _, c := range chunks {
		bw.Write(c)
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

// encodeNode encodes one node as its own YAML document into buf.
func encodeNode(buf *bytes.Buffer, n *yaml.Node) error {
	buf.Reset()
	e := yaml.NewEncoder(buf)
	if err := e.Encode(n); err != nil {
		return err
	}
	return e.Close()
}

// encodeItems encodes the items as sequence entries, in order.
func encodeItems(items []*yaml.RNode) ([][]byte, error) {
	return encodeParallel(items, func(w *bufio.Writer, doc *bytes.Buffer, i int, it *yaml.RNode) error {
		clearEmptyAnnotations(it.YNode())
		if err := encodeNode(doc, it.YNode()); err != nil {
			return err
		}
		indent(w, doc.Bytes(), "- ", "  ")
		return nil
	})
}

// encodeParallel runs encode for every item and returns the output in
// item order. The items are independent documents, so the work is split
// over the CPUs in contiguous chunks; the output does not depend on how it
// was split.
func encodeParallel(items []*yaml.RNode, encode func(w *bufio.Writer, doc *bytes.Buffer, i int, it *yaml.RNode) error) ([][]byte, error) {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(items)/64))
	size := (len(items) + workers - 1) / workers
	chunks := make([][]byte, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		lo, hi := min(wk*size, len(items)), min((wk+1)*size, len(items))
		wg.Add(1)
		go func(wk, lo, hi int) {
			defer wg.Done()
			var out, doc bytes.Buffer
			w := bufio.NewWriter(&out)
			for i := lo; i < hi; i++ {
				if err := encode(w, &doc, i, items[i]); err != nil {
					errs[wk] = err
					return
				}
			}
			_ = w.Flush()
			chunks[wk] = out.Bytes()
		}(wk, lo, hi)
	}
	wg.Wait()
	return chunks, errors.Join(errs...)
}

// streamAnnotations are removed from every object render prints: they
// describe where the reader found it, not the object.
var streamAnnotations = append([]string{kioutil.SeqIndentAnnotation}, readerAnnotations...)

// writeStream writes the items as a YAML stream of documents, the way
// kyaml's ByteWriter does for render (reader annotations removed, each
// item's sequence indentation as it was read), with the per-item encoding
// of writeResourceList.
func writeStream(w io.Writer, items []*yaml.RNode) error {
	chunks, err := encodeParallel(items, func(bw *bufio.Writer, doc *bytes.Buffer, i int, it *yaml.RNode) error {
		wide := false
		if meta := topField(it.YNode(), "metadata"); meta != nil {
			if v, ok := annotation(it, kioutil.SeqIndentAnnotation); ok {
				wide = v == string(yaml.WideSequenceStyle)
			}
			annotations := topField(meta, "annotations")
			for _, key := range streamAnnotations {
				removeKey(annotations, key)
			}
		}
		clearEmptyAnnotations(it.YNode())
		doc.Reset()
		e := yaml.NewEncoder(doc)
		if wide {
			e.DefaultSeqIndent()
		}
		n := it.YNode()
		if d := it.Document(); d != nil && d.Kind == yaml.DocumentNode {
			n = d // keeps the comments above the first key
		}
		if err := e.Encode(n); err != nil {
			return err
		}
		if err := e.Close(); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString("---\n")
		}
		bw.Write(doc.Bytes())
		return nil
	})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, c := range chunks {
		bw.Write(c)
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
