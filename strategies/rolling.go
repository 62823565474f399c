package strategies

import (
	"encoding/json"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Rolling profiles: named maxSurge/maxUnavailable pairs.
const (
	ProfileSurgeFirst = "surge-first" // 1/0: a new pod is ready before an old one goes
	ProfileDrainFirst = "drain-first" // 0/1: no extra pod, one fewer during the update
	ProfileFastest    = "fastest"     // 1/1: both at once
)

// Profiles lists the profile names in the order the docs give them.
var Profiles = []string{ProfileSurgeFirst, ProfileDrainFirst, ProfileFastest}

// profileValues maps a profile to its maxSurge and maxUnavailable.
var profileValues = map[string][2]int64{
	ProfileSurgeFirst: {1, 0},
	ProfileDrainFirst: {0, 1},
	ProfileFastest:    {1, 1},
}

// Kubernetes' defaults for a RollingUpdate without values.
var (
	defaultMaxSurge       = Percent(25)
	defaultMaxUnavailable = Percent(25)
)

// RollingRelease renders strategy rolling and recreate: the target
// Deployment keeps its name and gets the strategy block, timing fields,
// image, version label, probes and shutdown; nothing else changes.
func RollingRelease(t Target) Result {
	dep := t.Base
	// Before plainServices: the color the Services select says which
	// color's autoscaler to rebuild from.
	hpas, pdbs := findScaling(t).plainResult()
	res := Result{Deployments: []*yaml.RNode{dep}, Services: plainServices(t), Autoscalers: hpas, Budgets: pdbs}
	c, f := Container(dep, t.Spec.Container)
	if c == nil {
		res.Findings = f
		return res
	}
	edit := releaseImage(t.Spec, scalar(field(c, "image")))
	res.Findings = append(res.Findings, versionInSelector(dep, edit)...)
	res.Findings = append(res.Findings, editPod(dep, c, t.Spec, edit)...)
	editDeploymentSpec(dep, t.Spec, t.Spec.Replicas)
	res.Findings = append(res.Findings, setStrategy(dep, t.Spec)...)
	res.Findings = append(res.Findings, rolloutChecks(dep, c, t)...)
	res.Findings = append(res.Findings, servicesSelect(t, PodLabels(dep), Name(dep))...)
	return res
}

// setStrategy writes spec.strategy. For recreate the rollingUpdate block
// goes, since the API server rejects it next to type Recreate. For rolling
// without values, the Deployment keeps the values it has, written out.
func setStrategy(dep *yaml.RNode, s *Spec) []Finding {
	strategy := mapping(dep.YNode(), "spec", "strategy")
	if s.Strategy == StrategyRecreate {
		setField(strategy, "type", strNode("Recreate"))
		removeField(strategy, "rollingUpdate")
		return nil
	}
	setField(strategy, "type", strNode("RollingUpdate"))
	// Both values are always written, the Deployment's own or the API
	// defaults when the spec sets none: a field the API server defaulted is
	// owned by no field manager, so a later server-side apply that moves to
	// Recreate could not remove it and would be rejected.
	surge, unavailable := RollingValues(s.Rolling)
	have, haveUnavailable, wasRolling := EffectiveRolling(dep)
	if !wasRolling {
		// From Recreate: the API defaults.
		have, haveUnavailable = *defaultMaxSurge, *defaultMaxUnavailable
	}
	if surge == nil {
		surge = &have
	}
	if unavailable == nil {
		unavailable = &haveUnavailable
	}
	ru := mapping(strategy, "rollingUpdate")
	setField(ru, "maxSurge", intOrPercentNode(surge))
	setField(ru, "maxUnavailable", intOrPercentNode(unavailable))
	return nil
}

// RollingValues resolves a rolling block: the profile's values, overridden
// by explicit ones. A nil result means "keep what the Deployment has".
func RollingValues(r *Rolling) (surge, unavailable *IntOrPercent) {
	if r == nil {
		return nil, nil
	}
	if v, ok := profileValues[r.Profile]; ok {
		surge, unavailable = Int(v[0]), Int(v[1])
	}
	if r.MaxSurge != nil {
		surge = r.MaxSurge
	}
	if r.MaxUnavailable != nil {
		unavailable = r.MaxUnavailable
	}
	return surge, unavailable
}

func intOrPercentNode(v *IntOrPercent) *yaml.Node {
	if v.Percent {
		return strNode(v.Raw)
	}
	return intNode(v.Value)
}

// EffectiveRolling reads the maxSurge and maxUnavailable a Deployment will
// run with, filling in the API defaults. ok is false for Recreate.
func EffectiveRolling(dep *yaml.RNode) (surge, unavailable IntOrPercent, ok bool) {
	strategy := path(dep.YNode(), "spec", "strategy")
	if scalar(field(strategy, "type")) == "Recreate" {
		return IntOrPercent{}, IntOrPercent{}, false
	}
	surge, unavailable = *defaultMaxSurge, *defaultMaxUnavailable
	if n := path(strategy, "rollingUpdate", "maxSurge"); n != nil {
		surge = parseIntOrPercentNode(n)
	}
	if n := path(strategy, "rollingUpdate", "maxUnavailable"); n != nil {
		unavailable = parseIntOrPercentNode(n)
	}
	return surge, unavailable, true
}

func parseIntOrPercentNode(n *yaml.Node) IntOrPercent {
	var v IntOrPercent
	b := []byte(n.Value)
	if n.Tag == yaml.NodeTagString || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		b, _ = json.Marshal(n.Value)
	}
	if err := v.UnmarshalJSON(b); err != nil {
		v = IntOrPercent{Raw: n.Value, invalid: true}
	}
	return v
}
