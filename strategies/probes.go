package strategies

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Check is a parsed shorthand check.
type Check struct {
	Kind    string // http, https, tcp, grpc, exec
	Port    string // a number or a port name
	Path    string // http(s): the request path
	Service string // grpc: the service name
	// Command is the exec command, split with shell-like quoting.
	Command []string
	// Operators are shell operators that stood outside quotes in an exec
	// command; an exec probe runs no shell, so they reach the command as
	// arguments.
	Operators []string
}

// CheckForms is the list of allowed shorthand forms, for error messages.
const CheckForms = "http:PORT/PATH, https:PORT/PATH, tcp:PORT, grpc:PORT[/SERVICE] or exec:COMMAND ARGS..."

// msgExecNoShell warns about shell syntax in an exec probe, which the
// kubelet runs without a shell.
const msgExecNoShell = "the exec command has %s outside quotes, but an exec probe runs no shell: %s gets each as a plain argument; allowed: exec:sh -c %s for shell syntax, or quote them"

// shellQuote quotes s for a shell as one word, for messages.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// portName is IANA_SVC_NAME as Kubernetes validates a container port name.
var portName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$`)

// ParseCheck parses the probe shorthand. The error says what is allowed.
func ParseCheck(s string) (Check, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Check{}, fmt.Errorf("%q has no check kind; allowed: %s", s, CheckForms)
	}
	c := Check{Kind: kind}
	switch kind {
	case "http", "https":
		port, p, hasPath := strings.Cut(rest, "/")
		c.Port, c.Path = port, "/"+p
		if !hasPath {
			c.Path = "/"
		}
	case "tcp":
		c.Port = rest
	case "grpc":
		c.Port, c.Service, _ = strings.Cut(rest, "/")
	case "exec":
		words, ops, err := splitWords(rest)
		if err != nil {
			return Check{}, fmt.Errorf("%q: the command %v; allowed: quotes in pairs (\"...\" or '...'), or the object form exec: {command: [...]}", s, err)
		}
		if len(words) == 0 {
			return Check{}, fmt.Errorf("%q has no command; allowed: exec: followed by a command and its arguments", s)
		}
		c.Command, c.Operators = words, ops
		return c, nil
	default:
		return Check{}, fmt.Errorf("%q has an unknown check kind %q; allowed: %s", s, kind, CheckForms)
	}
	if err := validPort(c.Port); err != "" {
		return Check{}, fmt.Errorf("%q: %s", s, err)
	}
	return c, nil
}

// CheckPort says what is wrong with a probe's port, a number or a
// container port name, or "".
func CheckPort(p string) string { return validPort(p) }

// validPort says what is wrong with a port number or name, or "".
func validPort(p string) string {
	if p == "" {
		return "the port is missing; allowed: a number from 1 to 65535 or a container port name"
	}
	if n, err := strconv.Atoi(p); err == nil {
		if n < 1 || n > 65535 {
			return fmt.Sprintf("port %d is out of range; allowed: 1 to 65535 or a container port name", n)
		}
		return ""
	}
	if !portName.MatchString(p) || !strings.ContainsAny(p, "abcdefghijklmnopqrstuvwxyz") || strings.Contains(p, "--") {
		return fmt.Sprintf("port %q is neither a number nor a valid port name; allowed: 1 to 65535 or a name of up to 15 lowercase letters, digits and '-'", p)
	}
	return ""
}

// probeNode builds the corev1.Probe for container c. Port names are checked
// against the container's ports: an undeclared name is an error (the pod
// would never become ready), an undeclared number a warning.
func probeNode(p *ProbeOptions, c *yaml.Node) (*yaml.Node, []Finding) {
	n := newMap()
	var out []Finding
	if p.Check != nil {
		handler, f := checkHandler(*p.Check, c)
		out = append(out, prefix(p.CheckPath, f)...)
		setField(n, checkHandlerKeys[p.Check.Kind], handler)
	} else {
		setField(n, p.Handler, anyNode(p.HandlerValue))
	}
	for _, t := range p.Timings {
		setField(n, t.Field, intNode(t.Value))
	}
	return n, out
}

// checkHandlerKeys maps a shorthand check kind to its corev1 handler.
var checkHandlerKeys = map[string]string{"http": "httpGet", "https": "httpGet", "tcp": "tcpSocket", "grpc": "grpc", "exec": "exec"}

// checkHandler builds the handler of a shorthand check for container c.
func checkHandler(chk Check, c *yaml.Node) (*yaml.Node, []Finding) {
	h := newMap()
	if chk.Kind == "exec" {
		cmd := newSeq()
		for _, a := range chk.Command {
			cmd.Content = append(cmd.Content, strNode(a))
		}
		setField(h, "command", cmd)
		if len(chk.Operators) > 0 {
			return h, []Finding{warningf("", msgExecNoShell, strings.Join(chk.Operators, " "), chk.Command[0], shellQuote(strings.Join(chk.Command, " ")))}
		}
		return h, nil
	}
	number, found := containerPort(c, chk.Port)
	var out []Finding
	if !found {
		if _, err := strconv.Atoi(chk.Port); err != nil {
			out = append(out, errorf("", "port %q is not declared by container %q; allowed: %s", chk.Port, scalar(field(c, "name")), describePorts(c)))
			return h, out
		}
		out = append(out, warningf("", "port %s is not declared by container %q (declared: %s); the probe still targets it", chk.Port, scalar(field(c, "name")), describePorts(c)))
	}
	port := portNode(chk.Port)
	switch chk.Kind {
	case "http", "https":
		setField(h, "path", strNode(chk.Path))
		setField(h, "port", port)
		if chk.Kind == "https" {
			setField(h, "scheme", strNode("HTTPS"))
		}
	case "tcp":
		setField(h, "port", port)
	case "grpc":
		// GRPCAction.port is a number only: resolve a name through the container.
		setField(h, "port", intNode(number))
		if chk.Service != "" {
			setField(h, "service", strNode(chk.Service))
		}
	}
	return h, out
}

// containerPort finds a port by number or name among the container's ports
// and returns its number.
func containerPort(c *yaml.Node, p string) (int64, bool) {
	want, numErr := strconv.ParseInt(p, 10, 64)
	ports := field(c, "ports")
	if ports != nil {
		for _, port := range ports.Content {
			num, _ := intField(port, "containerPort")
			name := field(port, "name")
			if (numErr == nil && num == want) || (numErr != nil && name != nil && name.Value == p) {
				return num, true
			}
		}
	}
	return want, false
}

func describePorts(c *yaml.Node) string {
	ports := field(c, "ports")
	if ports != nil && ports.Kind != yaml.SequenceNode {
		return "a list of ports (the container's ports are not a list)"
	}
	if ports == nil || len(ports.Content) == 0 {
		return "no ports are declared"
	}
	var names []string
	for _, port := range ports.Content {
		num := path(port, "containerPort")
		s := ""
		if num != nil {
			s = num.Value
		}
		if name := field(port, "name"); name != nil {
			s = name.Value + " (" + s + ")"
		}
		names = append(names, s)
	}
	return strings.Join(names, ", ")
}

func portNode(p string) *yaml.Node {
	if n, err := strconv.ParseInt(p, 10, 64); err == nil {
		return intNode(n)
	}
	return strNode(p)
}

// anyNode converts a decoded JSON value into a yaml node with sorted keys,
// so the same input gives the same bytes.
func anyNode(v any) *yaml.Node {
	rn, err := yaml.FromMap(map[string]any{"v": v})
	if err != nil {
		return strNode(fmt.Sprint(v))
	}
	return field(rn.YNode(), "v")
}
