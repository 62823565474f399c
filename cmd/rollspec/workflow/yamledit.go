package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// The editor below changes a YAML stream by splicing bytes at the
// positions the parser reports, never by re-encoding a tree: a re-encoded
// file loses its quoting, flow style, blank lines and comment placement,
// and a Git commit of it would touch every line. Each operation edits one
// document; the bytes of the others never move. After the edits the
// stream is parsed again and compared with the tree the operations should
// have produced, so an edit that would change anything else is refused
// instead of written.

// stream is a YAML stream with its documents decoded.
type stream struct {
	src  []byte
	docs []*yaml.Node // DocumentNodes, in order
	// lineStart[i] is the offset of line i+1 (the parser counts from 1).
	lineStart []int
	nl        string // the stream's line break: "\n" or "\r\n"
}

// parseStream decodes every document of src; a syntax error is an error.
func parseStream(src []byte) (*stream, error) {
	s := &stream{src: src, nl: "\n"}
	if bytes.Contains(src, []byte("\r\n")) {
		s.nl = "\r\n"
	}
	s.lineStart = []int{0}
	for i, b := range src {
		if b == '\n' {
			s.lineStart = append(s.lineStart, i+1)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		d := doc
		s.docs = append(s.docs, &d)
	}
	return s, nil
}

// offset turns a parser position (1-based line, 1-based column counted in
// characters) into a byte offset.
func (s *stream) offset(line, col int) int {
	if line < 1 || line > len(s.lineStart) {
		return len(s.src)
	}
	off := s.lineStart[line-1]
	for c := 1; c < col && off < len(s.src); c++ {
		_, size := utf8.DecodeRune(s.src[off:])
		off += size
	}
	return off
}

// lineOf is the 0-based line index that holds the byte offset.
func (s *stream) lineOf(off int) int {
	lo, hi := 0, len(s.lineStart)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.lineStart[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// lineText is line i (0-based) without its line break.
func (s *stream) lineText(i int) string {
	start := s.lineStart[i]
	end := len(s.src)
	if i+1 < len(s.lineStart) {
		end = s.lineStart[i+1]
	}
	return strings.TrimRight(string(s.src[start:end]), "\r\n")
}

// lineEnd is the offset just past line i's line break (or the end of input).
func (s *stream) lineEnd(i int) int {
	if i+1 < len(s.lineStart) {
		return s.lineStart[i+1]
	}
	return len(s.src)
}

// value is a YAML value an edit writes: a string, an integer, a list of
// integers (canary steps) or a mapping of those.
type value struct {
	str     string
	isInt   bool
	ints    []int64
	isList  bool
	mapping []keyValue
}

type keyValue struct {
	key string
	val value
}

func strValue(s string) value { return value{str: s} }
func intValue(n int64) value  { return value{str: strconv.FormatInt(n, 10), isInt: true} }
func intsValue(ns []int64) value {
	return value{ints: append([]int64(nil), ns...), isList: true}
}

// String is the value as the change list shows it.
func (v value) String() string {
	switch {
	case v.isList:
		return flowInts(v.ints)
	case v.mapping != nil:
		parts := make([]string, len(v.mapping))
		for i, kv := range v.mapping {
			parts[i] = kv.key + ": " + kv.val.String()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.str
}

func flowInts(ns []int64) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// node is the value as the tree the parser would build from it.
func (v value) node() *yaml.Node {
	switch {
	case v.isList:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, i := range v.ints {
			n.Content = append(n.Content, intValue(i).node())
		}
		return n
	case v.mapping != nil:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, kv := range v.mapping {
			n.Content = append(n.Content, strValue(kv.key).node(), kv.val.node())
		}
		return n
	case v.isInt:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: v.str}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.str}
}

// opKind is what an operation does to its mapping.
type opKind int

const (
	opPut    opKind = iota // set a scalar, adding the key when it is missing
	opDelete               // remove a key and its value
)

// op is one edit of a Release document: put or delete key in the mapping
// at path (keys from the document's root).
type op struct {
	kind opKind
	path []string
	key  string
	val  value
}

func put(path string, v value) op {
	p := strings.Split(path, ".")
	return op{kind: opPut, path: p[:len(p)-1], key: p[len(p)-1], val: v}
}

func del(path string) op {
	p := strings.Split(path, ".")
	return op{kind: opDelete, path: p[:len(p)-1], key: p[len(p)-1]}
}

func (o op) field() string { return strings.Join(append(append([]string(nil), o.path...), o.key), ".") }

// editError is an edit the editor refuses; the file is left as it was.
type editError struct {
	field string
	why   string
}

func (e *editError) Error() string {
	return fmt.Sprintf("%s: %s; edit it by hand", e.field, e.why)
}

// applyOps applies ops in order to document doc of src and returns the new
// stream. Every op is applied to freshly parsed positions, and the result
// is checked against the expected tree.
func applyOps(src []byte, doc int, ops []op) ([]byte, error) {
	s, err := parseStream(src)
	if err != nil {
		return nil, err
	}
	want := cloneNode(s.docs[doc])
	for _, o := range ops {
		if err := o.applyTree(want); err != nil {
			return nil, err
		}
		out, err := o.applyText(s, doc)
		if err != nil {
			return nil, err
		}
		if s, err = parseStream(out); err != nil {
			return nil, fmt.Errorf("%s: the edit would not parse (%v); edit it by hand", o.field(), err)
		}
	}
	if len(s.docs) <= doc {
		return nil, fmt.Errorf("the edit changed the number of documents; edit it by hand")
	}
	if d := treeDiff(want, s.docs[doc], ""); d != "" {
		return nil, fmt.Errorf("the edit would change more than asked (%s); edit it by hand", d)
	}
	return s.src, nil
}

// lookup returns the key and value nodes of key in mapping m.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node, index int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1], i
		}
	}
	return nil, nil, -1
}

// mappingAt walks path from the document root; every step must be a plain
// mapping (no alias, anchor or merge key: an edit there would also change
// whatever shares the node).
func mappingAt(doc *yaml.Node, path []string) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &editError{field: "document", why: "is empty"}
	}
	m := doc.Content[0]
	for i := 0; ; i++ {
		field := strings.Join(path[:i], ".")
		if field == "" {
			field = "the document"
		}
		switch {
		case m.Kind == yaml.AliasNode:
			return nil, &editError{field: field, why: "is a YAML alias"}
		case m.Anchor != "":
			return nil, &editError{field: field, why: "carries a YAML anchor (&" + m.Anchor + ") that other nodes may share"}
		case m.Kind != yaml.MappingNode:
			return nil, &editError{field: field, why: "is not a mapping"}
		}
		if k, _, _ := lookup(m, "<<"); k != nil {
			return nil, &editError{field: field, why: "uses a merge key (<<)"}
		}
		if i == len(path) {
			return m, nil
		}
		_, v, _ := lookup(m, path[i])
		if v == nil {
			return nil, &editError{field: strings.Join(path[:i+1], "."), why: "is missing"}
		}
		m = v
	}
}

// applyTree applies the op to the expected tree.
func (o op) applyTree(doc *yaml.Node) error {
	m, err := mappingAt(doc, o.path)
	if err != nil {
		return err
	}
	k, v, i := lookup(m, o.key)
	switch o.kind {
	case opDelete:
		if k == nil {
			return &editError{field: o.field(), why: "is missing"}
		}
		m.Content = append(m.Content[:i], m.Content[i+2:]...)
	case opPut:
		if k == nil {
			m.Content = append(m.Content, strValue(o.key).node(), o.val.node())
			return nil
		}
		if v.Kind != yaml.ScalarNode && (v.Kind != yaml.SequenceNode || !o.val.isList) {
			return &editError{field: o.field(), why: "is not a scalar"}
		}
		m.Content[i+1] = o.val.node()
	}
	return nil
}

// applyText applies the op to the bytes of document doc.
func (o op) applyText(s *stream, doc int) ([]byte, error) {
	m, err := mappingAt(s.docs[doc], o.path)
	if err != nil {
		return nil, err
	}
	k, v, i := lookup(m, o.key)
	flow := m.Style&yaml.FlowStyle != 0
	switch {
	case o.kind == opDelete && flow:
		return s.deleteFlowEntry(m, i, o.field())
	case o.kind == opDelete:
		return s.deleteBlockEntry(k, o.field())
	case k != nil && v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && o.val.isList:
		return s.replaceBlockList(k, v, o.val, o.field())
	case k != nil:
		return s.replaceValue(v, o.val, o.field(), inFlow(s.docs[doc], m))
	case flow:
		return s.insertFlowEntry(m, o.key, o.val, o.field())
	default:
		return s.insertBlockEntry(m, o.key, o.val, o.field(), indentStep(s.docs[doc]))
	}
}

// inFlow reports whether m sits inside a flow collection (a plain scalar
// there must not hold flow indicators).
func inFlow(root, m *yaml.Node) bool {
	var walk func(n *yaml.Node, flow bool) (found, isFlow bool)
	walk = func(n *yaml.Node, flow bool) (bool, bool) {
		flow = flow || (n.Style&yaml.FlowStyle != 0 && (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode))
		if n == m {
			return true, flow
		}
		for _, c := range n.Content {
			if ok, f := walk(c, flow); ok {
				return true, f
			}
		}
		return false, false
	}
	_, f := walk(root, false)
	return f
}

func splice(src []byte, start, end int, text string) []byte {
	out := make([]byte, 0, len(src)-(end-start)+len(text))
	out = append(out, src[:start]...)
	out = append(out, text...)
	return append(out, src[end:]...)
}

// nodeStart is the offset of a node; nodes with a tag or an anchor start at
// those, so they are refused where their value is edited.
func (s *stream) nodeStart(n *yaml.Node) int { return s.offset(n.Line, n.Column) }

// scalarEnd is the offset just past a scalar's text.
func (s *stream) scalarEnd(n *yaml.Node, field string) (int, error) {
	start := s.nodeStart(n)
	switch {
	case n.Anchor != "":
		return 0, &editError{field: field, why: "carries a YAML anchor"}
	case n.Style&yaml.TaggedStyle != 0:
		return 0, &editError{field: field, why: "carries an explicit tag"}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, &editError{field: field, why: "is a block scalar"}
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := start + 1; i < len(s.src); i++ {
			switch s.src[i] {
			case '\\':
				i++
			case '"':
				return i + 1, nil
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := start + 1; i < len(s.src); i++ {
			if s.src[i] == '\'' {
				if i+1 < len(s.src) && s.src[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, nil
			}
		}
	default:
		// A plain scalar's text is its value when it fits on one line.
		end := start + len(n.Value)
		if end <= len(s.src) && string(s.src[start:end]) == n.Value {
			return end, nil
		}
		return 0, &editError{field: field, why: "is a scalar over several lines"}
	}
	return 0, &editError{field: field, why: "has an unterminated quote"}
}

// flowEnd is the offset just past the bracket that closes the flow
// collection starting at start.
func (s *stream) flowEnd(start int, field string) (int, error) {
	depth := 0
	for i := start; i < len(s.src); i++ {
		switch c := s.src[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		case '"':
			for i++; i < len(s.src) && s.src[i] != '"'; i++ {
				if s.src[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(s.src); i++ {
				if s.src[i] == '\'' {
					if i+1 < len(s.src) && s.src[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '#':
			if i == 0 || s.src[i-1] == ' ' || s.src[i-1] == '\t' || s.src[i-1] == '\n' {
				for i < len(s.src) && s.src[i] != '\n' {
					i++
				}
			}
		}
	}
	return 0, &editError{field: field, why: "has an unclosed flow collection"}
}

// valueEnd is the offset just past a value in flow context.
func (s *stream) valueEnd(n *yaml.Node, field string) (int, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return s.scalarEnd(n, field)
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 && n.Anchor == "" && n.Style&yaml.TaggedStyle == 0 {
			return s.flowEnd(s.nodeStart(n), field)
		}
	}
	return 0, &editError{field: field, why: "is not a plain value in a flow collection"}
}

// replaceValue rewrites an existing scalar (or flow list, for steps) in
// place, keeping its quoting where the new value allows it.
func (s *stream) replaceValue(n *yaml.Node, v value, field string, flow bool) ([]byte, error) {
	if n.Kind == yaml.AliasNode {
		return nil, &editError{field: field, why: "is a YAML alias"}
	}
	start := s.nodeStart(n)
	var end int
	var err error
	switch {
	case n.Kind == yaml.SequenceNode && v.isList:
		if n.Style&yaml.FlowStyle == 0 {
			return nil, &editError{field: field, why: "is a block list"}
		}
		end, err = s.valueEnd(n, field)
	case n.Kind == yaml.ScalarNode:
		end, err = s.scalarEnd(n, field)
	default:
		return nil, &editError{field: field, why: "is not a scalar"}
	}
	if err != nil {
		return nil, err
	}
	text, err := scalarText(v, n.Style, flow)
	if err != nil {
		return nil, &editError{field: field, why: err.Error()}
	}
	return splice(s.src, start, end, text), nil
}

// scalarText writes v in the given style when that reads back as v, else
// double-quoted (JSON strings are valid YAML double-quoted scalars).
func scalarText(v value, style yaml.Style, flow bool) (string, error) {
	switch {
	case v.isList:
		return flowInts(v.ints), nil
	case v.mapping != nil:
		return "", errors.New("is not a scalar")
	case v.isInt:
		return v.str, nil
	case style&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(v.str, "'", "''") + "'", nil
	case style&yaml.DoubleQuotedStyle == 0 && plainSafe(v.str, flow):
		return v.str, nil
	}
	b, err := json.Marshal(v.str)
	return string(b), err
}

// yaml11Words are plain scalars that YAML 1.1 readers (kubectl, the API
// server) take for booleans or null, though YAML 1.2 reads them as strings.
var yaml11Words = map[string]bool{
	"y": true, "yes": true, "n": true, "no": true, "true": true, "false": true,
	"on": true, "off": true, "null": true, "~": true,
}

// plainSafe reports whether s written unquoted reads back as the string s
// in YAML 1.1 and 1.2 alike (not a number, date, boolean or null; no
// comment, mapping or flow indicator).
func plainSafe(s string, flow bool) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\r\t") {
		return false
	}
	if yaml11Words[strings.ToLower(s)] || strings.ContainsAny(s[:1], "0123456789+-.") {
		return false
	}
	if flow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	var n yaml.Node
	doc := "k: " + s
	if flow {
		doc = "{k: " + s + "}"
	}
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil || len(n.Content) == 0 {
		return false
	}
	m := n.Content[0]
	if m.Kind != yaml.MappingNode || len(m.Content) != 2 {
		return false
	}
	v := m.Content[1]
	return v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Value == s && v.Style == 0
}

// entryLines finds the lines of a block mapping entry whose key is k: from
// the key's line to the last line that belongs to it (deeper lines, a
// block list at the key's own indent, comments indented under it).
func (s *stream) entryLines(k *yaml.Node, field string) (first, last, indent int, err error) {
	start := s.nodeStart(k)
	first = s.lineOf(start)
	indent = start - s.lineStart[first]
	if strings.TrimLeft(string(s.src[s.lineStart[first]:start]), " ") != "" {
		return 0, 0, 0, &editError{field: field, why: "does not start its line"}
	}
	last = first
	for i := first + 1; i < len(s.lineStart); i++ {
		line := s.lineText(i)
		trimmed := strings.TrimLeft(line, " ")
		ind := len(line) - len(trimmed)
		switch {
		case trimmed == "" && i == len(s.lineStart)-1 && s.lineStart[i] == len(s.src):
			// the empty remainder after a final line break
		case trimmed == "":
		case strings.HasPrefix(trimmed, "#"):
			if ind > indent {
				last = i
			}
		case ind > indent, ind == indent && (trimmed == "-" || strings.HasPrefix(trimmed, "- ")):
			last = i
		default:
			return first, last, indent, nil
		}
	}
	return first, last, indent, nil
}

// deleteBlockEntry removes a block mapping entry with its lines, and the
// comment lines right above it that the parser attached to it.
func (s *stream) deleteBlockEntry(k *yaml.Node, field string) ([]byte, error) {
	first, last, indent, err := s.entryLines(k, field)
	if err != nil {
		return nil, err
	}
	if k.HeadComment != "" {
		for first > 0 {
			line := s.lineText(first - 1)
			trimmed := strings.TrimLeft(line, " ")
			if !strings.HasPrefix(trimmed, "#") || len(line)-len(trimmed) != indent {
				break
			}
			first--
		}
	}
	start, end := s.lineStart[first], s.lineEnd(last)
	if end == len(s.src) && start > 0 && !bytes.HasSuffix(s.src, []byte("\n")) {
		// The entry is the last line and has no line break: take the one
		// before it instead, so the file keeps its ending.
		start -= len(s.nl)
	}
	return splice(s.src, start, end, ""), nil
}

// replaceBlockList rewrites the items of a block list in place, at the
// indent of its first item: the key line, with the comments above it and
// on it, stays as written (deleting and adding the entry would drop them
// and move the key to the end of its mapping).
func (s *stream) replaceBlockList(k, n *yaml.Node, v value, field string) ([]byte, error) {
	first, last, _, err := s.entryLines(k, field)
	if err != nil {
		return nil, err
	}
	if len(n.Content) == 0 || n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 || s.lineOf(s.nodeStart(n.Content[0])) <= first {
		return nil, &editError{field: field, why: "is a block list that does not start on the line after its key"}
	}
	item := s.lineText(s.lineOf(s.nodeStart(n.Content[0])))
	indent := item[:len(item)-len(strings.TrimLeft(item, " "))]
	var b strings.Builder
	for _, x := range v.ints {
		b.WriteString(indent + "- " + strconv.FormatInt(x, 10) + s.nl)
	}
	text, start, end := b.String(), s.lineStart[first+1], s.lineEnd(last)
	if end == len(s.src) && !bytes.HasSuffix(s.src, []byte("\n")) {
		text = strings.TrimSuffix(text, s.nl) // the file keeps its ending
	}
	return splice(s.src, start, end, text), nil
}

// insertBlockEntry adds key: v after the last entry of block mapping m, at
// the indent of its keys.
func (s *stream) insertBlockEntry(m *yaml.Node, key string, v value, field string, step int) ([]byte, error) {
	if len(m.Content) == 0 {
		return nil, &editError{field: field, why: "would go into an empty mapping"}
	}
	_, last, indent, err := s.entryLines(m.Content[len(m.Content)-2], field)
	if err != nil {
		return nil, err
	}
	text, err := blockText(key, v, indent, step, s.nl)
	if err != nil {
		return nil, &editError{field: field, why: err.Error()}
	}
	at := s.lineEnd(last)
	if at == len(s.src) && !bytes.HasSuffix(s.src, []byte("\n")) {
		text = s.nl + strings.TrimSuffix(text, s.nl)
	}
	return splice(s.src, at, at, text), nil
}

// indentStep is how much deeper a nested block mapping is indented in this
// document (the first one found), 2 when it has none.
func indentStep(n *yaml.Node) int {
	if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Content[0].Column > k.Column {
				return v.Content[0].Column - k.Column
			}
		}
	}
	for _, c := range n.Content {
		if step := indentStep(c); step != 2 {
			return step
		}
	}
	return 2
}

// blockText writes key: v as block lines at indent.
func blockText(key string, v value, indent, step int, nl string) (string, error) {
	pad := strings.Repeat(" ", indent)
	if v.mapping == nil {
		text, err := scalarText(v, 0, false)
		if err != nil {
			return "", err
		}
		return pad + key + ": " + text + nl, nil
	}
	var b strings.Builder
	b.WriteString(pad + key + ":" + nl)
	for _, kv := range v.mapping {
		t, err := blockText(kv.key, kv.val, indent+step, step, nl)
		if err != nil {
			return "", err
		}
		b.WriteString(t)
	}
	return b.String(), nil
}

// flowText writes v inside a flow collection.
func flowText(v value) (string, error) {
	if v.mapping == nil {
		return scalarText(v, 0, true)
	}
	parts := make([]string, len(v.mapping))
	for i, kv := range v.mapping {
		t, err := flowText(kv.val)
		if err != nil {
			return "", err
		}
		parts[i] = kv.key + ": " + t
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

// insertFlowEntry adds key: v at the end of flow mapping m.
func (s *stream) insertFlowEntry(m *yaml.Node, key string, v value, field string) ([]byte, error) {
	text, err := flowText(v)
	if err != nil {
		return nil, &editError{field: field, why: err.Error()}
	}
	if len(m.Content) == 0 {
		at := s.nodeStart(m) + 1
		return splice(s.src, at, at, key+": "+text), nil
	}
	at, err := s.valueEnd(m.Content[len(m.Content)-1], field)
	if err != nil {
		return nil, err
	}
	return splice(s.src, at, at, ", "+key+": "+text), nil
}

// deleteFlowEntry removes entry i of flow mapping m with one of the commas
// around it.
func (s *stream) deleteFlowEntry(m *yaml.Node, i int, field string) ([]byte, error) {
	if i < 0 {
		return nil, &editError{field: field, why: "is missing"}
	}
	start := s.nodeStart(m.Content[i])
	if i+2 < len(m.Content) {
		return splice(s.src, start, s.nodeStart(m.Content[i+2]), ""), nil
	}
	end, err := s.valueEnd(m.Content[i+1], field)
	if err != nil {
		return nil, err
	}
	if i > 0 {
		prevEnd, err := s.valueEnd(m.Content[i-1], field)
		if err != nil {
			return nil, err
		}
		start = prevEnd
	}
	return splice(s.src, start, end, ""), nil
}

// cloneNode copies a tree deeply (aliases keep pointing into the original,
// which treeDiff compares by anchor name).
func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = cloneNode(ch)
	}
	return &c
}

// treeDiff compares two trees by what they mean (kind, tag, value, order),
// not by how they are written; it describes the first difference.
func treeDiff(want, got *yaml.Node, path string) string {
	if want.Kind != got.Kind {
		return fmt.Sprintf("%s changes kind", pathOrRoot(path))
	}
	switch want.Kind {
	case yaml.ScalarNode:
		if want.ShortTag() != got.ShortTag() || want.Value != got.Value {
			return fmt.Sprintf("%s would read %q (%s), not %q (%s)", pathOrRoot(path), got.Value, got.ShortTag(), want.Value, want.ShortTag())
		}
	case yaml.AliasNode:
		if want.Value != got.Value {
			return fmt.Sprintf("%s changes alias", pathOrRoot(path))
		}
	}
	if len(want.Content) != len(got.Content) {
		return fmt.Sprintf("%s would hold %d entries, not %d", pathOrRoot(path), len(got.Content), len(want.Content))
	}
	for i := range want.Content {
		p := path
		switch {
		case want.Kind == yaml.MappingNode && i%2 == 1:
			p = joinPath(path, want.Content[i-1].Value)
		case want.Kind == yaml.MappingNode:
			p = joinPath(path, want.Content[i].Value) + " (key)"
		case want.Kind == yaml.SequenceNode:
			p = fmt.Sprintf("%s[%d]", path, i)
		}
		if d := treeDiff(want.Content[i], got.Content[i], p); d != "" {
			return d
		}
	}
	return ""
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func pathOrRoot(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}
