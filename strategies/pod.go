package strategies

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// defaultGracePeriodSeconds is the pod default of terminationGracePeriodSeconds.
const defaultGracePeriodSeconds = 30

// Container returns the target container of a workload: the named one,
// or the only one. The finding explains a missing or ambiguous container,
// or a container list the API server would reject (an entry that is not a
// mapping, a container without a name, two containers of one name).
func Container(dep *yaml.RNode, name string) (*yaml.Node, []Finding) {
	const at = "spec.template.spec.containers"
	depName, kind := Name(dep), Kind(dep)
	cs := path(dep.YNode(), "spec", "template", "spec", "containers")
	if cs == nil || cs.Kind != yaml.SequenceNode || len(cs.Content) == 0 {
		return nil, []Finding{errorf("spec.deployment", "%s %q has no list of containers at %s; allowed: a %s with at least one container", kind, depName, at, kind)}
	}
	var names []string
	var found *yaml.Node
	seen := map[string]bool{}
	for i, c := range cs.Content {
		n := scalar(field(c, "name"))
		switch {
		case c.Kind != yaml.MappingNode:
			return nil, []Finding{errorf("spec.deployment", "%s %q: %s[%d] is not a container; allowed: a mapping with a name and an image", kind, depName, at, i)}
		case n == "":
			return nil, []Finding{errorf("spec.deployment", "%s %q: %s[%d] has no name; allowed: every container named", kind, depName, at, i)}
		case seen[n]:
			return nil, []Finding{errorf("spec.deployment", "%s %q has two containers named %q; allowed: one container per name", kind, depName, n)}
		}
		seen[n] = true
		names = append(names, n)
		if name != "" && n == name {
			found = c
		}
	}
	switch {
	case found != nil:
		return found, nil
	case name != "":
		return nil, []Finding{errorf("spec.container", "%s %q has no container %q; allowed: %s", kind, depName, name, strings.Join(names, ", "))}
	case len(names) > 1:
		return nil, []Finding{errorf("spec.container", "%s %q has %d containers, so the target is ambiguous; allowed: one of %s", kind, depName, len(names), strings.Join(names, ", "))}
	}
	return cs.Content[0], nil
}

// CheckImage says what is wrong with an image reference, with the grammar
// of go-containerregistry (distribution's reference grammar, which the
// container runtimes apply).
func CheckImage(image string) error {
	if _, err := name.ParseReference(image); err != nil {
		return fmt.Errorf("%q is not an image reference; allowed: [registry[:port]/]repository[:tag][@digest], the repository in lower case, such as registry.example.com/web:1.2", image)
	}
	return nil
}

// WithTag replaces the tag of an image reference (dropping any digest).
func WithTag(image, tag string) string {
	return Repository(image) + ":" + tag
}

// Repository strips the tag and digest from an image reference.
func Repository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon]
	}
	return image
}

// ImageTag returns the tag of an image reference, or "" when it has none.
func ImageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[colon+1:]
	}
	return ""
}

// podEdit is what the release sets on one pod template.
type podEdit struct {
	image   string // "" keeps the image
	version string // "" keeps the version label
	// versionPath is the field a bad version label is blamed on ("":
	// spec.version).
	versionPath string
}

// releaseImage works out the image and version the spec asks for, given
// the container's current image.
func releaseImage(o *Options, current string) podEdit {
	e := podEdit{image: o.Image}
	if o.Tag != "" {
		e.image = WithTag(current, o.Tag)
	}
	e.version = o.Version
	if e.version == "" && e.image != "" {
		e.version = ImageTag(e.image)
	}
	return e
}

// editPod applies image, version label, probes and shutdown to the pod
// template of dep; c is the target container in dep.
func editPod(dep *yaml.RNode, c *yaml.Node, o *Options, e podEdit) []Finding {
	var out []Finding
	if e.image != "" {
		setField(c, "image", strNode(e.image))
	}
	if e.version != "" {
		if err := CheckLabelValue(e.version); err != nil {
			// An image tag may be longer than a label value allows.
			at := firstNonEmpty(e.versionPath, "spec.version")
			out = append(out, warningf(at, "the version label is left as it was: %v; set %s", err, at))
		} else {
			setField(mapping(dep.YNode(), "spec", "template", "metadata", "labels"), LabelVersion, strNode(e.version))
		}
	}
	for i := range o.Probes {
		p := &o.Probes[i]
		// The probe is replaced whole, so a merge never leaves two handlers.
		n, f := probeNode(p, c)
		out = append(out, prefix(p.Path, f)...)
		if n != nil {
			setField(c, probeKeys[p.Kind], n)
		}
	}
	if o.PreStopSleep != nil {
		// The sleep action needs no shell or sleep binary in the image.
		pre := newMap()
		sleep := newMap()
		setField(sleep, "seconds", intNode(*o.PreStopSleep))
		setField(pre, "sleep", sleep)
		setField(mapping(c, "lifecycle"), "preStop", pre)
	}
	if o.GracePeriod != nil {
		setField(mapping(dep.YNode(), "spec", "template", "spec"), "terminationGracePeriodSeconds", intNode(*o.GracePeriod))
	}
	if o.PreStopSleep != nil {
		grace, ok := intField(dep.YNode(), "spec", "template", "spec", "terminationGracePeriodSeconds")
		if !ok {
			grace = defaultGracePeriodSeconds
		}
		switch {
		case *o.PreStopSleep > grace:
			// The API server rejects it: "must be non-negative and less
			// than terminationGracePeriodSeconds".
			out = append(out, errorf("spec.shutdown.preStopSleep", "%ds is longer than the grace period of %ds, which the API server rejects; allowed: a sleep shorter than spec.shutdown.gracePeriod", *o.PreStopSleep, grace))
		case *o.PreStopSleep == grace:
			out = append(out, warningf("spec.shutdown.preStopSleep", "%ds is not shorter than the grace period of %ds: the pod is killed before the sleep ends and the app never gets SIGTERM; allowed: a sleep shorter than spec.shutdown.gracePeriod", *o.PreStopSleep, grace))
		}
	}
	return out
}

// versionInSelector reports a selector key that rollspec changes from
// release to release: the Deployment's selector is immutable, so the next
// release would be rejected by the API server.
func versionInSelector(dep *yaml.RNode, e podEdit) []Finding {
	if e.version == "" {
		return nil
	}
	for _, k := range selectorKeys(path(dep.YNode(), "spec", "selector")) {
		if k == LabelVersion {
			return []Finding{errorf("spec.version", "%s %q selects on %s, which changes with every release, and a %s's selector is immutable (the API server rejects the change); allowed: a selector without %s", Kind(dep), Name(dep), LabelVersion, Kind(dep), LabelVersion)}
		}
	}
	return nil
}

// podImage is the image of a workload's first container, for messages.
func podImage(d *yaml.RNode) string {
	if cs := path(d.YNode(), "spec", "template", "spec", "containers"); cs != nil && cs.Kind == yaml.SequenceNode && len(cs.Content) > 0 {
		if img := scalar(field(cs.Content[0], "image")); img != "" {
			return img
		}
	}
	return "(no image)"
}
