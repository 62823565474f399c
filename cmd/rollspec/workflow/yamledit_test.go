package workflow

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestApplyOps(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		doc     int
		ops     []op
		want    string
		wantErr string
	}{{
		name: "replace a plain scalar, keep the comment after it",
		in:   "spec:\n  image: a:1   # why\n  replicas: 2\n",
		ops:  []op{put("spec.image", strValue("a:2"))},
		want: "spec:\n  image: a:2   # why\n  replicas: 2\n",
	}, {
		name: "a double-quoted scalar stays double-quoted",
		in:   "spec:\n  image: \"a:1\"\n",
		ops:  []op{put("spec.image", strValue("a:2"))},
		want: "spec:\n  image: \"a:2\"\n",
	}, {
		name: "a string that reads as a number is quoted",
		in:   "spec:\n  version: v1\n",
		ops:  []op{put("spec.version", strValue("1.10"))},
		want: "spec:\n  version: \"1.10\"\n",
	}, {
		name: "insert after a block list written at the key's indent",
		in:   "spec:\n  steps:\n  - 10\n  - 50\n# after spec\nkind: Release\n",
		ops:  []op{put("spec.step", intValue(1))},
		want: "spec:\n  steps:\n  - 10\n  - 50\n  step: 1\n# after spec\nkind: Release\n",
	}, {
		name: "insert at the end of a file without a final line break",
		in:   "spec:\n  a: 1",
		ops:  []op{put("spec.b", intValue(2))},
		want: "spec:\n  a: 1\n  b: 2",
	}, {
		name: "delete the last entry of a file without a final line break",
		in:   "spec:\n  a: 1\n  b:\n    c: 2",
		ops:  []op{del("spec.b")},
		want: "spec:\n  a: 1",
	}, {
		name: "delete a block with its head comment and the comments inside it",
		in:   "spec:\n  a: 1\n  # about b\n  b:\n    c: 2\n    # step: 3\n\n  # about d\n  d: 4\n",
		ops:  []op{del("spec.b")},
		want: "spec:\n  a: 1\n\n  # about d\n  d: 4\n",
	}, {
		name: "delete the first, middle and last entries of a flow mapping",
		in:   "spec: {a: 1, b: [1, 2], c: {d: e}, f: g}\n",
		ops:  []op{del("spec.a"), del("spec.c"), del("spec.f")},
		want: "spec: {b: [1, 2]}\n",
	}, {
		name: "delete the only entry of a flow mapping, then add one",
		in:   "spec: {canary: {image: x}}\nnext: 1\n",
		ops:  []op{del("spec.canary.image"), put("spec.canary.step", intValue(0))},
		want: "spec: {canary: {step: 0}}\nnext: 1\n",
	}, {
		name: "a nested mapping added to a block mapping uses the document's indent",
		in:   "spec:\n    blueGreen:\n        active: blue\n",
		ops:  []op{put("spec.blueGreen.green", value{mapping: []keyValue{{"image", strValue("a:2")}}})},
		want: "spec:\n    blueGreen:\n        active: blue\n        green:\n            image: a:2\n",
	}, {
		name: "a nested mapping added to a flow mapping is a flow mapping",
		in:   "bg: {active: blue, blue: {image: a}}\n",
		ops:  []op{put("bg.green", value{mapping: []keyValue{{"image", strValue("a:2")}, {"version", strValue("2")}}})},
		want: "bg: {active: blue, blue: {image: a}, green: {image: a:2, version: \"2\"}}\n",
	}, {
		name: "a value with a flow indicator is quoted inside a flow mapping",
		in:   "spec: {image: a}\n",
		ops:  []op{put("spec.image", strValue("a,b"))},
		want: "spec: {image: \"a,b\"}\n",
	}, {
		name: "other documents keep every byte",
		in:   "a: 1   # one\n---\n# two\nspec:\n  x: 1\n---\nc:   3\n",
		doc:  1,
		ops:  []op{put("spec.x", intValue(2))},
		want: "a: 1   # one\n---\n# two\nspec:\n  x: 2\n---\nc:   3\n",
	}, {
		name: "characters wider than a byte before the value",
		in:   "spec: {note: \"é\", image: a:1}\n",
		ops:  []op{put("spec.image", strValue("a:2"))},
		want: "spec: {note: \"é\", image: a:2}\n",
	}, {
		name:    "an alias on the path",
		in:      "base: &b {image: a}\nspec: *b\n",
		ops:     []op{put("spec.image", strValue("a:2"))},
		wantErr: "spec: is a YAML alias; edit it by hand",
	}, {
		name:    "a merge key on the path",
		in:      "base: &b {image: a}\nspec:\n  <<: *b\n",
		ops:     []op{put("spec.image", strValue("a:2"))},
		wantErr: "spec: uses a merge key (<<); edit it by hand",
	}, {
		name:    "a multi-line plain scalar",
		in:      "spec:\n  image: a\n    b\n",
		ops:     []op{put("spec.image", strValue("c"))},
		wantErr: "spec.image: is a scalar over several lines; edit it by hand",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := applyOps([]byte(c.in), c.doc, c.ops)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(c.wantErr, gotErr); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(c.want, string(got)); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPlainSafe(t *testing.T) {
	cases := []struct {
		in   string
		flow bool
		want bool
	}{
		{"nginx:1.11.9", false, true},
		{"registry.sword.org/hexo:v0.50", true, true},
		{"v1.0", false, true},
		{"1.0", false, false},
		{"2024-01-01", false, false},
		{"no", false, false},
		{"On", false, false},
		{"a #b", false, false},
		{"a: b", false, false},
		{"a,b", true, false},
		{"a,b", false, true},
		{"@x", false, false},
		{"*x", false, false},
		{"", false, false},
	}
	for _, c := range cases {
		if got := plainSafe(c.in, c.flow); got != c.want {
			t.Errorf("plainSafe(%q, flow %v) = %v, want %v", c.in, c.flow, got, c.want)
		}
	}
}

// FuzzApplyOps: whatever the file, an edit either fails or gives a stream
// that parses, holds the same number of documents, keeps the other
// documents' bytes, and reads as asked.
func FuzzApplyOps(f *testing.F) {
	f.Add("spec:\n  canary:\n    image: a\n    step: 0\n---\nb: 1\n", "spec.canary.step", "2")
	f.Add("spec: {canary: {image: a, steps: [1, 2]}}\n", "spec.canary.step", "1")
	f.Add("# c\nspec:\n  image: 'x' # y\n", "spec.image", "a:b")
	f.Fuzz(func(t *testing.T, in, path, val string) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("hang on %q %q %q", in, path, val))
			}
		}()
		if path == "" || strings.HasPrefix(path, ".") || strings.HasSuffix(path, ".") || strings.Contains(path, "..") {
			return
		}
		s, err := parseStream([]byte(in))
		if err != nil || len(s.docs) == 0 {
			return
		}
		out, err := applyOps([]byte(in), 0, []op{put(path, strValue(val))})
		if err != nil {
			return
		}
		s2, err := parseStream(out)
		if err != nil {
			t.Fatalf("the edited stream does not parse: %v\n%s", err, out)
		}
		if len(s2.docs) != len(s.docs) {
			t.Fatalf("%d documents became %d", len(s.docs), len(s2.docs))
		}
		if len(s.docs) > 1 {
			tail := string(s.src[s.offset(s.docs[1].Line, 1):])
			if !strings.HasSuffix(string(out), tail) {
				t.Fatalf("the documents after the first changed:\n%s", out)
			}
		}
		m, err := mappingAt(s2.docs[0], put(path, strValue(val)).path)
		if err != nil {
			t.Fatal(err)
		}
		_, v, _ := lookup(m, put(path, strValue(val)).key)
		if v == nil || v.Value != val || v.ShortTag() != "!!str" {
			t.Fatalf("%s reads %v, want %q", path, v, val)
		}
	})
}
