package strategies

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// LabelName is the pod label a generated Deployment selects on.
const LabelName = "app.kubernetes.io/name"

// generatedRole is the role of what Generate makes: named as the target.
var generatedRole = Role{Name: RoleGenerated, Parent: OfTarget, Kinds: []string{kindDeployment, kindService}, Path: "spec"}

// generatedPortName names the container port of a generated Deployment;
// the generated Service targets it by name.
const generatedPortName = "http"

// Generate makes the minimal Deployment and Service for a Release whose
// target is not in the input: one container running spec.image on
// spec.port, selected by app.kubernetes.io/name, and a ClusterIP Service
// on the same port. The strategy then renders on them like on any input.
func Generate(name, namespace string, o *Options) (dep, svc *yaml.RNode) {
	release := o.Release
	container := o.Container
	if container == "" {
		container = name
	}
	dep = yaml.NewRNode(newMap())
	d := dep.YNode()
	setField(d, "apiVersion", strNode("apps/v1"))
	setField(d, "kind", strNode("Deployment"))
	setField(d, "metadata", objectMeta(name, namespace))
	spec := mapping(d, "spec")
	if o.Replicas != nil {
		setField(spec, "replicas", intNode(*o.Replicas))
	}
	setField(mapping(spec, "selector", "matchLabels"), LabelName, strNode(name))
	setField(mapping(spec, "template", "metadata", "labels"), LabelName, strNode(name))
	c := newMap()
	setField(c, "name", strNode(container))
	setField(c, "image", strNode(o.Image))
	port := newMap()
	setField(port, "name", strNode(generatedPortName))
	setField(port, "containerPort", intNode(*o.Port))
	ports := newSeq()
	ports.Content = append(ports.Content, port)
	setField(c, "ports", ports)
	cs := newSeq()
	cs.Content = append(cs.Content, c)
	setField(mapping(spec, "template", "spec"), "containers", cs)
	own(dep, release, RoleGenerated)

	svc = yaml.NewRNode(newMap())
	v := svc.YNode()
	setField(v, "apiVersion", strNode("v1"))
	setField(v, "kind", strNode("Service"))
	setField(v, "metadata", objectMeta(name, namespace))
	sspec := mapping(v, "spec")
	setField(mapping(sspec, "selector"), LabelName, strNode(name))
	sp := newMap()
	setField(sp, "name", strNode(generatedPortName))
	setField(sp, "port", intNode(*o.Port))
	setField(sp, "targetPort", strNode(generatedPortName))
	sps := newSeq()
	sps.Content = append(sps.Content, sp)
	setField(sspec, "ports", sps)
	own(svc, release, RoleGenerated)
	return dep, svc
}

func objectMeta(name, namespace string) *yaml.Node {
	m := newMap()
	setField(m, "name", strNode(name))
	if namespace != "" {
		setField(m, "namespace", strNode(namespace))
	}
	setField(mapping(m, "labels"), LabelName, strNode(name))
	return m
}
