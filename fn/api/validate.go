package api

import (
	"fmt"
	"regexp"
	"strings"

	"rollspec.dev/rollspec/strategies"
)

// Limits the API server enforces, checked here so the error names the
// Release field instead of a generated manifest.
const (
	maxPort = 65535
)

var (
	// tagSyntax is the syntax of an image tag.
	tagSyntax = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// msgObjectName is the error of a name the API server would refuse.
const msgObjectName = "%q is not a valid object name; allowed: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"

// Messages of the validation that tests compare against.
const (
	MsgUnknownStrategy = "unknown strategy %q; allowed: %s"
	MsgBlockMissing    = "is missing; allowed: %s"
	MsgBlockUnused     = "is set but spec.strategy is %s; allowed: %s"
	MsgUnknownProfile  = "unknown profile %q; allowed: %s"
	MsgRollingRecreate = "is set but spec.strategy is recreate; allowed: spec.rolling with strategy rolling, blue-green or canary"
	MsgTargetTwice     = "is set together with spec.deployment, its shorthand for a Deployment; allowed: one of them (target: {kind: Deployment, name: NAME} or deployment: NAME)"
	MsgUnknownKind     = "unknown kind %q; allowed: %s"
)

// Validate checks a decoded Release on its own, without the input
// resources, and returns every problem it finds: the shared fields here,
// the chosen strategy's block by the strategy itself.
func Validate(r *Release) []strategies.Finding {
	v := &validator{}
	s := &r.Spec
	v.strategy(r)
	v.images(s)
	v.names(r)
	v.timing(s)
	v.probes(s.Probes)
	v.shutdown(s.Shutdown)
	v.traffic(r.StrategyName(), s.Traffic)
	if reg, ok := strategies.Lookup(r.StrategyName()); ok {
		if _, has := s.Blocks[reg.Block]; has || reg.Required == "" {
			v.out = append(v.out, r.Strategy().Validate(r.Options())...)
		}
		if w := strategies.WorkloadOf(r.TargetKind()); w != nil {
			v.out = append(v.out, w.CheckKind(reg.Name, v.kindOptions(r))...)
		}
	}
	return v.out
}

// kindOptions are the Options the target's kind checks: without the
// rolling values when spec.rolling has errors already, so one mistake is
// said once.
func (v *validator) kindOptions(r *Release) *strategies.Options {
	o := r.Options()
	for _, f := range v.out {
		if f.Severity == strategies.Error && strings.HasPrefix(f.Path, "spec.rolling") {
			o.MaxSurge, o.MaxUnavailable = nil, nil
		}
	}
	return o
}

// images checks spec.image, spec.tag and spec.version.
func (v *validator) images(s *Spec) {
	if s.Image != "" {
		if err := strategies.CheckImage(s.Image); err != nil {
			v.errorf("spec.image", "%v", err)
		}
	}
	if s.Tag != "" {
		if s.Image != "" {
			v.errorf("spec.tag", "is set together with spec.image; allowed: one of image (a whole reference) or tag (keeps the repository)")
		} else if !tagSyntax.MatchString(s.Tag) {
			v.errorf("spec.tag", "%q is not a valid image tag; allowed: %s", s.Tag, tagAllowed)
		}
	}
	if s.Version != "" {
		if err := strategies.CheckLabelValue(s.Version); err != nil {
			v.errorf("spec.version", "%v", err)
		}
	}
}

// names checks the names a Release gives: its own, its target's and its
// Services'.
func (v *validator) names(r *Release) {
	s := &r.Spec
	target := TargetRef{}
	if s.Target != nil {
		target = *s.Target
		if s.Deployment != "" {
			v.errorf("spec.target", MsgTargetTwice)
		}
		if target.Kind != "" && strategies.WorkloadOf(target.Kind) == nil {
			v.errorf("spec.target.kind", MsgUnknownKind, target.Kind, strings.Join(strategies.WorkloadKinds(), ", "))
		}
	}
	for _, n := range []struct {
		path string
		val  string
	}{{"spec.deployment", s.Deployment}, {"spec.target.name", target.Name}, {"metadata.name", r.Metadata.Name}} {
		if n.val != "" && !strategies.IsObjectName(n.val) {
			v.errorf(n.path, msgObjectName, n.val)
		}
	}
	v.listedOnce("spec.services", s.Services, "Service")
	for i, name := range s.Services {
		if name == "" {
			v.errorf(fmt.Sprintf("spec.services[%d]", i), "is empty; allowed: a Service name")
		}
	}
}

// listedOnce checks that a list of names names each object once.
func (v *validator) listedOnce(path string, names []string, what string) {
	seen := map[string]int{}
	for i, name := range names {
		if j, dup := seen[name]; dup {
			v.errorf(fmt.Sprintf("%s[%d]", path, i), "%q is listed twice (also %s[%d]); allowed: each %s once", name, path, j, what)
		}
		seen[name] = i
	}
}

// timing checks replicas, the port and the workload's timing fields.
func (v *validator) timing(s *Spec) {
	v.minimum("spec.replicas", s.Replicas, 0)
	if s.Port != nil && (*s.Port < 1 || *s.Port > maxPort) {
		v.errorf("spec.port", "%d is out of range; allowed: 1 to 65535", *s.Port)
	}
	v.minimum("spec.minReadySeconds", s.MinReadySeconds, 0)
	v.minimum("spec.progressDeadlineSeconds", s.ProgressDeadlineSeconds, 1)
	v.minimum("spec.revisionHistoryLimit", s.RevisionHistoryLimit, 0)
	if s.ProgressDeadlineSeconds != nil && s.MinReadySeconds != nil && *s.ProgressDeadlineSeconds <= *s.MinReadySeconds {
		v.errorf("spec.progressDeadlineSeconds", "%d is not greater than spec.minReadySeconds %d (the API server rejects it); allowed: a deadline longer than minReadySeconds", *s.ProgressDeadlineSeconds, *s.MinReadySeconds)
	}
}

// probes checks spec.probes.
func (v *validator) probes(p *Probes) {
	if p == nil {
		return
	}
	for _, probe := range []struct {
		kind string
		p    *Probe
	}{{"readiness", p.Readiness}, {"liveness", p.Liveness}, {"startup", p.Startup}} {
		if probe.p != nil {
			for _, f := range validateProbe(probe.kind, probe.p) {
				f.Path = "spec.probes." + probe.kind + f.Path
				v.out = append(v.out, f)
			}
		}
	}
}

// shutdown checks spec.shutdown.
func (v *validator) shutdown(sd *Shutdown) {
	if sd == nil {
		return
	}
	if sd.PreStopSleep != nil {
		if err := sd.PreStopSleep.Check(); err != nil {
			v.errorf("spec.shutdown.preStopSleep", "%v", err)
		} else if sd.PreStopSleep.Seconds < 1 {
			v.errorf("spec.shutdown.preStopSleep", "%q sleeps for no time; allowed: 1s or more (remove the field for no sleep)", sd.PreStopSleep.Raw)
		}
	}
	if sd.GracePeriod != nil {
		if err := sd.GracePeriod.Check(); err != nil {
			v.errorf("spec.shutdown.gracePeriod", "%v", err)
		}
	}
}

type validator struct{ out []strategies.Finding }

func (v *validator) errorf(path, format string, args ...any) {
	v.out = append(v.out, strategies.Finding{Severity: strategies.Error, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) minimum(path string, val *int64, min int64) {
	if val != nil && *val < min {
		v.errorf(path, "%d is below %d; allowed: an integer >= %d", *val, min, min)
	}
}

// strategy checks spec.strategy and the blocks: the chosen strategy's
// block is there when the strategy needs it, no other strategy's block is.
func (v *validator) strategy(r *Release) {
	s := &r.Spec
	name := r.StrategyName()
	reg, known := strategies.Lookup(name)
	if !known {
		v.errorf("spec.strategy", MsgUnknownStrategy, s.Strategy, strings.Join(strategies.Names(), ", "))
		return
	}
	if s.Rolling != nil {
		v.rolling(name, s.Rolling)
	}
	if _, has := s.Blocks[reg.Block]; reg.Required != "" && !has {
		v.errorf("spec."+reg.Block, MsgBlockMissing, reg.Required)
	}
	for _, other := range strategies.Registrations() {
		if _, has := s.Blocks[other.Block]; has && other.Name != name && other.Block != "" {
			v.errorf("spec."+other.Block, MsgBlockUnused, name, other.BlockHint)
		}
	}
}

// rolling checks spec.rolling.
func (v *validator) rolling(strategy string, r *Rolling) {
	if strategy == "recreate" {
		v.errorf("spec.rolling", MsgRollingRecreate)
	}
	if r.Profile != "" {
		if _, ok := profileValues[r.Profile]; !ok {
			v.errorf("spec.rolling.profile", MsgUnknownProfile, r.Profile, strings.Join(Profiles, ", "))
		}
	}
	if r.MaxSurge != nil {
		if err := r.MaxSurge.Check(0); err != nil {
			v.errorf("spec.rolling.maxSurge", "%v", err)
		}
	}
	if r.MaxUnavailable != nil {
		if err := r.MaxUnavailable.Check(100); err != nil {
			v.errorf("spec.rolling.maxUnavailable", "%v", err)
		}
	}
	surge, unavailable := r.values()
	if surge != nil && unavailable != nil && surge.Value == 0 && unavailable.Value == 0 {
		v.errorf("spec.rolling", "%s", strategies.MsgBothZero)
	}
}
