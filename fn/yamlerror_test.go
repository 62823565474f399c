package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadSyntaxErrorLine: a YAML syntax error names the file and the line
// to fix, counted from the top of the file, in every document of a stream.
func TestReadSyntaxErrorLine(t *testing.T) {
	const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  a: b\n"
	tests := []struct {
		name, text string
		want       string // first line of the error
	}{
		{"bad indent", "a:\n  b: c\n d: e\n", "f.yaml:3: YAML syntax error: did not find expected key"},
		{"sequence item in a mapping", "a: b\nc: d\n- e\n", "f.yaml:3: YAML syntax error: did not find expected key"},
		{"tab", "a:\n  b: c\n\td: 1\n", "f.yaml:3: YAML syntax error: found a tab character that violates indentation"},
		{"mapping value in a plain scalar", "a: b\nc: d\ne:\n  f: g: h\n", "f.yaml:4: YAML syntax error: mapping values are not allowed in this context"},
		{"unclosed flow sequence", "a: b\nc: [x\nd: e\n", "f.yaml:2: YAML syntax error: did not find expected ',' or ']'"},
		{"unclosed quote", "a: b\nc: \"x\nd: e\n", "f.yaml:2: YAML syntax error: found unexpected end of stream"},
		{"third document", cm + "---\n" + cm + "---\n" + strings.Replace(cm, "  a: b", "  a: [b", 1), "f.yaml:20: YAML syntax error: did not find expected ',' or ']'"},
		{"after a separator with a comment", cm + "--- # two\n" + cm + " c: d\n", "f.yaml:14: YAML syntax error: did not find expected key"},
		{"Windows line ends", strings.ReplaceAll(cm+"---\n"+"a:\n  b: c\n d: e\n", "\n", "\r\n"), "f.yaml:10: YAML syntax error: did not find expected key"},
		{"text after a separator", cm + "--- a: b\n" + cm, "f.yaml:7: YAML syntax error: a document separator must stand alone on its line; allowed: --- optionally followed by a # comment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readStream(strings.NewReader(tc.text), "f.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			first, quoted, _ := strings.Cut(err.Error(), "\n")
			if diff := cmp.Diff(tc.want, first); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// The quoted line is the one named.
			if !strings.Contains(quoted, " | ") {
				t.Errorf("the error does not show the line: %q", err)
			}
		})
	}
}

func TestSyntaxErrorNoneOnGoodYAML(t *testing.T) {
	if err := syntaxError("f.yaml", "a: b\n---\nc: [d, e]\n"); err != nil {
		t.Errorf("got %v", err)
	}
}
