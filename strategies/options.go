package strategies

import (
	"strconv"
	"strings"
)

// Options are a Release's settings as the strategies use them: plain
// values that the Release API (package fn/api) decoded, defaulted and
// validated from the wire format. Paths in findings name the Release's
// fields ("spec.probes.readiness"), so that messages point at what the
// user wrote.
type Options struct {
	// Release is the Release's name, written into rollspec.dev/release.
	Release string
	// Container is the target container ("": the only one).
	Container string
	// Image is the new image, Tag a new tag on the current repository
	// (one of them at most), Version the version label ("": the tag).
	Image, Tag, Version string
	// Replicas is the desired replica count (nil: unchanged).
	Replicas *int64
	// Port is the container port of a generated Deployment and Service.
	Port *int64
	// MaxSurge and MaxUnavailable are the rolling update's values, a
	// profile already resolved; nil keeps what the workload has.
	MaxSurge, MaxUnavailable *IntOrPercent
	// MaxSurgePath and MaxUnavailablePath are the Release fields each
	// value came from (spec.rolling.maxSurge or spec.rolling.profile), for
	// messages.
	MaxSurgePath, MaxUnavailablePath string
	// Profile is the rolling profile the Release named ("": none).
	Profile string
	// The workload's timing fields (nil: unchanged).
	MinReadySeconds, ProgressDeadlineSeconds, RevisionHistoryLimit *int64
	// Paused sets (true) or removes (false) spec.paused; nil: unchanged.
	Paused *bool
	// Probes replace the target container's probes, each whole.
	Probes []ProbeOptions
	// PreStopSleep and GracePeriod are in seconds (nil: unchanged).
	PreStopSleep, GracePeriod *int64
	// Traffic, when set, splits requests through HTTPRoutes (traffic.go).
	Traffic *TrafficOptions
	// Strategy is the strategy the Release chose, with its own options.
	Strategy Strategy
}

// ProbeOptions is one probe of the target container.
type ProbeOptions struct {
	// Kind is readiness, liveness or startup.
	Kind string
	// Path is the Release field the probe came from, for messages.
	Path string
	// Check is a probe in shorthand, parsed; CheckPath where it stood
	// below Path ("" for a plain shorthand string, ".check" in the object
	// form).
	Check     *Check
	CheckPath string
	// Handler and HandlerValue are a corev1 handler given as an object
	// (httpGet, tcpSocket, grpc or exec), used as written.
	Handler      string
	HandlerValue any
	// Timings are the corev1.Probe integer fields that were set, in the
	// order of ProbeTimings.
	Timings []Timing
}

// Timing is one integer field of a corev1.Probe.
type Timing struct {
	Field string
	Value int64
}

// ProbeTimings lists the integer fields of a corev1.Probe a Release may
// set, in the order they are written, with the smallest value the API
// server accepts.
var ProbeTimings = []struct {
	Field string
	Min   int64
}{
	{"initialDelaySeconds", 0},
	{"timeoutSeconds", 1},
	{"periodSeconds", 1},
	{"successThreshold", 1},
	{"failureThreshold", 1},
	{"terminationGracePeriodSeconds", 1},
}

// probeKeys maps a probe kind to the container field that holds it.
var probeKeys = map[string]string{"readiness": "readinessProbe", "liveness": "livenessProbe", "startup": "startupProbe"}

// ProbeKinds lists the probe kinds in the order they are written.
var ProbeKinds = []string{"readiness", "liveness", "startup"}

// IntOrPercent is an integer or a percent, as maxSurge and maxUnavailable
// take.
type IntOrPercent struct {
	Value   int64
	Percent bool
}

// Int returns an IntOrPercent holding a plain integer.
func Int(n int64) *IntOrPercent { return &IntOrPercent{Value: n} }

// Percent returns an IntOrPercent holding "n%".
func Percent(n int64) *IntOrPercent { return &IntOrPercent{Value: n, Percent: true} }

// String writes the value as the API takes it: 1 or "25%".
func (v IntOrPercent) String() string {
	if v.Percent {
		return strconv.FormatInt(v.Value, 10) + "%"
	}
	return strconv.FormatInt(v.Value, 10)
}

// Resolve turns the value into a pod count for the given replicas the way
// the deployment controller does: percents round up for maxSurge and down
// for maxUnavailable.
func (v IntOrPercent) Resolve(replicas int64, roundUp bool) int64 {
	if !v.Percent {
		return v.Value
	}
	if roundUp {
		return (v.Value*replicas + 99) / 100
	}
	return v.Value * replicas / 100
}

// ParseIntOrPercent reads an integer or a percent string as a workload
// manifest holds it; ok is false for anything else.
func ParseIntOrPercent(s string) (v IntOrPercent, ok bool) {
	num, percent := strings.CutSuffix(s, "%")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return IntOrPercent{}, false
	}
	return IntOrPercent{Value: n, Percent: percent}, true
}
