package strategies

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The values of a rollspec.dev/stable-pod record go back into the pod
// template on abort, so a hand edit or a merge mix-up of the annotation
// would reach the API server as it stands. Each value is checked against
// the shape of the field it restores (corev1 Probe, Lifecycle, the
// StatefulSet update strategy), as far as the values rollspec writes go:
// known fields, strings where the API takes strings, integers in decimal
// digits where it takes integers.

// shape is what a record value may be: a scalar of a kind, a mapping of
// known fields, or a sequence of items.
type shape struct {
	scalar string // "str", "int" or "intOrStr"; "" for a mapping or sequence
	keys   map[string]*shape
	items  *shape
}

var (
	shapeStr      = &shape{scalar: "str"}
	shapeInt      = &shape{scalar: "int"}
	shapeIntOrStr = &shape{scalar: "intOrStr"}

	shapeHTTPGet = &shape{keys: map[string]*shape{
		"path": shapeStr, "port": shapeIntOrStr, "host": shapeStr, "scheme": shapeStr,
		"httpHeaders": {items: &shape{keys: map[string]*shape{"name": shapeStr, "value": shapeStr}}},
	}}
	shapeTCPSocket = &shape{keys: map[string]*shape{"port": shapeIntOrStr, "host": shapeStr}}
	shapeExec      = &shape{keys: map[string]*shape{"command": {items: shapeStr}}}

	shapeProbe = func() *shape {
		s := &shape{keys: map[string]*shape{
			"exec": shapeExec, "httpGet": shapeHTTPGet, "tcpSocket": shapeTCPSocket,
			"grpc": {keys: map[string]*shape{"port": shapeInt, "service": shapeStr}},
		}}
		for _, t := range ProbeTimings {
			s.keys[t.Field] = shapeInt
		}
		return s
	}()

	shapeLifecycleHandler = &shape{keys: map[string]*shape{
		"exec": shapeExec, "httpGet": shapeHTTPGet, "tcpSocket": shapeTCPSocket,
		"sleep": {keys: map[string]*shape{"seconds": shapeInt}},
	}}
	shapeLifecycle = &shape{keys: map[string]*shape{
		"postStart": shapeLifecycleHandler, "preStop": shapeLifecycleHandler, "stopSignal": shapeStr,
	}}
	shapeUpdateStrategy = &shape{keys: map[string]*shape{
		"type":          shapeStr,
		"rollingUpdate": {keys: map[string]*shape{"partition": shapeInt, "maxUnavailable": shapeIntOrStr}},
	}}
)

// recordValueProblem says what is wrong with the value a record keeps
// under key, nil when it is one rollspec could have written. null means
// the field was not there, which every slot but the image allows (a
// container always has one).
func recordValueProblem(key string, v *yaml.Node) error {
	if v.Tag == yaml.NodeTagNull {
		if key == "image" {
			return fmt.Errorf("image is null, not an image reference (a container always has one)")
		}
		return nil
	}
	switch key {
	case "image":
		if v.Tag != yaml.NodeTagString {
			return fmt.Errorf("image %s is not an image reference but a %s", v.Value, strings.TrimPrefix(v.Tag, "!!"))
		}
		if err := CheckImage(v.Value); err != nil {
			return fmt.Errorf("image %q is not an image reference", v.Value)
		}
	case "version":
		if v.Tag != yaml.NodeTagString {
			return fmt.Errorf("version %s is not a label value but a %s", v.Value, strings.TrimPrefix(v.Tag, "!!"))
		}
		if err := CheckLabelValue(v.Value); err != nil {
			return fmt.Errorf("version %q is not a label value", v.Value)
		}
	case "terminationGracePeriodSeconds":
		return shapeProblem(key, v, shapeInt)
	case "readinessProbe", "livenessProbe", "startupProbe":
		return shapeProblem(key, v, shapeProbe)
	case "lifecycle":
		return shapeProblem(key, v, shapeLifecycle)
	case "updateStrategy":
		if err := shapeProblem(key, v, shapeUpdateStrategy); err != nil {
			return err
		}
		if t := field(v, "type"); t != nil && t.Value != "RollingUpdate" && t.Value != "OnDelete" {
			return fmt.Errorf("updateStrategy.type is %q, not RollingUpdate or OnDelete", t.Value)
		}
	}
	return nil
}

// shapeProblem checks a value against its shape; at names it in the
// message. A null field is the field absent, as the API server reads it.
func shapeProblem(at string, v *yaml.Node, s *shape) error {
	if v.Tag == yaml.NodeTagNull {
		return nil
	}
	switch {
	case s.scalar != "":
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s is not %s", at, scalarAllowed[s.scalar])
		}
		isInt := v.Tag == yaml.NodeTagInt && IsDecimal(v.Value)
		ok := map[string]bool{"str": v.Tag == yaml.NodeTagString, "int": isInt, "intOrStr": isInt || v.Tag == yaml.NodeTagString}[s.scalar]
		if !ok {
			return fmt.Errorf("%s is %s, not %s", at, v.Value, scalarAllowed[s.scalar])
		}
	case s.items != nil:
		if v.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s is not a list", at)
		}
		for i, it := range v.Content {
			if err := shapeProblem(fmt.Sprintf("%s[%d]", at, i), it, s.items); err != nil {
				return err
			}
		}
	default:
		if v.Kind != yaml.MappingNode {
			return fmt.Errorf("%s is not a mapping", at)
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i].Value
			sub, known := s.keys[k]
			if !known {
				keys := make([]string, 0, len(s.keys))
				for name := range s.keys {
					keys = append(keys, name)
				}
				sort.Strings(keys)
				return fmt.Errorf("%s has the unknown field %q (known: %s)", at, k, strings.Join(keys, ", "))
			}
			if err := shapeProblem(at+"."+k, v.Content[i+1], sub); err != nil {
				return err
			}
		}
	}
	return nil
}

var scalarAllowed = map[string]string{
	"str":      "a string",
	"int":      "an integer in decimal digits",
	"intOrStr": "an integer in decimal digits or a string",
}
