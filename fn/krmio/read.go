package krmio

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// minParallelItems is the item count below which splitting the parse is
// not worth the goroutines.
const minParallelItems = 256

// ResourceList is a parsed ResourceList.
type ResourceList struct {
	Items            []*yaml.RNode
	FunctionConfig   *yaml.RNode
	APIVersion, Kind string
}

// ReadResourceList parses a ResourceList. In the usual shape (one
// document, a block `items:` list at the left margin, no comment at the
// margin inside it) the items are parsed in chunks on all CPUs; the items
// are independent documents as far as YAML goes, except for anchors,
// which fail the chunk and send the whole input to kyaml's reader. Any
// other shape is read by kyaml's reader too. TestParallelReadMatchesKyaml
// and FuzzProcess compare the two.
func ReadResourceList(b []byte) (*ResourceList, error) {
	if rl, ok := readParallel(b); ok {
		return rl, nil
	}
	r := &kio.ByteReader{Reader: bytes.NewReader(b)}
	items, err := r.Read()
	if err != nil {
		return nil, err
	}
	return &ResourceList{Items: items, FunctionConfig: r.FunctionConfig, APIVersion: r.WrappingAPIVersion, Kind: r.WrappingKind}, nil
}

func readParallel(b []byte) (*ResourceList, bool) {
	if bytes.IndexByte(b, '\r') >= 0 || bytes.Contains(b, []byte("\n---")) || bytes.HasPrefix(b, []byte("---")) {
		return nil, false
	}
	lines := strings.SplitAfter(string(b), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimRight(l, "\n") == "items:" {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, false
	}
	end := len(lines)
	var itemStarts []int
	for i := start + 1; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "\n" || l == "" || l[0] == ' ':
		case strings.HasPrefix(l, "- ") || l == "-\n":
			itemStarts = append(itemStarts, i)
		case l[0] == '#' || l[0] == '\t':
			return nil, false
		default:
			end = i
		}
		if end != len(lines) {
			break
		}
	}
	if len(itemStarts) < minParallelItems || itemStarts[0] != start+1 {
		return nil, false
	}
	workers := runtime.GOMAXPROCS(0)
	per := (len(itemStarts) + workers - 1) / workers
	chunks := make([][]*yaml.Node, workers)
	failed := make([]bool, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo := min(w*per, len(itemStarts))
		hi := min((w+1)*per, len(itemStarts))
		if lo == hi {
			continue
		}
		from, to := itemStarts[lo], end
		if hi < len(itemStarts) {
			to = itemStarts[hi]
		}
		wg.Add(1)
		go func(w int, text string, want int) {
			defer wg.Done()
			var doc yaml.Node
			if err := yaml.NewDecoder(strings.NewReader(text)).Decode(&doc); err != nil ||
				len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != want {
				failed[w] = true
				return
			}
			chunks[w] = doc.Content[0].Content
		}(w, strings.Join(lines[from:to], ""), hi-lo)
	}
	// The rest: the header, functionConfig and results, with no items.
	rest := strings.Join(lines[:start], "") + "items: []\n" + strings.Join(lines[end:], "")
	r := &kio.ByteReader{Reader: strings.NewReader(rest)}
	_, restErr := r.Read()
	wg.Wait()
	if restErr != nil || r.WrappingKind != kio.ResourceListKind {
		return nil, false
	}
	for _, f := range failed {
		if f {
			return nil, false
		}
	}
	items := make([]*yaml.RNode, 0, len(itemStarts))
	for _, c := range chunks {
		for _, n := range c {
			items = append(items, yaml.NewRNode(n))
		}
	}
	return &ResourceList{Items: items, FunctionConfig: r.FunctionConfig, APIVersion: r.WrappingAPIVersion, Kind: r.WrappingKind}, true
}

// ErrNotResourceList is the error of a YAML stream where a ResourceList is
// wanted.
var ErrNotResourceList = errors.New("reading the ResourceList: the input is not a ResourceList; for a YAML stream use rollspec render -")
