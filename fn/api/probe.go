package api

import (
	"encoding/json"
	"fmt"
	"strconv"

	"rollspec.dev/rollspec/strategies"
)

// Probe is a probe in shorthand ("http:8080/ready") or object form. The
// object form takes the corev1.Probe timing fields and either `check` in
// shorthand or one corev1 handler (httpGet, tcpSocket, grpc, exec) as is.
type Probe struct {
	Check                         string         `json:"check,omitempty" doc:"The check in shorthand: http:PORT/PATH, https:PORT/PATH, tcp:PORT, grpc:PORT[/SERVICE], exec:COMMAND ARGS..."`
	HTTPGet                       map[string]any `json:"httpGet,omitempty" doc:"A corev1 HTTPGetAction, used as is."`
	TCPSocket                     map[string]any `json:"tcpSocket,omitempty" doc:"A corev1 TCPSocketAction, used as is."`
	GRPC                          map[string]any `json:"grpc,omitempty" doc:"A corev1 GRPCAction, used as is."`
	Exec                          map[string]any `json:"exec,omitempty" doc:"A corev1 ExecAction, used as is."`
	InitialDelaySeconds           *int64         `json:"initialDelaySeconds,omitempty" doc:"corev1.Probe initialDelaySeconds."`
	TimeoutSeconds                *int64         `json:"timeoutSeconds,omitempty" doc:"corev1.Probe timeoutSeconds."`
	PeriodSeconds                 *int64         `json:"periodSeconds,omitempty" doc:"corev1.Probe periodSeconds."`
	SuccessThreshold              *int64         `json:"successThreshold,omitempty" doc:"corev1.Probe successThreshold (1 for liveness and startup)."`
	FailureThreshold              *int64         `json:"failureThreshold,omitempty" doc:"corev1.Probe failureThreshold."`
	TerminationGracePeriodSeconds *int64         `json:"terminationGracePeriodSeconds,omitempty" doc:"corev1.Probe terminationGracePeriodSeconds (liveness and startup only)."`
	shorthand                     bool
}

// ShorthandForm marks Probe as accepting a plain string in place of the object.
func (*Probe) ShorthandForm() {}

// UnmarshalJSON accepts the shorthand string or the object form.
func (p *Probe) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*p = Probe{Check: s, shorthand: true}
		return nil
	}
	type plain Probe
	var obj plain
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*p = Probe(obj)
	return nil
}

// MarshalJSON writes a shorthand probe back as its string.
func (p Probe) MarshalJSON() ([]byte, error) {
	if p.shorthand {
		return json.Marshal(p.Check)
	}
	type plain Probe
	return json.Marshal(plain(p))
}

// ValidateProbe checks a probe without a container: shorthand syntax, one
// handler, and the API server's rules on thresholds. kind is readiness,
// liveness or startup.
func validateProbe(kind string, p *Probe) []strategies.Finding {
	var out []strategies.Finding
	handlers := 0
	for _, h := range []bool{p.Check != "", p.HTTPGet != nil, p.TCPSocket != nil, p.GRPC != nil, p.Exec != nil} {
		if h {
			handlers++
		}
	}
	if handlers != 1 {
		what := "no check"
		if handlers > 1 {
			what = "more than one check"
		}
		out = append(out, errorf("", "has %s; allowed: exactly one of check, httpGet, tcpSocket, grpc, exec", what))
	}
	if p.Check != "" {
		at := ".check"
		if p.shorthand {
			at = ""
		}
		if _, err := strategies.ParseCheck(p.Check); err != nil {
			out = append(out, errorf(at, "%v", err))
		}
	}
	for _, h := range []struct {
		name string
		v    map[string]any
	}{{"httpGet", p.HTTPGet}, {"tcpSocket", p.TCPSocket}, {"grpc", p.GRPC}, {"exec", p.Exec}} {
		if h.v != nil {
			out = append(out, validateHandler(h.name, h.v)...)
		}
	}
	for _, f := range strategies.ProbeTimings {
		if v := p.timing(f.Field); v != nil && *v < f.Min {
			out = append(out, errorf("."+f.Field, "%d is below %d; allowed: an integer >= %d", *v, f.Min, f.Min))
		}
	}
	if kind != "readiness" && p.SuccessThreshold != nil && *p.SuccessThreshold != 1 {
		out = append(out, errorf(".successThreshold", "must be 1 for a %s probe (the API server rejects other values); allowed: 1", kind))
	}
	if kind == "readiness" && p.TerminationGracePeriodSeconds != nil {
		out = append(out, errorf(".terminationGracePeriodSeconds", "is not allowed on a readiness probe; allowed: liveness and startup probes only"))
	}
	return out
}

// timing returns the probe's integer field of that name (see
// strategies.ProbeTimings), nil when it is not set.
func (p *Probe) timing(field string) *int64 {
	switch field {
	case "initialDelaySeconds":
		return p.InitialDelaySeconds
	case "timeoutSeconds":
		return p.TimeoutSeconds
	case "periodSeconds":
		return p.PeriodSeconds
	case "successThreshold":
		return p.SuccessThreshold
	case "failureThreshold":
		return p.FailureThreshold
	case "terminationGracePeriodSeconds":
		return p.TerminationGracePeriodSeconds
	}
	return nil
}

// options converts the probe for the strategies: the shorthand parsed, or
// the handler given as an object, and the timings that are set.
func (p *Probe) options(kind string) strategies.ProbeOptions {
	o := strategies.ProbeOptions{Kind: kind, Path: "spec.probes." + kind}
	switch {
	case p.Check != "":
		if chk, err := strategies.ParseCheck(p.Check); err == nil {
			o.Check = &chk
		}
		if !p.shorthand {
			o.CheckPath = ".check"
		}
	case p.HTTPGet != nil:
		o.Handler, o.HandlerValue = "httpGet", p.HTTPGet
	case p.TCPSocket != nil:
		o.Handler, o.HandlerValue = "tcpSocket", p.TCPSocket
	case p.GRPC != nil:
		o.Handler, o.HandlerValue = "grpc", p.GRPC
	case p.Exec != nil:
		o.Handler, o.HandlerValue = "exec", p.Exec
	}
	for _, f := range strategies.ProbeTimings {
		if v := p.timing(f.Field); v != nil {
			o.Timings = append(o.Timings, strategies.Timing{Field: f.Field, Value: *v})
		}
	}
	return o
}

// validateHandler checks a corev1 handler given as an object, as the API
// server would: the rules the shorthand's parser applies to its own form.
func validateHandler(name string, h map[string]any) []strategies.Finding {
	at := "." + name
	var out []strategies.Finding
	switch name {
	case "exec":
		cmd, ok := h["command"].([]any)
		if !ok || len(cmd) == 0 {
			return []strategies.Finding{errorf(at+".command", "is missing or empty; allowed: a list of the command and its arguments")}
		}
		for i, a := range cmd {
			if _, ok := a.(string); !ok {
				out = append(out, errorf(fmt.Sprintf("%s.command[%d]", at, i), "got %v; allowed: a string", a))
			}
		}
	case "httpGet", "tcpSocket", "grpc":
		port, ok := h["port"]
		var text string
		switch v := port.(type) {
		case string:
			text = v
			if name == "grpc" {
				out = append(out, errorf(at+".port", "%q is a name; allowed: a port number from 1 to 65535 (gRPC probes take numbers only)", v))
				ok = false
			}
		case float64:
			if v != float64(int64(v)) {
				ok = false
			}
			text = strconv.FormatInt(int64(v), 10)
		default:
			ok = false
		}
		if !ok && len(out) == 0 {
			out = append(out, errorf(at+".port", "is missing or not a port; allowed: a number from 1 to 65535 or a container port name"))
		} else if msg := strategies.CheckPort(text); ok && msg != "" {
			out = append(out, errorf(at+".port", "%s", msg))
		}
		if s, has := h["scheme"]; has && name == "httpGet" && s != "HTTP" && s != "HTTPS" {
			out = append(out, errorf(at+".scheme", "got %v; allowed: HTTP, HTTPS", s))
		}
	}
	return out
}
