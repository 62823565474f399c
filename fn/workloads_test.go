package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// workloadItems are a StatefulSet and a DaemonSet beside baseItems' web
// Deployment.
const workloadItems = `
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: db, namespace: shop}
  spec:
    serviceName: db
    replicas: 3
    selector: {matchLabels: {app: db}}
    template:
      metadata: {labels: {app: db, app.kubernetes.io/version: "15.2"}}
      spec:
        containers:
        - name: db
          image: registry.example.com/db:15.2
          ports: [{name: sql, containerPort: 5432}]
    volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: agent, namespace: shop}
  spec:
    selector: {matchLabels: {app: agent}}
    template:
      metadata: {labels: {app: agent}}
      spec:
        containers:
        - name: agent
          image: registry.example.com/agent:1.4
          ports: [{name: metrics, containerPort: 9100}]
`

// workloadRelease is the head of a Release of a workload of workloadItems
// by spec.target; cases append their spec lines.
func workloadRelease(name, kind string) string {
	return strings.NewReplacer("name: web", "name: "+name).Replace(releaseHead) + "    target: {kind: " + kind + "}\n"
}

// stableRecordItems are workloadItems with the StatefulSet db in a
// partitioned canary whose rollspec.dev/stable-pod record is record
// (escaped for a double-quoted YAML string).
func stableRecordItems(record string) string {
	return strings.NewReplacer(
		"  metadata: {name: db, namespace: shop}\n", "  metadata: {name: db, namespace: shop, annotations: {rollspec.dev/stable-pod: \""+record+"\"}}\n",
		"    serviceName: db\n", "    serviceName: db\n    updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}\n",
	).Replace(workloadItems)
}

// TestBadInputWorkloads: Releases of StatefulSets and DaemonSets that ask
// for what the kind does not have or its controller does not do. Each
// fails with exactly the listed messages and leaves the items unchanged.
func TestBadInputWorkloads(t *testing.T) {
	sts, ds := workloadRelease("db", "StatefulSet"), workloadRelease("agent", "DaemonSet")
	cases := []struct {
		name  string
		items string // appended to baseItems and workloadItems
		want  []string
	}{
		{name: "target and deployment", items: releaseHead + "    deployment: web\n    target: {kind: Deployment, name: web}\n",
			want: []string{`Release "shop/web": spec.target: is set together with spec.deployment, its shorthand for a Deployment; allowed: one of them (target: {kind: Deployment, name: NAME} or deployment: NAME)`}},
		{name: "unknown kind", items: releaseHead + "    target: {kind: CronJob}\n",
			want: []string{`Release "shop/web": spec.target.kind: unknown kind "CronJob"; allowed: Deployment, StatefulSet, DaemonSet`}},
		{name: "target name not an object name", items: releaseHead + "    target: {kind: StatefulSet, name: DB}\n",
			want: []string{`Release "shop/web": spec.target.name: "DB" is not a valid object name; allowed: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`}},
		{name: "StatefulSet not found, a Deployment of the name is", items: workloadRelease("web", "StatefulSet") + "    image: registry.example.com/web:2.0\n    port: 8080\n",
			want: []string{`Release "shop/web": spec.target: StatefulSet "web" not found in namespace "shop" (the workloads there are Deployment shop/web, StatefulSet shop/db, DaemonSet shop/agent); allowed: the name of a StatefulSet in the input, or spec.target: {kind: Deployment, name: web} for Deployment "shop/web"`}},
		// Finding 07: image and port without a target, where a
		// StatefulSet (or DaemonSet) has the Release's name, generated a
		// Deployment beside it.
		{name: "generated Deployment beside a StatefulSet of the name", items: strings.NewReplacer("name: web", "name: db").Replace(releaseHead) + "    image: registry.example.com/db:15.3\n    port: 5432\n",
			want: []string{`Release "shop/db": spec.deployment: Deployment "db" is not in namespace "shop", but StatefulSet "shop/db" is: spec.image and spec.port would generate a Deployment of the same name beside it, which the Release would not release; allowed: spec.target: {kind: StatefulSet, name: db} to release it, or a Deployment name that no workload has (spec.target.name) to generate one`}},
		{name: "generated Deployment beside a DaemonSet of the name", items: strings.NewReplacer("name: web", "name: agent").Replace(releaseHead) + "    target: {kind: Deployment}\n    image: registry.example.com/agent:1.5\n    port: 9100\n",
			want: []string{`Release "shop/agent": spec.target: Deployment "agent" is not in namespace "shop", but DaemonSet "shop/agent" is: spec.image and spec.port would generate a Deployment of the same name beside it, which the Release would not release; allowed: spec.target: {kind: DaemonSet, name: agent} to release it, or a Deployment name that no workload has (spec.target.name) to generate one`}},
		{name: "StatefulSet surge", items: sts + "    rolling: {maxSurge: 1}\n",
			want: []string{`Release "shop/db": spec.rolling.maxSurge: maxSurge 1: a StatefulSet never surges: it replaces each pod in place, under its name and with its volumes, so the old pod stops before the new one starts; allowed: spec.rolling.maxUnavailable without maxSurge, or profile drain-first`}},
		{name: "StatefulSet surge-first", items: sts + "    rolling: {profile: surge-first}\n",
			want: []string{`Release "shop/db": spec.rolling.profile: profile surge-first sets maxSurge 1: a StatefulSet never surges: it replaces each pod in place, under its name and with its volumes, so the old pod stops before the new one starts; allowed: spec.rolling.maxUnavailable without maxSurge, or profile drain-first`}},
		{name: "StatefulSet fastest", items: sts + "    rolling: {profile: fastest}\n",
			want: []string{`Release "shop/db": spec.rolling.profile: profile fastest sets maxSurge 1: a StatefulSet never surges: it replaces each pod in place, under its name and with its volumes, so the old pod stops before the new one starts; allowed: spec.rolling.maxUnavailable without maxSurge, or profile drain-first`}},
		{name: "StatefulSet maxUnavailable 0", items: sts + "    rolling: {maxUnavailable: 0}\n",
			want: []string{`Release "shop/db": spec.rolling.maxUnavailable: maxUnavailable 0: a StatefulSet's maxUnavailable cannot be 0, which the API server rejects (it never surges, so no pod could ever be replaced); allowed: 1 or more, or a percent above 0%`}},
		{name: "StatefulSet blue-green", items: sts + "    strategy: blue-green\n    blueGreen: {active: blue}\n",
			want: []string{`Release "shop/db": spec.strategy: strategy blue-green cannot release a StatefulSet: two StatefulSets do not share volumes: each color would get claims of its own from volumeClaimTemplates, so the idle color starts on empty volumes and the flip serves other data; allowed: strategy canary (a partitioned rollout of the one StatefulSet) or rolling`}},
		{name: "StatefulSet recreate", items: sts + "    strategy: recreate\n",
			want: []string{`Release "shop/db": spec.strategy: strategy recreate cannot release a StatefulSet: a StatefulSet has no Recreate update strategy (only RollingUpdate and OnDelete), and it never runs two pods of one ordinal anyway; allowed: strategy rolling (one pod at a time, or spec.rolling.maxUnavailable pods at once)`}},
		{name: "StatefulSet paused and deadline", items: sts + "    paused: true\n    progressDeadlineSeconds: 600\n",
			want: []string{
				`Release "shop/db": spec.paused: a StatefulSet has no spec.paused: only a Deployment holds a rollout with spec.paused; a StatefulSet holds its pods on the old version with a partition (strategy canary); allowed: no spec.paused with target kind StatefulSet`,
				`Release "shop/db": spec.progressDeadlineSeconds: a StatefulSet has no spec.progressDeadlineSeconds: only a Deployment reports a rollout that stalls; allowed: no spec.progressDeadlineSeconds with target kind StatefulSet`,
			}},
		{name: "StatefulSet canary under an autoscaler", items: sts + "    strategy: canary\n    canary: {image: 'registry.example.com/db:15.3', weight: 10}\n" +
			"- {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: db, namespace: shop}, spec: {scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}, minReplicas: 3, maxReplicas: 6}}\n",
			want: []string{`Release "shop/db": spec.strategy: HorizontalPodAutoscaler "db" scales StatefulSet "db", and a partitioned canary counts its pods from the highest ordinal: every pod the autoscaler adds gets an ordinal above the partition and runs the canary; allowed: strategy rolling, or no autoscaler on the StatefulSet while the canary runs`}},
		{name: "StatefulSet canary Service without a version of its own", items: sts + "    strategy: canary\n    canary: {image: 'registry.example.com/db:15.3', version: '15.2', weight: 10, service: true}\n" +
			"- {apiVersion: v1, kind: Service, metadata: {name: db, namespace: shop}, spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}}\n",
			want: []string{`Release "shop/db": spec.canary.service: the canary pods of StatefulSet "db" are told apart from its stable pods by the version label app.kubernetes.io/version alone (a partition keeps every other label alike), and both carry "15.2", so no Service can select the canary pods alone; allowed: spec.canary.version, or an image tag, other than the stable pods' version`}},
		{name: "StatefulSet canary over the fleet", items: sts + "    strategy: canary\n    canary: {image: 'registry.example.com/db:15.3', replicas: 4}\n",
			want: []string{`Release "shop/db": spec.canary.replicas: 4 canary replicas exceed the 3 replicas of the release; allowed: 1 to 3`}},
		{name: "StatefulSet with maxUnavailable 0", items: strings.Replace(workloadItems, "    serviceName: db\n", "    serviceName: db\n    updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n", 1) + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its spec.updateStrategy.rollingUpdate.maxUnavailable is 0, which the API server rejects; allowed: 1 or more, or a percent above 0%`}},
		{name: "StatefulSet with a partition in words", items: strings.Replace(workloadItems, "    serviceName: db\n", "    serviceName: db\n    updateStrategy: {rollingUpdate: {partition: two}}\n", 1) + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its spec.updateStrategy.rollingUpdate.partition is "two"; allowed: an integer from 0 to 2147483647 in decimal digits`}},
		{name: "StatefulSet with a stable-pod record not rollspec's", items: strings.Replace(workloadItems, "  metadata: {name: db, namespace: shop}\n", "  metadata: {name: db, namespace: shop, annotations: {rollspec.dev/stable-pod: 'image: [1'}}\n", 1) + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: it is not YAML; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record of another container", items: strings.Replace(workloadItems, "  metadata: {name: db, namespace: shop}\n", "  metadata: {name: db, namespace: shop, annotations: {rollspec.dev/stable-pod: 'container: sidecar'}}\n", 1) + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: its container "sidecar" is not in the pod template; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record whose probe is a word", items: strings.Replace(workloadItems, "  metadata: {name: db, namespace: shop}\n", "  metadata: {name: db, namespace: shop, annotations: {rollspec.dev/stable-pod: \"container: db\\nreadinessProbe: none\"}}\n", 1) + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: readinessProbe is not a mapping; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record but no partition", items: strings.Replace(workloadItems, "  metadata: {name: db, namespace: shop}\n", "  metadata: {name: db, namespace: shop, annotations: {rollspec.dev/stable-pod: \"container: db\\nimage: registry.example.com/db:15.1\"}}\n", 1) + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: the StatefulSet has no spec.updateStrategy.rollingUpdate.partition, which rollspec writes with it, so it runs no partitioned canary; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		// Finding 01: rollspec writes the record on a StatefulSet's
		// partitioned canary only; on a Deployment or a DaemonSet it would
		// have replaced the image with one no Release asked for.
		{name: "Deployment with a stable-pod record", items: `
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: shop
    annotations:
      rollspec.dev/stable-pod: |
        container: app
        image: evil.example.com/miner:1
  spec:
    replicas: 3
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec:
        containers:
        - {name: app, image: registry.example.com/api:1.0.0}
` + workloadRelease("api", "Deployment") + "    strategy: rolling\n",
			want: []string{`Release "shop/api": spec.target: Deployment "shop/api" cannot be released: it carries the annotation rollspec.dev/stable-pod, which rollspec writes only on a StatefulSet that runs a partitioned canary, to give the pods below the partition their template back; on a Deployment it is stale or not rollspec's, and restoring it would put values in the pod template that no Release asked for; allowed: no annotation rollspec.dev/stable-pod on a Deployment`}},
		{name: "DaemonSet with a stable-pod record", items: strings.Replace(workloadItems, "  metadata: {name: agent, namespace: shop}\n", "  metadata: {name: agent, namespace: shop, annotations: {rollspec.dev/stable-pod: \"container: agent\\nimage: evil.example.com/miner:1\\nupdateStrategy: {type: OnDelete, bogus: 1}\"}}\n", 1) + ds + "    tag: '1.5'\n",
			want: []string{`Release "shop/agent": spec.target: DaemonSet "shop/agent" cannot be released: it carries the annotation rollspec.dev/stable-pod, which rollspec writes only on a StatefulSet that runs a partitioned canary, to give the pods below the partition their template back; on a DaemonSet it is stale or not rollspec's, and restoring it would put values in the pod template that no Release asked for; allowed: no annotation rollspec.dev/stable-pod on a DaemonSet`}},
		{name: "DaemonSet with a stable-pod record that is not a record", items: strings.Replace(workloadItems, "  metadata: {name: agent, namespace: shop}\n", "  metadata: {name: agent, namespace: shop, annotations: {rollspec.dev/stable-pod: \"image: [not, a, scalar]\"}}\n", 1) + ds + "    tag: '1.5'\n",
			want: []string{`Release "shop/agent": spec.target: DaemonSet "shop/agent" cannot be released: it carries the annotation rollspec.dev/stable-pod, which rollspec writes only on a StatefulSet that runs a partitioned canary, to give the pods below the partition their template back; on a DaemonSet it is stale or not rollspec's, and restoring it would put values in the pod template that no Release asked for; allowed: no annotation rollspec.dev/stable-pod on a DaemonSet`}},
		// Finding 04: the record's values go back into the pod template on
		// abort, so each is checked as what rollspec writes there.
		{name: "StatefulSet with a stable-pod record with no image", items: stableRecordItems("container: db\\nimage: null") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: image is null, not an image reference (a container always has one); allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record with an image that is not a reference", items: stableRecordItems("container: db\\nimage: 'Bad Image'") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: image "Bad Image" is not an image reference; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record with a grace period in words", items: stableRecordItems("container: db\\nterminationGracePeriodSeconds: thirty") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: terminationGracePeriodSeconds is thirty, not an integer in decimal digits; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record with a probe command that is not strings", items: stableRecordItems("container: db\\nreadinessProbe: {exec: {command: [true]}}") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: readinessProbe.exec.command[0] is true, not a string; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record with an unknown probe field", items: stableRecordItems("container: db\\nreadinessProbe: {httpGet: {port: 80}, bogusField: 1}") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: readinessProbe has the unknown field "bogusField" (known: exec, failureThreshold, grpc, httpGet, initialDelaySeconds, periodSeconds, successThreshold, tcpSocket, terminationGracePeriodSeconds, timeoutSeconds); allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record with a version that is not a label value", items: stableRecordItems("container: db\\nversion: 'a b'") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: version "a b" is not a label value; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record with an unknown update strategy type", items: stableRecordItems("container: db\\nupdateStrategy: {type: Recreate}") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod, which records the pod template of the pods that do not run the canary, is not what rollspec wrote: updateStrategy.type is "Recreate", not RollingUpdate or OnDelete; allowed: the annotation as rollspec wrote it, or none (then the pod template is taken as the stable pods')`}},
		{name: "StatefulSet with a stable-pod record giving back maxUnavailable 0", items: stableRecordItems("container: db\\nupdateStrategy: {rollingUpdate: {maxUnavailable: 0}}") + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "shop/db" cannot be released: its annotation rollspec.dev/stable-pod gives back a StatefulSet that cannot be released: its spec.updateStrategy.rollingUpdate.maxUnavailable is 0, which the API server rejects; allowed: 1 or more, or a percent above 0%`}},
		{name: "StatefulSet without containers", items: strings.Replace(workloadItems, "        containers:\n        - name: db\n          image: registry.example.com/db:15.2\n          ports: [{name: sql, containerPort: 5432}]\n", "        containers: []\n", 1) + sts + "    image: registry.example.com/db:15.3\n",
			want: []string{`Release "shop/db": spec.target: StatefulSet "db" has no list of containers at spec.template.spec.containers; allowed: a StatefulSet with at least one container`}},
		{name: "StatefulSet canary with traffic", items: sts + "    strategy: canary\n    canary: {image: 'registry.example.com/db:15.3', weight: 10}\n    traffic: {routes: [db]}\n",
			want: []string{`Release "shop/db": spec.traffic: splits requests between a stable and a canary or idle Deployment, each behind a Service of its own; a StatefulSet's canary is a partition of its one set of pods, whose share of the requests is its share of the pods, and it has no blue-green; allowed: no spec.traffic with target kind StatefulSet (canary.weight counts pods), or a Deployment target`}},
		{name: "StatefulSet rolling with traffic", items: sts + "    image: registry.example.com/db:15.3\n    traffic: {routes: [db]}\n",
			want: []string{`Release "shop/db": spec.traffic: splits requests between a stable and a canary or idle Deployment, each behind a Service of its own; a StatefulSet's canary is a partition of its one set of pods, whose share of the requests is its share of the pods, and it has no blue-green; allowed: no spec.traffic with target kind StatefulSet (canary.weight counts pods), or a Deployment target`}},
		{name: "DaemonSet with traffic", items: ds + "    tag: '1.5'\n    traffic: {routes: [agent], mirror: 10}\n",
			want: []string{
				`Release "shop/agent": spec.traffic: splits requests between a stable and a canary or idle Deployment, each behind a Service of its own; a DaemonSet releases with strategy rolling only, which runs one version, so there is nothing to split; allowed: no spec.traffic with target kind DaemonSet`,
			}},
		{name: "DaemonSet replicas", items: ds + "    replicas: 3\n",
			want: []string{`Release "shop/agent": spec.replicas: a DaemonSet has no spec.replicas: it runs one pod on each node that its nodeSelector, affinity and tolerations pick; allowed: no spec.replicas with target kind DaemonSet`}},
		{name: "DaemonSet canary", items: ds + "    strategy: canary\n    canary: {image: 'registry.example.com/agent:1.5', weight: 10}\n",
			want: []string{`Release "shop/agent": spec.strategy: strategy canary cannot release a DaemonSet: a DaemonSet runs one pod per node and has no partition, so no field keeps some of its pods on the old version (a second DaemonSet would run a second pod on every node); allowed: strategy rolling, with spec.rolling.maxSurge 1 so that each node starts its new pod before the old one stops`}},
		{name: "DaemonSet blue-green", items: ds + "    strategy: blue-green\n    blueGreen: {active: green}\n",
			want: []string{`Release "shop/agent": spec.strategy: strategy blue-green cannot release a DaemonSet: two DaemonSets would run two pods on every node, and a DaemonSet cannot be scaled down to stand by; allowed: strategy rolling, with spec.rolling.maxSurge 1 so that each node starts its new pod before the old one stops`}},
		{name: "DaemonSet recreate", items: ds + "    strategy: recreate\n",
			want: []string{`Release "shop/agent": spec.strategy: strategy recreate cannot release a DaemonSet: a DaemonSet has no Recreate update strategy (only RollingUpdate and OnDelete); allowed: strategy rolling, with spec.rolling.maxUnavailable "100%" to replace the pods of all nodes at once`}},
		{name: "DaemonSet fastest", items: ds + "    rolling: {profile: fastest}\n",
			want: []string{`Release "shop/agent": spec.rolling.profile: profile fastest sets maxSurge 1 and maxUnavailable 1: a DaemonSet takes maxSurge or maxUnavailable, not both, and the API server rejects both above 0 (with maxSurge each node starts its new pod before the old one stops, with maxUnavailable the old pod stops first); allowed: maxSurge with maxUnavailable 0 (profile surge-first), or maxUnavailable with maxSurge 0 (profile drain-first)`}},
		{name: "DaemonSet surge and unavailable", items: ds + "    rolling: {maxSurge: 1, maxUnavailable: 10%}\n",
			want: []string{`Release "shop/agent": spec.rolling: maxSurge 1 and maxUnavailable 10%: a DaemonSet takes maxSurge or maxUnavailable, not both, and the API server rejects both above 0 (with maxSurge each node starts its new pod before the old one stops, with maxUnavailable the old pod stops first); allowed: maxSurge with maxUnavailable 0 (profile surge-first), or maxUnavailable with maxSurge 0 (profile drain-first)`}},
		{name: "DaemonSet surge over 100 percent", items: ds + "    rolling: {maxSurge: 150%}\n",
			want: []string{`Release "shop/agent": spec.rolling.maxSurge: maxSurge 150%: a DaemonSet surges on at most all of its nodes, and the API server rejects more than 100%; allowed: an integer or a percent up to 100%`}},
		{name: "DaemonSet surge with a host port", items: strings.Replace(workloadItems, "containerPort: 9100}", "containerPort: 9100, hostPort: 9100}", 1) + ds + "    rolling: {profile: surge-first}\n",
			want: []string{`Release "shop/agent": spec.rolling: DaemonSet "agent" starts each node's new pod beside the old one (maxSurge 1), but its pods use hostPort 9100 (container "agent"), which two pods on one node cannot share: the new pod never starts and the rollout stalls; allowed: maxUnavailable instead of maxSurge (profile drain-first)`}},
		{name: "DaemonSet surge on the host network", items: strings.Replace(workloadItems, "      spec:\n        containers:\n        - name: agent", "      spec:\n        hostNetwork: true\n        containers:\n        - name: agent", 1) + ds + "    rolling: {maxSurge: 1}\n",
			want: []string{`Release "shop/agent": spec.rolling: DaemonSet "agent" starts each node's new pod beside the old one (maxSurge 1), but its pods run in the node's network (hostNetwork: true), so their ports are the node's, which two pods on one node cannot share: the new pod never starts and the rollout stalls; allowed: maxUnavailable instead of maxSurge (profile drain-first)`}},
		{name: "DaemonSet surge with a ReadWriteOncePod claim", items: strings.Replace(workloadItems, "          ports: [{name: metrics, containerPort: 9100}]\n", "          ports: [{name: metrics, containerPort: 9100}]\n        volumes: [{name: state, persistentVolumeClaim: {claimName: agent-state}}]\n", 1) + ds + "    rolling: {maxSurge: 1}\n" +
			"- {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: agent-state, namespace: shop}, spec: {accessModes: [ReadWriteOncePod], resources: {requests: {storage: 1Gi}}}}\n",
			want: []string{`Release "shop/agent": spec.rolling: DaemonSet "agent" starts each node's new pod beside the old one (maxSurge 1), but its pods mount the ReadWriteOncePod PersistentVolumeClaim "agent-state", which two pods on one node cannot share: the new pod never starts and the rollout stalls; allowed: maxUnavailable instead of maxSurge (profile drain-first)`}},
		{name: "DaemonSet with surge and unavailable", items: strings.Replace(workloadItems, "    selector: {matchLabels: {app: agent}}\n", "    selector: {matchLabels: {app: agent}}\n    updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}\n", 1) + ds + "    tag: '1.5'\n",
			want: []string{`Release "shop/agent": spec.target: DaemonSet "shop/agent" cannot be released: its maxSurge 1 and maxUnavailable 1 are both above 0, which the API server rejects for a DaemonSet; allowed: one of them above 0, the other 0`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + baseItems + workloadItems + tc.items
			if strings.Contains(tc.items, "kind: StatefulSet\n  metadata") || strings.Contains(tc.items, "kind: DaemonSet\n  metadata") {
				// The case brings its own variant of the workloads.
				input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + baseItems + tc.items
			}
			checkBadInput(t, input, tc.want)
		})
	}
}

// TestStatefulSetManifestPartition: a partition in the StatefulSet's
// manifest does not survive a rolling release or a promote (finding 02):
// the output's partition is 0, so every pod gets the rendered template,
// and an info names the pods it would have held back.
func TestStatefulSetManifestPartition(t *testing.T) {
	items := strings.Replace(workloadItems, "    serviceName: db\n", "    serviceName: db\n    updateStrategy:\n      type: RollingUpdate\n      rollingUpdate:\n        partition: 2 # a manual staged rollout\n", 1)
	const info = `Release "shop/db": spec.target: StatefulSet "db" has partition 2 in its manifest (spec.updateStrategy.rollingUpdate.partition), which would keep pods db-0 to db-1 on the old pod template for good; rollspec writes the partition itself (0 for strategy rolling and a promote, replicas minus the canary's pods for a canary), so every pod gets the template the Release renders; allowed: strategy canary to keep pods on the old template`
	for _, tc := range []struct{ name, spec string }{
		{"rolling", "    image: registry.example.com/db:15.3\n"},
		{"rolling with maxUnavailable", "    image: registry.example.com/db:15.3\n    rolling: {maxUnavailable: 2}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + baseItems + items + workloadRelease("db", "StatefulSet") + tc.spec
			got, err := runFunction([]byte(input))
			if err != nil {
				t.Fatalf("render failed: %v\n%s", err, got)
			}
			out, err := yaml.Parse(string(got))
			if err != nil {
				t.Fatal(err)
			}
			var partition string
			var infos []string
			items, _ := out.Pipe(yaml.Lookup("items"))
			elems, _ := items.Elements()
			for _, e := range elems {
				if e.GetKind() == "StatefulSet" {
					p, _ := e.Pipe(yaml.Lookup("spec", "updateStrategy", "rollingUpdate", "partition"))
					partition = p.MustString()
				}
			}
			results, _ := out.Pipe(yaml.Lookup("results"))
			rs, _ := results.Elements()
			for _, r := range rs {
				if m := yaml.GetValue(r.Field("message").Value); strings.Contains(m, "partition 2 in its manifest") {
					infos = append(infos, yaml.GetValue(r.Field("severity").Value)+": "+m)
				}
			}
			if diff := cmp.Diff("0 # a manual staged rollout\n", partition); diff != "" {
				t.Errorf("output partition (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"info: " + info}, infos); diff != "" {
				t.Errorf("findings about the partition (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWorkloadMessagesNameKind: a message about a StatefulSet or DaemonSet
// target names its kind, not "Deployment" (finding 06): beside a
// Deployment of the same name, that would point at the wrong object.
func TestWorkloadMessagesNameKind(t *testing.T) {
	for _, tc := range []struct {
		name, release string
		want          []string
	}{
		{"StatefulSet", workloadRelease("db", "StatefulSet") + "    image: registry.example.com/db:15.3\n    services: [web]\n",
			[]string{`warning: Release "shop/db": spec.services[0]: Service "web" selects no pod of StatefulSet "db" (selector {app=web}, pod labels {app=db,app.kubernetes.io/version=15.3}); allowed: a Service whose selector matches the pod labels`}},
		{"StatefulSet canary", workloadRelease("db", "StatefulSet") + "    strategy: canary\n    canary: {image: 'registry.example.com/db:15.3', weight: 34}\n    services: [web]\n",
			[]string{`warning: Release "shop/db": spec.services[0]: Service "web" selects no pod of StatefulSet "db" (selector {app=web}, pod labels {app=db,app.kubernetes.io/version=15.2}); allowed: a Service whose selector matches the pod labels`}},
		{"DaemonSet", workloadRelease("agent", "DaemonSet") + "    tag: '1.5'\n    services: [web]\n",
			[]string{`warning: Release "shop/agent": spec.services[0]: Service "web" selects no pod of DaemonSet "agent" (selector {app=web}, pod labels {app=agent,app.kubernetes.io/version=1.5}); allowed: a Service whose selector matches the pod labels`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:" + baseItems + workloadItems + tc.release
			got, err := runFunction([]byte(input))
			if err != nil {
				t.Fatalf("render failed: %v\n%s", err, got)
			}
			var msgs []string
			for _, m := range resultMessages(t, got, "warning") {
				if strings.Contains(m, "selects no pod") {
					msgs = append(msgs, "warning: "+m)
				}
			}
			if diff := cmp.Diff(tc.want, msgs); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}
