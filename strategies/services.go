package strategies

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Service types and the clusterIP of a headless Service.
const (
	serviceLoadBalancer = "LoadBalancer"
	serviceClusterIP    = "ClusterIP"
	clusterIPNone       = "None"
)

// Messages about the Services a strategy derives from a steered one.
const (
	msgDerivedClusterIP = "Service %q is a LoadBalancer, so %q is made a ClusterIP Service: a second load balancer would expose the %s publicly; reach it inside the cluster or with kubectl port-forward, or list %q in %s to keep the load balancer"
	msgDerivedPublic    = "%q is a second LoadBalancer, as %s asks: it exposes the %s outside the cluster"
	msgNotSteeredLB     = "Service %q is not a Service the release steers; allowed: %s"
	msgNotLoadBalancer  = "Service %q is of type %s, not LoadBalancer; allowed: steered Services of type LoadBalancer (%s)"
)

// derivedService copies a steered Service into <name><suffix> whose
// selector also requires label=value (the idle color for a preview, the
// canary track). What the copy may not share with the original goes:
// fields the API server allocates or that address one Service only
// (clusterIP unless the Service is headless, fixed nodePorts,
// healthCheckNodePort, loadBalancerIP, externalIPs) and the status. A
// headless Service's copy stays headless (clusterIP: None), so pods keep
// their DNS records. A LoadBalancer's copy becomes a ClusterIP Service
// unless keepLB: a second public load balancer for pods that are not
// released yet is rarely what anyone wants.
func derivedService(svc *yaml.RNode, suffix, release, r, label, value string, keepLB bool) *yaml.RNode {
	p := CopyRNode(svc)
	setName(p, Name(svc)+suffix)
	own(p, release, r)
	removeField(p.YNode(), "status")
	spec := mapping(p.YNode(), "spec")
	setField(mapping(spec, "selector"), label, strNode(value))
	drop := []string{"healthCheckNodePort", "loadBalancerIP", "externalIPs"}
	if scalar(field(spec, "clusterIP")) != clusterIPNone {
		drop = append(drop, "clusterIP", "clusterIPs")
	}
	if scalar(field(spec, "type")) == serviceLoadBalancer && !keepLB {
		setField(spec, "type", strNode(serviceClusterIP))
		// Fields the API server accepts on NodePort and LoadBalancer
		// Services only.
		drop = append(drop, "externalTrafficPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass", "loadBalancerSourceRanges")
	}
	for _, k := range drop {
		removeField(spec, k)
	}
	if ports := field(spec, "ports"); ports != nil {
		for _, port := range ports.Content {
			removeField(port, "nodePort")
		}
	}
	return p
}

// derivedServices builds, for every steered Service, the Service that
// selects label=value (<service><suffix>), with the findings about
// LoadBalancer Services. keep lists the Services whose copy stays a
// LoadBalancer (the Release field at keepPath); what names the pods the
// copies select, for messages ("idle color blue"). A name in keep that is
// not a steered LoadBalancer Service is an error.
func derivedServices(t Target, suffix, r, label, value string, keep []string, keepPath, what string) ([]*yaml.RNode, []Finding) {
	var out []*yaml.RNode
	var fs []Finding
	kept := map[string]bool{}
	var lbs []string
	for _, s := range t.Services {
		if scalar(path(s.YNode(), "spec", "type")) == serviceLoadBalancer {
			lbs = append(lbs, Name(s))
		}
	}
	for i, name := range keep {
		at := fmt.Sprintf("%s[%d]", keepPath, i)
		var svc *yaml.RNode
		for _, s := range t.Services {
			if Name(s) == name {
				svc = s
			}
		}
		switch {
		case svc == nil:
			fs = append(fs, errorf(at, msgNotSteeredLB, name, orNone(lbs)))
		case scalar(path(svc.YNode(), "spec", "type")) != serviceLoadBalancer:
			typ := scalar(path(svc.YNode(), "spec", "type"))
			if typ == "" {
				typ = serviceClusterIP
			}
			fs = append(fs, errorf(at, msgNotLoadBalancer, name, typ, orNone(lbs)))
		default:
			kept[name] = true
		}
	}
	for _, s := range t.Services {
		d := derivedService(s, suffix, t.Options.Release, r, label, value, kept[Name(s)])
		out = append(out, d)
		if scalar(path(s.YNode(), "spec", "type")) != serviceLoadBalancer {
			continue
		}
		if kept[Name(s)] {
			fs = append(fs, infof(keepPath, msgDerivedPublic, Name(d), keepPath, what))
		} else {
			fs = append(fs, infof(keepPath, msgDerivedClusterIP, Name(s), Name(d), what, Name(s), keepPath))
		}
	}
	return out, fs
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none of the steered Services is a LoadBalancer"
	}
	return strings.Join(names, ", ")
}

// validateNames checks a list of Service names in the Release: none
// empty, none twice.
func validateNames(at string, names []string) []Finding {
	var out []Finding
	seen := map[string]int{}
	for i, n := range names {
		p := fmt.Sprintf("%s[%d]", at, i)
		if j, dup := seen[n]; dup {
			out = append(out, errorf(p, "%q is listed twice (also %s[%d]); allowed: each Service once", n, at, j))
		}
		seen[n] = i
		if n == "" {
			out = append(out, errorf(p, "is empty; allowed: the name of a steered LoadBalancer Service"))
		}
	}
	return out
}
