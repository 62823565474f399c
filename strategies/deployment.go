package strategies

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Kinds the strategies know by name.
const (
	kindDeployment = "Deployment"
	kindPVC        = "PersistentVolumeClaim"
	kindService    = "Service"
)

// deploymentWorkload is the Deployment's adapter: the update strategy is
// spec.strategy, RollingUpdate with maxSurge and maxUnavailable, or
// Recreate.
var deploymentWorkload = Workload{
	Kind:      kindDeployment,
	SetUpdate: setDeploymentStrategy,
	Update:    EffectiveRolling,
	Problem:   deploymentProblem,
	Checks:    deploymentChecks,
}

// deploymentChecks are the downtime checks of a rolling Deployment: the
// values as they resolve for its replicas, and a ReadWriteOnce volume
// that a surge pod cannot mount.
func deploymentChecks(dep *yaml.RNode, _ *yaml.Node, t Target) []Finding {
	var out []Finding
	surge, unavailable, _ := EffectiveRolling(dep)
	replicas := Replicas(dep)
	s, u := surge.Resolve(replicas, true), unavailable.Resolve(replicas, false)
	switch {
	case surge.Value == 0 && unavailable.Value == 0:
		// An error already (MsgBothZero).
	case s == 0 && u == 0 && replicas > 0:
		out = append(out, warningf("spec.rolling", msgBothRoundToZero, surge, unavailable, replicas))
	case u >= replicas && replicas > 0:
		out = append(out, warningf("spec.rolling.maxUnavailable", msgWholeFleet, unavailable, replicas))
	}
	if s > 0 {
		for _, claim := range readWriteOnceClaims(dep, t.Related[kindPVC]) {
			out = append(out, warningf("spec.strategy", msgRWOSurge, Name(dep), claim, s))
		}
	}
	return out
}

// deploymentProblem checks what the strategies compute with: replicas,
// and the rolling update's values, which must be integers or percents
// (not both 0).
func deploymentProblem(dep *yaml.RNode) string {
	if p := ReplicasProblem(dep); p != "" {
		return p
	}
	ru := path(dep.YNode(), "spec", "strategy", "rollingUpdate")
	var values []IntOrPercent
	for _, key := range []string{"maxSurge", "maxUnavailable"} {
		n := field(ru, key)
		if n == nil {
			continue
		}
		if p := intOrPercentProblem(n, "spec.strategy.rollingUpdate."+key); p != "" {
			return p
		}
		v, _ := ParseIntOrPercent(scalar(n))
		values = append(values, v)
	}
	if len(values) == 2 && values[0].Value == 0 && values[1].Value == 0 {
		return "its maxSurge and maxUnavailable are both 0, which the API server rejects; allowed: at least one of them above 0"
	}
	return ""
}

// intOrPercentProblem says what is wrong with a rolling value in a
// workload (n nil: absent, nothing): an integer or a percent, in decimal
// digits.
func intOrPercentProblem(n *yaml.Node, at string) string {
	if n == nil {
		return ""
	}
	if _, ok := ParseIntOrPercent(scalar(n)); !ok || !IsDecimal(strings.TrimSuffix(scalar(n), "%")) {
		what := fmt.Sprintf("%q", scalar(n))
		if n.Kind != yaml.ScalarNode {
			what = "not a single value"
		}
		return fmt.Sprintf("its %s is %s; allowed: an integer >= 0 or a percent such as \"25%%\"", at, what)
	}
	return ""
}

// Kubernetes' defaults for a RollingUpdate without values.
var (
	defaultMaxSurge       = Percent(25)
	defaultMaxUnavailable = Percent(25)
)

// setDeploymentStrategy writes spec.strategy. For recreate the
// rollingUpdate block goes, since the API server rejects it next to type
// Recreate. For rolling without values, the Deployment keeps the values it
// has, written out.
func setDeploymentStrategy(dep *yaml.RNode, o *Options, recreate bool) []Finding {
	strategy := mapping(dep.YNode(), "spec", "strategy")
	if recreate {
		setField(strategy, "type", strNode("Recreate"))
		removeField(strategy, "rollingUpdate")
		return nil
	}
	setField(strategy, "type", strNode("RollingUpdate"))
	// Both values are always written, the Deployment's own or the API
	// defaults when the spec sets none: a field the API server defaulted is
	// owned by no field manager, so a later server-side apply that moves to
	// Recreate could not remove it and would be rejected.
	surge, unavailable := o.MaxSurge, o.MaxUnavailable
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

func intOrPercentNode(v *IntOrPercent) *yaml.Node {
	if v.Percent {
		return strNode(v.String())
	}
	return intNode(v.Value)
}

// EffectiveRolling reads the maxSurge and maxUnavailable a Deployment will
// run with, filling in the API defaults. ok is false for Recreate. A value
// that does not parse reads as the default (the API server rejects it).
func EffectiveRolling(dep *yaml.RNode) (surge, unavailable IntOrPercent, ok bool) {
	strategy := path(dep.YNode(), "spec", "strategy")
	if scalar(field(strategy, "type")) == "Recreate" {
		return IntOrPercent{}, IntOrPercent{}, false
	}
	surge, unavailable = *defaultMaxSurge, *defaultMaxUnavailable
	if v, ok := ParseIntOrPercent(scalar(path(strategy, "rollingUpdate", "maxSurge"))); ok {
		surge = v
	}
	if v, ok := ParseIntOrPercent(scalar(path(strategy, "rollingUpdate", "maxUnavailable"))); ok {
		unavailable = v
	}
	return surge, unavailable, true
}
