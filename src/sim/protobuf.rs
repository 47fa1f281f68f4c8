//! Request bodies in Kubernetes' protobuf encoding, as kubectl's typed clients send them
//! (`kubectl create deployment|job|cronjob|secret|configmap|namespace|serviceaccount|role|…`):
//! the `k8s\0` magic, a `runtime.Unknown` envelope naming the kind, and the object, decoded
//! with k8s-pb's types and turned into the JSON the rest of the simulator speaks.
//!
//! Each type lists every one of its fields: the destructuring below fails to compile when a
//! new Kubernetes version adds one, so no field is dropped silently. Fields the simulator does
//! not translate (volumes, probes, affinity…: what `kubectl create` never sets) are refused
//! with a 415 naming the field when set, so the client can send JSON instead.

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::authentication::v1 as authn;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::networking::v1 as net;
use k8s_pb::api::policy::v1 as policy;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::api::scheduling::v1 as scheduling;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The 4 bytes every Kubernetes protobuf body starts with.
const MAGIC: &[u8] = b"k8s\0";

/// Why a body could not be read: the field (a JSON path) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

/// Decodes a protobuf request body into the object's JSON.
pub fn decode(body: &[u8]) -> Result<Value, Unreadable> {
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| Unreadable("the body does not start with the k8s protobuf magic".into()))?;
    let envelope = Unknown::decode(rest)
        .map_err(|e| Unreadable(format!("the runtime.Unknown envelope: {e}")))?;
    let type_meta = envelope.type_meta.unwrap_or_default();
    let api_version = type_meta.api_version.unwrap_or_default();
    let kind = type_meta.kind.unwrap_or_default();
    let raw = envelope.raw.unwrap_or_default();
    let raw = raw.as_slice();
    let decoded = |e: prost::DecodeError| Unreadable(format!("{kind}: {e}"));
    let mut object = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Pod") => core::Pod::decode(raw).map_err(decoded)?.to_json("")?,
        ("v1", "Service") => core::Service::decode(raw).map_err(decoded)?.to_json("")?,
        ("v1", "Secret") => core::Secret::decode(raw).map_err(decoded)?.to_json("")?,
        ("v1", "ConfigMap") => core::ConfigMap::decode(raw).map_err(decoded)?.to_json("")?,
        ("v1", "Namespace") => core::Namespace::decode(raw).map_err(decoded)?.to_json("")?,
        ("v1", "ServiceAccount") => core::ServiceAccount::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        ("v1", "ResourceQuota") => core::ResourceQuota::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        ("apps/v1", "Deployment") => apps::Deployment::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        ("batch/v1", "Job") => batch::Job::decode(raw).map_err(decoded)?.to_json("")?,
        ("batch/v1", "CronJob") => batch::CronJob::decode(raw).map_err(decoded)?.to_json("")?,
        ("rbac.authorization.k8s.io/v1", "Role") => {
            rbac::Role::decode(raw).map_err(decoded)?.to_json("")?
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => rbac::ClusterRole::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => rbac::RoleBinding::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            rbac::ClusterRoleBinding::decode(raw)
                .map_err(decoded)?
                .to_json("")?
        }
        ("policy/v1", "PodDisruptionBudget") => policy::PodDisruptionBudget::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        ("scheduling.k8s.io/v1", "PriorityClass") => scheduling::PriorityClass::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        ("networking.k8s.io/v1", "Ingress") => {
            net::Ingress::decode(raw).map_err(decoded)?.to_json("")?
        }
        ("authentication.k8s.io/v1", "TokenRequest") => authn::TokenRequest::decode(raw)
            .map_err(decoded)?
            .to_json("")?,
        _ => {
            return Err(Unreadable(format!(
                "{kind} ({api_version}) in protobuf is not one of the kinds kx sim reads that way"
            )));
        }
    };
    if let Some(m) = object.as_object_mut() {
        m.insert("apiVersion".into(), Value::String(api_version));
        m.insert("kind".into(), Value::String(kind));
    }
    Ok(object)
}

/// A protobuf value as JSON; `at` is the JSON path so far, for messages.
trait ToJson {
    fn to_json(self, at: &str) -> Result<Value, Unreadable>;
    /// Whether the field was sent at all (protobuf has no empty-versus-absent for lists).
    fn is_set(&self) -> bool {
        true
    }
}

impl ToJson for String {
    fn to_json(self, _: &str) -> Result<Value, Unreadable> {
        Ok(Value::String(self))
    }
    /// Go sends its plain (not pointer) string fields even when empty; its JSON leaves them
    /// out, and so does this.
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl ToJson for bool {
    fn to_json(self, _: &str) -> Result<Value, Unreadable> {
        Ok(Value::Bool(self))
    }
}

impl ToJson for i32 {
    fn to_json(self, _: &str) -> Result<Value, Unreadable> {
        Ok(Value::from(self))
    }
}

impl ToJson for i64 {
    fn to_json(self, _: &str) -> Result<Value, Unreadable> {
        Ok(Value::from(self))
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(self, at: &str) -> Result<Value, Unreadable> {
        match self {
            Some(v) => v.to_json(at),
            None => Ok(Value::Null),
        }
    }
    fn is_set(&self) -> bool {
        self.as_ref().is_some_and(ToJson::is_set)
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(self, at: &str) -> Result<Value, Unreadable> {
        self.into_iter()
            .enumerate()
            .map(|(i, v)| v.to_json(&format!("{at}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn to_json(self, at: &str) -> Result<Value, Unreadable> {
        let mut m = Map::new();
        for (k, v) in self {
            let value = v.to_json(&format!("{at}.{k}"))?;
            m.insert(k, value);
        }
        Ok(Value::Object(m))
    }
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

/// A field's JSON name: camelCase of prost's snake_case, but for the initialisms Kubernetes
/// spells in capitals (`clusterIP`, `hostPID`, `nonResourceURLs`).
fn json_name(rust: &str) -> String {
    let rust = rust.trim_start_matches("r#");
    let special = [
        ("cluster_ip", "clusterIP"),
        ("cluster_ips", "clusterIPs"),
        ("external_ips", "externalIPs"),
        ("load_balancer_ip", "loadBalancerIP"),
        ("host_ip", "hostIP"),
        ("host_pid", "hostPID"),
        ("host_ipc", "hostIPC"),
        ("set_hostname_as_fqdn", "setHostnameAsFQDN"),
        ("non_resource_ur_ls", "nonResourceURLs"),
        ("u_id", "uid"),
    ];
    if let Some((_, json)) = special.iter().find(|(r, _)| *r == rust) {
        return json.to_string();
    }
    let mut out = String::with_capacity(rust.len());
    let mut upper = false;
    for c in rust.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn path(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}.{name}")
    }
}

fn put(m: &mut Map<String, Value>, at: &str, rust: &str, v: impl ToJson) -> Result<(), Unreadable> {
    if v.is_set() {
        let name = json_name(rust);
        let value = v.to_json(&path(at, &name))?;
        m.insert(name, value);
    }
    Ok(())
}

/// Whether a field of any type was sent (for the fields kx sim does not translate).
trait Sent {
    fn sent(&self) -> bool;
}

impl<T> Sent for Option<T> {
    fn sent(&self) -> bool {
        self.is_some()
    }
}

impl<T> Sent for Vec<T> {
    fn sent(&self) -> bool {
        !self.is_empty()
    }
}

impl<K, V> Sent for BTreeMap<K, V> {
    fn sent(&self) -> bool {
        !self.is_empty()
    }
}

/// A field kx sim does not translate: fine when absent, a clear refusal when set.
fn refuse(at: &str, rust: &str, field: &impl Sent) -> Result<(), Unreadable> {
    if field.sent() {
        Err(Unreadable(format!(
            "{} is set, and kx sim does not read it from protobuf",
            path(at, &json_name(rust))
        )))
    } else {
        Ok(())
    }
}

/// A message type: every field listed (the destructuring is exhaustive); those in `refused`
/// are not translated, and `status` (which kubectl sends empty, and a create drops anyway) is
/// left out.
macro_rules! message {
    ($ty:path { $($field:ident),* $(,)? } $(refused { $($r:ident),* $(,)? })? $(, without $status:ident)?) => {
        impl ToJson for $ty {
            fn to_json(self, at: &str) -> Result<Value, Unreadable> {
                let $ty { $($field,)* $($($r,)*)? $($status: _,)? } = self;
                $($( refuse(at, stringify!($r), &$r)?; )*)?
                let mut m = Map::new();
                $( put(&mut m, at, stringify!($field), $field)?; )*
                Ok(Value::Object(m))
            }
        }
    };
}

impl ToJson for meta::Time {
    fn to_json(self, _: &str) -> Result<Value, Unreadable> {
        let seconds = self.seconds.unwrap_or(0);
        // Go's zero time: what kubectl sends for a creationTimestamp it did not set.
        if seconds == 0 || seconds == -62_135_596_800 {
            return Ok(Value::Null);
        }
        Ok(jiff::Timestamp::from_second(seconds)
            .map(|t| Value::String(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()))
            .unwrap_or(Value::Null))
    }
}

impl ToJson for Quantity {
    fn to_json(self, _: &str) -> Result<Value, Unreadable> {
        Ok(Value::String(self.string.unwrap_or_default()))
    }
}

impl ToJson for IntOrString {
    fn to_json(self, _: &str) -> Result<Value, Unreadable> {
        Ok(match self.r#type {
            Some(1) => Value::String(self.str_val.unwrap_or_default()),
            _ => Value::from(self.int_val.unwrap_or(0)),
        })
    }
}

/// Bytes as the JSON API carries them: base64.
fn bytes_map(map: BTreeMap<String, Vec<u8>>) -> Value {
    use base64::Engine;
    Value::Object(
        map.into_iter()
            .map(|(k, v)| {
                (
                    k,
                    Value::String(base64::engine::general_purpose::STANDARD.encode(v)),
                )
            })
            .collect(),
    )
}

impl ToJson for core::Secret {
    fn to_json(self, at: &str) -> Result<Value, Unreadable> {
        let core::Secret {
            metadata,
            immutable,
            data,
            string_data,
            r#type,
        } = self;
        let mut m = Map::new();
        put(&mut m, at, "metadata", metadata)?;
        put(&mut m, at, "immutable", immutable)?;
        if !data.is_empty() {
            m.insert("data".into(), bytes_map(data));
        }
        put(&mut m, at, "string_data", string_data)?;
        put(&mut m, at, "type", r#type)?;
        Ok(Value::Object(m))
    }
}

impl ToJson for core::ConfigMap {
    fn to_json(self, at: &str) -> Result<Value, Unreadable> {
        let core::ConfigMap {
            metadata,
            immutable,
            data,
            binary_data,
        } = self;
        let mut m = Map::new();
        put(&mut m, at, "metadata", metadata)?;
        put(&mut m, at, "immutable", immutable)?;
        put(&mut m, at, "data", data)?;
        if !binary_data.is_empty() {
            m.insert("binaryData".into(), bytes_map(binary_data));
        }
        Ok(Value::Object(m))
    }
}

message!(meta::ObjectMeta {
    name, generate_name, namespace, self_link, uid, resource_version, generation,
    creation_timestamp, deletion_timestamp, deletion_grace_period_seconds, labels, annotations,
    owner_references, finalizers,
} refused { managed_fields });
message!(meta::OwnerReference {
    api_version,
    kind,
    name,
    uid,
    controller,
    block_owner_deletion
});
message!(meta::LabelSelector {
    match_labels,
    match_expressions
});
message!(meta::LabelSelectorRequirement {
    key,
    operator,
    values
});

message!(core::Pod { metadata, spec }, without status);
message!(core::PodTemplateSpec { metadata, spec });
message!(core::PodSpec {
    init_containers, containers, restart_policy, termination_grace_period_seconds,
    active_deadline_seconds, dns_policy, node_selector, service_account_name, service_account,
    automount_service_account_token, node_name, host_network, host_pid, host_ipc,
    share_process_namespace, image_pull_secrets, hostname, subdomain, scheduler_name,
    priority_class_name, priority, runtime_class_name, enable_service_links, preemption_policy,
    set_hostname_as_fqdn, host_users, hostname_override,
} refused {
    security_context, affinity, dns_config, os, resources, overhead, workload_ref,
    volumes, ephemeral_containers, tolerations, host_aliases, readiness_gates,
    topology_spread_constraints, scheduling_gates, resource_claims,
});
message!(core::Container {
    name, image, command, args, working_dir, ports, env, resources, restart_policy,
    termination_message_path, termination_message_policy, image_pull_policy, stdin, stdin_once,
    tty,
} refused {
    liveness_probe, readiness_probe, startup_probe, lifecycle, security_context,
    env_from, resize_policy, restart_policy_rules, volume_mounts, volume_devices,
});
message!(core::ContainerPort {
    name,
    host_port,
    container_port,
    protocol,
    host_ip
});
message!(core::EnvVar { name, value } refused { value_from });
message!(core::ResourceRequirements { limits, requests } refused { claims });
message!(core::LocalObjectReference { name });
message!(core::ObjectReference {
    kind,
    namespace,
    name,
    uid,
    api_version,
    resource_version,
    field_path,
});
message!(core::Namespace { metadata, spec }, without status);
message!(core::NamespaceSpec { finalizers });
message!(core::ServiceAccount {
    metadata,
    secrets,
    image_pull_secrets,
    automount_service_account_token,
});
message!(core::Service { metadata, spec }, without status);
message!(core::ServiceSpec {
    ports, selector, cluster_ip, cluster_ips, r#type, external_ips, session_affinity,
    load_balancer_ip, load_balancer_source_ranges, external_name, external_traffic_policy,
    health_check_node_port, publish_not_ready_addresses, ip_families, ip_family_policy,
    allocate_load_balancer_node_ports, load_balancer_class, internal_traffic_policy,
    traffic_distribution,
} refused { session_affinity_config });
message!(core::ServicePort {
    name,
    protocol,
    app_protocol,
    port,
    target_port,
    node_port
});
message!(core::ResourceQuota { metadata, spec }, without status);
message!(core::ResourceQuotaSpec { hard, scopes } refused { scope_selector });

message!(apps::Deployment { metadata, spec }, without status);
message!(apps::DeploymentSpec {
    replicas,
    selector,
    template,
    strategy,
    min_ready_seconds,
    revision_history_limit,
    paused,
    progress_deadline_seconds,
});
message!(apps::DeploymentStrategy {
    r#type,
    rolling_update
});
message!(apps::RollingUpdateDeployment {
    max_unavailable,
    max_surge
});

message!(batch::Job { metadata, spec }, without status);
message!(batch::JobSpec {
    parallelism, completions, active_deadline_seconds, backoff_limit, backoff_limit_per_index,
    max_failed_indexes, selector, manual_selector, template, ttl_seconds_after_finished,
    completion_mode, suspend, pod_replacement_policy, managed_by,
} refused { pod_failure_policy, success_policy });
message!(batch::CronJob { metadata, spec }, without status);
message!(batch::CronJobSpec {
    schedule,
    time_zone,
    starting_deadline_seconds,
    concurrency_policy,
    suspend,
    job_template,
    successful_jobs_history_limit,
    failed_jobs_history_limit,
});
message!(batch::JobTemplateSpec { metadata, spec });

message!(rbac::Role { metadata, rules });
message!(rbac::ClusterRole {
    metadata,
    rules,
    aggregation_rule
});
message!(rbac::PolicyRule {
    verbs,
    api_groups,
    resources,
    resource_names,
    non_resource_ur_ls
});
message!(rbac::AggregationRule {
    cluster_role_selectors
});
message!(rbac::RoleBinding {
    metadata,
    subjects,
    role_ref
});
message!(rbac::ClusterRoleBinding {
    metadata,
    subjects,
    role_ref
});
message!(rbac::Subject {
    kind,
    api_group,
    name,
    namespace
});
message!(rbac::RoleRef {
    api_group,
    kind,
    name
});

message!(policy::PodDisruptionBudget { metadata, spec }, without status);
message!(policy::PodDisruptionBudgetSpec {
    min_available,
    selector,
    max_unavailable,
    unhealthy_pod_eviction_policy,
});

message!(scheduling::PriorityClass {
    metadata,
    value,
    global_default,
    description,
    preemption_policy,
});

message!(net::Ingress { metadata, spec }, without status);
message!(net::IngressSpec {
    ingress_class_name,
    default_backend,
    tls,
    rules
});
message!(net::HttpIngressRuleValue { paths });
message!(net::HttpIngressPath {
    path,
    path_type,
    backend
});

/// Go embeds the rule's value in the rule: in JSON, `http` sits beside `host`.
impl ToJson for net::IngressRule {
    fn to_json(self, at: &str) -> Result<Value, Unreadable> {
        let net::IngressRule {
            host,
            ingress_rule_value,
        } = self;
        let mut m = Map::new();
        put(&mut m, at, "host", host)?;
        if let Some(net::IngressRuleValue { http }) = ingress_rule_value {
            put(&mut m, at, "http", http)?;
        }
        Ok(Value::Object(m))
    }
}
message!(net::IngressBackend { service } refused { resource });
message!(net::IngressServiceBackend { name, port });
message!(net::ServiceBackendPort { name, number });
message!(net::IngressTls { hosts, secret_name });

message!(authn::TokenRequest { metadata, spec }, without status);
message!(authn::TokenRequestSpec {
    audiences,
    expiration_seconds,
    bound_object_ref
});
message!(authn::BoundObjectReference {
    kind,
    api_version,
    name,
    u_id
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wrap(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let envelope = Unknown {
            type_meta: Some(k8s_pb::apimachinery::pkg::runtime::TypeMeta {
                api_version: Some(api_version.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        let mut body = MAGIC.to_vec();
        body.extend(envelope.encode_to_vec());
        body
    }

    #[test]
    fn a_deployment_as_kubectl_create_sends_it_becomes_its_json() {
        let labels = BTreeMap::from([("app".to_string(), "web".to_string())]);
        let d = apps::Deployment {
            metadata: Some(meta::ObjectMeta {
                name: Some("web".into()),
                labels: labels.clone(),
                creation_timestamp: Some(meta::Time::default()),
                ..Default::default()
            }),
            spec: Some(apps::DeploymentSpec {
                replicas: Some(2),
                selector: Some(meta::LabelSelector {
                    match_labels: labels.clone(),
                    ..Default::default()
                }),
                template: Some(core::PodTemplateSpec {
                    metadata: Some(meta::ObjectMeta {
                        labels,
                        ..Default::default()
                    }),
                    spec: Some(core::PodSpec {
                        containers: vec![core::Container {
                            name: Some("nginx".into()),
                            image: Some("nginx:1.27".into()),
                            ports: vec![core::ContainerPort {
                                container_port: Some(80),
                                ..Default::default()
                            }],
                            resources: Some(core::ResourceRequirements::default()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                }),
                strategy: Some(apps::DeploymentStrategy::default()),
                ..Default::default()
            }),
            status: None,
        };
        let got = decode(&wrap("apps/v1", "Deployment", d.encode_to_vec())).unwrap();
        assert_eq!(
            got,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "labels": {"app": "web"}, "creationTimestamp": null},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                            "ports": [{"containerPort": 80}], "resources": {}}]}},
                    "strategy": {}}})
        );
    }

    #[test]
    fn secrets_bytes_become_base64_and_special_types_their_json_forms() {
        let s = core::Secret {
            metadata: Some(meta::ObjectMeta {
                name: Some("db".into()),
                ..Default::default()
            }),
            data: BTreeMap::from([("password".to_string(), b"hunter2".to_vec())]),
            r#type: Some("Opaque".into()),
            ..Default::default()
        };
        let got = decode(&wrap("v1", "Secret", s.encode_to_vec())).unwrap();
        assert_eq!(got["data"]["password"], "aHVudGVyMg==");
        assert_eq!(got["type"], "Opaque");
        let svc = core::ServiceSpec {
            cluster_ip: Some("None".into()),
            ports: vec![core::ServicePort {
                port: Some(80),
                target_port: Some(IntOrString {
                    r#type: Some(1),
                    str_val: Some("http".into()),
                    int_val: None,
                }),
                ..Default::default()
            }],
            ..Default::default()
        }
        .to_json("spec")
        .unwrap();
        assert_eq!(
            svc,
            json!({"clusterIP": "None", "ports": [{"port": 80, "targetPort": "http"}]})
        );
    }

    #[test]
    fn a_field_kx_sim_does_not_translate_is_refused_by_name_and_garbage_is_unreadable() {
        let p = core::PodSpec {
            containers: vec![core::Container {
                name: Some("c".into()),
                liveness_probe: Some(core::Probe::default()),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            p.to_json("spec").unwrap_err(),
            Unreadable(
                "spec.containers[0].livenessProbe is set, and kx sim does not read it from protobuf"
                    .into()
            )
        );
        assert!(decode(b"{\"kind\": \"Pod\"}").is_err());
        assert!(
            decode(&wrap("v1", "Widget", Vec::new()))
                .unwrap_err()
                .0
                .contains("not one of the kinds")
        );
    }
}
