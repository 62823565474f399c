package api

import (
	"fmt"
	"regexp"

	"rollspec.dev/rollspec/strategies"
)

// Traffic is spec.traffic: exact request shares through Gateway API
// HTTPRoutes instead of pod counts (strategies/traffic.go renders it).
type Traffic struct {
	Routes []string       `json:"routes,omitempty" doc:"HTTPRoutes (gateway.networking.k8s.io/v1) in the input, in the Deployment's namespace: each backendRef to a steered Service is split exactly between the current and the new pods."`
	Header *TrafficHeader `json:"header,omitempty" doc:"A/B: requests with this exact header always reach the new version."`
	Mirror *int64         `json:"mirror,omitempty" doc:"Percent of requests copied to the new version (1 to 100); their responses are discarded."`
}

// TrafficHeader is the header of the A/B rule.
type TrafficHeader struct {
	Name  string `json:"name,omitempty" doc:"Header name, matched case-insensitively."`
	Value string `json:"value,omitempty" doc:"Header value, matched exactly."`
}

// Limits of the HTTPRoute header match (gateway.networking.k8s.io/v1).
var (
	// headerName is an HTTP header field name (RFC 7230 token), as the
	// HTTPRoute CRD's pattern has it.
	headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+\-.^_` + "`" + `|~]+$`)
	// headerValue is printable US-ASCII, optionally separated by single
	// tabs or spaces.
	headerValue = regexp.MustCompile(`^[!-~]+([\t ]?[!-~]+)*$`)
)

const (
	maxHeaderName  = 256
	maxHeaderValue = 4096
)

// Messages of the traffic validation that tests compare against.
const (
	MsgTrafficNoRoutes   = "is missing; allowed: the names of the HTTPRoutes whose backendRefs to the steered Services rollspec splits"
	MsgTrafficHeaderName = "%q is not an HTTP header name; allowed: 1 to 256 letters, digits and !#$%%&'*+-.^_`|~"
	MsgTrafficHeaderVal  = "%q is not a header value an HTTPRoute matches; allowed: 1 to 4096 printable ASCII characters, words separated by single spaces or tabs"
	MsgTrafficMirror     = "%d is out of range; allowed: 1 to 100 (percent of requests copied to the new version; remove the field for no mirror)"
	MsgTrafficStrategy   = "header or mirror is set with strategy %s, which runs one version: the routes stay as written; allowed: header and mirror with strategy canary or blue-green"
)

// traffic checks spec.traffic on its own; the strategies check how it
// fits their blocks (weights of requests), and the render checks the
// routes themselves.
func (v *validator) traffic(strategy string, t *Traffic) {
	if t == nil {
		return
	}
	if len(t.Routes) == 0 {
		v.errorf("spec.traffic.routes", MsgTrafficNoRoutes)
	}
	v.listedOnce("spec.traffic.routes", t.Routes, "route")
	for i, r := range t.Routes {
		if !strategies.IsObjectName(r) {
			v.errorf(fmt.Sprintf("spec.traffic.routes[%d]", i), msgObjectName, r)
		}
	}
	if h := t.Header; h != nil {
		if len(h.Name) > maxHeaderName || !headerName.MatchString(h.Name) {
			v.errorf("spec.traffic.header.name", MsgTrafficHeaderName, h.Name)
		}
		if len(h.Value) > maxHeaderValue || !headerValue.MatchString(h.Value) {
			v.errorf("spec.traffic.header.value", MsgTrafficHeaderVal, h.Value)
		}
	}
	if t.Mirror != nil && (*t.Mirror < 1 || *t.Mirror > 100) {
		v.errorf("spec.traffic.mirror", MsgTrafficMirror, *t.Mirror)
	}
	if (t.Header != nil || t.Mirror != nil) && (strategy == "rolling" || strategy == "recreate") {
		v.out = append(v.out, strategies.Finding{Severity: strategies.Warning, Path: "spec.traffic", Message: fmt.Sprintf(MsgTrafficStrategy, strategy)})
	}
}

// options turns the wire value into the strategies' (nil stays nil).
func (t *Traffic) options() *strategies.TrafficOptions {
	if t == nil {
		return nil
	}
	o := &strategies.TrafficOptions{Routes: t.Routes, Mirror: t.Mirror}
	if t.Header != nil {
		o.Header = &strategies.HeaderMatch{Name: t.Header.Name, Value: t.Header.Value}
	}
	return o
}
