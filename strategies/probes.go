package strategies

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Probe is a probe in shorthand ("http:8080/ready") or object form. The
// object form takes the corev1.Probe timing fields and either `check` in
// shorthand or one corev1 handler (httpGet, tcpSocket, grpc, exec) as is.
type Probe struct {
	Check                         string                 `json:"check,omitempty" doc:"The check in shorthand: http:PORT/PATH, https:PORT/PATH, tcp:PORT, grpc:PORT[/SERVICE], exec:COMMAND ARGS..."`
	HTTPGet                       map[string]interface{} `json:"httpGet,omitempty" doc:"A corev1 HTTPGetAction, used as is."`
	TCPSocket                     map[string]interface{} `json:"tcpSocket,omitempty" doc:"A corev1 TCPSocketAction, used as is."`
	GRPC                          map[string]interface{} `json:"grpc,omitempty" doc:"A corev1 GRPCAction, used as is."`
	Exec                          map[string]interface{} `json:"exec,omitempty" doc:"A corev1 ExecAction, used as is."`
	InitialDelaySeconds           *int64                 `json:"initialDelaySeconds,omitempty" doc:"corev1.Probe initialDelaySeconds."`
	TimeoutSeconds                *int64                 `json:"timeoutSeconds,omitempty" doc:"corev1.Probe timeoutSeconds."`
	PeriodSeconds                 *int64                 `json:"periodSeconds,omitempty" doc:"corev1.Probe periodSeconds."`
	SuccessThreshold              *int64                 `json:"successThreshold,omitempty" doc:"corev1.Probe successThreshold (1 for liveness and startup)."`
	FailureThreshold              *int64                 `json:"failureThreshold,omitempty" doc:"corev1.Probe failureThreshold."`
	TerminationGracePeriodSeconds *int64                 `json:"terminationGracePeriodSeconds,omitempty" doc:"corev1.Probe terminationGracePeriodSeconds (liveness and startup only)."`
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

// ValidateProbe checks a probe without a container: shorthand syntax, one
// handler, and the API server's rules on thresholds. kind is readiness,
// liveness or startup.
func ValidateProbe(kind string, p *Probe) []Finding {
	var out []Finding
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
		if _, err := ParseCheck(p.Check); err != nil {
			out = append(out, errorf(at, "%v", err))
		}
	}
	for _, f := range []struct {
		name string
		v    *int64
		min  int64
	}{
		{"initialDelaySeconds", p.InitialDelaySeconds, 0},
		{"timeoutSeconds", p.TimeoutSeconds, 1},
		{"periodSeconds", p.PeriodSeconds, 1},
		{"successThreshold", p.SuccessThreshold, 1},
		{"failureThreshold", p.FailureThreshold, 1},
		{"terminationGracePeriodSeconds", p.TerminationGracePeriodSeconds, 1},
	} {
		if f.v != nil && *f.v < f.min {
			out = append(out, errorf("."+f.name, "%d is below %d; allowed: an integer >= %d", *f.v, f.min, f.min))
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

// probeNode builds the corev1.Probe for container c. Port names are checked
// against the container's ports: an undeclared name is an error (the pod
// would never become ready), an undeclared number a warning.
func probeNode(kind string, p *Probe, c *yaml.Node) (*yaml.Node, []Finding) {
	n := newMap()
	var out []Finding
	switch {
	case p.Check != "":
		at := ".check"
		if p.shorthand {
			at = ""
		}
		chk, err := ParseCheck(p.Check)
		if err != nil {
			return nil, []Finding{errorf(at, "%v", err)}
		}
		handler, f := checkHandler(chk, c)
		for i := range f {
			f[i].Path = at + f[i].Path
		}
		out = append(out, f...)
		key := map[string]string{"http": "httpGet", "https": "httpGet", "tcp": "tcpSocket", "grpc": "grpc", "exec": "exec"}[chk.Kind]
		setField(n, key, handler)
	case p.HTTPGet != nil:
		setField(n, "httpGet", anyNode(p.HTTPGet))
	case p.TCPSocket != nil:
		setField(n, "tcpSocket", anyNode(p.TCPSocket))
	case p.GRPC != nil:
		setField(n, "grpc", anyNode(p.GRPC))
	case p.Exec != nil:
		setField(n, "exec", anyNode(p.Exec))
	}
	for _, f := range []struct {
		name string
		v    *int64
	}{
		{"initialDelaySeconds", p.InitialDelaySeconds},
		{"timeoutSeconds", p.TimeoutSeconds},
		{"periodSeconds", p.PeriodSeconds},
		{"successThreshold", p.SuccessThreshold},
		{"failureThreshold", p.FailureThreshold},
		{"terminationGracePeriodSeconds", p.TerminationGracePeriodSeconds},
	} {
		if f.v != nil {
			setField(n, f.name, intNode(*f.v))
		}
	}
	return n, out
}

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
func anyNode(v interface{}) *yaml.Node {
	rn, err := yaml.FromMap(map[string]interface{}{"v": v})
	if err != nil {
		return strNode(fmt.Sprint(v))
	}
	return field(rn.YNode(), "v")
}
