package fn

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/krmio"
	"rollspec.dev/rollspec/fn/plan"
	"rollspec.dev/rollspec/strategies"
)

// skippedFiles are never read by render: they configure tools, they are
// not manifests.
var skippedFiles = map[string]bool{
	"kustomization.yaml": true, "kustomization.yml": true, "Kustomization": true, "Kptfile": true,
}

// Render reads manifests and Releases from files, directories (their
// *.yaml and *.yml files, not recursively) and "-" (a YAML stream on
// stdin), renders them and writes a plain YAML stream without Releases and
// local-config objects. overrides set spec fields on every Release (see
// OverridesFromEnv). Warnings go to errOut. On error nothing is written
// to out: an empty stream with exit 0 would make Argo CD prune the app.
func Render(args []string, overrides map[string]string, stdin io.Reader, out, errOut io.Writer) error {
	items, err := readArgs(args, stdin)
	if err != nil {
		return err
	}
	what := "."
	if len(args) > 0 {
		what = strings.Join(args, " ")
	}
	return renderStream(items, overrides, streamOptions{}, what, out, errOut)
}

// readArgs reads every render argument; no manifest at all is an error.
func readArgs(args []string, stdin io.Reader) ([]*yaml.RNode, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	var items []*yaml.RNode
	for _, arg := range args {
		nodes, err := readArg(arg, stdin)
		if err != nil {
			return nil, err
		}
		items = append(items, nodes...)
	}
	if len(items) == 0 {
		// An empty stream with exit 0 would make Argo CD prune the whole app.
		return nil, fmt.Errorf("no manifests found in %s", strings.Join(args, " "))
	}
	return items, nil
}

// readArg reads one render argument.
func readArg(arg string, stdin io.Reader) ([]*yaml.RNode, error) {
	if arg == "-" {
		return readStream(stdin, "")
	}
	info, err := os.Stat(arg)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", arg, err)
	}
	if !info.IsDir() {
		return readFile(arg)
	}
	entries, err := os.ReadDir(arg)
	if err != nil {
		return nil, fmt.Errorf("reading directory %s: %w", arg, err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || skippedFiles[n] || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*yaml.RNode
	for _, n := range names {
		nodes, err := readFile(filepath.Join(arg, n))
		if err != nil {
			return nil, err
		}
		out = append(out, nodes...)
	}
	return out, nil
}

func readFile(name string) ([]*yaml.RNode, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	defer f.Close()
	return readStream(f, name)
}

// readStream parses a YAML stream; name, when set, goes into the path
// annotation so results can name the file.
func readStream(r io.Reader, name string) ([]*yaml.RNode, error) {
	display := name
	if display == "" {
		display = "standard input"
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}
	br := &kio.ByteReader{Reader: bytes.NewReader(b), PreserveSeqIndent: true}
	if name != "" {
		br.SetAnnotations = map[string]string{kioutil.PathAnnotation: name}
	}
	nodes, err := br.Read()
	if err != nil {
		// kyaml's message counts lines from the start of the document
		// and names where the broken construct began.
		if serr := syntaxError(display, string(b)); serr != nil {
			return nil, serr
		}
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}
	if err := releasesInLists(nodes, br.WrappingKind == "List", display); err != nil {
		return nil, err
	}
	krmio.MarkBare(nodes)
	return nodes, nil
}

// MsgReleaseInList is the error of a Release written as an item of a
// kind: List. kyaml unwraps a List only when it is the file's one
// document, so such a Release would be applied or ignored (and the List
// printed) depending on the rest of the file, and the verbs, which edit
// documents, never see it: it is refused wherever it is.
const MsgReleaseInList = "%s: document %d is a List holding Release %s; a Release inside a List is not read; allowed: the Release as a document of its own (--- between documents)"

// releasesInLists refuses a stream in which a List holds a Release:
// unwrapped (the List was the only document) or as a document.
func releasesInLists(nodes []*yaml.RNode, unwrapped bool, display string) error {
	if unwrapped {
		for _, n := range nodes {
			if isRelease(n) {
				return fmt.Errorf(MsgReleaseInList, display, 1, n.GetName())
			}
		}
		return nil
	}
	for i, n := range nodes {
		if kindOf(n) != "List" {
			continue
		}
		if name := ReleaseInList(n.YNode()); name != "" {
			return fmt.Errorf(MsgReleaseInList, display, i+1, name)
		}
	}
	return nil
}

// ReleaseInList is the name of the first Release among a List document's
// items ("" when it holds none).
func ReleaseInList(list *yaml.Node) string {
	items := yaml.NewRNode(list).Field("items")
	if items == nil || items.Value.YNode().Kind != yaml.SequenceNode {
		return ""
	}
	for _, it := range items.Value.YNode().Content {
		if n := yaml.NewRNode(it); it.Kind == yaml.MappingNode && isRelease(n) {
			return n.GetName()
		}
	}
	return ""
}

// logResults writes the warnings and infos, one line each; the errors
// reach the user as the command's error.
func logResults(w io.Writer, results framework.Results) {
	for _, r := range results {
		if r.Severity != framework.Error {
			fmt.Fprintf(w, "%s: %s\n", r.Severity, r.Message)
		}
	}
}

// Plan renders the inputs like Render and returns, for each Release, the
// rollout the workload's controller will perform.
func Plan(args []string, overrides map[string]string, stdin io.Reader, errOut io.Writer) ([]plan.ReleasePlan, error) {
	return PlanOnNodes(args, overrides, stdin, errOut, 0)
}

// PlanOnNodes is Plan with the number of nodes DaemonSets are planned on
// (0: plan.DefaultNodes), which a render cannot know.
func PlanOnNodes(args []string, overrides map[string]string, stdin io.Reader, errOut io.Writer, nodes int64) ([]plan.ReleasePlan, error) {
	items, err := readArgs(args, stdin)
	if err != nil {
		return nil, err
	}
	if err := applyOverrides(items, overrides); err != nil {
		return nil, err
	}
	rl := &framework.ResourceList{Items: items}
	outcomes, err := Processor{}.Render(rl)
	logResults(errOut, rl.Results)
	if err != nil {
		return nil, err
	}
	inputs := make([]plan.Input, 0, len(outcomes))
	for _, oc := range outcomes {
		in := plan.Input{Release: oc.Release.ID(), Strategy: oc.Release.StrategyName(), Workloads: oc.Workloads, Input: oc.Input, Output: oc.Output, Nodes: nodes}
		in.Describer, _ = oc.Release.Strategy().(strategies.Describer)
		inputs = append(inputs, in)
	}
	return plan.Of(inputs), nil
}
