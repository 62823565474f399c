package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// kyaml's reader splits a stream into documents before it parses them, so
// the line in its syntax errors counts from the start of the document, not
// of the file; and the YAML parser names the line where the enclosing
// construct began (the mapping a bad indent sits in), often one or more
// lines before the one to fix. syntaxError finds the line a user has to
// look at.

// documentSeparator is the separator kyaml's reader splits on.
var documentSeparator = regexp.MustCompile(`\n---.*\n`)

// yamlLineError is the parser's message: "yaml: line N: what".
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// refineWindow bounds how far past the parser's line syntaxError looks for
// the line that breaks the document (each step parses a prefix again).
const refineWindow = 200

// syntaxError parses the stream text document by document, as kyaml's
// reader does, and describes the first syntax error as
// "NAME:LINE: YAML syntax error: WHAT" followed by the line itself. It
// returns nil when it finds no syntax error (the caller then keeps the
// reader's own error).
func syntaxError(name, text string) error {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	start, line := 0, 1
	for _, loc := range append(documentSeparator.FindAllStringIndex(text, -1), []int{len(text), len(text)}) {
		doc := text[start:loc[0]]
		if loc[0] < len(text) {
			doc += "\n"
			if rest := strings.TrimSpace(text[loc[0]+4 : loc[1]]); rest != "" && !strings.HasPrefix(rest, "#") {
				sepLine := line + strings.Count(text[start:loc[0]], "\n") + 1
				return fmt.Errorf("%s:%d: YAML syntax error: a document separator must stand alone on its line; allowed: --- optionally followed by a # comment\n%s", name, sepLine, quoteLine(text, sepLine))
			}
		}
		if rel, msg, ok := firstSyntaxError(doc); ok {
			abs := line + rel - 1
			return fmt.Errorf("%s:%d: YAML syntax error: %s\n%s", name, abs, msg, quoteLine(text, abs))
		}
		line += strings.Count(text[start:loc[1]], "\n")
		start = loc[1]
	}
	return nil
}

// firstSyntaxError reports the line (1-based, in doc) and the message of
// doc's syntax error. The parser's line is where the broken construct
// begins; the first prefix of the document that fails with the same
// message ends at the line that breaks it.
func firstSyntaxError(doc string) (int, string, bool) {
	reported, msg, ok := parseError(doc)
	if !ok {
		return 0, "", false
	}
	lines := strings.SplitAfter(doc, "\n")
	for l := max(reported, 1); l <= len(lines) && l <= reported+refineWindow; l++ {
		if _, m, failed := parseError(strings.Join(lines[:l], "")); failed && m == msg {
			return l, msg, true
		}
	}
	return max(reported, 1), msg, true
}

// parseError decodes every node of doc and returns the line and message of
// a syntax error.
func parseError(doc string) (int, string, bool) {
	dec := yaml.NewDecoder(bytes.NewBufferString(doc))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return 0, "", false
		}
		if err != nil {
			m := yamlLineError.FindStringSubmatch(err.Error())
			if m == nil {
				return 0, strings.TrimPrefix(err.Error(), "yaml: "), true
			}
			l, _ := strconv.Atoi(m[1])
			return l, m[2], true
		}
	}
}

// quoteLine shows line n of text (1-based) the way compilers do.
func quoteLine(text string, n int) string {
	lines := strings.Split(text, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return fmt.Sprintf("%6d | %s", n, lines[n-1])
}
