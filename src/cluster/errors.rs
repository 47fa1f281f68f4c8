//! What went wrong talking to a cluster, as types callers branch on, worded once: every command
//! and the TUI print the same one line, saying what happened and what to do about it. A kube
//! error is classified by walking its chain of causes (the API's Status, a credential plugin's
//! failure, a TLS verdict, a socket error) rather than by its text, and the server's URL comes
//! from the layer `connect` puts around every client.

use std::time::Duration;

/// One failure, classified. `Display` is the line people read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KxError {
    #[error(
        "no kubeconfig found ({}) and not running in a pod: point --kubeconfig or $KUBECONFIG at one, or try `kx --demo`",
        tried.join(", ")
    )]
    NoKubeconfig { tried: Vec<String> },
    #[error(
        "cannot use the kubeconfig {path}: {cause}; fix it or point --kubeconfig elsewhere (or try `kx --demo`)"
    )]
    KubeconfigUnreadable { path: String, cause: String },
    #[error("context {name:?} is not in {path}; {}", context_choice(available))]
    ContextNotFound {
        name: String,
        path: String,
        /// The contexts there are, closest to `name` first.
        available: Vec<String>,
    },
    #[error(
        "the kubeconfig {path} sets no current context; {}",
        context_choice(available)
    )]
    NoCurrentContext {
        path: String,
        available: Vec<String>,
    },
    #[error("cannot reach the API server at {url}: {cause}")]
    Unreachable { url: String, cause: Unreachable },
    #[error("TLS with the API server at {url} failed: {problem}")]
    Tls { url: String, problem: TlsProblem },
    #[error(
        "the client certificate of user {user:?} in the kubeconfig {verdict}; get a new one (from your cluster admin or your cloud's login command)"
    )]
    ClientCertificate { user: String, verdict: String },
    #[error(
        "the API server rejected kx's credentials (401 Unauthorized){}: the token or certificate is wrong or has expired; log in again or refresh the kubeconfig",
        for_user(user)
    )]
    Unauthorized { user: Option<String> },
    #[error("the credential plugin `{command}` failed{}{}; run its login again or fix the kubeconfig's exec section",
        code.map(|c| format!(" (exit {c})")).unwrap_or_default(),
        if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    CredentialPlugin {
        command: String,
        code: Option<i32>,
        /// The plugin's own words (its stderr, on one line).
        stderr: String,
    },
    #[error("{}", forbidden_line(.0))]
    Forbidden(Box<Denial>),
    #[error("not found: {message}")]
    NotFound { message: String },
    #[error("gone: {message}")]
    Gone { message: String },
    #[error("conflict: {message}")]
    Conflict { message: String },
    #[error("rejected by the API server: {message}")]
    Invalid { message: String },
    #[error("the API server's answer could not be read: {message}")]
    Decode { message: String },
    /// 429 and 5xx: the server is there but overloaded or failing; worth retrying.
    #[error("the API server answered {code} {reason}: {message}")]
    Busy {
        code: u16,
        reason: String,
        message: String,
    },
    #[error(
        "gave up after {}: {last} (--request-timeout)",
        crate::duration::human(*after)
    )]
    GaveUp { after: Duration, last: Box<KxError> },
    #[error("{0}")]
    Other(String),
}

/// Why a connection to the API server did not happen or did not last.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    #[error("connection refused; is the cluster running, and is this the right context?")]
    Refused,
    #[error(
        "the host name {host:?} does not resolve (DNS); check the server address in the kubeconfig, your network or VPN"
    )]
    Dns { host: String },
    #[error(
        "no answer in time; check the network, VPN or proxy (or raise --request-timeout if the server is just slow)"
    )]
    TimedOut,
    #[error("the connection was reset or closed")]
    Reset,
    #[error("{0}")]
    Other(String),
}

/// Why the API server's certificate (or ours) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsProblem {
    #[error(
        "its certificate is signed by an authority the kubeconfig does not trust; check the cluster's certificate-authority(-data)"
    )]
    UnknownAuthority,
    #[error(
        "its certificate expired{}; the cluster's certificates need renewing",
        when(not_after)
    )]
    Expired { not_after: Option<String> },
    #[error(
        "its certificate is not valid yet{}; check this machine's clock",
        when(not_before).replace(" on ", " until ")
    )]
    NotYetValid { not_before: Option<String> },
    #[error(
        "its certificate is for {presented} but kx connected to {expected}; fix the server address or set tls-server-name in the kubeconfig"
    )]
    WrongHost { expected: String, presented: String },
    #[error(
        "the server refused kx's client certificate ({alert}); renew the certificate in the kubeconfig"
    )]
    ClientCertRefused { alert: String },
    #[error("{0}")]
    Other(String),
}

/// A 403: who may not do what, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub user: Option<String>,
    pub verb: String,
    /// `pods`, `pods/log`, `deployments.apps`.
    pub resource: String,
    pub name: Option<String>,
    /// None: cluster-wide (or not said).
    pub namespace: Option<String>,
    /// The server's own words, when they could not be read as the above.
    pub raw: Option<String>,
}

fn context_choice(available: &[String]) -> String {
    if available.is_empty() {
        "it has no contexts at all".to_string()
    } else {
        let shown: Vec<&str> = available.iter().take(8).map(String::as_str).collect();
        let more = available.len().saturating_sub(shown.len());
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "pick one with --context or :ctx (there: {}{tail})",
            shown.join(", ")
        )
    }
}

fn for_user(user: &Option<String>) -> String {
    user.as_ref()
        .map(|u| format!(" for user {u:?}"))
        .unwrap_or_default()
}

fn when(at: &Option<String>) -> String {
    at.as_ref().map(|t| format!(" on {t}")).unwrap_or_default()
}

fn forbidden_line(d: &Denial) -> String {
    if let Some(raw) = &d.raw {
        return format!("forbidden: {raw}");
    }
    let who = d
        .user
        .as_ref()
        .map(|u| format!("user {u:?}"))
        .unwrap_or_else(|| "kx's user".to_string());
    // `pods/log` on `web-1` reads as "the log of pods/web-1".
    let what = match (d.resource.split_once('/'), &d.name) {
        (Some((plural, sub)), Some(n)) => format!("the {sub} of {plural}/{n}"),
        (Some((plural, sub)), None) => format!("the {sub} of {plural}"),
        (None, Some(n)) => format!("{}/{n}", d.resource),
        (None, None) => d.resource.clone(),
    };
    let place = match &d.namespace {
        Some(ns) => format!("in namespace {ns}"),
        None => "cluster-wide".to_string(),
    };
    format!(
        "forbidden: {who} cannot {} {what} {place} (RBAC); ask for access or use another context",
        d.verb
    )
}

impl KxError {
    /// Whether trying again later may succeed: the server is away, overloaded or reset the
    /// connection. Bad credentials, RBAC and bad kubeconfigs are not fixed by waiting.
    pub fn is_transient(&self) -> bool {
        match self {
            KxError::Unreachable { .. } | KxError::Busy { .. } | KxError::Gone { .. } => true,
            // Not recognised: waiting may help, and a following command would rather retry.
            KxError::Other(_) => true,
            _ => false,
        }
    }

    pub fn is_forbidden(&self) -> bool {
        matches!(self, KxError::Forbidden(_))
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, KxError::NotFound { .. })
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, KxError::Conflict { .. })
    }

    pub fn is_gone(&self) -> bool {
        matches!(self, KxError::Gone { .. })
    }

    /// What failed, from an API Status (the server answered, with an error).
    pub fn from_status(status: &kube::core::Status) -> KxError {
        let message = one_line(&status.message);
        match status.code {
            401 => KxError::Unauthorized { user: None },
            403 => KxError::Forbidden(Box::new(denial_of(&message))),
            404 => KxError::NotFound { message },
            409 => KxError::Conflict { message },
            410 => KxError::Gone { message },
            400 | 422 => KxError::Invalid { message },
            code @ (429 | 500..=599) => KxError::Busy {
                code,
                reason: status.reason.clone(),
                message,
            },
            code => KxError::Other(format!("{code} {}: {message}", status.reason)),
        }
    }
}

/// Reads the API server's RBAC wording (`pods "web" is forbidden: User "u" cannot get resource
/// "pods/log" in API group "" in the namespace "shop"`) into its parts.
pub fn denial_of(message: &str) -> Denial {
    let raw = || Denial {
        user: None,
        verb: String::new(),
        resource: String::new(),
        name: None,
        namespace: None,
        raw: Some(message.to_string()),
    };
    let Some((subject, rest)) = message.split_once(" is forbidden: ") else {
        return raw();
    };
    let quoted = |text: &str, after: &str| -> Option<String> {
        let start = text.find(after)? + after.len();
        let tail = text[start..].strip_prefix('"')?;
        Some(tail[..tail.find('"')?].to_string())
    };
    let Some(user) = quoted(rest, "User ") else {
        return raw();
    };
    let Some(verb) = rest
        .split_once(" cannot ")
        .and_then(|(_, t)| t.split_whitespace().next())
        .map(str::to_string)
    else {
        return raw();
    };
    let Some(resource) = quoted(rest, "resource ") else {
        return raw();
    };
    let group = quoted(rest, "in API group ").unwrap_or_default();
    let namespace = quoted(rest, "in the namespace ");
    // The subject is `pods "web-1"` when the request named an object.
    let name = subject
        .split_once(' ')
        .and_then(|(_, n)| n.strip_prefix('"')?.strip_suffix('"'))
        .map(str::to_string);
    let resource = match resource.split_once('/') {
        _ if group.is_empty() => resource,
        Some((plural, sub)) => format!("{plural}.{group}/{sub}"),
        None => format!("{resource}.{group}"),
    };
    Denial {
        user: Some(user),
        verb,
        resource,
        name,
        namespace,
        raw: None,
    }
}

/// Server text on one line: no newlines, and no control characters (a message must not drive
/// the terminal it is printed on).
pub fn one_line(text: &str) -> String {
    let joined: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    joined
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The server URL a failure happened at: `connect` wraps every failed request in this, so
/// errors name the server without every caller carrying it around.
#[derive(Debug)]
pub struct AtServer {
    pub url: String,
    pub source: tower::BoxError,
}

impl std::fmt::Display for AtServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}: {}", self.url, self.source)
    }
}

impl std::error::Error for AtServer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Every cause in an error's chain, looking inside `io::Error`s too (their `source` skips the
/// error they wrap, which is where rustls puts its verdict).
fn causes<'a>(
    top: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(top);
    while let Some(e) = next {
        out.push(e);
        if out.len() > 32 {
            break;
        }
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    out
}

/// Classifies a kube client error. Never fails: what is not recognised keeps its own words,
/// on one line.
pub fn classify(e: &kube::Error) -> KxError {
    match e {
        kube::Error::Api(status) => KxError::from_status(status),
        kube::Error::SerdeError(d) => KxError::Decode {
            message: one_line(&d.to_string()),
        },
        _ => classify_chain(e),
    }
}

/// Classifies a kube-runtime watcher's error (a list, a watch start, a watch event).
pub fn classify_watcher(e: &kube::runtime::watcher::Error) -> KxError {
    use kube::runtime::watcher::Error as W;
    match e {
        W::InitialListFailed(k) | W::WatchStartFailed(k) | W::WatchFailed(k) => classify(k),
        W::WatchError(status) => KxError::from_status(status),
        W::NoResourceVersion => KxError::Other(
            "the server sent no resourceVersion (does this resource support watch?)".into(),
        ),
    }
}

fn classify_chain(top: &(dyn std::error::Error + 'static)) -> KxError {
    let chain = causes(top);
    let url = chain
        .iter()
        .find_map(|e| e.downcast_ref::<AtServer>())
        .map(|a| a.url.clone())
        .unwrap_or_else(|| "the configured server".to_string());
    for e in &chain {
        if let Some(auth) = e.downcast_ref::<kube::client::AuthError>() {
            return from_auth(auth);
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return KxError::Tls {
                url,
                problem: tls_problem(tls),
            };
        }
    }
    // Name resolution fails inside hyper-util's connector, whose error says "dns error" and
    // wraps getaddrinfo's text; there is no typed kind for it.
    if chain.iter().any(|e| e.to_string().starts_with("dns error")) {
        let host = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .unwrap_or_default()
            .to_string();
        return KxError::Unreachable {
            url,
            cause: Unreachable::Dns { host },
        };
    }
    for e in &chain {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            let cause = match io.kind() {
                K::ConnectionRefused => Unreachable::Refused,
                K::TimedOut => Unreachable::TimedOut,
                K::ConnectionReset
                | K::ConnectionAborted
                | K::BrokenPipe
                | K::UnexpectedEof
                | K::NotConnected => Unreachable::Reset,
                _ => continue,
            };
            return KxError::Unreachable { url, cause };
        }
        if e.downcast_ref::<tokio::time::error::Elapsed>().is_some() {
            return KxError::Unreachable {
                url,
                cause: Unreachable::TimedOut,
            };
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return KxError::Unreachable {
                    url,
                    cause: Unreachable::TimedOut,
                };
            }
            if h.is_incomplete_message() || h.is_canceled() || h.is_closed() {
                return KxError::Unreachable {
                    url,
                    cause: Unreachable::Reset,
                };
            }
        }
    }
    // Unknown: the deepest cause says most, once.
    let deepest = chain
        .last()
        .map(|e| one_line(&e.to_string()))
        .unwrap_or_default();
    if chain.iter().any(|e| e.downcast_ref::<AtServer>().is_some()) {
        KxError::Unreachable {
            url,
            cause: Unreachable::Other(deepest),
        }
    } else {
        KxError::Other(deepest)
    }
}

fn from_auth(auth: &kube::client::AuthError) -> KxError {
    use kube::client::AuthError as A;
    match auth {
        A::AuthExecRun { cmd, out } => KxError::CredentialPlugin {
            command: plugin_command(cmd),
            code: out.status.code(),
            stderr: one_line(&String::from_utf8_lossy(&out.stderr)),
        },
        A::AuthExecStart(io) => KxError::CredentialPlugin {
            command: "(exec)".into(),
            code: None,
            stderr: format!("cannot start it: {io}"),
        },
        other => KxError::CredentialPlugin {
            command: "(exec)".into(),
            code: None,
            stderr: one_line(&other.to_string()),
        },
    }
}

/// kube words a plugin's command with its environment in front
/// (`KUBERNETES_EXEC_INFO="{…}" "/usr/bin/aws" "eks" …`); people know it as `/usr/bin/aws eks …`.
fn plugin_command(cmd: &str) -> String {
    match shell_words::split(cmd) {
        Ok(words) => words
            .into_iter()
            .skip_while(|w| {
                w.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            })
            .collect::<Vec<_>>()
            .join(" "),
        Err(_) => cmd.to_string(),
    }
}

fn unix_date(t: &rustls::pki_types::UnixTime) -> Option<String> {
    let secs = i64::try_from(t.as_secs()).ok()?;
    jiff::Timestamp::from_second(secs)
        .ok()
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// rustls names a certificate's subjects as `DnsName("localhost")` and `IpAddress(0::1)`;
/// people know them as `localhost` and `::1`.
fn plain_name(presented: &str) -> String {
    let inner = presented
        .strip_prefix("DnsName(\"")
        .and_then(|r| r.strip_suffix("\")"))
        .or_else(|| {
            presented
                .strip_prefix("IpAddress(")
                .and_then(|r| r.strip_suffix(')'))
        })
        .unwrap_or(presented);
    match inner.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => inner.to_string(),
    }
}

fn tls_problem(e: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature => TlsProblem::UnknownAuthority,
            C::Expired => TlsProblem::Expired { not_after: None },
            C::ExpiredContext { not_after, .. } => TlsProblem::Expired {
                not_after: unix_date(not_after),
            },
            C::NotValidYet => TlsProblem::NotYetValid { not_before: None },
            C::NotValidYetContext { not_before, .. } => TlsProblem::NotYetValid {
                not_before: unix_date(not_before),
            },
            C::NotValidForName => TlsProblem::WrongHost {
                expected: "this address".into(),
                presented: "other names".into(),
            },
            C::NotValidForNameContext {
                expected,
                presented,
            } => TlsProblem::WrongHost {
                expected: expected.to_str().into_owned(),
                presented: presented
                    .iter()
                    .map(|p| plain_name(p))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            other => TlsProblem::Other(format!("{other:?}")),
        },
        rustls::Error::AlertReceived(alert) => {
            use rustls::AlertDescription as A;
            match alert {
                A::CertificateExpired
                | A::BadCertificate
                | A::CertificateRequired
                | A::CertificateRevoked
                | A::CertificateUnknown
                | A::UnknownCA
                | A::AccessDenied => TlsProblem::ClientCertRefused {
                    alert: format!("{alert:?}"),
                },
                other => TlsProblem::Other(format!("the server sent alert {other:?}")),
            }
        }
        other => TlsProblem::Other(one_line(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(inner: impl std::error::Error + Send + Sync + 'static) -> kube::Error {
        kube::Error::Service(Box::new(AtServer {
            url: "https://10.0.0.1:6443".into(),
            source: Box::new(inner),
        }))
    }

    #[test]
    fn a_refused_connection_names_the_server() {
        let e = wrapped(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let got = classify(&e);
        assert_eq!(
            got,
            KxError::Unreachable {
                url: "https://10.0.0.1:6443".into(),
                cause: Unreachable::Refused
            }
        );
        assert_eq!(
            got.to_string(),
            "cannot reach the API server at https://10.0.0.1:6443: connection refused; is the cluster running, and is this the right context?"
        );
        assert!(got.is_transient());
    }

    #[test]
    fn tls_verdicts_inside_io_errors_are_found_and_worded() {
        let tls = |c: rustls::CertificateError| {
            classify(&wrapped(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(c),
            )))
        };
        let unknown = tls(rustls::CertificateError::UnknownIssuer);
        assert!(
            unknown
                .to_string()
                .contains("signed by an authority the kubeconfig does not trust"),
            "{unknown}"
        );
        let day = rustls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000));
        let expired = tls(rustls::CertificateError::ExpiredContext {
            time: day,
            not_after: day,
        });
        assert_eq!(
            expired,
            KxError::Tls {
                url: "https://10.0.0.1:6443".into(),
                problem: TlsProblem::Expired {
                    not_after: Some("2023-11-14 22:13:20 UTC".into())
                }
            }
        );
        let early = tls(rustls::CertificateError::NotValidYetContext {
            time: day,
            not_before: day,
        });
        assert!(
            early.to_string().contains(
                "not valid yet until 2023-11-14 22:13:20 UTC; check this machine's clock"
            ),
            "{early}"
        );
        let host = tls(rustls::CertificateError::NotValidForNameContext {
            expected: rustls::pki_types::ServerName::try_from("api.example.com")
                .unwrap()
                .to_owned(),
            presented: vec!["localhost".into(), "127.0.0.1".into()],
        });
        assert!(
            host.to_string().contains(
                "its certificate is for localhost, 127.0.0.1 but kx connected to api.example.com"
            ),
            "{host}"
        );
        let refused = classify(&wrapped(std::io::Error::other(
            rustls::Error::AlertReceived(rustls::AlertDescription::CertificateExpired),
        )));
        assert!(
            refused
                .to_string()
                .contains("refused kx's client certificate (CertificateExpired)"),
            "{refused}"
        );
        assert!(!refused.is_transient());
    }

    #[test]
    fn statuses_become_kinds_callers_branch_on() {
        let status = |code: u16, reason: &str, message: &str| kube::core::Status {
            code,
            reason: reason.into(),
            message: message.into(),
            ..Default::default()
        };
        let denied = classify(&kube::Error::Api(Box::new(status(
            403,
            "Forbidden",
            "pods \"web-1\" is forbidden: User \"ops\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"shop\"",
        ))));
        assert_eq!(
            denied.to_string(),
            "forbidden: user \"ops\" cannot get the log of pods/web-1 in namespace shop (RBAC); ask for access or use another context"
        );
        let cluster_wide = denial_of(
            "nodes is forbidden: User \"ops\" cannot list resource \"nodes\" in API group \"\" at the cluster scope",
        );
        assert_eq!(
            (
                cluster_wide.verb.as_str(),
                cluster_wide.resource.as_str(),
                cluster_wide.namespace
            ),
            ("list", "nodes", None)
        );
        let grouped = denial_of(
            "deployments.apps \"api\" is forbidden: User \"kx-sim\" cannot delete resource \"deployments\" in API group \"apps\" in the namespace \"shop\"",
        );
        assert_eq!(
            (grouped.resource.as_str(), grouped.name.as_deref()),
            ("deployments.apps", Some("api"))
        );
        let odd = denial_of("access denied by policy webhook");
        assert_eq!(odd.raw.as_deref(), Some("access denied by policy webhook"));
        assert!(
            classify(&kube::Error::Api(Box::new(status(
                503,
                "ServiceUnavailable",
                "try later"
            ))))
            .is_transient()
        );
        assert!(classify(&kube::Error::Api(Box::new(status(409, "Conflict", "x")))).is_conflict());
        assert_eq!(
            classify(&kube::Error::Api(Box::new(status(401, "Unauthorized", "")))).to_string(),
            "the API server rejected kx's credentials (401 Unauthorized): the token or certificate is wrong or has expired; log in again or refresh the kubeconfig"
        );
    }

    #[test]
    fn a_plugin_is_named_by_its_command_not_its_environment() {
        assert_eq!(
            plugin_command(
                r#"KUBERNETES_EXEC_INFO="{\"kind\":\"ExecCredential\"}" "/usr/bin/aws" "eks" "get-token""#
            ),
            "/usr/bin/aws eks get-token"
        );
    }

    #[test]
    fn a_timeout_and_an_unknown_cause_are_one_line_each() {
        let timeout = wrapped(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(matches!(
            classify(&timeout),
            KxError::Unreachable {
                cause: Unreachable::TimedOut,
                ..
            }
        ));
        let odd = wrapped(std::io::Error::other("line one\nline\u{1b}[2J two"));
        assert_eq!(
            classify(&odd).to_string(),
            "cannot reach the API server at https://10.0.0.1:6443: line one line [2J two"
        );
    }

    #[test]
    fn context_lists_are_capped_and_say_how_to_pick() {
        let e = KxError::ContextNotFound {
            name: "prod".into(),
            path: "/home/me/.kube/config".into(),
            available: (0..10).map(|i| format!("c{i}")).collect(),
        };
        assert_eq!(
            e.to_string(),
            "context \"prod\" is not in /home/me/.kube/config; pick one with --context or :ctx (there: c0, c1, c2, c3, c4, c5, c6, c7 and 2 more)"
        );
    }
}
