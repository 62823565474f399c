package strategies

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Rolling is strategy rolling: the target keeps its name and gets the
// rolling update's values, the timing fields, image, version label, probes
// and shutdown; nothing else changes. It has no block of its own: the
// rolling update's values (spec.rolling) are the workload's, whichever
// strategy runs.
type Rolling struct{}

// rollingRegistration registers the strategy.
var rollingRegistration = Registration{
	Name: "rolling",
	New:  func() Strategy { return &Rolling{} },
}

// Validate has nothing to check: the shared options are the Release API's.
func (*Rolling) Validate(*Options) []Finding { return nil }

// Expand renders the release in place.
func (*Rolling) Expand(t Target) Result { return inPlace(t, false) }

// inPlace renders a release that edits the target where it is, rolling or
// recreating it.
func inPlace(t Target, recreate bool) Result {
	dep, o := t.Base, t.Options
	// Before plainServices: the color the Services select says which
	// color's autoscaler to rebuild from.
	sc := findScaling(t)
	res := Result{Workloads: []*yaml.RNode{dep}, Related: sc.plainResult(), Joined: sc.joined()}
	res.Services = plainServices(t)
	c, f := Container(dep, o.Container)
	if c == nil {
		res.Findings = f
		return res
	}
	edit := releaseImage(o, scalar(field(c, "image")))
	res.Findings = append(res.Findings, versionInSelector(dep, edit)...)
	res.Findings = append(res.Findings, editPod(dep, c, o, edit)...)
	t.Workload.setSpec(dep, o, o.Replicas)
	res.Findings = append(res.Findings, t.Workload.SetUpdate(dep, o, recreate)...)
	res.Findings = append(res.Findings, rolloutChecks(dep, c, t)...)
	res.Findings = append(res.Findings, servicesSelect(t, PodLabels(dep), Name(dep))...)
	return res
}
