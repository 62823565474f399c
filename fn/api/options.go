package api

import (
	"rollspec.dev/rollspec/strategies"
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

// values resolves a rolling block: the profile's values, overridden by
// explicit ones. A nil result means "keep what the workload has".
func (r *Rolling) values() (surge, unavailable *IntOrPercent) {
	surge, unavailable, _, _ = r.sources()
	return surge, unavailable
}

// sources is values, with the field each value came from.
func (r *Rolling) sources() (surge, unavailable *IntOrPercent, surgeAt, unavailableAt string) {
	if r == nil {
		return nil, nil, "", ""
	}
	if v, ok := profileValues[r.Profile]; ok {
		surge, unavailable = Int(v[0]), Int(v[1])
		surgeAt, unavailableAt = "spec.rolling.profile", "spec.rolling.profile"
	}
	if r.MaxSurge != nil {
		surge, surgeAt = r.MaxSurge, "spec.rolling.maxSurge"
	}
	if r.MaxUnavailable != nil {
		unavailable, unavailableAt = r.MaxUnavailable, "spec.rolling.maxUnavailable"
	}
	return surge, unavailable, surgeAt, unavailableAt
}

// plain turns the wire value into the strategies' (nil stays nil).
func (v *IntOrPercent) plain() *strategies.IntOrPercent {
	if v == nil {
		return nil
	}
	return &strategies.IntOrPercent{Value: v.Value, Percent: v.Percent}
}

// seconds is a duration's seconds (nil stays nil).
func (d *Duration) seconds() *int64 {
	if d == nil {
		return nil
	}
	s := d.Seconds
	return &s
}

// Options are the Release's settings as the strategies receive them:
// plain values, the profile resolved, durations in seconds, probes
// parsed, the strategy with its block. Call it on a Release that
// Validate accepted.
func (r *Release) Options() *strategies.Options {
	s := &r.Spec
	o := &strategies.Options{
		Release:                 r.Metadata.Name,
		Container:               s.Container,
		Image:                   s.Image,
		Tag:                     s.Tag,
		Version:                 s.Version,
		Replicas:                s.Replicas,
		Port:                    s.Port,
		MinReadySeconds:         s.MinReadySeconds,
		ProgressDeadlineSeconds: s.ProgressDeadlineSeconds,
		RevisionHistoryLimit:    s.RevisionHistoryLimit,
		Paused:                  s.Paused,
		Traffic:                 s.Traffic.options(),
		Strategy:                r.Strategy(),
	}
	surge, unavailable, surgeAt, unavailableAt := s.Rolling.sources()
	o.MaxSurge, o.MaxUnavailable = surge.plain(), unavailable.plain()
	o.MaxSurgePath, o.MaxUnavailablePath = surgeAt, unavailableAt
	if s.Rolling != nil {
		o.Profile = s.Rolling.Profile
	}
	if p := s.Probes; p != nil {
		for _, probe := range []struct {
			kind string
			p    *Probe
		}{{"readiness", p.Readiness}, {"liveness", p.Liveness}, {"startup", p.Startup}} {
			if probe.p != nil {
				o.Probes = append(o.Probes, probe.p.options(probe.kind))
			}
		}
	}
	if sd := s.Shutdown; sd != nil {
		o.PreStopSleep, o.GracePeriod = sd.PreStopSleep.seconds(), sd.GracePeriod.seconds()
	}
	return o
}
