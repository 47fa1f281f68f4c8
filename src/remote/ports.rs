//! Ports as kubectl reads them: `[LOCAL:]REMOTE` on the command line, a Service's port mapped
//! to its `targetPort`, a named port looked up in the pod's containers, and the ports a target
//! offers (for the picker).

use serde_json::Value;
use std::fmt;

/// A port on the target side: a number, or a name a container (or service) gives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum RemotePort {
    Number(u16),
    Name(String),
}

impl fmt::Display for RemotePort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemotePort::Number(n) => write!(f, "{n}"),
            RemotePort::Name(s) => f.write_str(s),
        }
    }
}

impl RemotePort {
    pub fn parse(text: &str) -> Result<RemotePort, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an empty port".into());
        }
        if text.chars().all(|c| c.is_ascii_digit()) {
            return text
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .map(RemotePort::Number)
                .ok_or_else(|| format!("{text} is not a port (1-65535)"));
        }
        Ok(RemotePort::Name(text.to_string()))
    }
}

/// One `[LOCAL:]REMOTE` of `kx port-forward`: no LOCAL means the remote number when free (else
/// the next free); an empty LOCAL (`:80`) means any free port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPair {
    pub local: Local,
    pub remote: RemotePort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Local {
    /// This port, or fail.
    Exactly(u16),
    /// This port when free, else the next free one; 0: the number the remote port has.
    Prefer(u16),
    /// Whatever the system gives.
    Any,
}

impl PortPair {
    pub fn parse(text: &str) -> Result<PortPair, String> {
        let (local, remote) = match text.split_once(':') {
            Some(("", r)) => (Local::Any, r),
            Some((l, r)) => {
                let port = l
                    .parse::<u16>()
                    .map_err(|_| format!("{l:?} in {text:?} is not a local port number"))?;
                (
                    if port == 0 {
                        Local::Any
                    } else {
                        Local::Exactly(port)
                    },
                    r,
                )
            }
            None => (Local::Any, text),
        };
        let remote = RemotePort::parse(remote).map_err(|e| format!("{text:?}: {e}"))?;
        let local = match (local, &remote) {
            (Local::Any, RemotePort::Number(n)) if !text.contains(':') => Local::Prefer(*n),
            // A name: the number it resolves to, once the target is read.
            (Local::Any, RemotePort::Name(_)) if !text.contains(':') => Local::Prefer(0),
            (l, _) => l,
        };
        Ok(PortPair { local, remote })
    }
}

/// A Service port (by number or name) mapped to its target port, as the Service routes it.
pub fn service_target(svc: &Value, port: &RemotePort) -> Result<RemotePort, String> {
    let name = svc["metadata"]["name"].as_str().unwrap_or_default();
    let ports: Vec<&Value> = svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let found = ports.iter().find(|p| match port {
        RemotePort::Number(n) => p["port"].as_u64() == Some(u64::from(*n)),
        RemotePort::Name(s) => p["name"].as_str() == Some(s.as_str()),
    });
    let Some(p) = found else {
        let have: Vec<String> = ports.iter().map(|p| service_port_label(p)).collect();
        return Err(format!(
            "service {name} has no port {port} (it has {})",
            if have.is_empty() {
                "none".to_string()
            } else {
                have.join(", ")
            }
        ));
    };
    Ok(match &p["targetPort"] {
        Value::Number(n) => {
            RemotePort::Number(n.as_u64().and_then(|n| u16::try_from(n).ok()).unwrap_or(0))
        }
        Value::String(s) if s.chars().all(|c| c.is_ascii_digit()) => RemotePort::parse(s)?,
        Value::String(s) => RemotePort::Name(s.clone()),
        // No targetPort: the same as the port.
        _ => RemotePort::Number(
            p["port"]
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .unwrap_or(0),
        ),
    })
}

fn service_port_label(p: &Value) -> String {
    match p["name"].as_str() {
        Some(n) if !n.is_empty() => format!("{}/{n}", p["port"]),
        _ => p["port"].to_string(),
    }
}

fn container_ports(pod_spec: &Value) -> impl Iterator<Item = (&str, &Value)> {
    pod_spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| {
            let container = c["name"].as_str().unwrap_or_default();
            c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |p| (container, p))
        })
}

/// The number a port has in a pod (a pod spec, or a template's): a name is looked up among
/// the containers' ports; a number is taken as it is (something may listen undeclared).
pub fn in_pod(pod_spec: &Value, port: &RemotePort) -> Result<u16, String> {
    match port {
        RemotePort::Number(n) => Ok(*n),
        RemotePort::Name(name) => container_ports(pod_spec)
            .find(|(_, p)| p["name"].as_str() == Some(name.as_str()))
            .and_then(|(_, p)| p["containerPort"].as_u64())
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| {
                let named: Vec<String> = container_ports(pod_spec)
                    .filter_map(|(_, p)| {
                        Some(format!("{}/{}", p["containerPort"], p["name"].as_str()?))
                    })
                    .collect();
                format!(
                    "no container port is named {name:?} (named ports: {})",
                    if named.is_empty() {
                        "none".to_string()
                    } else {
                        named.join(", ")
                    }
                )
            }),
    }
}

/// Whether a pod spec declares a port number (an undeclared one is allowed, with a warning).
pub fn declared(pod_spec: &Value, port: u16) -> bool {
    container_ports(pod_spec).any(|(_, p)| p["containerPort"].as_u64() == Some(u64::from(port)))
}

/// A port the picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// What the user picks: the service port, or the container port.
    pub remote: u16,
    pub label: String,
}

/// The ports of a target: a Service's own ports, else the containers' ports of a pod spec.
pub fn offers(kind: &str, obj: &Value) -> Vec<Offer> {
    if kind == "Service" {
        return obj["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let port = u16::try_from(p["port"].as_u64()?).ok()?;
                Some(Offer {
                    remote: port,
                    label: format!(
                        "{} → {}",
                        service_port_label(p),
                        p["targetPort"].to_string().trim_matches('"')
                    ),
                })
            })
            .collect();
    }
    let spec = if kind == "Pod" {
        &obj["spec"]
    } else {
        &obj["spec"]["template"]["spec"]
    };
    container_ports(spec)
        .filter_map(|(container, p)| {
            let port = u16::try_from(p["containerPort"].as_u64()?).ok()?;
            let name = p["name"]
                .as_str()
                .map(|n| format!("/{n}"))
                .unwrap_or_default();
            Some(Offer {
                remote: port,
                label: format!("{container}: {port}{name}"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pairs_read_as_kubectl_reads_them() {
        assert_eq!(
            PortPair::parse("8080:80"),
            Ok(PortPair {
                local: Local::Exactly(8080),
                remote: RemotePort::Number(80)
            })
        );
        assert_eq!(
            PortPair::parse("80").map(|p| p.local),
            Ok(Local::Prefer(80))
        );
        assert_eq!(PortPair::parse(":80").map(|p| p.local), Ok(Local::Any));
        assert_eq!(
            PortPair::parse("http"),
            Ok(PortPair {
                local: Local::Prefer(0),
                remote: RemotePort::Name("http".into())
            })
        );
        assert!(
            PortPair::parse("x:80")
                .unwrap_err()
                .contains("not a local port")
        );
        assert!(PortPair::parse("8080:0").is_err());
        assert!(PortPair::parse("8080:70000").is_err());
    }

    #[test]
    fn service_ports_map_to_target_ports_and_names_resolve_in_the_pod() {
        let svc = json!({"metadata": {"name": "api"}, "spec": {"ports": [
            {"name": "http", "port": 80, "targetPort": "web"}, {"name": "admin", "port": 9000, "targetPort": 9901}]}});
        assert_eq!(
            service_target(&svc, &RemotePort::Number(80)),
            Ok(RemotePort::Name("web".into()))
        );
        assert_eq!(
            service_target(&svc, &RemotePort::Name("admin".into())),
            Ok(RemotePort::Number(9901))
        );
        let err = service_target(&svc, &RemotePort::Number(81)).unwrap_err();
        assert_eq!(
            err,
            "service api has no port 81 (it has 80/http, 9000/admin)"
        );
        let spec = json!({"containers": [{"name": "api", "ports": [{"name": "web", "containerPort": 8080}]}]});
        assert_eq!(in_pod(&spec, &RemotePort::Name("web".into())), Ok(8080));
        assert_eq!(in_pod(&spec, &RemotePort::Number(1234)), Ok(1234));
        assert!(
            in_pod(&spec, &RemotePort::Name("grpc".into()))
                .unwrap_err()
                .contains("8080/web")
        );
        assert!(declared(&spec, 8080) && !declared(&spec, 1234));
        let offered = offers("Deployment", &json!({"spec": {"template": {"spec": spec}}}));
        assert_eq!(
            offered,
            vec![Offer {
                remote: 8080,
                label: "api: 8080/web".into()
            }]
        );
    }
}
