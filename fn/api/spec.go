package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"rollspec.dev/rollspec/strategies"
)

// Spec is the spec of a Release as the user writes it: the fields every
// strategy shares, and the blocks of the strategies.
type Spec struct {
	Deployment              string     `json:"deployment,omitempty" doc:"Target Deployment in the input. Default: metadata.name."`
	Target                  *TargetRef `json:"target,omitempty" doc:"Target workload by kind and name, instead of deployment."`
	Container               string     `json:"container,omitempty" doc:"Target container. Default: the only container; an error when there are several."`
	Services                []string   `json:"services,omitempty" doc:"Services to steer. Default: Services in the Deployment's namespace whose selector matches its pod labels."`
	Image                   string     `json:"image,omitempty" doc:"New image of the target container."`
	Tag                     string     `json:"tag,omitempty" doc:"New tag for the container's current image repository (instead of image)."`
	Version                 string     `json:"version,omitempty" doc:"Pod label app.kubernetes.io/version. Default: the image tag."`
	Replicas                *int64     `json:"replicas,omitempty" doc:"Desired replicas."`
	Port                    *int64     `json:"port,omitempty" doc:"Container port of a generated Deployment and Service (generation only)."`
	Strategy                string     `json:"strategy,omitempty" doc:"The strategy: rolling, recreate, blue-green or canary. Default: rolling."`
	Rolling                 *Rolling   `json:"rolling,omitempty" doc:"RollingUpdate parameters (strategy rolling)."`
	MinReadySeconds         *int64     `json:"minReadySeconds,omitempty" doc:"spec.minReadySeconds of the Deployment(s)."`
	ProgressDeadlineSeconds *int64     `json:"progressDeadlineSeconds,omitempty" doc:"spec.progressDeadlineSeconds of the Deployment(s)."`
	RevisionHistoryLimit    *int64     `json:"revisionHistoryLimit,omitempty" doc:"spec.revisionHistoryLimit of the Deployment(s)."`
	Paused                  *bool      `json:"paused,omitempty" doc:"spec.paused of the Deployment(s): a frozen rollout. false removes the field."`
	Probes                  *Probes    `json:"probes,omitempty" doc:"Readiness, liveness and startup probes of the target container."`
	Shutdown                *Shutdown  `json:"shutdown,omitempty" doc:"Graceful shutdown of the target pods."`
	Traffic                 *Traffic   `json:"traffic,omitempty" doc:"Exact request shares through Gateway API HTTPRoutes instead of pod counts (strategy canary or blue-green)."`
	// Blocks are the strategies' own blocks (spec.blueGreen, spec.canary),
	// by block name, decoded into the values their strategies register
	// (see strategies.Registration).
	Blocks map[string]strategies.Strategy `json:"-"`
}

// TargetRef names the target workload: spec.deployment: NAME is short for
// target: {kind: Deployment, name: NAME}.
type TargetRef struct {
	Kind string `json:"kind,omitempty" doc:"The workload's kind. Default: Deployment."`
	Name string `json:"name,omitempty" doc:"The workload's name. Default: metadata.name."`
}

// Rolling holds the RollingUpdate parameters.
type Rolling struct {
	MaxSurge       *IntOrPercent `json:"maxSurge,omitempty" doc:"Pods above replicas during an update: an integer or a percent (rounded up)."`
	MaxUnavailable *IntOrPercent `json:"maxUnavailable,omitempty" doc:"Pods below replicas during an update: an integer or a percent (rounded down)."`
	Profile        string        `json:"profile,omitempty" doc:"surge-first (1/0) | drain-first (0/1) | fastest (1/1); explicit maxSurge/maxUnavailable win." enum:"surge-first,drain-first,fastest"`
}

// Probes holds the three probe kinds of the target container.
type Probes struct {
	Readiness *Probe `json:"readiness,omitempty" doc:"readinessProbe: shorthand or object."`
	Liveness  *Probe `json:"liveness,omitempty" doc:"livenessProbe: shorthand or object."`
	Startup   *Probe `json:"startup,omitempty" doc:"startupProbe: shorthand or object."`
}

// Shutdown holds the graceful-shutdown settings.
type Shutdown struct {
	PreStopSleep *Duration `json:"preStopSleep,omitempty" doc:"A preStop sleep (e.g. 5s) that lets endpoints drain before SIGTERM."`
	GracePeriod  *Duration `json:"gracePeriod,omitempty" doc:"terminationGracePeriodSeconds of the pods (e.g. 30s)."`
}

// IntOrPercent is an integer or a percent string such as "25%", as in
// maxSurge and maxUnavailable. Raw keeps what the user wrote, so the output
// says the same thing.
type IntOrPercent struct {
	Value   int64
	Percent bool
	Raw     string
	invalid bool
	// tooLarge marks a percent whose number does not fit an int64.
	tooLarge bool
}

// UnmarshalJSON accepts a number or a string; a string is checked by Validate.
func (v *IntOrPercent) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = IntOrPercent{Raw: s}
		num, ok := strings.CutSuffix(s, "%")
		n, err := strconv.ParseInt(num, 10, 64)
		v.Value, v.Percent = n, true
		v.tooLarge = errors.Is(err, strconv.ErrRange) && num[0] != '-'
		v.invalid = !v.tooLarge && (!ok || err != nil || num == "" || num[0] == '+' || num[0] == '-')
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want an integer or a percent string such as \"25%%\", got %s", b)
	}
	*v = IntOrPercent{Value: n, Raw: strconv.FormatInt(n, 10)}
	return nil
}

// MarshalJSON writes the value back in the form it was written.
func (v IntOrPercent) MarshalJSON() ([]byte, error) {
	if v.Percent {
		return json.Marshal(v.Raw)
	}
	return json.Marshal(v.Value)
}

// Check says what is wrong with the value, nil when it is valid.
func (v IntOrPercent) Check(maxPercent int64) error {
	switch {
	case v.invalid:
		return fmt.Errorf("%q is neither an integer nor a percent; allowed: an integer >= 0 or a percent such as \"25%%\"", v.Raw)
	case v.Value < 0:
		return fmt.Errorf("%s is negative; allowed: an integer >= 0 or a percent such as \"25%%\"", v.Raw)
	case v.tooLarge || v.Value > math.MaxInt32:
		return fmt.Errorf("%q is out of range; allowed: an integer or a percent up to %d", v.Raw, math.MaxInt32)
	case v.Percent && maxPercent > 0 && v.Value > maxPercent:
		return fmt.Errorf("%q is over %d%%; allowed: an integer >= 0 or a percent from \"0%%\" to \"%d%%\"", v.Raw, maxPercent, maxPercent)
	}
	return nil
}

// Int returns an IntOrPercent holding a plain integer.
func Int(n int64) *IntOrPercent { return &IntOrPercent{Value: n, Raw: strconv.FormatInt(n, 10)} }

// Percent returns an IntOrPercent holding "n%".
func Percent(n int64) *IntOrPercent {
	return &IntOrPercent{Value: n, Percent: true, Raw: strconv.FormatInt(n, 10) + "%"}
}

// Duration is a Go duration string such as "5s" or a number of seconds.
type Duration struct {
	Seconds int64
	Raw     string
	problem string
}

// UnmarshalJSON accepts "30s", "1m" or 30; Validate reports what was wrong.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err == nil {
		*d = Duration{Seconds: n, Raw: strconv.FormatInt(n, 10)}
		if n < 0 {
			d.problem = "is negative"
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"30s\", got %s", b)
	}
	*d = Duration{Raw: s}
	dur, err := time.ParseDuration(s)
	switch {
	case err != nil:
		d.problem = "is not a duration"
	case dur < 0:
		d.problem = "is negative"
	case dur%time.Second != 0:
		d.problem = "is not a whole number of seconds"
	}
	d.Seconds = int64(dur / time.Second)
	return nil
}

// MarshalJSON writes the duration as it was written.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Raw) }

// Check says what is wrong with the duration, nil when it is valid.
func (d Duration) Check() error {
	if d.problem == "" {
		return nil
	}
	return fmt.Errorf("%q %s; allowed: whole seconds such as \"5s\", \"1m30s\" or 30", d.Raw, d.problem)
}
