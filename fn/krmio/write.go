package krmio

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/strategies"
)

// WriteResourceList writes a ResourceList whose tree is the one kyaml's
// ByteWriter writes (with KeepReaderAnnotations, as framework.Execute
// uses it), encoding each item as its own document.
func WriteResourceList(w io.Writer, apiVersion, kind string, items []*yaml.RNode, fc *yaml.RNode, results framework.Results) error {
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
			if err := w.Flush(); err != nil {
				errs[wk] = err
				return
			}
			chunks[wk] = out.Bytes()
		}(wk, lo, hi)
	}
	wg.Wait()
	return chunks, errors.Join(errs...)
}

// streamAnnotations are removed from every object render prints: they
// describe where the reader found it, not the object.
var streamAnnotations = append([]string{kioutil.SeqIndentAnnotation, annotationBare}, ReaderAnnotations...)

// annotationBare marks an object that was read without metadata (a List, a
// bare mapping): the reader's annotations gave it a metadata mapping, which
// WriteStream takes out again, so the object is printed as it was written.
const annotationBare = "internal.rollspec.dev/read-without-metadata"

// MarkBare marks the items that were read without metadata: kyaml's
// reader gave them a metadata mapping for its annotations (a node with no
// position in the input), which WriteStream takes out again, so they are
// printed as they were written.
func MarkBare(items []*yaml.RNode) {
	for _, it := range items {
		n := it.YNode()
		if n.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == "metadata" && k.Line == 0 {
				annotations := strategies.Field(n.Content[i+1], "annotations")
				if annotations != nil && annotations.Kind == yaml.MappingNode {
					annotations.Content = append(annotations.Content, strNode(annotationBare), strNode("true"))
				}
			}
		}
	}
}

func strNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v}
}

// WriteStream writes the items as a YAML stream of documents, the way
// kyaml's ByteWriter does for render (reader annotations removed, each
// item's sequence indentation as it was read), with the per-item encoding
// of writeResourceList.
func WriteStream(w io.Writer, items []*yaml.RNode) error {
	chunks, err := encodeParallel(items, func(bw *bufio.Writer, doc *bytes.Buffer, i int, it *yaml.RNode) error {
		wide := false
		if meta := strategies.Field(it.YNode(), "metadata"); meta != nil {
			if v, ok := annotation(it, kioutil.SeqIndentAnnotation); ok {
				wide = v == string(yaml.WideSequenceStyle)
			}
			annotations := strategies.Field(meta, "annotations")
			_, bare := annotation(it, annotationBare)
			for _, key := range streamAnnotations {
				removeKey(annotations, key)
			}
			clearEmptyAnnotations(it.YNode())
			if bare && meta.Kind == yaml.MappingNode && len(meta.Content) == 0 {
				strategies.RemoveField(it.YNode(), "metadata")
			}
		}
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

// ReaderAnnotations are the annotations kyaml's reader adds to the items
// it reads (file path, index, id), in their current and legacy keys: a
// stream for apply tools carries none of them.
var ReaderAnnotations = []string{
	kioutil.PathAnnotation, "config.kubernetes.io/path",
	kioutil.IndexAnnotation, "config.kubernetes.io/index",
	kioutil.IdAnnotation, "config.k8s.io/id",
}

// annotation returns an annotation's value.
func annotation(n *yaml.RNode, key string) (string, bool) {
	v := strategies.Field(strategies.Field(strategies.Field(n.YNode(), "metadata"), "annotations"), key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return "", false
	}
	return v.Value, true
}

// clearEmptyAnnotations drops an empty metadata.annotations mapping, as
// kyaml's writer does.
func clearEmptyAnnotations(n *yaml.Node) {
	meta := strategies.Field(n, "metadata")
	a := strategies.Field(meta, "annotations")
	if a == nil || a.Kind != yaml.MappingNode || len(a.Content) > 0 {
		return
	}
	strategies.RemoveField(meta, "annotations")
}

func removeKey(m *yaml.Node, key string) { strategies.RemoveField(m, key) }
