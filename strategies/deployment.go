package strategies

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// defaultGracePeriodSeconds is the pod default of terminationGracePeriodSeconds.
const defaultGracePeriodSeconds = 30

// labelValue is the syntax of a Kubernetes label value.
var labelValue = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)

// ValidLabelValue says what is wrong with a label value, or "".
func ValidLabelValue(v string) string {
	if len(v) > 63 || !labelValue.MatchString(v) {
		return fmt.Sprintf("%q is not a valid label value; allowed: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", v)
	}
	return ""
}

// Container returns the target container of a Deployment: the named one,
// or the only one. The finding explains a missing or ambiguous container,
// or a container list the API server would reject (an entry that is not a
// mapping, a container without a name, two containers of one name).
func Container(dep *yaml.RNode, name string) (*yaml.Node, []Finding) {
	const at = "spec.template.spec.containers"
	depName := Name(dep)
	cs := path(dep.YNode(), "spec", "template", "spec", "containers")
	if cs == nil || cs.Kind != yaml.SequenceNode || len(cs.Content) == 0 {
		return nil, []Finding{errorf("spec.deployment", "Deployment %q has no list of containers at %s; allowed: a Deployment with at least one container", depName, at)}
	}
	var names []string
	var found *yaml.Node
	seen := map[string]bool{}
	for i, c := range cs.Content {
		n := scalar(field(c, "name"))
		switch {
		case c.Kind != yaml.MappingNode:
			return nil, []Finding{errorf("spec.deployment", "Deployment %q: %s[%d] is not a container; allowed: a mapping with a name and an image", depName, at, i)}
		case n == "":
			return nil, []Finding{errorf("spec.deployment", "Deployment %q: %s[%d] has no name; allowed: every container named", depName, at, i)}
		case seen[n]:
			return nil, []Finding{errorf("spec.deployment", "Deployment %q has two containers named %q; allowed: one container per name", depName, n)}
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
		return nil, []Finding{errorf("spec.container", "Deployment %q has no container %q; allowed: %s", depName, name, strings.Join(names, ", "))}
	case len(names) > 1:
		return nil, []Finding{errorf("spec.container", "Deployment %q has %d containers, so the target is ambiguous; allowed: one of %s", depName, len(names), strings.Join(names, ", "))}
	}
	return cs.Content[0], nil
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
}

// releaseImage works out the image and version the spec asks for, given
// the container's current image.
func releaseImage(s *Spec, current string) podEdit {
	e := podEdit{image: s.Image}
	if s.Tag != "" {
		e.image = WithTag(current, s.Tag)
	}
	e.version = s.Version
	if e.version == "" && e.image != "" {
		e.version = ImageTag(e.image)
	}
	return e
}

// editPod applies image, version label, probes and shutdown to the pod
// template of dep; c is the target container in dep.
func editPod(dep *yaml.RNode, c *yaml.Node, s *Spec, e podEdit) []Finding {
	var out []Finding
	if e.image != "" {
		setField(c, "image", strNode(e.image))
	}
	if e.version != "" {
		if msg := ValidLabelValue(e.version); msg != "" {
			// An image tag may be longer than a label value allows.
			out = append(out, warningf("spec.version", "the version label is left as it was: %s; set spec.version", msg))
		} else {
			setField(mapping(dep.YNode(), "spec", "template", "metadata", "labels"), LabelVersion, strNode(e.version))
		}
	}
	if s.Probes != nil {
		for _, p := range []struct {
			kind, key string
			probe     *Probe
		}{
			{"readiness", "readinessProbe", s.Probes.Readiness},
			{"liveness", "livenessProbe", s.Probes.Liveness},
			{"startup", "startupProbe", s.Probes.Startup},
		} {
			if p.probe == nil {
				continue
			}
			// The probe is replaced whole, so a merge never leaves two handlers.
			n, f := probeNode(p.kind, p.probe, c)
			out = append(out, prefix("spec.probes."+p.kind, f)...)
			if n != nil {
				setField(c, p.key, n)
			}
		}
	}
	if sd := s.Shutdown; sd != nil {
		if sd.PreStopSleep != nil {
			// The sleep action needs no shell or sleep binary in the image.
			pre := newMap()
			sleep := newMap()
			setField(sleep, "seconds", intNode(sd.PreStopSleep.Seconds))
			setField(pre, "sleep", sleep)
			setField(mapping(c, "lifecycle"), "preStop", pre)
		}
		if sd.GracePeriod != nil {
			setField(mapping(dep.YNode(), "spec", "template", "spec"), "terminationGracePeriodSeconds", intNode(sd.GracePeriod.Seconds))
		}
		if sd.PreStopSleep != nil {
			grace, ok := intField(dep.YNode(), "spec", "template", "spec", "terminationGracePeriodSeconds")
			if !ok {
				grace = defaultGracePeriodSeconds
			}
			if sd.PreStopSleep.Seconds >= grace {
				out = append(out, warningf("spec.shutdown.preStopSleep", "%ds is not shorter than the grace period of %ds: the pod is killed before the sleep ends and the app never gets SIGTERM; allowed: a sleep shorter than spec.shutdown.gracePeriod", sd.PreStopSleep.Seconds, grace))
			}
		}
	}
	return out
}

// editDeploymentSpec sets the Deployment-level fields of the spec.
func editDeploymentSpec(dep *yaml.RNode, s *Spec, replicas *int64) {
	spec := mapping(dep.YNode(), "spec")
	if replicas != nil {
		if field(spec, "replicas") == nil {
			// First, where manifests keep it: appended, it would land
			// after fields an earlier render added, and a re-render on the
			// function's own output would move it.
			spec.Content = append([]*yaml.Node{strNode("replicas"), intNode(*replicas)}, spec.Content...)
		} else {
			setField(spec, "replicas", intNode(*replicas))
		}
	}
	for _, f := range []struct {
		key string
		v   *int64
	}{
		{"minReadySeconds", s.MinReadySeconds},
		{"progressDeadlineSeconds", s.ProgressDeadlineSeconds},
		{"revisionHistoryLimit", s.RevisionHistoryLimit},
	} {
		if f.v != nil {
			setField(spec, f.key, intNode(*f.v))
		}
	}
	if s.Paused != nil {
		if *s.Paused {
			setField(spec, "paused", boolNode(true))
		} else {
			removeField(spec, "paused")
		}
	}
}

// Replicas returns spec.replicas of a Deployment (the API default 1 when absent).
func Replicas(dep *yaml.RNode) int64 {
	if n, ok := intField(dep.YNode(), "spec", "replicas"); ok {
		return n
	}
	return 1
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
			return []Finding{errorf("spec.version", "Deployment %q selects on %s, which changes with every release, and a Deployment's selector is immutable (the API server rejects the change); allowed: a selector without %s", Name(dep), LabelVersion, LabelVersion)}
		}
	}
	return nil
}
