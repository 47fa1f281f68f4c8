//! `kx lint`: the cluster's objects (in `-n`, the context's namespace, or `-A`), or manifest
//! files with `-f`, checked by the lint rules; text or JSON out, exit 1 at `--fail-on`.

use crate::cli::{Connection, FailOn, LintArgs, LintOutput};
use crate::cluster::backoff::retry_until;
use crate::cluster::errors::{KxError, classify};
use crate::lint::{self, Severity, manifests, report};
use anyhow::Result;
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::ExitCode;

pub async fn run(conn: Connection, args: LintArgs) -> Result<ExitCode> {
    let config = crate::config::Config::load(crate::config::config_dir(), None, true);
    for w in config.warnings.iter().filter(|w| w.contains("lint")) {
        eprintln!("kx lint: {w}");
    }
    let mut settings = config.settings.lint;
    let mut trouble = false;
    let (objects, cluster) = if args.files.is_empty() {
        let (objects, missing) = from_cluster(&conn).await?;
        for (kind, why) in &missing {
            eprintln!("kx lint: cannot list {kind}s ({why}); the rules that need them are skipped");
        }
        lint::skip_rules_without(&missing, &mut settings);
        (objects, true)
    } else {
        let (objects, problems) = manifests::read(&args.files);
        for p in &problems {
            eprintln!("kx lint: {p}");
        }
        trouble = !problems.is_empty();
        (objects, false)
    };
    if objects.is_empty() {
        // A mistyped -n or an empty folder must not read as a clean bill of health.
        let what = if cluster {
            "no objects in the namespace"
        } else {
            "no manifests in the files given"
        };
        eprintln!("kx lint: {what}; nothing was checked");
        return Ok(ExitCode::from(2));
    }
    let (findings, scores) = lint::lint_with_scores(&objects, &settings, cluster);
    match args.output {
        LintOutput::Text => print!("{}", report::text(&findings, &scores)),
        LintOutput::Json => println!("{}", report::json(&findings, &scores)),
    }
    let level = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Warn => Some(Severity::Warn),
        FailOn::Error => Some(Severity::Error),
        FailOn::Never => None,
    };
    let failed = level.is_some_and(|l| report::fails(&findings, l));
    // 2: something could not be read (CI tells it from findings, 1).
    Ok(if trouble {
        ExitCode::from(2)
    } else if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The objects of every kind the rules read, with kinds RBAC or the server refused.
async fn from_cluster(conn: &Connection) -> Result<(Vec<Value>, Vec<(&'static str, String)>)> {
    let (client, namespace, url) = super::connect_in_namespace(conn).await?;
    let scope = (!conn.all_namespaces).then_some(namespace);
    let mut objects = Vec::new();
    let mut missing = Vec::new();
    let mut said = BTreeSet::new();
    for (group, version, kind) in lint::KINDS {
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
        let api: Api<DynamicObject> = match &scope {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
            None => Api::all_with(client.clone(), &resource),
        };
        let listed = retry_until(
            url.trim_end_matches('/'),
            conn.request_timeout,
            || async {
                api.list(&ListParams::default())
                    .await
                    .map_err(|e| classify(&e))
            },
            |t| {
                if said.insert(t.error.to_string()) {
                    eprintln!(
                        "kx lint: {}; retrying for up to {} (--request-timeout)",
                        t.error,
                        crate::duration::human(conn.request_timeout)
                    );
                }
            },
        )
        .await;
        match listed {
            Ok(list) => {
                for item in list.items {
                    let mut v = serde_json::to_value(item).unwrap_or(Value::Null);
                    // List items carry no kind, as the API server sends them.
                    v["apiVersion"] = Value::String(resource.api_version.clone());
                    v["kind"] = Value::String(kind.to_string());
                    objects.push(v);
                }
            }
            Err(e @ (KxError::Forbidden(_) | KxError::NotFound { .. })) => {
                missing.push((*kind, e.to_string()))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((objects, missing))
}
