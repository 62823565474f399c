package strategies

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		replicas int64
		up       bool
		want     int64
	}{
		{"int surge", "1", 10, true, 1},
		{"25% of 10 surge rounds up", "25%", 10, true, 3},
		{"25% of 10 unavailable rounds down", "25%", 10, false, 2},
		{"25% of 4 exact", "25%", 4, true, 1},
		{"10% of 3 surge", "10%", 3, true, 1},
		{"10% of 3 unavailable", "10%", 3, false, 0},
		{"100% of 7", "100%", 7, false, 7},
		{"0% of 100", "0%", 100, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := ParseIntOrPercent(tc.raw)
			if !ok {
				t.Fatalf("%q does not parse", tc.raw)
			}
			if got := v.Resolve(tc.replicas, tc.up); got != tc.want {
				t.Errorf("Resolve(%d, up=%v) = %d, want %d", tc.replicas, tc.up, got, tc.want)
			}
		})
	}
}

func TestParseCheck(t *testing.T) {
	tests := []struct {
		in      string
		want    Check
		wantErr string
	}{
		{in: "http:8080/ready", want: Check{Kind: "http", Port: "8080", Path: "/ready"}},
		{in: "http:web", want: Check{Kind: "http", Port: "web", Path: "/"}},
		{in: "https:8443/a/b?x=1", want: Check{Kind: "https", Port: "8443", Path: "/a/b?x=1"}},
		{in: "tcp:8080", want: Check{Kind: "tcp", Port: "8080"}},
		{in: "grpc:9090/health.v1", want: Check{Kind: "grpc", Port: "9090", Service: "health.v1"}},
		{in: "exec:cat /tmp/healthy", want: Check{Kind: "exec", Command: []string{"cat", "/tmp/healthy"}}},
		// The podinfo probe from the "Real apps" issue: the quoted script is one argument.
		{in: `exec:sh -c "wget -q -O- localhost:9898/healthz || exit 1"`,
			want: Check{Kind: "exec", Command: []string{"sh", "-c", "wget -q -O- localhost:9898/healthz || exit 1"}}},
		{in: `exec:sh -c "wget -q -O- localhost:9898/healthz || exit 1`,
			wantErr: `"exec:sh -c \"wget -q -O- localhost:9898/healthz || exit 1": the command has an unclosed " quote (opened at character 7); allowed: quotes in pairs ("..." or '...'), or the object form exec: {command: [...]}`},
		{in: "exec:wget -q -O- localhost || exit 1",
			want: Check{Kind: "exec", Command: []string{"wget", "-q", "-O-", "localhost", "||", "exit", "1"}, Operators: []string{"||"}}},
		{in: "exec:", wantErr: `"exec:" has no command; allowed: exec: followed by a command and its arguments`},
		{in: `exec:""`, want: Check{Kind: "exec", Command: []string{""}}},
		{in: "tcp:", wantErr: `"tcp:": the port is missing; allowed: a number from 1 to 65535 or a container port name`},
		{in: "tcp:0", wantErr: `"tcp:0": port 0 is out of range; allowed: 1 to 65535 or a container port name`},
		{in: "tcp:Web", wantErr: `"tcp:Web": port "Web" is neither a number nor a valid port name; allowed: 1 to 65535 or a name of up to 15 lowercase letters, digits and '-'`},
		{in: "8080", wantErr: `"8080" has no check kind; allowed: http:PORT/PATH, https:PORT/PATH, tcp:PORT, grpc:PORT[/SERVICE] or exec:COMMAND ARGS...`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCheck(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageReferences(t *testing.T) {
	tests := []struct {
		image, tag, withTag, currentTag string
	}{
		{"nginx:1.10.1", "1.11.9", "nginx:1.11.9", "1.10.1"},
		{"nginx", "1.27", "nginx:1.27", ""},
		{"registry.sword.org:5000/nginx:v1.0", "v2.0", "registry.sword.org:5000/nginx:v2.0", "v1.0"},
		{"registry.sword.org:5000/nginx", "v2.0", "registry.sword.org:5000/nginx:v2.0", ""},
		{"nginx:1.2@sha256:abcd", "1.3", "nginx:1.3", "1.2"},
	}
	for _, tc := range tests {
		if got := WithTag(tc.image, tc.tag); got != tc.withTag {
			t.Errorf("WithTag(%q, %q) = %q, want %q", tc.image, tc.tag, got, tc.withTag)
		}
		if got := ImageTag(tc.image); got != tc.currentTag {
			t.Errorf("ImageTag(%q) = %q, want %q", tc.image, got, tc.currentTag)
		}
	}
}

func TestLabelSelectorMatches(t *testing.T) {
	pods := Labels{"app": "web", "tier": "front", LabelColor: "blue"}
	tests := []struct {
		name, selector string
		want           bool
	}{
		{"matchLabels subset", "matchLabels: {app: web}", true},
		{"matchLabels mismatch", "matchLabels: {app: api}", false},
		{"In", "matchExpressions: [{key: tier, operator: In, values: [front, back]}]", true},
		{"In missing value", "matchExpressions: [{key: tier, operator: In, values: [back]}]", false},
		{"NotIn", "matchExpressions: [{key: tier, operator: NotIn, values: [back]}]", true},
		{"Exists", "matchExpressions: [{key: app, operator: Exists}]", true},
		{"DoesNotExist", "matchExpressions: [{key: " + LabelTrack + ", operator: DoesNotExist}]", true},
		{"DoesNotExist present", "matchExpressions: [{key: app, operator: DoesNotExist}]", false},
		{"both", "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [front]}]}", true},
		{"empty selects nothing", "{}", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := yaml.MustParse(tc.selector)
			if got := LabelSelectorMatches(n.YNode(), pods); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSetStrategyWritesValues: a rolling release always writes both values,
// the Deployment's own or the API defaults, also coming from Recreate.
func TestSetStrategyWritesValues(t *testing.T) {
	tests := []struct{ name, strategy, want string }{
		{"no strategy", "", "25%/25%"},
		{"values kept", "{type: RollingUpdate, rollingUpdate: {maxSurge: 2, maxUnavailable: 0}}", "2/0"},
		{"from Recreate", "{type: Recreate}", "25%/25%"},
	}
	for _, tc := range tests {
		dep := node(t, "{kind: Deployment, spec: {replicas: 4}}")
		if tc.strategy != "" {
			_ = dep.PipeE(yaml.Lookup("spec"), yaml.SetField("strategy", yaml.MustParse(tc.strategy)))
		}
		setDeploymentStrategy(dep, &Options{}, false)
		s, u, ok := EffectiveRolling(dep)
		if got := s.String() + "/" + u.String(); !ok || got != tc.want {
			t.Errorf("%s: %s (rolling %v), want %s", tc.name, got, ok, tc.want)
		}
		if ru, _ := dep.Pipe(yaml.Lookup("spec", "strategy", "rollingUpdate", "maxSurge")); ru == nil {
			t.Errorf("%s: maxSurge not written", tc.name)
		}
	}
}

// TestSplitWords: the exec shorthand splits like a POSIX shell's simple
// command, without expanding anything.
func TestSplitWords(t *testing.T) {
	tests := []struct {
		name, in  string
		want, ops []string
		wantErr   string
	}{
		{name: "blanks", in: "  cat\t/tmp/healthy \n", want: []string{"cat", "/tmp/healthy"}},
		{name: "single quotes keep everything", in: `sh -c 'echo "$HOME" \ ok'`, want: []string{"sh", "-c", `echo "$HOME" \ ok`}},
		{name: "double quotes escape four characters", in: `echo "a\"b\\c\$d\e"`, want: []string{"echo", `a"b\c$d\e`}},
		{name: "backslash outside quotes", in: `echo a\ b \'c`, want: []string{"echo", "a b", "'c"}},
		{name: "parts join into one word", in: `a"b c"'d e'f`, want: []string{"ab cd ef"}},
		{name: "empty words", in: `x "" ''`, want: []string{"x", "", ""}},
		{name: "operators outside quotes", in: `a || b; c $(d) && e | f > g`, want: []string{"a", "||", "b;", "c", "$(d)", "&&", "e", "|", "f", ">", "g"},
			ops: []string{"||", ";", "$(", "&&", "|", ">"}},
		{name: "operators inside quotes are quiet", in: `sh -c 'a || b; $(c)'`, want: []string{"sh", "-c", "a || b; $(c)"}},
		{name: "unclosed double quote", in: `sh -c "a`, wantErr: `has an unclosed " quote (opened at character 7)`},
		{name: "unclosed single quote", in: `sh -c 'a "b"`, wantErr: `has an unclosed ' quote (opened at character 7)`},
		{name: "trailing backslash", in: `echo a\`, wantErr: `ends with a backslash that escapes nothing`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ops, err := splitWords(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("words (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ops, ops); diff != "" {
				t.Errorf("operators (-want +got):\n%s", diff)
			}
		})
	}
}
