package fn

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"rollspec.dev/rollspec/fn/api"
)

// The three commands of the Argo CD Config Management Plugin
// (examples/argocd/plugin.yaml). Argo CD runs each in the app's directory
// inside the sidecar, which has no shell: each is one rollspec command.

// ArgoDiscover prints the files of an app directory that hold a Release,
// one per line, and nothing when there is none: Argo CD takes non-empty
// output as "this plugin renders the app". A Release is any object of kind
// Release in the rollspec.dev group in the directory's YAML files (the
// files render reads), for a kustomization also in the files its
// resources name, or, for a chart, in its templates. A file that does not
// parse, or holds an item meant to be a Release that is not one (kind
// Relase, group rollspec.io), still counts, so that the broken Release
// reaches generate and its error, instead of Argo CD applying the
// directory as plain manifests.
func ArgoDiscover(dir string, out io.Writer) error {
	kind := DetectSource(dir)
	sources, err := releaseFiles(dir, kind, BuildOptions{})
	if err != nil {
		return err
	}
	var files []string
	for _, f := range sources {
		files = append(files, f.path)
	}
	if kind == SourceHelm {
		templates, _ := filepath.Glob(filepath.Join(dir, "templates", "*.yaml"))
		files = append(files, templates...)
	}
	for _, f := range files {
		if holdsRelease(f, kind == SourceHelm && filepath.Base(filepath.Dir(f)) == "templates") {
			rel, err := filepath.Rel(dir, f)
			if err != nil {
				rel = f
			}
			fmt.Fprintln(out, rel)
		}
	}
	return nil
}

// holdsRelease reports whether a file holds a Release. A chart template is
// not YAML until Helm renders it, so it is only searched as text.
func holdsRelease(file string, template bool) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	text := string(b)
	looksLike := strings.Contains(text, "rollspec.dev/") && strings.Contains(text, "Release")
	if template {
		return looksLike
	}
	nodes, err := readStream(strings.NewReader(text), file)
	if err != nil {
		return looksLike
	}
	// An item meant to be a Release (kind Relase, group rollspec.io)
	// counts too, so that generate reports it.
	releases, err := releasesIn(nodes)
	return err != nil || len(releases) > 0
}

// ParameterAnnouncement is one entry of the plugin's dynamic parameters,
// in the shape Argo CD's UI reads.
type ParameterAnnouncement struct {
	Name           string            `json:"name"`
	Title          string            `json:"title,omitempty"`
	Tooltip        string            `json:"tooltip,omitempty"`
	CollectionType string            `json:"collectionType,omitempty"`
	String         string            `json:"string,omitempty"`
	Array          []string          `json:"array,omitempty"`
	Map            map[string]string `json:"map,omitempty"`
}

// ArgoParam is a parameter the plugin announces: its name (PARAM_<NAME>)
// and the spec field it sets.
type ArgoParam struct{ Name, Field string }

// ArgoParameters prints the parameters the UI offers for an app, each with
// its current value from the app's Releases (empty when unset, or when the
// Releases disagree), as JSON. A Helm app also gets values-files and
// helm-parameters.
func ArgoParameters(dir string, params []ArgoParam, out io.Writer) error {
	kind := DetectSource(dir)
	var releases []*yaml.RNode
	if kind == SourcePlain {
		nodes, err := readArg(dir, nil)
		if err != nil {
			return err
		}
		releases = releasesOnly(nodes)
	} else {
		var err error
		if releases, err = releasesBeside(dir, kind, BuildOptions{}); err != nil {
			return err
		}
	}
	var list []ParameterAnnouncement
	for _, param := range params {
		field := param.Field
		p := ParameterAnnouncement{
			Name:    strings.ToLower(strings.ReplaceAll(param.Name, "_", "-")),
			Title:   "spec." + field,
			Tooltip: fieldDoc(field) + " Overrides spec." + field + " of every Release in the app.",
		}
		p.String = currentValue(releases, field)
		list = append(list, p)
	}
	if kind == SourceHelm {
		list = append(list,
			ParameterAnnouncement{Name: paramValuesFiles, Title: "Values files", Tooltip: "helm template --values, relative to the chart, in order.", CollectionType: "array", Array: []string{}},
			ParameterAnnouncement{Name: paramHelmParameters, Title: "Helm parameters", Tooltip: "helm template --set KEY=VALUE.", CollectionType: "map", Map: map[string]string{}},
		)
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// currentValue is the value of a spec field in the Releases, "" when it
// is unset in all of them or differs between them.
func currentValue(releases []*yaml.RNode, field string) string {
	value, seen := "", false
	for _, r := range releases {
		n, err := r.Pipe(yaml.Lookup(append([]string{"spec"}, strings.Split(field, ".")...)...))
		v := ""
		if err == nil && n != nil && n.YNode().Kind == yaml.ScalarNode {
			v = n.YNode().Value
		}
		if seen && v != value {
			return ""
		}
		value, seen = v, true
	}
	return value
}

// fieldDoc is the description of a dotted spec field.
func fieldDoc(dotted string) string {
	f, err := api.LookupField(dotted)
	if err != nil {
		return ""
	}
	return f.Doc
}

// ArgoGenerate renders an app directory for Argo CD: a plain directory as
// render does, a kustomization with kustomize build, a chart with helm
// template, then the Releases beside them (and, for a chart, those it
// renders) with the Application's parameters, and prints a plain YAML
// stream. Helm hooks pass through unchanged (Argo CD runs them as its own
// hooks). On any error nothing is printed.
func ArgoGenerate(dir string, getenv func(string) string, overrides map[string]string, out, errOut io.Writer) error {
	opts, err := BuildOptionsFromEnv(dir, getenv)
	if err != nil {
		return err
	}
	kind := DetectSource(dir)
	items, err := Build(dir, kind, opts, errOut)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("no manifests found in %s", dir)
	}
	stream := streamOptions{passThrough: isHelmHook}
	return renderStream(items, overrides, stream, fmt.Sprintf("the %s app in %s", kind, dir), out, errOut)
}
