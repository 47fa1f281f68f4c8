//! The clusters `kx sim` starts with: a small lively `demo`, and `scale` for benchmarks.

use super::cluster::{Cluster, now_rfc3339};
use super::controllers::CRASH_EVERY;
use super::kubelet;
use super::logs::{Flavour, now_ns};
use super::objects::{
    ObjectRef, container, daemonset, deployment, job_template, node, pod_template, running_status,
    service, statefulset,
};
use super::registry::ResourceType;
use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};

fn rt(cluster: &Cluster, plural: &str) -> Result<ResourceType> {
    cluster
        .types()
        .into_iter()
        .find(|t| t.plural == plural)
        .ok_or_else(|| anyhow!("the simulator does not serve {plural}"))
}

fn create(
    cluster: &Cluster,
    plural: &str,
    ns: &str,
    obj: Value,
) -> Result<std::sync::Arc<super::store::Stored>> {
    let t = rt(cluster, plural)?;
    cluster
        .create(&t, ns, obj)
        .map_err(|e| anyhow!("creating {plural} in {ns:?}: {e}"))
}

fn namespace(cluster: &Cluster, name: &str) -> Result<()> {
    create(
        cluster,
        "namespaces",
        "",
        json!({"metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}}}),
    )?;
    create(
        cluster,
        "serviceaccounts",
        name,
        json!({"metadata": {"name": "default"}}),
    )?;
    Ok(())
}

pub const DEMO_CRD: &str = r#"{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.demo.kx.dev"},
  "spec": {
    "group": "demo.kx.dev", "scope": "Namespaced",
    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wdg"], "listKind": "WidgetList"},
    "versions": [{
      "name": "v1", "served": true, "storage": true,
      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
      "subresources": {"status": {}},
      "additionalPrinterColumns": [
        {"name": "Colour", "type": "string", "jsonPath": ".spec.colour"},
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
      ]
    }]
  }
}"#;

pub fn demo(cluster: &Cluster) -> Result<()> {
    create(cluster, "nodes", "", node("kx-control-plane", 0, true))?;
    for i in 1..=3 {
        create(
            cluster,
            "nodes",
            "",
            node(&format!("kx-worker-{i}"), i, false),
        )?;
    }
    create(cluster, "nodes", "", dead_node("kx-worker-4", 4))?;
    for ns in [
        "default",
        "kube-system",
        "kube-public",
        "shop",
        "monitoring",
        "payments",
    ] {
        namespace(cluster, ns)?;
    }
    let labels = |app: &str| json!({"app": app});
    let no_annotations = json!({});

    let dns = pod_template(
        &json!({"k8s-app": "kube-dns"}),
        vec![container(
            "coredns",
            "registry.k8s.io/coredns/coredns:v1.12.0",
            Some(53),
        )],
        no_annotations.clone(),
    );
    create(
        cluster,
        "deployments",
        "kube-system",
        deployment("kube-system", "coredns", 2, dns),
    )?;
    create(
        cluster,
        "services",
        "kube-system",
        service(
            "kube-system",
            "kube-dns",
            &json!({"k8s-app": "kube-dns"}),
            53,
            "ClusterIP",
        ),
    )?;
    let proxy = pod_template(
        &json!({"k8s-app": "kube-proxy"}),
        vec![container(
            "kube-proxy",
            "registry.k8s.io/kube-proxy:v1.36.0",
            None,
        )],
        no_annotations.clone(),
    );
    create(
        cluster,
        "daemonsets",
        "kube-system",
        daemonset("kube-system", "kube-proxy", proxy),
    )?;

    let web = pod_template(
        &labels("web"),
        vec![container("nginx", "nginx:1.27", Some(80))],
        no_annotations.clone(),
    );
    create(
        cluster,
        "deployments",
        "shop",
        deployment("shop", "web", 3, web),
    )?;
    let api = pod_template(
        &labels("api"),
        vec![
            container("api", "ghcr.io/kx-demo/api:2.4.1", Some(8080)),
            container("envoy", "envoyproxy/envoy:v1.31.0", Some(9901)),
        ],
        no_annotations.clone(),
    );
    create(
        cluster,
        "deployments",
        "shop",
        deployment("shop", "api", 2, api),
    )?;
    let worker = pod_template(
        &labels("worker"),
        vec![container("worker", "ghcr.io/kx-demo/worker:1.8.0", None)],
        no_annotations.clone(),
    );
    create(
        cluster,
        "deployments",
        "shop",
        deployment("shop", "worker", 2, worker),
    )?;
    let flaky = pod_template(
        &labels("flaky"),
        vec![container("flaky", "ghcr.io/kx-demo/worker:1.8.0", None)],
        json!({CRASH_EVERY: "25"}),
    );
    create(
        cluster,
        "deployments",
        "shop",
        deployment("shop", "flaky", 1, flaky),
    )?;
    let db = pod_template(
        &labels("db"),
        vec![container("postgres", "postgres:16.4", Some(5432))],
        no_annotations.clone(),
    );
    create(
        cluster,
        "statefulsets",
        "shop",
        statefulset("shop", "db", 2, db),
    )?;
    for (name, sel, port, type_) in [
        ("web", "web", 80, "LoadBalancer"),
        ("api", "api", 8080, "ClusterIP"),
        ("db", "db", 5432, "ClusterIP"),
    ] {
        let mut svc = service("shop", name, &labels(sel), port, type_);
        if name == "api" {
            // A named target port, resolved in each pod as the Service does it.
            svc["spec"]["ports"][0]["targetPort"] = json!("http");
        }
        create(cluster, "services", "shop", svc)?;
    }
    let migrate = pod_template(
        &labels("migrate"),
        vec![container("migrate", "ghcr.io/kx-demo/worker:1.8.0", None)],
        no_annotations.clone(),
    );
    create(
        cluster,
        "jobs",
        "shop",
        json!({"metadata": {"name": "migrate-schema", "namespace": "shop"}, "spec": job_template(&migrate, 1)}),
    )?;
    create(
        cluster,
        "cronjobs",
        "shop",
        json!({"metadata": {"name": "nightly-report", "namespace": "shop"},
               "spec": {"schedule": "0 3 * * *", "concurrencyPolicy": "Forbid",
                        "jobTemplate": {"spec": job_template(&migrate, 1)}}}),
    )?;
    create(
        cluster,
        "configmaps",
        "shop",
        json!({"metadata": {"name": "web-config"}, "data": {"nginx.conf": "worker_processes 2;\nevents { worker_connections 1024; }\n", "LOG_LEVEL": "info"}}),
    )?;
    create(
        cluster,
        "secrets",
        "shop",
        json!({"metadata": {"name": "db-credentials"}, "type": "Opaque",
        "data": {"username": "c2hvcA==", "password": "aHVudGVyMg=="}}),
    )?;
    create(
        cluster,
        "ingresses",
        "shop",
        json!({"metadata": {"name": "web"}, "spec": {"ingressClassName": "nginx",
        "rules": [{"host": "shop.example.test", "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
    )?;
    for i in 0..2 {
        create(
            cluster,
            "persistentvolumes",
            "",
            json!({"metadata": {"name": format!("pv-db-{i}")},
            "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Delete",
                     "storageClassName": "standard", "hostPath": {"path": format!("/data/db-{i}")},
                     "claimRef": {"namespace": "shop", "name": format!("data-db-{i}")}},
            "status": {"phase": "Bound"}}),
        )?;
        create(
            cluster,
            "persistentvolumeclaims",
            "shop",
            json!({"metadata": {"name": format!("data-db-{i}")},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
                     "storageClassName": "standard", "volumeName": format!("pv-db-{i}")},
            "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"]}}),
        )?;
    }
    let prom = pod_template(
        &labels("prometheus"),
        vec![container(
            "prometheus",
            "prom/prometheus:v3.1.0",
            Some(9090),
        )],
        no_annotations.clone(),
    );
    create(
        cluster,
        "deployments",
        "monitoring",
        deployment("monitoring", "prometheus", 1, prom),
    )?;
    let hello = pod_template(
        &labels("hello"),
        vec![container("hello", "nginx:1.27", Some(80))],
        no_annotations,
    );
    create(
        cluster,
        "deployments",
        "default",
        deployment("default", "hello", 1, hello),
    )?;

    broken(cluster)?;

    let crd: Value = serde_json::from_str(DEMO_CRD).context("the demo CRD")?;
    create(cluster, "customresourcedefinitions", "", crd)?;
    for (name, colour, size, phase) in [
        ("gizmo", "red", 3, "Ready"),
        ("sprocket", "blue", 5, "Ready"),
        ("widget-x", "green", 1, "Pending"),
    ] {
        create(
            cluster,
            "widgets",
            "shop",
            json!({"apiVersion": "demo.kx.dev/v1", "kind": "Widget",
            "metadata": {"name": name}, "spec": {"colour": colour, "size": size}, "status": {"phase": phase}}),
        )?;
    }
    Ok(())
}

/// A worker whose kubelet stopped posting status: NotReady, tainted unreachable.
fn dead_node(name: &str, index: usize) -> Value {
    let mut n = node(name, index, false);
    let since = now_rfc3339();
    if let Some(conds) = n["status"]["conditions"].as_array_mut() {
        for c in conds {
            c["status"] = json!("Unknown");
            c["reason"] = json!("NodeStatusUnknown");
            c["message"] = json!("Kubelet stopped posting node status.");
            c["lastTransitionTime"] = json!(since);
        }
    }
    n["spec"]["taints"] = json!([
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": since},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": since}
    ]);
    n
}

/// The `payments` namespace: every broken state `X` explains and objects that trip each lint
/// rule, as a team's bad afternoon would leave them.
fn broken(cluster: &Cluster) -> Result<()> {
    let ns = "payments";
    let labels = |app: &str| json!({"app": app});
    let deploy = |name: &str, replicas: i64, containers: Vec<Value>, annotations: Value| {
        create(
            cluster,
            "deployments",
            ns,
            deployment(
                ns,
                name,
                replicas,
                pod_template(&labels(name), containers, annotations),
            ),
        )
    };
    // A release whose image tag was never pushed.
    deploy(
        "checkout",
        2,
        vec![container(
            "checkout",
            "ghcr.io/kx-demo/checkout:2.0.0-missing",
            Some(8080),
        )],
        json!({}),
    )?;
    // Crash-looping, on :latest, with no resources (requests, image-tag, restarts over time).
    let mut ledger = container("ledger", "ghcr.io/kx-demo/ledger:latest", None);
    ledger["resources"] = json!({});
    ledger["env"] = json!([{"name": "STRIPE_KEY", "valueFrom": {"secretKeyRef": {"name": "stripe", "key": "api-key"}}}]);
    deploy("ledger", 1, vec![ledger], json!({CRASH_EVERY: "8"}))?;
    // Killed for memory, over and over.
    let mut reports = container("reports", "ghcr.io/kx-demo/worker:1.8.0", None);
    reports["resources"]["limits"] = json!({"memory": "128Mi"});
    deploy(
        "reports",
        1,
        vec![reports],
        json!({CRASH_EVERY: "12", kubelet::CRASH_REASON: "OOMKilled"}),
    )?;
    // Asks for more CPU than any node has.
    let mut trainer = container("trainer", "ghcr.io/kx-demo/worker:1.8.0", None);
    trainer["resources"]["requests"]["cpu"] = json!("32");
    deploy("ml-trainer", 1, vec![trainer], json!({}))?;
    // Names a ConfigMap key nobody wrote.
    let mut notifier = container("notifier", "ghcr.io/kx-demo/worker:1.8.0", None);
    notifier["env"] = json!([{"name": "FEATURE_FLAGS", "valueFrom": {"configMapKeyRef": {"name": "notifier-config", "key": "FEATURE_FLAGS"}}}]);
    deploy("notifier", 1, vec![notifier], json!({}))?;
    create(
        cluster,
        "configmaps",
        ns,
        json!({"metadata": {"name": "notifier-config"}, "data": {"SMTP_HOST": "mail.internal"}}),
    )?;
    create(
        cluster,
        "secrets",
        ns,
        json!({"metadata": {"name": "stripe"}, "type": "Opaque", "data": {"api-key": "c2tfdGVzdA=="}}),
    )?;
    // Runs, but its readiness probe fails: its Service has no ready endpoints.
    let mut search = container("search", "ghcr.io/kx-demo/search:1.2.0", Some(9200));
    search["readinessProbe"] =
        json!({"httpGet": {"path": "/ready", "port": 9200}, "periodSeconds": 10});
    search["livenessProbe"] = json!({"tcpSocket": {"port": 9200}, "periodSeconds": 10});
    deploy(
        "search",
        2,
        vec![search],
        json!({kubelet::FAILING_PROBE: "readiness"}),
    )?;
    create(
        cluster,
        "services",
        ns,
        service(ns, "search", &labels("search"), 9200, "ClusterIP"),
    )?;
    // A selector that matches nothing (the pods are labelled app: payments-api-v2).
    create(
        cluster,
        "services",
        ns,
        service(
            ns,
            "payments-api",
            &labels("payments-api"),
            8080,
            "ClusterIP",
        ),
    )?;
    // A claim on a storage class that does not exist.
    let pvc = create(
        cluster,
        "persistentvolumeclaims",
        ns,
        json!({"metadata": {"name": "uploads"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}, "storageClassName": "fast-ssd"},
        "status": {"phase": "Pending"}}),
    )?;
    let pvc_uid = pvc.uid.clone();
    let now = now_rfc3339();
    create(
        cluster,
        "events",
        ns,
        json!({"metadata": {"name": "uploads.provisioning"},
        "involvedObject": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": ns, "name": "uploads", "uid": pvc_uid},
        "type": "Warning", "reason": "ProvisioningFailed",
        "message": "storageclass.storage.k8s.io \"fast-ssd\" not found",
        "source": {"component": "persistentvolume-controller"}, "reportingComponent": "persistentvolume-controller",
        "firstTimestamp": now, "lastTimestamp": now, "count": 1}),
    )?;
    // A job whose pods exit 1 until it gives up.
    let backfill = pod_template(
        &labels("backfill"),
        vec![container("backfill", "ghcr.io/kx-demo/worker:1.8.0", None)],
        json!({kubelet::EXIT_CODE: "1"}),
    );
    let mut spec = job_template(&backfill, 1);
    spec["backoffLimit"] = json!(2);
    create(
        cluster,
        "jobs",
        ns,
        json!({"metadata": {"name": "backfill", "namespace": ns}, "spec": spec}),
    )?;
    // A pod someone started by hand, privileged, on the host's namespaces and disk.
    create(
        cluster,
        "pods",
        ns,
        json!({"metadata": {"name": "debug-tools", "labels": {"run": "debug-tools"}},
        "spec": {"hostNetwork": true, "hostPID": true,
                 "containers": [{"name": "debug", "image": "ghcr.io/kx-demo/toolbox:1.0.0", "command": ["sleep", "infinity"],
                                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
                                 "securityContext": {"privileged": true},
                                 "volumeMounts": [{"name": "host", "mountPath": "/host"}]}],
                 "volumes": [{"name": "host", "hostPath": {"path": "/"}}]}}),
    )?;
    // Applied long ago from a manifest on an API version the cluster no longer serves.
    let applied = json!({"apiVersion": "extensions/v1beta1", "kind": "Ingress",
        "metadata": {"name": "checkout", "namespace": ns},
        "spec": {"backend": {"serviceName": "checkout", "servicePort": 8080}}});
    create(
        cluster,
        "ingresses",
        ns,
        json!({"metadata": {"name": "checkout",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied.to_string()}},
        "spec": {"defaultBackend": {"service": {"name": "checkout", "port": {"number": 8080}}}}}),
    )?;
    Ok(())
}

/// `pods` running pods across `namespaces` namespaces, ten per deployment, created already
/// running (no start-up lifecycle) so a large cluster is ready in seconds.
pub fn scale(cluster: &Cluster, namespaces: usize, pods: usize) -> Result<()> {
    let namespaces = namespaces.max(1);
    let nodes = (pods / 100).max(3);
    for i in 0..nodes {
        create(
            cluster,
            "nodes",
            "",
            node(&format!("node-{i:05}"), i, false),
        )?;
    }
    for n in 0..namespaces {
        namespace(cluster, &format!("ns-{n:03}"))?;
    }
    namespace(cluster, "default")?;
    let (deploy_t, rs_t, pods_t) = (
        rt(cluster, "deployments")?,
        rt(cluster, "replicasets")?,
        rt(cluster, "pods")?,
    );
    let per_deploy = 10usize;
    let deployments = pods.div_ceil(per_deploy);
    let started = now_rfc3339();
    let start_ns = now_ns();
    let mut made = 0usize;
    let mut batch = Vec::new();

    for d in 0..deployments {
        let ns = format!("ns-{:03}", d % namespaces);
        let name = format!("app-{d:05}");
        let replicas = per_deploy.min(pods - made);
        let image = if d % 2 == 0 {
            "nginx:1.27"
        } else {
            "ghcr.io/kx-demo/api:2.4.1"
        };
        let template = pod_template(
            &json!({"app": name}),
            vec![
                container("main", image, Some(8080)),
                container("sidecar", "envoyproxy/envoy:v1.31.0", None),
            ],
            json!({}),
        );
        let dep = cluster
            .create(
                &deploy_t,
                &ns,
                deployment(&ns, &name, replicas as i64, template),
            )
            .map_err(|e| anyhow!("{e}"))?;
        let dv = dep.value();
        let hash = super::controllers::template_hash_of(&dv["spec"]["template"]);
        let mut rs_template = dv["spec"]["template"].clone();
        rs_template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        let rs_name = format!("{name}-{hash}");
        let owner = ObjectRef::of("apps/v1", "Deployment", &dep);
        let rs = cluster
            .create(&rs_t, &ns, json!({
                "metadata": {"name": rs_name, "labels": rs_template["metadata"]["labels"], "ownerReferences": [owner.owner_reference()],
                             "annotations": {"deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                                             "deployment.kubernetes.io/max-replicas": (replicas + 1).to_string()}},
                "spec": {"replicas": replicas, "selector": {"matchLabels": rs_template["metadata"]["labels"]}, "template": rs_template},
            }))
            .map_err(|e| anyhow!("{e}"))?;
        let rs_owner = ObjectRef::of("apps/v1", "ReplicaSet", &rs);
        // One pod per deployment goes through its k8s-openapi type; its siblings are copies of it.
        let mut sample = json!({"metadata": {"name": format!("{rs_name}-sample"), "namespace": ns,
                                             "labels": rs_template["metadata"]["labels"], "ownerReferences": [rs_owner.owner_reference()]},
                                "spec": rs_template["spec"].clone()});
        sample["status"] = running_status(&sample, "172.18.0.2", "10.64.0.2", &started);
        let sample = super::normalize::normalize("Pod", sample)
            .map_err(|e| anyhow!("the scale scenario's pod: {e}"))?;
        let mut taken = std::collections::HashSet::new();
        for _ in 0..replicas {
            // Random suffixes can collide; a collision would silently replace a pod.
            let pod_name = loop {
                let candidate = format!("{rs_name}-{}", cluster.random_suffix(5));
                if taken.insert(candidate.clone()) {
                    break candidate;
                }
            };
            let node_i = made % nodes;
            let node_ip = format!("172.18.{}.{}", node_i / 250, node_i % 250 + 2);
            let pod_ip = format!(
                "10.{}.{}.{}",
                64 + made / 62500,
                (made / 250) % 250,
                made % 250 + 2
            );
            let mut pod = sample.clone();
            pod["metadata"]["name"] = json!(pod_name);
            pod["spec"]["nodeName"] = json!(format!("node-{node_i:05}"));
            pod["status"]["hostIP"] = json!(node_ip);
            pod["status"]["hostIPs"] = json!([{"ip": node_ip}]);
            pod["status"]["podIP"] = json!(pod_ip);
            pod["status"]["podIPs"] = json!([{"ip": pod_ip}]);
            batch.push(pod);
            for c in ["main", "sidecar"] {
                let flavour = if c == "sidecar" {
                    Flavour::Access
                } else {
                    Flavour::for_image(image)
                };
                cluster
                    .logs
                    .start_instance(&ns, &pod_name, c, flavour, start_ns);
            }
            made += 1;
        }
        if batch.len() >= 4096 {
            cluster.insert_built(&pods_t, std::mem::take(&mut batch));
        }
    }
    cluster.insert_built(&pods_t, batch);

    Ok(())
}
