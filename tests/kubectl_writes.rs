//! The simulator as kubectl sees a real API server when it writes: the protobuf bodies of
//! `kubectl create …`, `run`, `expose` and `scale`; Secrets' `stringData` folded into `data`;
//! status ignored through the main resource; CronJobs creating Jobs on schedule; and
//! `kubectl apply --server-side` with field managers and their conflicts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use std::time::Duration;

/// Runs kubectl to the end: (success, stdout, stderr).
async fn kubectl(c: &TestCluster, args: &[&str]) -> (bool, String, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), c.kubectl(args).output())
        .await
        .unwrap_or_else(|_| panic!("kubectl {args:?} did not finish in 60 s"))
        .expect("kubectl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_run_expose_and_scale_work_with_their_protobuf_bodies() {
    let c = TestCluster::start(false).await;
    let ns = ["-n", "shop"];
    let creates: &[&[&str]] = &[
        &[
            "create",
            "deployment",
            "pbweb",
            "--image=nginx:1.27",
            "--replicas=2",
            "--port=80",
        ],
        &[
            "create",
            "secret",
            "generic",
            "pbsecret",
            "--from-literal=password=hunter2",
        ],
        &[
            "create",
            "configmap",
            "pbconfig",
            "--from-literal=LOG_LEVEL=debug",
        ],
        &[
            "create",
            "job",
            "pbjob",
            "--image=busybox",
            "--",
            "echo",
            "hi",
        ],
        &[
            "create",
            "cronjob",
            "pbcron",
            "--image=busybox",
            "--schedule=*/5 * * * *",
        ],
        &["create", "serviceaccount", "pbsa"],
        &[
            "create",
            "role",
            "pbrole",
            "--verb=get,list",
            "--resource=pods",
        ],
        &[
            "create",
            "rolebinding",
            "pbrb",
            "--role=pbrole",
            "--serviceaccount=shop:pbsa",
        ],
        &["create", "quota", "pbquota", "--hard=pods=10"],
        &[
            "create",
            "pdb",
            "pbpdb",
            "--selector=app=pbweb",
            "--min-available=1",
        ],
        &[
            "create",
            "ingress",
            "pbing",
            "--rule=shop.example/=pbweb:80",
        ],
        &["create", "service", "clusterip", "pbsvc", "--tcp=8080:80"],
    ];
    for args in creates {
        // The namespace goes first: after `--` it would be the job's command.
        let mut all = ns.to_vec();
        all.extend_from_slice(args);
        c.kubectl_ok(&all).await;
    }
    for args in [
        ["create", "namespace", "pbns"].as_slice(),
        &[
            "create",
            "clusterrole",
            "pbcr",
            "--verb=get",
            "--resource=nodes",
        ],
        &["create", "priorityclass", "pbpc", "--value=1000"],
    ] {
        c.kubectl_ok(args).await;
    }
    // What was created is what kubectl asked for.
    c.wait_for(&["get", "deploy", "pbweb", "-n", "shop"], 30, |o| {
        o.contains("2/2")
    })
    .await;
    assert_eq!(
        c.jsonpath(
            &["deploy", "pbweb", "-n", "shop"],
            "{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}"
        )
        .await,
        "nginx:1.27 80"
    );
    assert_eq!(
        c.jsonpath(&["secret", "pbsecret", "-n", "shop"], "{.data.password}")
            .await,
        "aHVudGVyMg=="
    );
    assert_eq!(
        c.jsonpath(&["cm", "pbconfig", "-n", "shop"], "{.data.LOG_LEVEL}")
            .await,
        "debug"
    );
    assert_eq!(
        c.jsonpath(&["cronjob", "pbcron", "-n", "shop"], "{.spec.schedule}")
            .await,
        "*/5 * * * *"
    );
    assert_eq!(
        c.jsonpath(
            &["rolebinding", "pbrb", "-n", "shop"],
            "{.subjects[0].name} {.roleRef.name}"
        )
        .await,
        "pbsa pbrole"
    );
    assert_eq!(
        c.jsonpath(&["pdb", "pbpdb", "-n", "shop"], "{.spec.minAvailable}")
            .await,
        "1"
    );
    assert_eq!(
        c.jsonpath(
            &["ingress", "pbing", "-n", "shop"],
            "{.spec.rules[0].host} {.spec.rules[0].http.paths[0].backend.service.name}"
        )
        .await,
        "shop.example pbweb"
    );
    assert_eq!(
        c.jsonpath(
            &["svc", "pbsvc", "-n", "shop"],
            "{.spec.ports[0].port} {.spec.ports[0].targetPort}"
        )
        .await,
        "8080 80"
    );
    assert_eq!(c.jsonpath(&["pc", "pbpc"], "{.value}").await, "1000");
    c.wait_for(&["get", "jobs", "pbjob", "-n", "shop"], 30, |o| {
        o.contains("Complete") || o.contains("1/1")
    })
    .await;
    let token = c
        .kubectl_ok(&["create", "token", "pbsa", "-n", "shop"])
        .await;
    assert_eq!(
        token.trim().split('.').count(),
        3,
        "a JWT-shaped token: {token}"
    );
    // run, expose and scale.
    c.kubectl_ok(&["run", "pbpod", "--image=nginx", "-n", "shop"])
        .await;
    c.kubectl_ok(&[
        "expose",
        "deploy",
        "pbweb",
        "--port=80",
        "--name=pbexposed",
        "-n",
        "shop",
    ])
    .await;
    assert_eq!(
        c.jsonpath(&["svc", "pbexposed", "-n", "shop"], "{.spec.selector.app}")
            .await,
        "pbweb"
    );
    c.kubectl_ok(&["scale", "deploy", "pbweb", "--replicas=3", "-n", "shop"])
        .await;
    c.wait_for(&["get", "deploy", "pbweb", "-n", "shop"], 30, |o| {
        o.contains("3/3")
    })
    .await;
    c.wait_for(&["get", "pod", "pbpod", "-n", "shop"], 30, |o| {
        o.contains("Running")
    })
    .await;
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_data_becomes_data_and_status_is_ignored_through_the_object() {
    let c = TestCluster::start(false).await;
    let dir = c.dir.path();
    let secret = dir.join("secret.yaml");
    std::fs::write(
        &secret,
        "apiVersion: v1\nkind: Secret\nmetadata: {name: plain, namespace: shop}\nstringData: {password: hunter2}\ndata: {user: YWRtaW4=}\n",
    )
    .expect("write");
    c.kubectl_ok(&["create", "-f", secret.to_str().unwrap_or_default()])
        .await;
    let stored: serde_json::Value = serde_json::from_str(
        &c.kubectl_ok(&["get", "secret", "plain", "-n", "shop", "-o", "json"])
            .await,
    )
    .expect("json");
    assert_eq!(
        stored["data"],
        serde_json::json!({"password": "aHVudGVyMg==", "user": "YWRtaW4="})
    );
    assert!(stored.get("stringData").is_none(), "{stored}");

    // Status written through the object is ignored; through /status it is taken.
    let before = c
        .jsonpath(&["deploy", "web", "-n", "shop"], "{.status.replicas}")
        .await;
    c.kubectl_ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "shop",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":99},"metadata":{"labels":{"touched":"yes"}}}"#,
    ])
    .await;
    assert_eq!(
        c.jsonpath(
            &["deploy", "web", "-n", "shop"],
            "{.status.replicas} {.metadata.labels.touched}"
        )
        .await,
        format!("{before} yes")
    );
    // A create's status is the controllers' to write.
    let job = dir.join("job.yaml");
    std::fs::write(
        &job,
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: claims-done, namespace: shop}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\nstatus: {succeeded: 5}\n",
    )
    .expect("write");
    c.kubectl_ok(&["create", "-f", job.to_str().unwrap_or_default()])
        .await;
    let succeeded = c
        .jsonpath(&["job", "claims-done", "-n", "shop"], "{.status.succeeded}")
        .await;
    assert_ne!(succeeded, "5", "the body's status was not taken");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cronjob_creates_jobs_on_schedule_and_keeps_its_history() {
    let c = TestCluster::start(false).await;
    c.kubectl_ok(&[
        "create",
        "cronjob",
        "tick",
        "--image=busybox",
        "--schedule=* * * * *",
        "-n",
        "shop",
    ])
    .await;
    // Each minute on the simulator's clock starts a job; move it ahead instead of waiting.
    for minute in 1..=5 {
        c.sim.cluster.advance_clock(60);
        c.wait_for(&["get", "jobs", "-n", "shop", "-o", "name"], 30, |o| {
            o.lines().filter(|l| l.contains("job.batch/tick-")).count() >= minute.min(3)
        })
        .await;
        // Let this minute's job finish before the next one.
        c.wait_for(
            &[
                "get",
                "cronjob",
                "tick",
                "-n",
                "shop",
                "-o",
                "jsonpath={.status.active}",
            ],
            30,
            |o| o.is_empty(),
        )
        .await;
    }
    // The controller prunes the oldest job on its next pass after the newest one finished:
    // wait for that pass (a fixed read raced it under load), then exactly three are kept.
    let jobs = c
        .wait_for(&["get", "jobs", "-n", "shop", "-o", "name"], 15, |o| {
            o.lines().filter(|l| l.contains("tick-")).count() <= 3
        })
        .await;
    let ticks: Vec<&str> = jobs.lines().filter(|l| l.contains("tick-")).collect();
    assert_eq!(ticks.len(), 3, "three successful jobs kept: {jobs}");
    let owner = c
        .jsonpath(
            &[
                "job",
                ticks[0].trim_start_matches("job.batch/"),
                "-n",
                "shop",
            ],
            "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}",
        )
        .await;
    assert_eq!(owner, "CronJob/tick");
    let last = c
        .jsonpath(
            &["cronjob", "tick", "-n", "shop"],
            "{.status.lastScheduleTime} {.status.lastSuccessfulTime}",
        )
        .await;
    assert!(last.split(' ').all(|t| t.ends_with('Z')), "{last}");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_records_managers_and_reports_conflicts_as_the_api_server_does() {
    let c = TestCluster::start(false).await;
    let manifest = c.dir.path().join("app.yaml");
    let write = |replicas: u32, tier: bool| {
        let labels = if tier {
            "{app: ssa, tier: front}"
        } else {
            "{app: ssa}"
        };
        std::fs::write(
            &manifest,
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: ssa, namespace: shop, labels: {labels}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: ssa}}}}\n  template:\n    metadata: {{labels: {{app: ssa}}}}\n    spec:\n      containers: [{{name: app, image: 'nginx:1.27'}}]\n"
            ),
        )
        .expect("write manifest");
    };
    let path = manifest.to_str().unwrap_or_default().to_string();
    write(2, true);
    c.kubectl_ok(&["apply", "--server-side", "-f", &path]).await;
    let managers: serde_json::Value = serde_json::from_str(
        &c.kubectl_ok(&[
            "get",
            "deploy",
            "ssa",
            "-n",
            "shop",
            "-o",
            "jsonpath={.metadata.managedFields}",
        ])
        .await,
    )
    .expect("managedFields");
    let apply = managers
        .as_array()
        .and_then(|m| m.iter().find(|e| e["operation"] == "Apply"))
        .expect("an Apply entry");
    assert_eq!(apply["manager"], "kubectl");
    assert_eq!(
        apply["fieldsV1"]["f:spec"]["f:replicas"],
        serde_json::json!({})
    );
    // Someone else changes a field kubectl applied: the next apply conflicts.
    c.kubectl_ok(&["scale", "deploy", "ssa", "--replicas=4", "-n", "shop"])
        .await;
    let (ok, _, err) = kubectl(&c, &["apply", "--server-side", "-f", &path]).await;
    assert!(!ok, "a conflict fails the apply");
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"kubectl")
            && err.contains(".spec.replicas"),
        "{err}"
    );
    assert_eq!(
        c.jsonpath(&["deploy", "ssa", "-n", "shop"], "{.spec.replicas}")
            .await,
        "4",
        "nothing applied"
    );
    // Forced, it wins; and a label no longer in the manifest is removed.
    write(2, false);
    c.kubectl_ok(&["apply", "--server-side", "--force-conflicts", "-f", &path])
        .await;
    assert_eq!(
        c.jsonpath(
            &["deploy", "ssa", "-n", "shop"],
            "{.spec.replicas} {.metadata.labels}"
        )
        .await,
        "2 {\"app\":\"ssa\"}"
    );
    // Two appliers of the same field with different values conflict too.
    let (ok, _, err) = kubectl(
        &c,
        &[
            "apply",
            "--server-side",
            "--field-manager=ops-team",
            "-f",
            &path,
        ],
    )
    .await;
    assert!(ok, "the same values are no conflict: {err}");
    write(5, false);
    let (ok, _, err) = kubectl(
        &c,
        &[
            "apply",
            "--server-side",
            "--field-manager=ops-team",
            "-f",
            &path,
        ],
    )
    .await;
    assert!(!ok);
    assert!(
        err.contains("conflict with \"kubectl\" using apps/v1: .spec.replicas"),
        "{err}"
    );
    c.sim.stop().await;
}
