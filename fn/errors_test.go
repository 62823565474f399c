package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// baseItems are the resources every bad-input case starts from.
const baseItems = `
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web # comment kept
    namespace: shop
  spec:
    replicas: 4
    selector:
      matchLabels:
        app: web
    template:
      metadata:
        labels:
          app: web
      spec:
        containers:
        - name: web
          image: registry.example.com/web:1.0
          ports:
          - name: http
            containerPort: 8080
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: shop
  spec:
    selector:
      app: web
    ports:
    - port: 80
      targetPort: http
`

// releaseHead is the head of a valid Release item for the web Deployment;
// cases append their spec lines.
const releaseHead = `
- apiVersion: rollspec.dev/v1alpha1
  kind: Release
  metadata:
    name: web
    namespace: shop
    annotations:
      config.kubernetes.io/local-config: "true"
  spec:
`

// TestBadInput feeds broken Releases to the function. Each must fail with
// exactly the listed error messages, exit non-zero, and give every input
// item back unchanged.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		items string // appended to baseItems
		fc    string // functionConfig, if any
		want  []string
	}{
		{name: "misspelt field", items: releaseHead + "    rolling: {maxSurg: 1}\n",
			want: []string{`Release "shop/web": spec.rolling.maxSurg: unknown field "maxSurg" (did you mean "maxSurge"?); allowed: maxSurge, maxUnavailable, profile`}},
		{name: "unknown top-level field", items: releaseHead + "    image: x:1\n  specs: {}\n",
			want: []string{`Release "shop/web": specs: unknown field "specs" (did you mean "spec"?); allowed: apiVersion, kind, metadata, spec`}},
		{name: "replicas as a word", items: releaseHead + "    replicas: six\n",
			want: []string{`Release "shop/web": spec.replicas: got the string "six"; allowed: an integer`}},
		{name: "replicas as a fraction", items: releaseHead + "    replicas: 2.5\n",
			want: []string{`Release "shop/web": spec.replicas: got the number 2.5; allowed: an integer`}},
		{name: "version as a number", items: releaseHead + "    version: 2.0\n",
			want: []string{`Release "shop/web": spec.version: got the number 2.0; allowed: a string (quote it: "2.0")`}},
		{name: "services not a list", items: releaseHead + "    services: web\n",
			want: []string{`Release "shop/web": spec.services: got the string "web"; allowed: a list`}},
		{name: "spec not a mapping", items: strings.TrimSuffix(releaseHead, "\n") + " [1, 2]\n",
			want: []string{`Release "shop/web": spec: got a list; allowed: a mapping with the fields blueGreen, canary, container, deployment, image, minReadySeconds, paused, port, probes, progressDeadlineSeconds, replicas, revisionHistoryLimit, rolling, services, shutdown, strategy, tag, target, traffic, version`}},
		{name: "surge and unavailable both 0", items: releaseHead + "    rolling: {maxSurge: 0, maxUnavailable: \"0%\"}\n",
			want: []string{`Release "shop/web": spec.rolling: maxSurge and maxUnavailable are both 0: the rollout could never progress and the API server rejects it; allowed: at least one of them above 0`}},
		{name: "unavailable over 100 percent", items: releaseHead + "    rolling: {maxUnavailable: 150%}\n",
			want: []string{`Release "shop/web": spec.rolling.maxUnavailable: "150%" is over 100%; allowed: an integer >= 0 or a percent from "0%" to "100%"`}},
		{name: "surge not a number", items: releaseHead + "    rolling: {maxSurge: abc}\n",
			want: []string{`Release "shop/web": spec.rolling.maxSurge: "abc" is neither an integer nor a percent; allowed: an integer >= 0 or a percent such as "25%"`}},
		{name: "negative surge", items: releaseHead + "    rolling: {maxSurge: -1}\n",
			want: []string{`Release "shop/web": spec.rolling.maxSurge: -1 is negative; allowed: an integer >= 0 or a percent such as "25%"`}},
		{name: "unknown strategy", items: releaseHead + "    strategy: blue-grene\n",
			want: []string{`Release "shop/web": spec.strategy: unknown strategy "blue-grene"; allowed: rolling, recreate, blue-green, canary`}},
		{name: "unknown profile", items: releaseHead + "    rolling: {profile: slow}\n",
			want: []string{`Release "shop/web": spec.rolling.profile: unknown profile "slow"; allowed: surge-first, drain-first, fastest`}},
		{name: "missing target without image", items: releaseHead + "    deployment: api\n    replicas: 2\n",
			want: []string{`Release "shop/web": spec.deployment: Deployment "api" not found in namespace "shop" (the workloads there are Deployment shop/web); allowed: the name of a Deployment in the input, or spec.image and spec.port to generate one`}},
		{name: "named port not declared", items: releaseHead + "    probes: {readiness: \"http:metrics/ready\"}\n",
			want: []string{`Release "shop/web": spec.probes.readiness: port "metrics" is not declared by container "web"; allowed: http (8080)`}},
		{name: "two Releases for one Deployment", items: releaseHead + "    replicas: 2\n" + strings.Replace(releaseHead, "name: web\n", "name: web-again\n", 1) + "    deployment: web\n",
			want: []string{`Release "shop/web-again": spec.deployment: Deployment "web" is already the target of Release "shop/web"; allowed: one Release per Deployment`}},
		{name: "image not a reference", items: releaseHead + "    image: '{'\n",
			want: []string{`Release "shop/web": spec.image: "{" is not an image reference; allowed: [registry[:port]/]repository[:tag][@digest], the repository in lower case, such as registry.example.com/web:1.2`}},
		{name: "canary image in upper case", items: releaseHead + "    strategy: canary\n    canary: {image: 'Nginx:1', weight: 10}\n",
			want: []string{`Release "shop/web": spec.canary.image: "Nginx:1" is not an image reference; allowed: [registry[:port]/]repository[:tag][@digest], the repository in lower case, such as registry.example.com/web:1.2`}},
		{name: "color image with a space", items: releaseHead + "    strategy: blue-green\n    blueGreen: {active: blue, green: {image: 'nginx 2'}}\n",
			want: []string{`Release "shop/web": spec.blueGreen.green.image: "nginx 2" is not an image reference; allowed: [registry[:port]/]repository[:tag][@digest], the repository in lower case, such as registry.example.com/web:1.2`}},
		{name: "null key", items: releaseHead + "    image: nginx:1.27\n    rolling:\n      &a : 1\n",
			want: []string{`Release "shop/web": spec.rolling: has a key that is not a string (null, a number, a boolean or a list); allowed: field names and label keys as strings (quote a key that looks like another type)`}},
		{name: "number as a key", items: releaseHead + "    image: nginx:1.27\n    01000000000000000000000: 1\n",
			want: []string{`Release "shop/web": spec: has a key that is not a string (null, a number, a boolean or a list); allowed: field names and label keys as strings (quote a key that looks like another type)`}},
		{name: "list as a key", items: releaseHead + "    ? [image]\n    : nginx:1.27\n",
			want: []string{`Release "shop/web": spec: has a key that is not a string (null, a number, a boolean or a list); allowed: field names and label keys as strings (quote a key that looks like another type)`}},
		{name: "image and tag", items: releaseHead + "    image: nginx:1.27\n    tag: \"1.28\"\n",
			want: []string{`Release "shop/web": spec.tag: is set together with spec.image; allowed: one of image (a whole reference) or tag (keeps the repository)`}},
		{name: "unknown check kind", items: releaseHead + "    probes: {readiness: \"htp:8080/\"}\n",
			want: []string{`Release "shop/web": spec.probes.readiness: "htp:8080/" has an unknown check kind "htp"; allowed: http:PORT/PATH, https:PORT/PATH, tcp:PORT, grpc:PORT[/SERVICE] or exec:COMMAND ARGS...`}},
		{name: "probe port out of range", items: releaseHead + "    probes: {liveness: \"tcp:70000\"}\n",
			want: []string{`Release "shop/web": spec.probes.liveness: "tcp:70000": port 70000 is out of range; allowed: 1 to 65535 or a container port name`}},
		{name: "liveness success threshold", items: releaseHead + "    probes: {liveness: {check: \"tcp:http\", successThreshold: 2}}\n",
			want: []string{`Release "shop/web": spec.probes.liveness.successThreshold: must be 1 for a liveness probe (the API server rejects other values); allowed: 1`}},
		{name: "probe with two checks", items: releaseHead + "    probes: {readiness: {check: \"tcp:http\", httpGet: {port: 8080}}}\n",
			want: []string{`Release "shop/web": spec.probes.readiness: has more than one check; allowed: exactly one of check, httpGet, tcpSocket, grpc, exec`}},
		{name: "empty exec", items: releaseHead + "    probes: {startup: \"exec:\"}\n",
			want: []string{`Release "shop/web": spec.probes.startup: "exec:" has no command; allowed: exec: followed by a command and its arguments`}},
		{name: "preStop sleep in words", items: releaseHead + "    shutdown: {preStopSleep: 5 seconds}\n",
			want: []string{`Release "shop/web": spec.shutdown.preStopSleep: "5 seconds" is not a duration; allowed: whole seconds such as "5s", "1m30s" or 30`}},
		{name: "preStop sleep fraction", items: releaseHead + "    shutdown: {preStopSleep: 1.5s}\n",
			want: []string{`Release "shop/web": spec.shutdown.preStopSleep: "1.5s" is not a whole number of seconds; allowed: whole seconds such as "5s", "1m30s" or 30`}},
		{name: "rolling with recreate", items: releaseHead + "    strategy: recreate\n    rolling: {maxSurge: 1}\n",
			want: []string{`Release "shop/web": spec.rolling: is set but spec.strategy is recreate; allowed: spec.rolling with strategy rolling, blue-green or canary`}},
		{name: "deadline not above minReady", items: releaseHead + "    minReadySeconds: 60\n    progressDeadlineSeconds: 60\n",
			want: []string{`Release "shop/web": spec.progressDeadlineSeconds: 60 is not greater than spec.minReadySeconds 60 (the API server rejects it); allowed: a deadline longer than minReadySeconds`}},
		{name: "container not found", items: releaseHead + "    container: app\n    image: nginx:1.27\n",
			want: []string{`Release "shop/web": spec.container: Deployment "web" has no container "app"; allowed: web`}},
		{name: "listed Service missing", items: releaseHead + "    services: [web, web-admin]\n",
			want: []string{`Release "shop/web": spec.services[1]: Service "web-admin" not found in namespace "shop"; allowed: a Service in the input, in the Deployment's namespace`}},
		{name: "unsupported apiVersion", items: strings.Replace(releaseHead, "v1alpha1", "v1beta1", 1) + "    image: nginx:1.27\n",
			want: []string{`Release "shop/web": apiVersion: "rollspec.dev/v1beta1" is not supported; allowed: rollspec.dev/v1alpha1`}},
		{name: "missing name", items: strings.Replace(releaseHead, "name: web\n", "labels: {}\n", 1) + "    image: nginx:1.27\n",
			want: []string{`Release "shop/(unnamed)": metadata.name: is missing; allowed: the Release's name (also the default target Deployment)`}},
		{name: "functionConfig of another kind", fc: "{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}",
			want: []string{`functionConfig: kind example.com/v1 "Widget" is not a function config of rollspec; allowed: a rollspec.dev/v1alpha1 Release, or a ConfigMap with name=... and spec fields`}},
		{name: "ConfigMap without name", fc: "{apiVersion: v1, kind: ConfigMap, metadata: {name: function-input}, data: {image: 'nginx:1.27'}}",
			want: []string{`Release "function-input" (from ConfigMap "function-input"): data.name: is missing; allowed: the Release name (also the default target Deployment), as name=NAME`}},
		{name: "ConfigMap with a misspelt key", fc: "{apiVersion: v1, kind: ConfigMap, metadata: {name: function-input}, data: {name: web, namespace: shop, rolling.maxSurg: '1'}}",
			want: []string{`Release "shop/web" (from ConfigMap "function-input"): spec.rolling.maxSurg: unknown field "maxSurg" (did you mean "maxSurge"?); allowed: maxSurge, maxUnavailable, profile`}},
		// kpt fn eval -- name=web image=... tag=... over the package's
		// Release: no order says which wins, so neither does.
		{name: "ConfigMap with image and tag over the package's Release", fc: "{apiVersion: v1, kind: ConfigMap, metadata: {name: function-input}, data: {name: web, namespace: shop, image: 'nginx:2.0', tag: '1.0'}}", items: releaseHead + "    image: nginx:1.27\n",
			want: []string{`Release "shop/web" (from ConfigMap "function-input"): data.tag: is set together with data.image, and each replaces the other in the package's Release; allowed: one of image (a whole reference) or tag (keeps the repository)`}},
		{name: "two Releases with one name", fc: "{apiVersion: rollspec.dev/v1alpha1, kind: Release, metadata: {name: web, namespace: shop}, spec: {replicas: 3}}", items: releaseHead + "    replicas: 2\n",
			want: []string{`Release "shop/web": metadata.name: functionConfig and items[2] are both Release "shop/web" with different specs; allowed: one Release per name`}},
		{name: "canary block with rolling", items: releaseHead + "    canary: {image: 'nginx:1.28', weight: 10}\n",
			want: []string{`Release "shop/web": spec.canary: is set but spec.strategy is rolling; allowed: spec.canary with strategy canary (delete the block to abort, or move its image to spec.image to promote)`}},
		{name: "invalid version label", items: releaseHead + "    version: v 2\n",
			want: []string{`Release "shop/web": spec.version: "v 2" is not a valid label value; allowed: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`}},
		{name: "generated port out of range", items: releaseHead + "    deployment: api\n    image: nginx:1.27\n    port: 0\n",
			want: []string{`Release "shop/web": spec.port: 0 is out of range; allowed: 1 to 65535`}},
		{name: "blue-green without its block", items: releaseHead + "    strategy: blue-green\n",
			want: []string{`Release "shop/web": spec.blueGreen: is missing; allowed: a blueGreen block with at least active: blue or green`}},
		{name: "blue-green with an unknown color", items: releaseHead + "    strategy: blue-green\n    blueGreen: {active: red, inactiveReplicas: -1}\n",
			want: []string{
				`Release "shop/web": spec.blueGreen.active: unknown color "red"; allowed: blue, green`,
				`Release "shop/web": spec.blueGreen.inactiveReplicas: -1 is below 0; allowed: an integer >= 0`,
			}},
		{name: "blue-green block with rolling", items: releaseHead + "    blueGreen: {active: blue}\n",
			want: []string{`Release "shop/web": spec.blueGreen: is set but spec.strategy is rolling; allowed: spec.blueGreen with strategy blue-green`}},
		{name: "canary without image or split", items: releaseHead + "    strategy: canary\n    canary: {service: true}\n",
			want: []string{
				`Release "shop/web": spec.canary.image: is missing; allowed: the image the canary runs`,
				`Release "shop/web": spec.canary: sets 0 of weight, replicas and steps; allowed: exactly one of them`,
			}},
		{name: "canary weight out of range", items: releaseHead + "    strategy: canary\n    canary: {image: 'nginx:1.28', weight: 0}\n",
			want: []string{`Release "shop/web": spec.canary.weight: 0 is out of range; allowed: 1 to 100 (percent of replicas)`}},
		{name: "canary steps not increasing", items: releaseHead + "    strategy: canary\n    canary: {image: 'nginx:1.28', steps: [10, 50, 50, 120], step: 4}\n",
			want: []string{
				`Release "shop/web": spec.canary.steps[2]: 50 is not above the step before it (50); allowed: increasing weights`,
				`Release "shop/web": spec.canary.steps[3]: 120 is out of range; allowed: 1 to 100 (percent of replicas)`,
				`Release "shop/web": spec.canary.step: 4 is not an index of steps; allowed: 0 to 3`,
			}},
		{name: "canary weight and replicas", items: releaseHead + "    strategy: canary\n    canary: {image: 'nginx:1.28', weight: 10, replicas: 1}\n",
			want: []string{`Release "shop/web": spec.canary: sets 2 of weight, replicas and steps; allowed: exactly one of them`}},
		{name: "canary replicas over the fleet", items: releaseHead + "    strategy: canary\n    canary: {image: 'nginx:1.28', replicas: 5}\n",
			want: []string{`Release "shop/web": spec.canary.replicas: 5 canary replicas exceed the 4 replicas of the release; allowed: 1 to 4`}},
		{name: "every error at once", items: releaseHead + "    replicas: -1\n    rolling: {maxSurge: 200, maxUnavailable: 101%, profile: x}\n    minReadySeconds: -5\n",
			want: []string{
				`Release "shop/web": spec.rolling.profile: unknown profile "x"; allowed: surge-first, drain-first, fastest`,
				`Release "shop/web": spec.rolling.maxUnavailable: "101%" is over 100%; allowed: an integer >= 0 or a percent from "0%" to "100%"`,
				`Release "shop/web": spec.replicas: -1 is below 0; allowed: an integer >= 0`,
				`Release "shop/web": spec.minReadySeconds: -5 is below 0; allowed: an integer >= 0`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + baseItems + tc.items
			if tc.fc != "" {
				input += "functionConfig: " + tc.fc + "\n"
			}
			checkBadInput(t, input, tc.want)
		})
	}
}

// checkBadInput runs the function on a ResourceList that must fail with
// exactly the want error messages and give every item back unchanged.
func checkBadInput(t *testing.T, input string, want []string) {
	t.Helper()
	got, err := runFunction([]byte(input))
	if err == nil {
		t.Fatalf("want a non-zero exit, got none; output:\n%s", got)
	}
	var messages []string
	out, rerr := yaml.Parse(string(got))
	if rerr != nil {
		t.Fatalf("output is not YAML: %v\n%s", rerr, got)
	}
	results, _ := out.Pipe(yaml.Lookup("results"))
	if results != nil {
		elems, _ := results.Elements()
		for _, e := range elems {
			if yaml.GetValue(e.Field("severity").Value) == "error" {
				messages = append(messages, yaml.GetValue(e.Field("message").Value))
			}
		}
	}
	if diff := cmp.Diff(want, messages); diff != "" {
		t.Errorf("error messages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(itemStrings(t, []byte(input)), itemStrings(t, got)); diff != "" {
		t.Errorf("items changed on error (-in +out):\n%s", diff)
	}
}

// itemStrings serialises each item of a ResourceList on its own.
func itemStrings(t *testing.T, rl []byte) []string {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: strings.NewReader(string(rl)), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range nodes {
		out = append(out, n.MustString())
	}
	return out
}
