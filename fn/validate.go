package fn

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
	// dnsLabel is a DNS-1123 label, as object and container names must be.
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// validate checks a decoded Release on its own, without the input
// resources, and returns every problem it finds.
func validate(r *Release) []strategies.Finding {
	v := &validator{}
	s := &r.Spec
	v.strategy(s)
	if s.Image != "" {
		v.image("spec.image", s.Image)
	}
	if s.Tag != "" {
		if s.Image != "" {
			v.errorf("spec.tag", "is set together with spec.image; allowed: one of image (a whole reference) or tag (keeps the repository)")
		} else if !tagSyntax.MatchString(s.Tag) {
			v.errorf("spec.tag", "%q is not a valid image tag; allowed: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", s.Tag)
		}
	}
	if s.Version != "" {
		if msg := strategies.ValidLabelValue(s.Version); msg != "" {
			v.errorf("spec.version", "%s", msg)
		}
	}
	for _, n := range []struct {
		path string
		val  string
	}{{"spec.deployment", s.Deployment}, {"metadata.name", r.Metadata.Name}} {
		if n.val != "" && (len(n.val) > 253 || !dnsSubdomain.MatchString(n.val)) {
			v.errorf(n.path, "%q is not a valid object name; allowed: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", n.val)
		}
	}
	seen := map[string]int{}
	for i, name := range s.Services {
		p := fmt.Sprintf("spec.services[%d]", i)
		if j, dup := seen[name]; dup {
			v.errorf(p, "%q is listed twice (also spec.services[%d]); allowed: each Service once", name, j)
		}
		seen[name] = i
		if name == "" {
			v.errorf(p, "is empty; allowed: a Service name")
		}
	}
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
	if p := s.Probes; p != nil {
		for _, probe := range []struct {
			kind string
			p    *strategies.Probe
		}{{"readiness", p.Readiness}, {"liveness", p.Liveness}, {"startup", p.Startup}} {
			if probe.p != nil {
				for _, f := range strategies.ValidateProbe(probe.kind, probe.p) {
					f.Path = "spec.probes." + probe.kind + f.Path
					v.out = append(v.out, f)
				}
			}
		}
	}
	if sd := s.Shutdown; sd != nil {
		if sd.PreStopSleep != nil {
			if msg := sd.PreStopSleep.Validate(); msg != "" {
				v.errorf("spec.shutdown.preStopSleep", "%s", msg)
			} else if sd.PreStopSleep.Seconds < 1 {
				v.errorf("spec.shutdown.preStopSleep", "%q sleeps for no time; allowed: 1s or more (remove the field for no sleep)", sd.PreStopSleep.Raw)
			}
		}
		if sd.GracePeriod != nil {
			if msg := sd.GracePeriod.Validate(); msg != "" {
				v.errorf("spec.shutdown.gracePeriod", "%s", msg)
			}
		}
	}
	v.out = append(v.out, strategies.ValidateStrategySpec(s)...)
	return v.out
}

type validator struct{ out []strategies.Finding }

func (v *validator) errorf(path, format string, args ...interface{}) {
	v.out = append(v.out, strategies.Finding{Severity: strategies.Error, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) minimum(path string, val *int64, min int64) {
	if val != nil && *val < min {
		v.errorf(path, "%d is below %d; allowed: an integer >= %d", *val, min, min)
	}
}

func (v *validator) image(path, image string) {
	if strings.ContainsAny(image, " \t\n") || strings.HasPrefix(image, ":") || strings.HasSuffix(image, ":") || strings.HasSuffix(image, "/") {
		v.errorf(path, "%q is not a valid image reference; allowed: [registry/]repository[:tag][@digest]", image)
	}
}

// strategy checks spec.strategy and the blocks that belong to it.
func (v *validator) strategy(s *strategies.Spec) {
	name := s.Strategy
	if name == "" {
		name = strategies.StrategyRolling
	}
	known := false
	for _, k := range strategies.Strategies {
		known = known || k == name
	}
	if !known {
		v.errorf("spec.strategy", "unknown strategy %q; allowed: %s", s.Strategy, strings.Join(strategies.Strategies, ", "))
		return
	}
	if r := s.Rolling; r != nil {
		if name == strategies.StrategyRecreate {
			v.errorf("spec.rolling", "is set but spec.strategy is recreate; allowed: spec.rolling with strategy rolling, blue-green or canary")
		}
		if r.Profile != "" {
			ok := false
			for _, p := range strategies.Profiles {
				ok = ok || p == r.Profile
			}
			if !ok {
				v.errorf("spec.rolling.profile", "unknown profile %q; allowed: %s", r.Profile, strings.Join(strategies.Profiles, ", "))
			}
		}
		if r.MaxSurge != nil {
			if msg := r.MaxSurge.Validate(0); msg != "" {
				v.errorf("spec.rolling.maxSurge", "%s", msg)
			}
		}
		if r.MaxUnavailable != nil {
			if msg := r.MaxUnavailable.Validate(100); msg != "" {
				v.errorf("spec.rolling.maxUnavailable", "%s", msg)
			}
		}
		surge, unavailable := strategies.RollingValues(r)
		if surge != nil && unavailable != nil && surge.Value == 0 && unavailable.Value == 0 {
			v.errorf("spec.rolling", "%s", strategies.MsgBothZero)
		}
	}
	if s.BlueGreen != nil && name != strategies.StrategyBlueGreen {
		v.errorf("spec.blueGreen", "is set but spec.strategy is %s; allowed: spec.blueGreen with strategy blue-green", name)
	}
	if s.Canary != nil && name != strategies.StrategyCanary {
		v.errorf("spec.canary", "is set but spec.strategy is %s; allowed: spec.canary with strategy canary (delete the block to abort, or move its image to spec.image to promote)", name)
	}
}
