//! Finding and connecting to a cluster the way kubectl does — `--kubeconfig`, else
//! `$KUBECONFIG` (a list, merged), else `~/.kube/config`, else in-cluster — with every way
//! that can fail named precisely: which file, which context (and the ones there are), which
//! user's certificate has expired. Every client kx builds tags its failures with the server's
//! URL, so errors from deep in a watch still say where they happened.

use super::errors::{AtServer, KxError};
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where kx is connected, for the header and messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextInfo {
    pub name: String,
    pub cluster: String,
    pub user: String,
}

impl From<&str> for ContextInfo {
    /// A context known by name only (the cluster and user are shown when known).
    fn from(name: &str) -> ContextInfo {
        ContextInfo {
            name: name.to_string(),
            ..Default::default()
        }
    }
}

/// What the user chose on the command line.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// How long a connection attempt may take (kx's `--request-timeout`).
    pub request_timeout: Option<Duration>,
}

/// A cluster to connect to, with what the header shows about it.
pub struct Found {
    pub config: kube::Config,
    pub context: ContextInfo,
    /// Every context of the kubeconfig, for `:ctx` (just this one in a pod).
    pub contexts: Vec<String>,
}

/// The kubeconfig files kx reads, in kubectl's order of precedence.
fn kubeconfig_paths(source: &Source) -> (Vec<PathBuf>, bool) {
    if let Some(p) = &source.kubeconfig {
        return (vec![p.clone()], true);
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return (
            std::env::split_paths(&list)
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
            false,
        );
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()));
    (
        home.map(|h| h.join(".kube").join("config"))
            .into_iter()
            .collect(),
        false,
    )
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// One line of what was wrong with a kubeconfig, from kube's error.
fn kubeconfig_cause(e: &kube::config::KubeconfigError) -> String {
    use kube::config::KubeconfigError as K;
    match e {
        K::ReadConfig(io, _) if io.kind() == std::io::ErrorKind::NotFound => {
            "the file does not exist".into()
        }
        K::ReadConfig(io, _) => format!("cannot read it: {io}"),
        K::Parse(p) => format!(
            "it is not a valid kubeconfig: {}",
            super::errors::one_line(&p.to_string())
        ),
        K::LoadClusterOfContext(c) => {
            format!("its context names a cluster {c:?} that it does not define")
        }
        K::LoadContext(c) => format!("context {c:?} is not defined in it"),
        K::MissingClusterUrl => "the context's cluster has no server URL".into(),
        K::ParseClusterUrl(u) => format!("the cluster's server URL is not a URL: {u}"),
        other => super::errors::one_line(&other.to_string()),
    }
}

/// Reads and merges the kubeconfig files (None when there are none and kx runs in a pod).
pub fn read_kubeconfig(source: &Source) -> Result<Option<(Kubeconfig, String)>, KxError> {
    let (paths, explicit) = kubeconfig_paths(source);
    let mut merged: Option<Kubeconfig> = None;
    let mut read = Vec::new();
    for path in &paths {
        // kubectl skips missing files of a $KUBECONFIG list, but not a file named with --kubeconfig.
        if !explicit && !path.exists() {
            continue;
        }
        let kc = Kubeconfig::read_from(path).map_err(|e| KxError::KubeconfigUnreadable {
            path: display(path),
            cause: kubeconfig_cause(&e),
        })?;
        read.push(display(path));
        merged = Some(match merged {
            None => kc,
            Some(m) => m.merge(kc).map_err(|e| KxError::KubeconfigUnreadable {
                path: display(path),
                cause: kubeconfig_cause(&e),
            })?,
        });
    }
    match merged {
        Some(kc) => Ok(Some((kc, read.join(":")))),
        None if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() => Ok(None),
        None => Err(KxError::NoKubeconfig {
            tried: if paths.is_empty() {
                vec!["no $HOME to find ~/.kube/config in".into()]
            } else {
                paths
                    .iter()
                    .map(|p| format!("{} does not exist", display(p)))
                    .collect()
            },
        }),
    }
}

/// The contexts of a kubeconfig, closest to `wanted` first.
fn closest_contexts(kc: &Kubeconfig, wanted: &str) -> Vec<String> {
    let mut names: Vec<(f64, String)> = kc
        .contexts
        .iter()
        .map(|c| (strsim::jaro_winkler(wanted, &c.name), c.name.clone()))
        .collect();
    names.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    names.into_iter().map(|(_, n)| n).collect()
}

/// Finds the cluster to talk to, with the header's context information.
pub async fn find(source: &Source) -> Result<Found, KxError> {
    let Some((kc, path)) = read_kubeconfig(source)? else {
        let mut config = kube::Config::incluster().map_err(|e| {
            KxError::Other(format!(
                "running in a pod, but its service account cannot be used: {}",
                super::errors::one_line(&e.to_string())
            ))
        })?;
        apply_timeouts(&mut config, source);
        let url = config.cluster_url.to_string();
        return Ok(Found {
            context: ContextInfo {
                name: "in-cluster".into(),
                cluster: url.clone(),
                user: "service account".into(),
            },
            contexts: vec!["in-cluster".into()],
            config,
        });
    };
    let name = match source
        .context
        .clone()
        .or_else(|| kc.current_context.clone())
    {
        Some(n) if !n.is_empty() => n,
        _ => {
            return Err(KxError::NoCurrentContext {
                path,
                available: kc.contexts.iter().map(|c| c.name.clone()).collect(),
            });
        }
    };
    let Some(context) = kc
        .contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.clone())
    else {
        return Err(KxError::ContextNotFound {
            available: closest_contexts(&kc, &name),
            name,
            path,
        });
    };
    let contexts = kc.contexts.iter().map(|c| c.name.clone()).collect();
    let user = context.user.clone().unwrap_or_default();
    let options = KubeConfigOptions {
        context: Some(name.clone()),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| KxError::KubeconfigUnreadable {
            path: path.clone(),
            cause: kubeconfig_cause(&e),
        })?;
    check_client_certificate(&config, &user, jiff::Timestamp::now())?;
    apply_timeouts(&mut config, source);
    Ok(Found {
        context: ContextInfo {
            name,
            cluster: context.cluster.clone(),
            user,
        },
        contexts,
        config,
    })
}

fn apply_timeouts(config: &mut kube::Config, source: &Source) {
    if let Some(t) = source.request_timeout {
        config.connect_timeout = Some(t);
    }
}

/// An expired or not-yet-valid client certificate, said before any request: the server's own
/// answer (a TLS alert) would not say which certificate or when.
fn check_client_certificate(
    config: &kube::Config,
    user: &str,
    now: jiff::Timestamp,
) -> Result<(), KxError> {
    let pem = if let Some(data) = &config.auth_info.client_certificate_data {
        use base64::Engine;
        match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
            Ok(bytes) => bytes,
            Err(_) => return Ok(()),
        }
    } else if let Some(file) = &config.auth_info.client_certificate {
        match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(_) => return Ok(()),
        }
    } else {
        return Ok(());
    };
    let Ok((_, block)) = x509_parser::pem::parse_x509_pem(&pem) else {
        return Ok(());
    };
    let Ok(cert) = block.parse_x509() else {
        return Ok(());
    };
    let validity = cert.validity();
    let at = |t: x509_parser::time::ASN1Time| {
        jiff::Timestamp::from_second(t.timestamp())
            .map(|ts| ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default()
    };
    let now = now.as_second();
    if validity.not_after.timestamp() < now {
        return Err(KxError::ClientCertificate {
            user: user.to_string(),
            verdict: format!("expired on {}", at(validity.not_after)),
        });
    }
    if validity.not_before.timestamp() > now {
        return Err(KxError::ClientCertificate {
            user: user.to_string(),
            verdict: format!(
                "is not valid until {} (check this machine's clock)",
                at(validity.not_before)
            ),
        });
    }
    Ok(())
}

/// Builds the client kx uses. kube's built-in retry of 429/503 waits silently (for minutes at
/// worst); kx retries in its own layers instead, where it can say so. Every failure is tagged
/// with the server's URL (see `errors::AtServer`).
pub fn client(mut config: kube::Config) -> Result<kube::Client, KxError> {
    config.default_retry = false;
    let url = config.cluster_url.to_string();
    let url = url.trim_end_matches('/').to_string();
    // Building the client runs a credential plugin, so this can fail as a request would.
    let builder =
        kube::client::ClientBuilder::try_from(config).map_err(|e| super::errors::classify(&e))?;
    let tag = tower::util::MapErrLayer::new(move |source: tower::BoxError| -> tower::BoxError {
        Box::new(AtServer {
            url: url.clone(),
            source,
        })
    });
    Ok(builder.with_layer(&tag).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(contexts: &[&str], current: &str) -> Kubeconfig {
        let ctx: String = contexts
            .iter()
            .map(|c| format!("- name: {c}\n  context: {{cluster: c, user: u}}\n"))
            .collect();
        Kubeconfig::from_yaml(&format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:1'}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n{ctx}current-context: {current}\n"
        ))
        .unwrap()
    }

    #[test]
    fn contexts_are_offered_closest_first() {
        let kc = kubeconfig(&["staging", "prod-eu", "prod-us", "dev"], "dev");
        let got = closest_contexts(&kc, "prod");
        assert_eq!(&got[..2], ["prod-eu", "prod-us"]);
        assert_eq!(got.len(), 4);
    }

    #[tokio::test]
    async fn a_missing_kubeconfig_and_a_missing_context_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = find(&Source {
            kubeconfig: Some(missing.clone()),
            ..Default::default()
        })
        .await
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot use the kubeconfig {}: the file does not exist; fix it or point --kubeconfig elsewhere (or try `kx --demo`)",
                missing.display()
            )
        );
        let file = dir.path().join("config");
        std::fs::write(
            &file,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: staging\n  context: {cluster: c, user: u}\n- name: prod-eu\n  context: {cluster: c, user: u}\ncurrent-context: staging\n",
        )
        .unwrap();
        let err = find(&Source {
            kubeconfig: Some(file.clone()),
            context: Some("prod".into()),
            ..Default::default()
        })
        .await
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            format!(
                "context \"prod\" is not in {}; pick one with --context or :ctx (there: prod-eu, staging)",
                file.display()
            )
        );
        std::fs::write(&file, "clusters: [unclosed").unwrap();
        let err = find(&Source {
            kubeconfig: Some(file),
            ..Default::default()
        })
        .await
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("it is not a valid kubeconfig"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}
