package strategies

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Traffic: exact request shares through Gateway API HTTPRoutes
// (spec.traffic), a capability that canary and blue-green share.
//
// A replica split is only as fine as the fleet: 10% of 3 pods is 33%.
// With spec.traffic, rollspec rewrites the HTTPRoutes the Release lists
// instead: every backendRef that names a steered Service becomes two
// weighted backendRefs, one to a Service that selects only the current
// pods and one to a Service that selects only the new pods, weighted
// (100-w):w. Both Services select disjoint pods, so the share is exact
// whatever the replica counts:
//   - canary: <service>-stable selects the stable track's pods, which
//     carry rollspec.dev/track: stable (added to the pod template when
//     the user's template lacks it), and <service>-canary the canary's
//     (rollspec.dev/track: canary). The user's Service keeps its selector.
//   - blue-green: the steered Service itself selects the active color and
//     <service>-preview the idle one.
//
// The header A/B rule and the mirror filter send requests to the new pods
// only. Rules, matches, filters, parentRefs and backendRefs to other
// Services stay as the user wrote them; other backendRefs of a split rule
// keep their share (their weights are scaled with the split's).
//
// The route is the user's object, not a generated one, so a re-render
// must give it back exactly as written (kpt renders its own output in
// place; Argo CD and Flux render from Git, where the route is always the
// user's). The rendered route carries the annotation rollspec.dev/traffic
// with what the render changed that cannot be read back from the route
// itself: which rules it split, each backendRef's name and weight as
// written, whether it inserted an A/B rule before a split rule, added a
// mirror filter, or a filters list. A re-render undoes exactly that and
// nothing else, so edits elsewhere in the route survive; a route whose
// split rules no longer match the record is an error, never guessed at.

// Kinds, names and annotations of the traffic capability.
const (
	kindHTTPRoute = "HTTPRoute"
	// RoleStableService is the role of <service>-stable, the Service that
	// selects only a canary's stable track.
	RoleStableService = "stable-service"
	stableSuffix      = "-stable"
	// trackStable is the value of rollspec.dev/track on the stable pods of
	// a canary that splits requests through routes.
	trackStable = "stable"
	// AnnotationTraffic on a rendered HTTPRoute records what rollspec
	// changed in it (see routeRecord).
	AnnotationTraffic = "rollspec.dev/traffic"
	// AnnotationTrackLabel on the stable Deployment says that rollspec
	// added rollspec.dev/track: stable to its pod template, so that a
	// re-render takes it out again.
	AnnotationTrackLabel = "rollspec.dev/track-label"
	// AnnotationFleet on the canary Deployment is the target's replicas
	// before a split by requests: with traffic each track is sized for its
	// share, so the stable track plus the canary is not the fleet.
	AnnotationFleet = "rollspec.dev/fleet-replicas"

	trackLabelGenerated = "generated"
	// annotationPreviousNames is where kustomize records the names an
	// object had before its built-in transformers renamed it.
	annotationPreviousNames = "internal.config.kubernetes.io/previousNames"
)

// Limits of the HTTPRoute CRD (gateway.networking.k8s.io/v1, standard
// channel), checked so that a rendered route is never one the API server
// rejects.
const (
	maxRouteWeight = 1000000
	maxRouteRules  = 16
	maxRuleRefs    = 16
	maxRouteMatch  = 128
	// maxMatchHeaders are the header matches of one match, to which the
	// A/B rule adds its own, and maxRuleFilters the filters of one rule,
	// to which the mirror adds one.
	maxMatchHeaders = 16
	maxRuleFilters  = 16
	// headerMatchExact is the header match type rollspec writes: Exact has
	// core support in every implementation.
	headerMatchExact = "Exact"
	// matchRegularExpression is the match type whose support and
	// precedence are implementation-specific.
	matchRegularExpression = "RegularExpression"
)

// Messages of the traffic checks, compared in tests.
const (
	msgRouteMissing      = "HTTPRoute %q not found in namespace %q (%s); allowed: the name of an HTTPRoute (gateway.networking.k8s.io) in the input, in the namespace of the Deployment"
	msgRouteAmbiguous    = "%q names %d HTTPRoutes (%s); allowed: the name of one HTTPRoute"
	msgRouteOtherRelease = "HTTPRoute %q is steered by Release %[2]q (annotation %[3]s); allowed: one Release per route: list it in one Release's spec.traffic.routes; to hand it over from Release %[2]q, render once with no Release listing it (Release %[2]q gives it back as written), then list it here, or put back the route as you wrote it (without the annotation)"
	msgRoutePrevName     = "HTTPRoute %q %s names Service %q by the name it had before kustomize renamed it %q; kustomize rewrites HTTPRoute backendRefs (after rollspec has run) only with a configurations: nameReference for them, and without one, once rollspec gives the route back (promote, abort), it names a Service that is not there; allowed: a nameReference for kind Service with fieldSpec kind HTTPRoute, path spec/rules/backendRefs/name (this warning stays, as rollspec cannot see it), or the Service's current name"
	msgRouteNoService    = "HTTPRoute %q has no backendRef to a steered Service (%s); allowed: a route with a backendRef (group \"\", kind Service) that names one of them"
	msgRoutePort         = "HTTPRoute %q %s names port %s of Service %q, which exposes %s; allowed: one of the Service's ports"
	msgRouteNoPort       = "HTTPRoute %q %s names Service %q without a port (the API server rejects it); allowed: one of the Service's ports: %s"
	msgRouteGenerated    = "HTTPRoute %q %s names Service %q, which rollspec generates for this Release and removes on promote and abort; allowed: backendRefs to the steered Services, which rollspec splits itself"
	msgRouteWeight       = "HTTPRoute %q %s has weight %q; allowed: an integer from 0 to 1000000"
	msgRouteNoSelector   = "HTTPRoute %q %s names Service %q, which has no selector of the Release's pods: rollspec splits requests through Services that select the steered Service's selector plus the track or color label, and with no selector they would select every such pod of the namespace; allowed: in spec.services and the routes, a Service whose spec.selector selects the Deployment's pods"
	msgRouteHeaderTaken  = "HTTPRoute %q %s already matches header %q, so the A/B rule cannot add its own match on it; allowed: a spec.traffic.header.name that the steered rules do not match on"
	msgRouteRegex        = "HTTPRoute %q %s uses a RegularExpression match, whose support and precedence are implementation-specific: whether requests with header %s: %s reach the new pods ahead of it depends on the Gateway implementation; allowed: Exact and PathPrefix matches for a predictable A/B rule"
	msgRouteTooBig       = "HTTPRoute %q would have %s, over the HTTPRoute limit of %d (the API server rejects it); allowed: fewer rules, matches or backendRefs to steered Services in the route"
	msgRouteHeaders      = "HTTPRoute %q %s would have %d header matches with the A/B rule's, over the HTTPRoute limit of %d (the API server rejects it); allowed: at most %d header matches in each match of a steered rule, or no spec.traffic.header"
	msgRouteFilters      = "HTTPRoute %q %s would have %d filters with the mirror filter, over the HTTPRoute limit of %d (the API server rejects it); allowed: at most %d filters in a steered rule, or no spec.traffic.mirror"
	msgRouteShared       = "HTTPRoute %q %s names Service %q, which is not steered and selects the pods of both versions: it spreads its share of the rule's requests over all of them, so the new version's share of the requests is not exactly the weight; allowed: that Service in spec.services, or that backendRef pointing elsewhere"
	msgRouteWeightsBig   = "HTTPRoute %q %s: an exact split needs weights above 1000000 (the HTTPRoute limit); allowed: smaller backendRef weights in the rule"
	msgRouteEdited       = "HTTPRoute %q carries %s from an earlier render of Release %q, but %s, so rollspec cannot give the route back as written; allowed: undo that edit of the rendered route, or put back the route as you wrote it (without the annotation)"
	msgRouteRecord       = "HTTPRoute %q has an annotation %s that rollspec cannot read (%v); allowed: the annotation as rollspec wrote it, or the route as you wrote it without the annotation"
	msgTrafficNoNewPods  = "sends %s to the %s, which has 0 replicas: those requests would fail; allowed: %s"
	msgTrafficTrackLabel = "Deployment %q gets the pod label %s: %s, which its pod template lacks, so that <service>-stable selects only the stable pods: the stable pods restart once, and until the first of them is ready <service>-stable has no endpoints for the %d%% of requests it takes; add the label to the Deployment's pod template in a commit of its own before turning spec.traffic on (that restart keeps serving, as the Services select the pods by their other labels)"
	msgTrafficTrackValue = "Deployment %q has the pod label %s: %q; allowed: %q or no such label, as the stable track's pods carry %s: %s when requests are split through routes"
)

// TrafficOptions are spec.traffic: the HTTPRoutes to steer and the A/B
// and mirror rules.
type TrafficOptions struct {
	// Routes are the names of the HTTPRoutes, in the Release's order.
	Routes []string
	// Header, when set, sends requests with this exact header to the new
	// pods only.
	Header *HeaderMatch
	// Mirror, when set, is the percent of requests copied to the new pods.
	Mirror *int64
}

// HeaderMatch is an exact header match.
type HeaderMatch struct{ Name, Value string }

// Claim is an object besides the target and its Services that a Release
// edits and no other Release may: package fn gives each to one Release.
type Claim struct {
	// Kind and Name identify the object in the target's namespace; Path is
	// the Release field that names it.
	Kind, Name, Path string
}

// Claims lists the objects a Release's options claim: the routes of
// spec.traffic.
func Claims(o *Options) []Claim {
	if o.Traffic == nil {
		return nil
	}
	var out []Claim
	for i, r := range o.Traffic.Routes {
		out = append(out, Claim{Kind: kindHTTPRoute, Name: r, Path: fmt.Sprintf("spec.traffic.routes[%d]", i)})
	}
	return out
}

// routeRecord is the value of AnnotationTraffic: what a render changed in
// a route, in the order of the route's rules.
type routeRecord struct {
	Release string       `json:"release"`
	Rules   []ruleRecord `json:"rules"`
}

// ruleRecord is one rule the render split.
type ruleRecord struct {
	// Name is the rule's name, and Matches a digest of its matches as
	// written when it has no name: with the backendRefs, what tells the
	// rule apart from a copy of it or from a rule moved above it, so that
	// a re-render gives each rule back its own weights.
	Name    string `json:"name,omitempty"`
	Matches string `json:"matches,omitempty"`
	// Header is true when an A/B rule was inserted right before the rule.
	Header bool `json:"header,omitempty"`
	// Mirror is true when a RequestMirror filter was appended to the
	// rule's filters, and AddedFilters when the rule had no filters field
	// before.
	Mirror       bool `json:"mirror,omitempty"`
	AddedFilters bool `json:"addedFilters,omitempty"`
	// BackendRefs are the rule's backendRefs as written, in order.
	BackendRefs []refRecord `json:"backendRefs"`
}

// refRecord is one backendRef as written: its name, weight (nil: no
// weight field), and group, kind, namespace and port as written (a
// ServiceImport named like a generated Service is not one), and, when
// the render split it, the names of the two backendRefs it became.
type refRecord struct {
	Name      string   `json:"name"`
	Group     string   `json:"group,omitempty"`
	Kind      string   `json:"kind,omitempty"`
	Namespace string   `json:"namespace,omitempty"`
	Port      string   `json:"port,omitempty"`
	Weight    *int64   `json:"weight,omitempty"`
	Split     []string `json:"split,omitempty"`
}

// refKeys are the fields of a backendRef besides its name and weight
// that a refRecord keeps.
var refKeys = []string{"group", "kind", "namespace", "port"}

// recordRef records a backendRef as written.
func recordRef(ref *yaml.Node) refRecord {
	return refRecord{
		Name: scalar(field(ref, "name")), Group: scalar(field(ref, "group")), Kind: scalar(field(ref, "kind")),
		Namespace: scalar(field(ref, "namespace")), Port: scalar(field(ref, "port")), Weight: weightOf(ref),
	}
}

// refFields are a refRecord's group, kind, namespace and port, in the
// order of refKeys.
func (r refRecord) refFields() []string { return []string{r.Group, r.Kind, r.Namespace, r.Port} }

// matchesDigest is the digest of a rule's matches as written ("" when it
// has none): their meaning, not their bytes, so a re-render that only
// restyles them keeps the rule's identity.
func matchesDigest(rule *yaml.Node) string {
	m := field(rule, "matches")
	if m == nil || len(items(m)) == 0 {
		return ""
	}
	var v interface{}
	if err := m.Decode(&v); err != nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// routeSplit is what a strategy asks of the routes.
type routeSplit struct {
	// weight is the percent of requests for the new pods.
	weight int64
	// current names the backend of the current pods for a backendRef to
	// the steered Service svc written as ref; next the backend of the new
	// pods.
	current func(svc *yaml.RNode, ref string) string
	next    func(svc *yaml.RNode) string
}

// steeredRoutes is what the routes of a split come to.
type steeredRoutes struct {
	// related replaces Target.Related[kindHTTPRoute][i].
	related map[int][]*yaml.RNode
	// named are the steered Services (indexes into Target.Services) that
	// the routes split: each needs its per-track backends.
	named map[int]bool
	// findings are the errors of the routes' limits.
	findings []Finding
}

// routePrep is the routes after prepareRoutes: those this Release
// rendered before, given back as written, and the checks of the listed
// ones.
type routePrep struct {
	reverted map[int]bool
	findings []Finding
}

// prepareRoutes runs before every strategy: it gives back, in place, the
// routes an earlier render of this Release steered (so every strategy
// starts from the routes as written, and a Release that no longer lists
// a route, or no longer splits, gives it back), then checks the routes
// spec.traffic lists.
func prepareRoutes(t Target) routePrep {
	p := routePrep{reverted: map[int]bool{}}
	for i, r := range t.Related[kindHTTPRoute] {
		rec, ok, err := readRouteRecord(r)
		switch {
		case !ok:
			continue
		case err != nil:
			if t.Options.Traffic != nil && listedAt(t, r) != "" {
				p.findings = append(p.findings, errorf(listedAt(t, r), msgRouteRecord, Name(r), AnnotationTraffic, err))
			}
			continue
		case rec.Release != t.Options.Release:
			continue
		}
		if problem := revertRoute(r, rec); problem != "" {
			at := listedAt(t, r)
			if at == "" {
				at = "spec.traffic"
			}
			p.findings = append(p.findings, errorf(at, msgRouteEdited, Name(r), AnnotationTraffic, rec.Release, problem))
			continue
		}
		if listedAt(t, r) == "" {
			// A route that is not steered again keeps no backendRef to
			// the Services this render removes (a copy of a split rule
			// that the user added).
			if fs := generatedRefs(t, r, "spec.traffic"); len(fs) > 0 {
				p.findings = append(p.findings, fs...)
				continue
			}
		}
		p.reverted[i] = true
	}
	if t.Options.Traffic != nil && !HasError(p.findings) {
		p.findings = append(p.findings, checkRoutes(t)...)
	}
	return p
}

// finish puts the routes that were given back, and that the strategy did
// not steer again, into the result: as written.
func (p routePrep) finish(t Target, res *Result) {
	if len(p.reverted) == 0 {
		return
	}
	if res.Related == nil {
		res.Related = map[string]map[int][]*yaml.RNode{}
	}
	if res.Related[kindHTTPRoute] == nil {
		res.Related[kindHTTPRoute] = map[int][]*yaml.RNode{}
	}
	routes := res.Related[kindHTTPRoute]
	for _, i := range sortedBoolKeys(p.reverted) {
		if _, steered := routes[i]; !steered {
			routes[i] = []*yaml.RNode{t.Related[kindHTTPRoute][i]}
		}
	}
}

// listedAt is the path of spec.traffic.routes that names a route, "" when
// none does.
func listedAt(t Target, route *yaml.RNode) string {
	if t.Options.Traffic == nil {
		return ""
	}
	for i, name := range t.Options.Traffic.Routes {
		if answersTo(route, name) {
			return fmt.Sprintf("spec.traffic.routes[%d]", i)
		}
	}
	return ""
}

// knownNames are an object's current name and the names kustomize's
// built-in transformers gave it before (previousNames): references in
// other objects are updated only after the function has run.
func knownNames(n *yaml.RNode) []string {
	names := []string{Name(n)}
	prev := scalar(path(n.YNode(), "metadata", "annotations", annotationPreviousNames))
	for _, p := range strings.Split(prev, ",") {
		if p != "" {
			names = append(names, p)
		}
	}
	return names
}

func answersTo(n *yaml.RNode, name string) bool {
	for _, k := range knownNames(n) {
		if k == name {
			return true
		}
	}
	return false
}

// listedRoute is a route spec.traffic lists: the field path it is listed
// at, its index among the related HTTPRoutes, and the route.
type listedRoute struct {
	at    string
	i     int
	route *yaml.RNode
}

// listedRoutes are the routes spec.traffic lists that findRoute finds, in
// order; checkRoutes has said what is wrong with the others.
func listedRoutes(t Target) []listedRoute {
	var out []listedRoute
	for k, name := range t.Options.Traffic.Routes {
		at := fmt.Sprintf("spec.traffic.routes[%d]", k)
		if i, _ := findRoute(t, at, name); i >= 0 {
			out = append(out, listedRoute{at, i, t.Related[kindHTTPRoute][i]})
		}
	}
	return out
}

// findRoute finds a listed route by name among the related HTTPRoutes;
// -1 with a finding when it is not there once.
func findRoute(t Target, at, name string) (int, []Finding) {
	routes := t.Related[kindHTTPRoute]
	var found []int
	for i, r := range routes {
		if answersTo(r, name) {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		var have []string
		for _, r := range routes {
			have = append(have, Name(r))
		}
		there := "it has none"
		if len(have) > 0 {
			there = "it has " + strings.Join(have, ", ")
		}
		ns := ""
		if t.Base != nil {
			ns = Namespace(t.Base)
		}
		if ns == "" {
			ns = "default"
		}
		return -1, []Finding{errorf(at, msgRouteMissing, name, ns, there)}
	}
	var which []string
	for _, i := range found {
		which = append(which, Name(routes[i]))
	}
	return -1, []Finding{errorf(at, msgRouteAmbiguous, name, len(found), strings.Join(which, ", "))}
}

// refService is the index in t.Services of the steered Service a
// backendRef names, -1 when it names none: core group, kind Service, the
// route's namespace, and one of the Service's names.
func refService(ref *yaml.Node, routeNS string, services []*yaml.RNode) int {
	if g := scalar(field(ref, "group")); g != "" {
		return -1
	}
	if k := scalar(field(ref, "kind")); k != "" && k != kindService {
		return -1
	}
	name := scalar(field(ref, "name"))
	for i, s := range services {
		ns := scalar(field(ref, "namespace"))
		if ns == "" {
			ns = routeNS
		}
		if nsOrDefault(ns) != nsOrDefault(Namespace(s)) {
			continue
		}
		if answersTo(s, name) {
			return i
		}
	}
	return -1
}

func nsOrDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// items returns the entries of a sequence node (nil for anything else).
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// servicePorts lists the ports a Service exposes.
func servicePorts(svc *yaml.RNode) []string {
	var out []string
	for _, p := range items(path(svc.YNode(), "spec", "ports")) {
		out = append(out, scalar(field(p, "port")))
	}
	return out
}

// generatedNames are the names of the Services rollspec may generate for
// a steered Service: the per-track and preview backends.
func generatedNames(svc *yaml.RNode) []string {
	return []string{Name(svc) + stableSuffix, Name(svc) + canarySuffix, Name(svc) + previewSuffix}
}

// generatedRefs are the errors for the backendRefs and mirror filters of
// a route that name a Service rollspec generates for the steered
// Services: the render removes them, or generates them only for the
// split it writes itself.
func generatedRefs(t Target, route *yaml.RNode, at string) []Finding {
	generated := map[string]bool{}
	for _, s := range t.Services {
		for _, g := range generatedNames(s) {
			generated[g] = true
		}
	}
	var out []Finding
	for ri, rule := range items(path(route.YNode(), "spec", "rules")) {
		for j, ref := range items(field(rule, "backendRefs")) {
			if name := scalar(field(ref, "name")); generated[name] && scalar(field(ref, "group")) == "" && (scalar(field(ref, "kind")) == "" || scalar(field(ref, "kind")) == kindService) {
				out = append(out, errorf(at, msgRouteGenerated, Name(route), fmt.Sprintf("rules[%d].backendRefs[%d]", ri, j), name))
			}
		}
		for fi, f := range items(field(rule, "filters")) {
			if name := scalar(path(f, "requestMirror", "backendRef", "name")); generated[name] && scalar(path(f, "requestMirror", "backendRef", "group")) == "" {
				out = append(out, errorf(at, msgRouteGenerated, Name(route), fmt.Sprintf("rules[%d].filters[%d]", ri, fi), name))
			}
		}
	}
	return out
}

// sharedBackends are the warnings for backendRefs of a rule that splits
// a steered Service (the routes as written) that name another Service of
// the namespace selecting the Release's pods too: that Service spreads its
// share over the pods of both versions, so the split is not exact. Empty
// when the split is exact.
func sharedBackends(t Target) []Finding {
	if t.Options.Traffic == nil || t.Base == nil {
		return nil
	}
	pods := PlainPodLabels(t.Base)
	var out []Finding
	for _, lr := range listedRoutes(t) {
		at, route := lr.at, lr.route
		for ri, rule := range items(path(route.YNode(), "spec", "rules")) {
			refs := items(field(rule, "backendRefs"))
			split := false
			for _, ref := range refs {
				split = split || refService(ref, Namespace(route), t.Services) >= 0
			}
			if !split {
				continue
			}
			for j, ref := range refs {
				if w := weightOf(ref); w != nil && *w == 0 {
					continue // it takes no request
				}
				u := refService(ref, Namespace(route), t.Unsteered)
				if u < 0 || !SteeringSelector(t.Unsteered[u]).SelectsAll(pods) {
					continue
				}
				out = append(out, warningf(at, msgRouteShared, Name(route), fmt.Sprintf("rules[%d].backendRefs[%d]", ri, j), Name(t.Unsteered[u])))
			}
		}
	}
	return out
}

// checkRoutes checks the routes spec.traffic lists against the steered
// Services: each is there once and not steered by another Release, names
// a steered Service on a port it exposes, and leaves the generated
// backends to rollspec; with a header, the A/B rule can be added.
func checkRoutes(t Target) []Finding {
	c := routeCheck{t: t, generated: map[string]string{}, noSelector: map[int]bool{}, prevNamed: map[int]bool{}}
	for _, s := range t.Services {
		for _, g := range generatedNames(s) {
			c.generated[g] = Name(s)
		}
	}
	for k, name := range t.Options.Traffic.Routes {
		at := fmt.Sprintf("spec.traffic.routes[%d]", k)
		i, fs := findRoute(t, at, name)
		if i < 0 {
			c.out = append(c.out, fs...)
			continue
		}
		c.route(at, t.Related[kindHTTPRoute][i])
	}
	return c.out
}

// routeCheck is the state of checkRoutes: the findings so far, and what
// is said once per steered Service over all the routes.
type routeCheck struct {
	t Target
	// generated maps each name rollspec generates to the Service it is
	// generated from.
	generated map[string]string
	// noSelector and prevNamed are the steered Services (indexes into
	// Target.Services) already found without a selector, or named by a
	// previous name.
	noSelector, prevNamed map[int]bool
	out                   []Finding
}

// route checks one route, spec.traffic.routes[k] at at.
func (c *routeCheck) route(at string, route *yaml.RNode) {
	tr := c.t.Options.Traffic
	if rec, ok, _ := readRouteRecord(route); ok && rec.Release != c.t.Options.Release {
		c.out = append(c.out, errorf(at, msgRouteOtherRelease, Name(route), rec.Release, AnnotationTraffic))
		return
	}
	any := false
	var regex []string
	for ri, rule := range items(path(route.YNode(), "spec", "rules")) {
		steeredRule := false
		for j, ref := range items(field(rule, "backendRefs")) {
			if c.backendRef(at, route, ri, j, ref) {
				any, steeredRule = true, true
			}
		}
		for fi, f := range items(field(rule, "filters")) {
			if name := scalar(path(f, "requestMirror", "backendRef", "name")); c.generated[name] != "" {
				c.out = append(c.out, errorf(at, msgRouteGenerated, Name(route), fmt.Sprintf("rules[%d].filters[%d]", ri, fi), name))
			}
		}
		regex = append(regex, c.matches(at, route, ri, rule, steeredRule)...)
	}
	if !any {
		var steered []string
		for _, s := range c.t.Services {
			steered = append(steered, Name(s))
		}
		c.out = append(c.out, errorf(at, msgRouteNoService, Name(route), orNothing(steered)))
	}
	if tr.Header != nil && len(regex) > 0 {
		c.out = append(c.out, warningf(at, msgRouteRegex, Name(route), strings.Join(regex, ", "), tr.Header.Name, tr.Header.Value))
	}
}

// backendRef checks rules[ri].backendRefs[j] of a route; it reports
// whether the backendRef names a steered Service.
func (c *routeCheck) backendRef(at string, route *yaml.RNode, ri, j int, ref *yaml.Node) bool {
	t := c.t
	where := fmt.Sprintf("rules[%d].backendRefs[%d]", ri, j)
	if w := field(ref, "weight"); w != nil && !validWeight(w) {
		c.out = append(c.out, errorf(at, msgRouteWeight, Name(route), where, w.Value))
	}
	if _, gen := c.generated[scalar(field(ref, "name"))]; gen && scalar(field(ref, "group")) == "" {
		c.out = append(c.out, errorf(at, msgRouteGenerated, Name(route), where, scalar(field(ref, "name"))))
		return false
	}
	si := refService(ref, Namespace(route), t.Services)
	if si < 0 {
		return false
	}
	svc := t.Services[si]
	if n := scalar(field(ref, "name")); n != Name(svc) && !c.prevNamed[si] {
		c.prevNamed[si] = true
		c.out = append(c.out, warningf(at, msgRoutePrevName, Name(route), where, n, Name(svc)))
	}
	if len(SteeringSelector(svc)) == 0 && !c.noSelector[si] {
		// The per-track Services would select the track label
		// alone: every such pod of the namespace.
		c.noSelector[si] = true
		loc := at
		if t.ServicesListed {
			loc = fmt.Sprintf("spec.services[%d]", si)
		}
		c.out = append(c.out, errorf(loc, msgRouteNoSelector, Name(route), where, Name(svc)))
	}
	ports := servicePorts(svc)
	port := field(ref, "port")
	switch {
	case port == nil:
		c.out = append(c.out, errorf(at, msgRouteNoPort, Name(route), where, Name(svc), strings.Join(ports, ", ")))
	case !contains(ports, port.Value):
		c.out = append(c.out, errorf(at, msgRoutePort, Name(route), where, port.Value, Name(svc), orNothing(ports)))
	}
	return true
}

// matches checks the matches of rules[ri]: in a steered rule with
// spec.traffic.header, none may match on that header already. It returns
// where the matches use a regular expression.
func (c *routeCheck) matches(at string, route *yaml.RNode, ri int, rule *yaml.Node, steeredRule bool) (regex []string) {
	tr := c.t.Options.Traffic
	for mi, m := range items(field(rule, "matches")) {
		where := fmt.Sprintf("rules[%d].matches[%d]", ri, mi)
		if usesRegex(m) {
			regex = append(regex, where)
		}
		if tr.Header == nil || !steeredRule {
			continue
		}
		for _, h := range items(field(m, "headers")) {
			if strings.EqualFold(scalar(field(h, "name")), tr.Header.Name) {
				c.out = append(c.out, errorf(at, msgRouteHeaderTaken, Name(route), where, scalar(field(h, "name"))))
			}
		}
	}
	return regex
}

func orNothing(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// usesRegex reports whether a match uses a RegularExpression path, header
// or query parameter match.
func usesRegex(m *yaml.Node) bool {
	if scalar(path(m, "path", "type")) == matchRegularExpression {
		return true
	}
	for _, key := range []string{"headers", "queryParams"} {
		for _, h := range items(field(m, key)) {
			if scalar(field(h, "type")) == matchRegularExpression {
				return true
			}
		}
	}
	return false
}

// validWeight reports whether a weight node holds what the CRD accepts.
func validWeight(w *yaml.Node) bool {
	if w.Kind != yaml.ScalarNode || w.Tag != yaml.NodeTagInt || !IsDecimal(w.Value) {
		return false
	}
	v, err := strconv.ParseInt(w.Value, 10, 64)
	return err == nil && v >= 0 && v <= maxRouteWeight
}

// weightOf is a backendRef's weight as written: nil when it has none.
func weightOf(ref *yaml.Node) *int64 {
	w := field(ref, "weight")
	if w == nil {
		return nil
	}
	v, _ := strconv.ParseInt(w.Value, 10, 64)
	return &v
}

// setWeight writes a backendRef's weight, in place when it has one (its
// style and comments stay), else as a new last field.
func setWeight(ref *yaml.Node, w int64) {
	if n := field(ref, "weight"); n != nil {
		n.Value, n.Tag = strconv.FormatInt(w, 10), yaml.NodeTagInt
		return
	}
	setField(ref, "weight", intNode(w))
}

// setRefName renames a backendRef in place, keeping the name's style: a
// generated name ends in a suffix (-stable, -canary, -preview), which no
// YAML reader takes for anything but a string, and a name given back is
// the user's, in the user's style.
func setRefName(ref *yaml.Node, name string) {
	if n := field(ref, "name"); n != nil {
		n.Value = name
		return
	}
	setField(ref, "name", strNode(name))
}

// splitWeights computes the weights of a rule whose steered backendRefs
// split (100-w):w: written is each backendRef's weight (the API default 1
// when it has none), steered says which split. A steered backendRef of
// weight a becomes a(100-w) and aw, any other b becomes 100b, so every
// backendRef keeps its share of the rule and each split is exact. The
// weights are divided by their greatest common divisor only when they
// would exceed the HTTPRoute limit.
func splitWeights(written []int64, steered []bool, w int64) (cur, next []int64, ok bool) {
	cur, next = make([]int64, len(written)), make([]int64, len(written))
	var g, top int64
	for i, a := range written {
		if steered[i] {
			cur[i], next[i] = a*(100-w), a*w
		} else {
			cur[i] = a * 100
		}
		g, top = gcd(gcd(g, cur[i]), next[i]), max(top, cur[i], next[i])
	}
	if top > maxRouteWeight && g > 1 {
		for i := range cur {
			cur[i], next[i] = cur[i]/g, next[i]/g
		}
		top /= g
	}
	return cur, next, top <= maxRouteWeight
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// steerRoutes renders the split into the routes spec.traffic lists (the
// checks have passed): it edits each route in place and records what it
// changed in AnnotationTraffic.
func steerRoutes(t Target, sp routeSplit) steeredRoutes {
	out := steeredRoutes{related: map[int][]*yaml.RNode{}, named: map[int]bool{}}
	for _, lr := range listedRoutes(t) {
		if out.steerRoute(t, sp, lr.at, lr.route) {
			out.related[lr.i] = []*yaml.RNode{lr.route}
		}
	}
	return out
}

// steerRoute splits the rules of one route and records the split in its
// AnnotationTraffic; it reports whether the route was recorded.
func (out *steeredRoutes) steerRoute(t Target, sp routeSplit, at string, route *yaml.RNode) bool {
	rec := routeRecord{Release: t.Options.Release}
	rulesNode := path(route.YNode(), "spec", "rules")
	if rulesNode == nil || rulesNode.Kind != yaml.SequenceNode {
		return false // checkRoutes refused it: it names no steered Service
	}
	var rules []*yaml.Node
	matches := 0
	for ri, rule := range items(rulesNode) {
		steered, n, rr := out.steerRule(t, sp, at, route, ri, rule)
		rules = append(rules, steered...)
		matches += n
		if rr != nil {
			rec.Rules = append(rec.Rules, *rr)
		}
	}
	switch {
	case len(rules) > maxRouteRules:
		out.findings = append(out.findings, errorf(at, msgRouteTooBig, Name(route), fmt.Sprintf("%d rules with the A/B rules", len(rules)), maxRouteRules))
	case matches > maxRouteMatch:
		out.findings = append(out.findings, errorf(at, msgRouteTooBig, Name(route), fmt.Sprintf("%d matches with the A/B rules", matches), maxRouteMatch))
	}
	rulesNode.Content = rules
	b, err := json.Marshal(rec)
	if err != nil {
		out.findings = append(out.findings, errorf(at, "cannot record the split of HTTPRoute %q: %v", Name(route), err))
		return false
	}
	SetAnnotation(route, AnnotationTraffic, string(b))
	return true
}

// ruleBackends are a rule's backendRefs as written: for each, the steered
// Service it names (an index into Target.Services, -1 for none) and its
// weight (the API default 1 when it has none).
type ruleBackends struct {
	refs       []*yaml.Node
	svc        []int
	steered    []bool
	written    []int64
	anySteered bool
}

func readBackends(t Target, route *yaml.RNode, refs []*yaml.Node) ruleBackends {
	b := ruleBackends{refs: refs, svc: make([]int, len(refs)), steered: make([]bool, len(refs)), written: make([]int64, len(refs))}
	for j, ref := range refs {
		b.svc[j] = refService(ref, Namespace(route), t.Services)
		b.steered[j] = b.svc[j] >= 0
		b.anySteered = b.anySteered || b.steered[j]
		b.written[j] = 1
		if w := weightOf(ref); w != nil {
			b.written[j] = *w
		}
	}
	return b
}

// steerRule splits one rule (rules[ri]) of a route: it returns the rules
// that take its place (the A/B rule first, with spec.traffic.header), the
// matches they count toward the route's limit, and the rule's record (nil
// when it names no steered Service or its weights do not fit; such a
// rule that names no steered Service stays as it is, one whose weights do
// not fit is left out, with an error).
func (out *steeredRoutes) steerRule(t Target, sp routeSplit, at string, route *yaml.RNode, ri int, rule *yaml.Node) ([]*yaml.Node, int, *ruleRecord) {
	tr := t.Options.Traffic
	refsNode := field(rule, "backendRefs")
	b := readBackends(t, route, items(refsNode))
	rr := ruleRecord{Name: scalar(field(rule, "name"))}
	if rr.Name == "" {
		rr.Matches = matchesDigest(rule)
	}
	for _, ref := range b.refs {
		rr.BackendRefs = append(rr.BackendRefs, recordRef(ref))
	}
	if !b.anySteered {
		return []*yaml.Node{rule}, max(len(items(field(rule, "matches"))), 1), nil
	}
	cur, next, ok := splitWeights(b.written, b.steered, sp.weight)
	if !ok {
		out.findings = append(out.findings, errorf(at, msgRouteWeightsBig, Name(route), fmt.Sprintf("rules[%d]", ri)))
		return nil, 0, nil
	}
	var rules []*yaml.Node
	matches := 0
	if tr.Header != nil {
		h := out.abRule(t, sp, route, ri, rule, b)
		rules = append(rules, h)
		matches += len(items(field(h, "matches")))
		rr.Header = true
	}
	split, mirrorTo := out.splitRefs(t, sp, b, cur, next, &rr)
	if len(split) > maxRuleRefs {
		out.findings = append(out.findings, errorf(at, msgRouteTooBig, Name(route), fmt.Sprintf("%d backendRefs in rules[%d]", len(split), ri), maxRuleRefs))
	}
	refsNode.Content = split
	if tr.Mirror != nil {
		out.addMirror(route, ri, rule, mirrorTo, *tr.Mirror, &rr)
	}
	rules = append(rules, rule)
	matches += max(len(items(field(rule, "matches"))), 1)
	return rules, matches, &rr
}

// abRule is the A/B rule for a rule (see headerRule), with an error for
// each of its matches over the Gateway API's header limit.
func (out *steeredRoutes) abRule(t Target, sp routeSplit, route *yaml.RNode, ri int, rule *yaml.Node, b ruleBackends) *yaml.Node {
	h := headerRule(rule, b.refs, func(j int) string {
		if !b.steered[j] {
			return ""
		}
		return sp.next(t.Services[b.svc[j]])
	}, *t.Options.Traffic.Header)
	for mi, m := range items(field(h, "matches")) {
		if n := len(items(field(m, "headers"))); n > maxMatchHeaders {
			out.findings = append(out.findings, errorf("spec.traffic.header", msgRouteHeaders, Name(route), fmt.Sprintf("rules[%d].matches[%d]", ri, mi), n, maxMatchHeaders, maxMatchHeaders-1))
		}
	}
	return h
}

// splitRefs weighs every backendRef of a rule and splits each steered one
// in two, its current backend then its new one; it returns the new
// backendRefs and the first new backend (where a mirror sends requests).
func (out *steeredRoutes) splitRefs(t Target, sp routeSplit, b ruleBackends, cur, next []int64, rr *ruleRecord) (split []*yaml.Node, mirrorTo *yaml.Node) {
	for j, ref := range b.refs {
		if !b.steered[j] {
			setWeight(ref, cur[j])
			split = append(split, ref)
			continue
		}
		s := t.Services[b.svc[j]]
		out.named[b.svc[j]] = true
		n := bareCopy(ref)
		setRefName(ref, sp.current(s, scalar(field(ref, "name"))))
		setWeight(ref, cur[j])
		setRefName(n, sp.next(s))
		setWeight(n, next[j])
		split = append(split, ref, n)
		rr.BackendRefs[j].Split = []string{scalar(field(ref, "name")), scalar(field(n, "name"))}
		if mirrorTo == nil {
			mirrorTo = n
		}
	}
	return split, mirrorTo
}

// addMirror appends to a rule the filter that mirrors percent of its
// requests to mirrorTo, with an error when that takes the rule's filters
// over the Gateway API's limit.
func (out *steeredRoutes) addMirror(route *yaml.RNode, ri int, rule, mirrorTo *yaml.Node, percent int64, rr *ruleRecord) {
	filters := field(rule, "filters")
	if filters == nil {
		filters = newSeq()
		setField(rule, "filters", filters)
		rr.AddedFilters = true
	}
	filters.Content = append(append([]*yaml.Node{}, filters.Content...), mirrorFilter(mirrorTo, percent))
	rr.Mirror = true
	if n := len(filters.Content); n > maxRuleFilters {
		out.findings = append(out.findings, errorf("spec.traffic.mirror", msgRouteFilters, Name(route), fmt.Sprintf("rules[%d]", ri), n, maxRuleFilters, maxRuleFilters-1))
	}
}

// headerRule is the A/B rule for a rule: the rule's matches, each with
// the exact header match added (a rule without matches matches every
// path), its filters and timeouts, and backendRefs to the new pods only
// (next names them; "" for a backendRef to another Service, which the
// A/B rule leaves out). It has no name: rule names are unique in a route.
func headerRule(rule *yaml.Node, refs []*yaml.Node, next func(int) string, h HeaderMatch) *yaml.Node {
	hr := bareCopy(rule)
	removeField(hr, "name")
	match := newMap()
	setField(match, "name", strNode(h.Name))
	setField(match, "type", strNode(headerMatchExact))
	setField(match, "value", strNode(h.Value))
	matches := items(field(hr, "matches"))
	if len(matches) == 0 {
		m := newMap()
		setField(m, "headers", &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{match}})
		setField(hr, "matches", &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{m}})
	}
	for _, m := range matches {
		hs := field(m, "headers")
		if hs == nil || hs.Kind != yaml.SequenceNode {
			hs = newSeq()
			setField(m, "headers", hs)
		}
		hs.Content = append(append([]*yaml.Node{}, hs.Content...), copyNode(match))
	}
	var backends []*yaml.Node
	for j, ref := range refs {
		if name := next(j); name != "" {
			n := bareCopy(ref)
			setRefName(n, name)
			backends = append(backends, n)
		}
	}
	if len(backends) == 1 {
		// A weight says nothing of a single backend.
		removeField(backends[0], "weight")
	}
	setField(hr, "backendRefs", &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: backends})
	return hr
}

// bareCopy is a deep copy without the user's comments: a generated node
// says nothing the user wrote about the original.
func bareCopy(n *yaml.Node) *yaml.Node {
	c := copyNode(n)
	var strip func(*yaml.Node)
	strip = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		for _, k := range n.Content {
			strip(k)
		}
	}
	strip(c)
	return c
}

// mirrorFilter copies percent of the requests to the backend ref (the
// first backendRef to new pods of its rule).
func mirrorFilter(ref *yaml.Node, percent int64) *yaml.Node {
	backend := newMap()
	for _, key := range []string{"group", "kind", "name", "namespace", "port"} {
		if v := field(ref, key); v != nil {
			setField(backend, key, bareCopy(v))
		}
	}
	mirror := newMap()
	setField(mirror, "backendRef", backend)
	setField(mirror, "percent", intNode(percent))
	f := newMap()
	setField(f, "type", strNode("RequestMirror"))
	setField(f, "requestMirror", mirror)
	return f
}

// readRouteRecord reads AnnotationTraffic; ok is false when the route has
// none.
func readRouteRecord(route *yaml.RNode) (routeRecord, bool, error) {
	v := path(route.YNode(), "metadata", "annotations", AnnotationTraffic)
	if v == nil {
		return routeRecord{}, false, nil
	}
	var rec routeRecord
	dec := json.NewDecoder(strings.NewReader(scalar(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return routeRecord{}, true, err
	}
	if rec.Release == "" {
		return routeRecord{}, true, fmt.Errorf("it names no release")
	}
	return rec, true, nil
}

// revertRoute gives a rendered route back as written, in place: the A/B
// rules and mirror filters go, each split backendRef pair becomes the
// backendRef as written again, weights are what they were, the
// annotation goes. It returns what does not match the record, "" when
// the route is as written again.
func revertRoute(route *yaml.RNode, rec routeRecord) string {
	rulesNode := path(route.YNode(), "spec", "rules")
	rules := items(rulesNode)
	at, problem := locateRules(rules, rec)
	if problem != "" {
		return problem
	}
	split := map[int]int{}
	for k, ri := range at {
		split[ri] = k
	}
	drop := map[int]bool{}
	for k, ri := range at {
		rr := rec.Rules[k]
		if !rr.Header {
			continue
		}
		_, before := split[ri-1]
		if ri == 0 || before || drop[ri-1] || !isHeaderRule(rules[ri-1], rr) {
			return fmt.Sprintf("the A/B rule before %s is gone or changed", describeRule(rr))
		}
		drop[ri-1] = true
	}
	for k, ri := range at {
		if problem := unsplit(rules[ri], rec.Rules[k]); problem != "" {
			return problem
		}
	}
	var out []*yaml.Node
	for ri, rule := range rules {
		if !drop[ri] {
			out = append(out, rule)
		}
	}
	if rulesNode != nil {
		rulesNode.Content = out
	}
	meta := path(route.YNode(), "metadata")
	ann := field(meta, "annotations")
	removeField(ann, AnnotationTraffic)
	if ann != nil && len(ann.Content) == 0 {
		removeField(meta, "annotations")
	}
	return ""
}

// locateRules finds, for each split rule of a record, the rule of the
// route that is it (at[k] for rec.Rules[k]), by the rule's own record
// and never by position: the rendered backendRefs (names, group, kind,
// namespace and port), then the rule's name, or its matches when it has
// no name. A rule whose name or matches were edited is still found when
// it is the only one with its backendRefs; two rules that the record
// cannot tell apart (a copy of a split rule) are a problem, never a
// guess. It returns what does not match the record, "" when every rule
// is found.
func locateRules(rules []*yaml.Node, rec routeRecord) ([]int, string) {
	at := make([]int, len(rec.Rules))
	taken := map[int]bool{}
	// First the rules the record names exactly, so that an edited rule
	// next to them is told apart by elimination.
	for k, rr := range rec.Rules {
		at[k] = -1
		var found []int
		for ri, rule := range rules {
			if matchesRecord(rule, rr) && sameRule(rule, rr) {
				found = append(found, ri)
			}
		}
		if len(found) == 1 && !taken[found[0]] {
			at[k] = found[0]
			taken[found[0]] = true
		}
	}
	for k, rr := range rec.Rules {
		if at[k] >= 0 {
			continue
		}
		var found []int
		for ri, rule := range rules {
			if !taken[ri] && matchesRecord(rule, rr) {
				found = append(found, ri)
			}
		}
		switch {
		case len(found) == 0:
			return nil, fmt.Sprintf("%s is gone or its backendRefs changed", describeRule(rr))
		case len(found) > 1 && !alike(rules, found, rec.Rules[k:], rr):
			var where []string
			for _, ri := range found {
				where = append(where, fmt.Sprintf("rules[%d]", ri))
			}
			return nil, fmt.Sprintf("%s have the backendRefs of %s alike, and neither a rule name nor the matches tell which one it split (a copy of the rendered rule?)", joinAnd(where), describeRule(rr))
		}
		at[k] = found[0]
		taken[found[0]] = true
	}
	return at, ""
}

// joinAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// sameRule reports whether a rule has the identity a rule record keeps:
// its name, or no name and the same matches.
func sameRule(rule *yaml.Node, rr ruleRecord) bool {
	name := scalar(field(rule, "name"))
	if rr.Name != "" || name != "" {
		return name == rr.Name
	}
	return matchesDigest(rule) == rr.Matches
}

// alike reports whether the candidate rules for a record cannot be told
// apart and need not be: each is the record's rule exactly, and as many
// of the remaining records are this very record, so whichever goes to
// which, every rule is given back the same.
func alike(rules []*yaml.Node, found []int, rest []ruleRecord, rr ruleRecord) bool {
	for _, ri := range found {
		if !sameRule(rules[ri], rr) {
			return false
		}
	}
	want, _ := json.Marshal(rr)
	n := 0
	for _, r := range rest {
		if b, _ := json.Marshal(r); string(b) == string(want) {
			n++
		}
	}
	return n == len(found)
}

// describeRule names a split rule for a message: by its name, or by its
// backendRefs as rendered.
func describeRule(rr ruleRecord) string {
	if rr.Name != "" {
		return fmt.Sprintf("its rule %q with backendRefs %s", rr.Name, describeRefs(rr))
	}
	return "its rule with backendRefs " + describeRefs(rr)
}

func describeRefs(rr ruleRecord) string {
	var names []string
	for _, r := range rr.BackendRefs {
		if len(r.Split) == 2 {
			names = append(names, r.Split[0], r.Split[1])
		} else {
			names = append(names, r.Name)
		}
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// matchesRecord reports whether a rule's backendRefs are the ones a split
// rule record says the render wrote, in order: the names, and the group,
// kind, namespace and port as written (a split backendRef's pair has
// those of the backendRef it was split from).
func matchesRecord(rule *yaml.Node, rr ruleRecord) bool {
	refs := items(field(rule, "backendRefs"))
	k := 0
	for _, r := range rr.BackendRefs {
		names := []string{r.Name}
		if len(r.Split) == 2 {
			names = r.Split
		}
		for _, n := range names {
			if k >= len(refs) || scalar(field(refs[k], "name")) != n {
				return false
			}
			for i, key := range refKeys {
				if scalar(field(refs[k], key)) != r.refFields()[i] {
					return false
				}
			}
			k++
		}
	}
	return k == len(refs)
}

// nextNames are the backends of new pods a split rule record names.
func nextNames(rr ruleRecord) map[string]bool {
	out := map[string]bool{}
	for _, r := range rr.BackendRefs {
		if len(r.Split) == 2 {
			out[r.Split[1]] = true
		}
	}
	return out
}

// isHeaderRule reports whether a rule is the A/B rule of a split rule:
// backendRefs to the split's new pods only.
func isHeaderRule(rule *yaml.Node, rr ruleRecord) bool {
	refs := items(field(rule, "backendRefs"))
	next := nextNames(rr)
	for _, ref := range refs {
		if !next[scalar(field(ref, "name"))] {
			return false
		}
	}
	return len(refs) > 0
}

// unsplit gives a split rule back as written (matchesRecord holds); it
// returns what does not match the record.
func unsplit(rule *yaml.Node, rr ruleRecord) string {
	refsNode := field(rule, "backendRefs")
	refs := items(refsNode)
	var kept []*yaml.Node
	k := 0
	for _, r := range rr.BackendRefs {
		ref := refs[k]
		k++
		if len(r.Split) == 2 {
			k++ // the backendRef to the new pods goes
			setRefName(ref, r.Name)
		}
		if r.Weight == nil {
			removeField(ref, "weight")
		} else {
			setWeight(ref, *r.Weight)
		}
		kept = append(kept, ref)
	}
	refsNode.Content = kept
	if !rr.Mirror {
		return ""
	}
	next := nextNames(rr)
	filters := field(rule, "filters")
	fs := items(filters)
	found := false
	for i := len(fs) - 1; i >= 0 && !found; i-- {
		if scalar(field(fs[i], "type")) == "RequestMirror" && next[scalar(path(fs[i], "requestMirror", "backendRef", "name"))] {
			filters.Content = append(append([]*yaml.Node{}, fs[:i]...), fs[i+1:]...)
			found = true
		}
	}
	if !found {
		return fmt.Sprintf("the mirror filter of its rule with backendRefs %s is gone", describeRefs(rr))
	}
	if rr.AddedFilters && len(items(filters)) == 0 {
		removeField(rule, "filters")
	}
	return ""
}

// trafficServices are the backends of the new or current pods of the
// steered Services the routes split, in the order of t.Services: copies
// selecting label=value (see derivedService).
func trafficServices(t Target, named map[int]bool, suffix, role, label, value string) map[int]*yaml.RNode {
	out := map[int]*yaml.RNode{}
	for i, s := range t.Services {
		if named[i] {
			out[i] = derivedService(s, suffix, t.Options.Release, role, label, value, false)
		}
	}
	return out
}

// sortedBoolKeys returns the keys of a set of indexes in order.
func sortedBoolKeys(m map[int]bool) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// requestShares reads the routes a release steered from rendered objects
// and says, for each workload, the share of the requests it gets through
// each route (keyed by workload name), with notes on the A/B rules and
// mirrors: route weights times each backend Service's share of the pods
// it selects (replicas gives a workload's pod count). It is what `rollspec
// plan` prints next to the pod counts.
func requestShares(workloads, output []*yaml.RNode, replicas func(*yaml.RNode) int64) (map[string][]string, []string) {
	shares := map[string][]string{}
	var notes []string
	if len(workloads) == 0 {
		return shares, nil
	}
	ns := Namespace(workloads[0])
	podsOf := podsSelected(workloads, output, replicas)
	for _, route := range output {
		if Kind(route) != kindHTTPRoute || nsOrDefault(Namespace(route)) != nsOrDefault(ns) {
			continue
		}
		rec, ok, err := readRouteRecord(route)
		if !ok || err != nil {
			continue
		}
		rules := items(path(route.YNode(), "spec", "rules"))
		at, problem := locateRules(rules, rec)
		if problem != "" {
			continue
		}
		per, routeNotes := routeShares(route, rules, rec, at, podsOf)
		notes = append(notes, routeNotes...)
		sayShares(shares, workloads, route, per)
	}
	return shares, notes
}

// podsSelected returns podsOf: the pods a Service of the release's
// namespace selects among output, per workload of the release, and in all
// (other workloads' pods count as all).
func podsSelected(workloads, output []*yaml.RNode, replicas func(*yaml.RNode) int64) func(svc string) (map[string]int64, int64) {
	ns := Namespace(workloads[0])
	selectors := map[string]Labels{}
	for _, o := range output {
		if Kind(o) == kindService && nsOrDefault(Namespace(o)) == nsOrDefault(ns) {
			selectors[Name(o)] = ServiceSelector(o)
		}
	}
	return func(svc string) (map[string]int64, int64) {
		mine, all := map[string]int64{}, int64(0)
		sel, ok := selectors[svc]
		if !ok {
			return mine, 0
		}
		for _, o := range output {
			if WorkloadOf(Kind(o)) == nil || nsOrDefault(Namespace(o)) != nsOrDefault(ns) || !sel.SelectsAll(PodLabels(o)) {
				continue
			}
			n := replicas(o)
			all += n
			for _, w := range workloads {
				if Name(w) == Name(o) && Kind(w) == Kind(o) {
					mine[Name(o)] += n
				}
			}
		}
		return mine, all
	}
}

// ruleShare is the shares of the requests one split rule gives each
// workload.
type ruleShare struct {
	where string
	got   map[string]float64
}

// routeShares is each split rule's shares (at are the indexes of the
// recorded rules), of the rules that send the release any request, and
// the notes on the route's A/B rules and mirrors, each said once.
func routeShares(route *yaml.RNode, rules []*yaml.Node, rec routeRecord, at []int, podsOf func(string) (map[string]int64, int64)) ([]ruleShare, []string) {
	var per []ruleShare
	var notes []string
	seen := map[string]bool{}
	for k, ri := range at {
		rule, rr := rules[ri], rec.Rules[k]
		if got, mine := ruleShares(rule, podsOf); mine > 0 {
			where := fmt.Sprintf("rules[%d]", ri)
			if rr.Name != "" {
				where = fmt.Sprintf("rule %s", rr.Name)
			}
			per = append(per, ruleShare{where, got})
		}
		extra := ruleExtras(rules, ri, rr)
		if len(extra) > 0 {
			note := fmt.Sprintf("HTTPRoute %s: %s", Name(route), strings.Join(extra, "; "))
			if !seen[note] {
				seen[note] = true
				notes = append(notes, note)
			}
		}
	}
	return per, notes
}

// ruleExtras says what a split rule does besides weights: an A/B rule
// before it, a mirror to the new pods.
func ruleExtras(rules []*yaml.Node, ri int, rr ruleRecord) []string {
	var extra []string
	if rr.Header && ri > 0 {
		if h := lastHeader(rules[ri-1]); h != "" {
			extra = append(extra, fmt.Sprintf("requests with header %s go to the new pods only", h))
		}
	}
	if rr.Mirror {
		for _, f := range items(field(rules[ri], "filters")) {
			if scalar(field(f, "type")) == "RequestMirror" && nextNames(rr)[scalar(path(f, "requestMirror", "backendRef", "name"))] {
				extra = append(extra, fmt.Sprintf("%s%% of the requests are copied to the new pods too (responses discarded)", scalar(path(f, "requestMirror", "percent"))))
			}
		}
	}
	return extra
}

// sayShares adds a route's shares to each workload's: when the rules all
// agree, one share speaks for the route; when they differ, each rule is
// said.
func sayShares(shares map[string][]string, workloads []*yaml.RNode, route *yaml.RNode, per []ruleShare) {
	alike := true
	for _, p := range per[min(1, len(per)):] {
		for _, w := range workloads {
			if percent(p.got[Name(w)]) != percent(per[0].got[Name(w)]) {
				alike = false
			}
		}
	}
	for i, p := range per {
		if alike && i > 0 {
			break
		}
		where := Name(route)
		if !alike {
			where += " " + p.where
		}
		for _, w := range workloads {
			if s, ok := p.got[Name(w)]; ok {
				shares[Name(w)] = append(shares[Name(w)], fmt.Sprintf("%s of the requests (HTTPRoute %s)", percent(s), where))
			}
		}
	}
}

// ruleShares is the share of a rule's requests for the release's pods
// that each workload gets, and mine the share of the rule's requests
// that reach the release's pods at all (0: the rule sends it none).
func ruleShares(rule *yaml.Node, podsOf func(string) (map[string]int64, int64)) (got map[string]float64, mine float64) {
	refs := items(field(rule, "backendRefs"))
	var total float64
	weights := make([]float64, len(refs))
	for i, ref := range refs {
		weights[i] = 1
		if w := weightOf(ref); w != nil {
			weights[i] = float64(*w)
		}
		total += weights[i]
	}
	got = map[string]float64{}
	for i, ref := range refs {
		pods, all := podsOf(scalar(field(ref, "name")))
		if all == 0 || total == 0 {
			continue
		}
		for name, n := range pods {
			s := weights[i] / total * float64(n) / float64(all)
			got[name] += s
			mine += s
		}
	}
	if mine > 0 {
		for name := range got {
			got[name] /= mine
		}
	}
	return got, mine
}

// percent prints a share as a percent, whole when it is one.
func percent(s float64) string {
	p := s * 100
	if r := math.Round(p); math.Abs(p-r) < 1e-9 {
		return fmt.Sprintf("%d%%", int64(r))
	}
	return fmt.Sprintf("%.1f%%", p)
}

// lastHeader is the header match an A/B rule adds, "name: value".
func lastHeader(rule *yaml.Node) string {
	ms := items(field(rule, "matches"))
	if len(ms) == 0 {
		return ""
	}
	hs := items(field(ms[0], "headers"))
	if len(hs) == 0 {
		return ""
	}
	h := hs[len(hs)-1]
	return scalar(field(h, "name")) + ": " + scalar(field(h, "value"))
}
