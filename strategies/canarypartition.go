package strategies

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The partitioned canary, for kinds that replace their pods in place from
// the highest ordinal down to a partition (StatefulSets): there is no
// second workload. The one pod template runs spec.canary.image, and the
// partition is replicas minus the canary's pods, so the highest ordinals
// run the canary and the others keep the revision they run. A step moves
// the partition down; promote (the image in spec.image, no canary block)
// gives the template the same image and drops the partition, so the
// canary's pods, whose revision is the template's again, keep running and
// the others follow; abort gives the template back what the stable pods
// run, so the canary's pods roll back.
//
// The stable pods' template, what the rolling release of the same spec
// renders, is remembered in the annotation rollspec.dev/stable-pod on the
// workload: for each field the canary's template differs in, the stable
// value (null when the field is not there). Revert puts them back, so a
// re-render on the function's own output starts from the stable
// template, as it does from a canary Deployment's stable track.

// AnnotationStablePod records, on a workload that runs a partitioned
// canary, the values the canary changed in its pod template and update
// strategy, as YAML.
const AnnotationStablePod = "rollspec.dev/stable-pod"

// Messages of the partitioned canary.
const (
	msgPartitionSplit   = "the canary runs %d of %d pods (%s of the traffic that the Services spread by pod)%s: partition %d, so %s the canary's pod template and %s"
	msgPartitionHPA     = "HorizontalPodAutoscaler %q scales %s %q, and a partitioned canary counts its pods from the highest ordinal: every pod the autoscaler adds gets an ordinal above the partition and runs the canary; allowed: strategy rolling, or no autoscaler on the %s while the canary runs"
	msgPartitionService = "the canary pods of %s %q are told apart from its stable pods by the version label %s alone (a partition keeps every other label alike), and %s, so no Service can select the canary pods alone; allowed: spec.canary.version, or an image tag, other than the stable pods' version"
)

// stableSlot is one field the canary may change: where it is, from the
// workload and its target container.
type stableSlot struct {
	key    string
	parent func(n *yaml.Node, c *yaml.Node) *yaml.Node
	field  string
}

// stableSlots are the fields a canary render changes (see editPod and
// the update strategy), in the order the record lists them.
var stableSlots = []stableSlot{
	{"image", inContainer, "image"},
	{"version", func(n, _ *yaml.Node) *yaml.Node { return path(n, "spec", "template", "metadata", "labels") }, LabelVersion},
	{"readinessProbe", inContainer, "readinessProbe"},
	{"livenessProbe", inContainer, "livenessProbe"},
	{"startupProbe", inContainer, "startupProbe"},
	{"lifecycle", inContainer, "lifecycle"},
	{"terminationGracePeriodSeconds", func(n, _ *yaml.Node) *yaml.Node { return path(n, "spec", "template", "spec") }, "terminationGracePeriodSeconds"},
	{"updateStrategy", func(n, _ *yaml.Node) *yaml.Node { return path(n, "spec") }, "updateStrategy"},
}

func inContainer(_, c *yaml.Node) *yaml.Node { return c }

// stableKeys are the keys a record may hold besides the slots.
const recordContainer = "container"

// expandPartitioned renders a canary of a partitioned workload.
func (cs *Canary) expandPartitioned(t Target) Result {
	o := t.Options
	sts := t.Base
	sc := findScaling(t)
	res := Result{Services: plainServices(t), Related: sc.plainResult()}
	c, f := Container(sts, o.Container)
	if c == nil {
		res.Findings = f
		return res
	}
	if sc.autoscaled() {
		res.Findings = append(res.Findings, errorf("spec.strategy", msgPartitionHPA, Name(sc.hpas[0].plain), Kind(sts), Name(sts), Kind(sts)))
		return res
	}
	total := Replicas(sts)
	if o.Replicas != nil {
		total = *o.Replicas
	}
	n, asked := CanaryReplicas(cs, total)
	if n > total {
		res.Findings = append(res.Findings, errorf("spec.canary.replicas", msgCanaryOverFleet, n, total, total))
		return res
	}
	stable, fs := stableTemplate(t)
	res.Findings = append(res.Findings, fs...)
	stablePods := PodLabels(stable)
	partition := total - n
	res.Findings = append(res.Findings, cs.partitionCanary(t, c, stable, partition)...)
	res.Workloads = []*yaml.RNode{sts}
	res.Findings = append(res.Findings, cs.partitionFindings(sts, n, total, asked)...)
	res.Findings = append(res.Findings, rolloutChecks(sts, c, t)...)
	res.Findings = append(res.Findings, servicesSelect(t, stablePods, Name(sts))...)
	if cs.Service {
		cs.addVersionService(t, &res, stablePods)
	}
	return res
}

// stableTemplate is a copy of the workload with the stable pods'
// template: what the rolling release of the same spec renders (image,
// tag, version, probes, shutdown, update strategy), as for a canary
// Deployment's stable track. The record keeps it, so an abort gives the
// template back exactly that, and a canary started after a promote
// records the promoted image whether it renders the manifest or the
// promote's output. The pods below the partition keep what they run
// meanwhile.
func stableTemplate(t Target) (*yaml.RNode, []Finding) {
	o := t.Options
	stable := CopyRNode(t.Base)
	stableC, _ := Container(stable, o.Container)
	var findings []Finding
	for _, f := range editPod(stable, stableC, o, releaseImage(o, scalar(field(stableC, "image")))) {
		// The probes' and shutdown's findings come again with the canary.
		if !strings.HasPrefix(f.Path, "spec.probes") && !strings.HasPrefix(f.Path, "spec.shutdown") {
			findings = append(findings, f)
		}
	}
	t.Workload.SetUpdate(stable, o, false)
	return stable, findings
}

// partitionCanary gives the workload (whose container is c) the canary's
// template and the partition, and records the stable pods' template in
// it.
func (cs *Canary) partitionCanary(t Target, c *yaml.Node, stable *yaml.RNode, partition int64) []Finding {
	o := t.Options
	sts := t.Base
	edit := cs.podEdit()
	findings := versionInSelector(sts, edit)
	findings = append(findings, editPod(sts, c, o, edit)...)
	t.Workload.setSpec(sts, o, o.Replicas)
	findings = append(findings, t.Workload.SetUpdate(sts, o, false)...)
	setField(mapping(sts.YNode(), "spec", "updateStrategy", "rollingUpdate"), "partition", intNode(partition))
	if record := stableRecord(stable, sts, scalar(field(c, "name"))); record != "" {
		SetAnnotation(sts, AnnotationStablePod, record)
	}
	return findings
}

// partitionFindings says which pods run the canary and which keep the
// stable template.
func (cs *Canary) partitionFindings(sts *yaml.RNode, n, total int64, asked string) []Finding {
	partition := total - n
	note := ""
	if asked != "" && n*100 != canaryWeight(cs)*total {
		note = fmt.Sprintf("; asked for %s, rounded up to whole pods", asked)
	}
	share := fmt.Sprintf("%.1f%%", float64(n)*100/float64(max(total, 1)))
	start := StartOrdinal(sts)
	canaryPods := podRange(Name(sts), start+partition, start+total-1, "runs", "run")
	stablePart := "no pod keeps the pod template it runs"
	if partition > 0 {
		stablePart = podRange(Name(sts), start, start+partition-1, "keeps the pod template it runs", "keep the pod template they run")
	}
	findings := []Finding{infof("spec.canary", msgPartitionSplit, n, total, share, note, partition, canaryPods, stablePart)}
	if n == total {
		findings = append(findings, warningf("spec.canary", msgCanaryWhole, total))
	}
	return findings
}

// addVersionService adds <service>-canary for every Service
// (canary.service): the canary's pods are those of its version, so the
// version must tell them from the stable pods.
func (cs *Canary) addVersionService(t Target, res *Result, stablePods Labels) {
	sts := t.Base
	canaryVersion := PodLabels(sts)[LabelVersion]
	if canaryVersion == "" || canaryVersion == stablePods[LabelVersion] {
		why := fmt.Sprintf("both carry %q", canaryVersion)
		if canaryVersion == "" {
			why = "the canary pods get none (the image has no tag, or one that is not a label value)"
		}
		res.Findings = append(res.Findings, errorf("spec.canary.service", msgPartitionService, Kind(sts), Name(sts), LabelVersion, why))
		return
	}
	res.ensureServices(t)
	derived, fs := derivedServices(t, canarySuffix, RoleCanaryService, LabelVersion, canaryVersion,
		cs.ServiceLoadBalancers, "spec.canary.serviceLoadBalancers", "canary pods")
	res.Findings = append(res.Findings, fs...)
	for i := range t.Services {
		res.Services[i] = append(res.Services[i], derived[i])
	}
}

// podRange names the pods of ordinals from to to of a workload, with the
// verb for one pod or several.
func podRange(name string, from, to int64, one, several string) string {
	switch {
	case from > to:
		return "no pod " + one
	case from == to:
		return fmt.Sprintf("pod %s-%d %s", name, from, one)
	}
	return fmt.Sprintf("pods %s-%d to %s-%d %s", name, from, name, to, several)
}

// stableRecord is the record of what the canary changed from before to
// after: each slot whose value differs, with its value before (null when
// absent); "" when nothing changed.
func stableRecord(before, after *yaml.RNode, container string) string {
	bc, _ := Container(before, container)
	ac, _ := Container(after, container)
	record := newMap()
	for _, s := range stableSlots {
		b := field(s.parent(before.YNode(), bc), s.field)
		a := field(s.parent(after.YNode(), ac), s.field)
		if encode(b) == encode(a) {
			continue
		}
		if b == nil {
			b = &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagNull, Value: "null"}
		}
		setField(record, s.key, copyNode(b))
	}
	if len(record.Content) == 0 {
		return ""
	}
	record.Content = append([]*yaml.Node{strNode(recordContainer), strNode(container)}, record.Content...)
	return encode(record)
}

// encode writes a node as YAML, "" for none.
func encode(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	s, err := yaml.NewRNode(n).String()
	if err != nil {
		return ""
	}
	return s
}

// readStableRecord parses a workload's record; ok is false when it has
// none, err says what is wrong with one that is not a record rollspec
// wrote.
func readStableRecord(n *yaml.RNode) (record *yaml.Node, ok bool, err error) {
	v := field(path(n.YNode(), "metadata", "annotations"), AnnotationStablePod)
	if v == nil {
		return nil, false, nil
	}
	r, err := yaml.Parse(scalar(v))
	if err != nil {
		return nil, true, fmt.Errorf("it is not YAML")
	}
	m := r.YNode()
	if m.Kind != yaml.MappingNode {
		return nil, true, fmt.Errorf("it is not a mapping")
	}
	keys := []string{recordContainer}
	for _, s := range stableSlots {
		keys = append(keys, s.key)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := m.Content[i].Value, m.Content[i+1]
		known := false
		for _, want := range keys {
			known = known || k == want
		}
		if !known {
			return nil, true, fmt.Errorf("it has the unknown key %q", k)
		}
		if val.Kind == yaml.AliasNode || val.Anchor != "" || HasAliases(val) {
			return nil, true, fmt.Errorf("%s uses a YAML alias", k)
		}
		if want := recordKind(k); val.Tag != yaml.NodeTagNull && val.Kind != want {
			return nil, true, fmt.Errorf("%s is not a %s", k, map[yaml.Kind]string{yaml.ScalarNode: "single value", yaml.MappingNode: "mapping"}[want])
		}
		if k != recordContainer {
			if err := recordValueProblem(k, val); err != nil {
				return nil, true, err
			}
		}
	}
	if scalar(field(m, recordContainer)) == "" {
		return nil, true, fmt.Errorf("it names no container")
	}
	return m, true, nil
}

// recordKind is the node kind a record keeps under key: a single value
// for the container, the image, the version label and the grace period,
// a mapping for the probes, the lifecycle and the update strategy.
func recordKind(key string) yaml.Kind {
	switch key {
	case recordContainer, "image", "version", "terminationGracePeriodSeconds":
		return yaml.ScalarNode
	}
	return yaml.MappingNode
}

// stableRecordProblem says what is wrong with a workload's record, "" when
// it has none or a good one.
func stableRecordProblem(n *yaml.RNode) string {
	record, ok, err := readStableRecord(n)
	if !ok {
		return ""
	}
	if err == nil {
		if c, _ := Container(n, scalar(field(record, recordContainer))); c == nil {
			err = fmt.Errorf("its container %q is not in the pod template", scalar(field(record, recordContainer)))
		}
	}
	if err == nil && path(n.YNode(), "spec", "updateStrategy", "rollingUpdate", "partition") == nil {
		// rollspec writes the record with the partition, always: without
		// one, no pod runs anything but the template, so the record is
		// not of a canary rollspec rendered.
		err = fmt.Errorf("the %s has no spec.updateStrategy.rollingUpdate.partition, which rollspec writes with it, so it runs no partitioned canary", Kind(n))
	}
	if err != nil {
		return fmt.Sprintf("its annotation %s, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: %v; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')", AnnotationStablePod, err)
	}
	return ""
}

// restoreStable gives a workload back the values its record holds and
// drops the record. A workload without a record is left as it is.
func restoreStable(n *yaml.RNode) {
	record, ok, err := readStableRecord(n)
	if !ok || err != nil {
		return
	}
	c, _ := Container(n, scalar(field(record, recordContainer)))
	for _, s := range stableSlots {
		v := field(record, s.key)
		if v == nil {
			continue
		}
		if s.key != "version" && s.key != "terminationGracePeriodSeconds" && s.key != "updateStrategy" && c == nil {
			continue
		}
		parent := s.parent(n.YNode(), c)
		if v.Kind == yaml.ScalarNode && v.Tag == yaml.NodeTagNull {
			removeField(parent, s.field)
			continue
		}
		if parent == nil {
			// The labels or pod spec mapping the value was in is gone;
			// the value was there before the canary, so is its place.
			switch s.key {
			case "version":
				parent = mapping(n.YNode(), "spec", "template", "metadata", "labels")
			case "terminationGracePeriodSeconds":
				parent = mapping(n.YNode(), "spec", "template", "spec")
			default:
				parent = mapping(n.YNode(), "spec")
			}
		}
		setField(parent, s.field, v)
	}
	meta := path(n.YNode(), "metadata")
	annotations := field(meta, "annotations")
	removeField(annotations, AnnotationStablePod)
	if annotations != nil && len(annotations.Content) == 0 {
		removeField(meta, "annotations")
	}
}

// stableImage is the image the stable pods of a partitioned workload run:
// the record's, else the template's.
func stableImage(n *yaml.RNode) string {
	if record, ok, err := readStableRecord(n); ok && err == nil {
		if img := scalar(field(record, "image")); img != "" {
			return img
		}
	}
	return podImage(n)
}

// describePartitioned says which pods of a partitioned workload run the
// canary and which the stable template.
func describePartitioned(d *yaml.RNode, replicas int64) string {
	start, partition := StartOrdinal(d), min(Partition(d), replicas)
	canary := replicas - partition
	var parts []string
	if canary > 0 {
		parts = append(parts, fmt.Sprintf("%s %s (%d of %d pods, %.1f%% of the traffic)",
			podRange(Name(d), start+partition, start+replicas-1, "runs", "run"), podImage(d), canary, replicas, float64(canary)*100/float64(max(replicas, 1))))
	}
	if partition > 0 {
		parts = append(parts, fmt.Sprintf("%s %s", podRange(Name(d), start, start+partition-1, "keeps", "keep"), stableImage(d)))
	}
	return fmt.Sprintf("%s: %s", Name(d), strings.Join(parts, "; "))
}

// StablePods returns a copy of a workload as its stable pods run it: with
// the values its partitioned canary's record keeps put back (the workload
// itself when it has no record).
func StablePods(n *yaml.RNode) *yaml.RNode {
	if _, ok, err := readStableRecord(n); !ok || err != nil {
		return n
	}
	c := CopyRNode(n)
	restoreStable(c)
	return c
}
