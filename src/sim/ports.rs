//! What listens inside a simulated pod, for port-forwards to reach: every declared container
//! port answers HTTP naming the pod and port (and `/bytes/N` streams N bytes, for throughput),
//! and port 7 echoes whatever it is sent. Connections are in-memory pipes, one per forwarded
//! connection; any other port refuses, as a pod with nothing listening does.

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::StreamBody;
use hyper::body::Frame;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::convert::Infallible;
use tokio::io::DuplexStream;

/// The echo port every simulated pod listens on.
pub const ECHO_PORT: u16 = 7;

/// Large enough that a pipe is never the slowest part of a forward.
const PIPE_BYTES: usize = 256 * 1024;

const CHUNK: usize = 64 * 1024;
static FILLER: [u8; CHUNK] = [b'x'; CHUNK];

/// Who answers on a port of a pod.
#[derive(Debug, Clone)]
pub struct Listener {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub port: u16,
}

/// The container of a running pod listening on `port`, or why the connection is refused (in
/// the words the kubelet's port-forward uses).
pub fn find(pod: &Value, port: u16) -> Result<Option<Listener>, String> {
    let namespace = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    if port == ECHO_PORT {
        return Ok(None);
    }
    let declared = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["containerPort"].as_u64() == Some(u64::from(port)))
        });
    match declared {
        Some(c) => Ok(Some(Listener {
            namespace: namespace.to_string(),
            pod: name.to_string(),
            container: c["name"].as_str().unwrap_or_default().to_string(),
            port,
        })),
        None => Err(format!(
            "error forwarding port {port} to pod {name}, uid {uid}: failed to connect to localhost:{port} inside namespace \"{namespace}\": dial tcp4 127.0.0.1:{port}: connect: connection refused"
        )),
    }
}

/// Opens a connection to `port` of `pod`: the caller's end of the pipe, with the pod's side
/// served in the background.
pub fn open(pod: &Value, port: u16) -> Result<DuplexStream, String> {
    let listener = find(pod, port)?;
    let (ours, theirs) = tokio::io::duplex(PIPE_BYTES);
    match listener {
        None => {
            tokio::spawn(async move {
                let (mut r, mut w) = tokio::io::split(theirs);
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
        Some(listener) => {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let listener = listener.clone();
                    async move { Ok::<_, Infallible>(answer(&listener, &req)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(theirs), service)
                    .await;
            });
        }
    }
    Ok(ours)
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn answer<B>(l: &Listener, req: &Request<B>) -> Response<Body> {
    let path = req.uri().path();
    if let Some(n) = path
        .strip_prefix("/bytes/")
        .and_then(|n| n.parse::<u64>().ok())
    {
        let chunks = n / CHUNK as u64;
        let rest = (n % CHUNK as u64) as usize;
        let stream = futures::stream::iter(0..chunks)
            .map(|_| Bytes::from_static(&FILLER))
            .chain(futures::stream::iter(
                (rest > 0).then(|| Bytes::from_static(&FILLER[..rest])),
            ))
            .map(|b| Ok::<_, Infallible>(Frame::data(b)));
        let mut resp = Response::new(http_body_util::BodyExt::boxed(StreamBody::new(stream)));
        if let Ok(len) = n.to_string().parse() {
            resp.headers_mut()
                .insert(hyper::header::CONTENT_LENGTH, len);
        }
        return resp;
    }
    let text = format!(
        "kx-sim: pod {}/{} container {} port {} path {}\n",
        l.namespace, l.pod, l.container, l.port, path
    );
    Response::new(http_body_util::BodyExt::boxed(http_body_util::Full::new(
        Bytes::from(text),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn pod() -> Value {
        json!({"metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1"},
               "spec": {"containers": [{"name": "nginx", "ports": [{"containerPort": 80}]}]}})
    }

    #[tokio::test]
    async fn a_declared_port_answers_http_naming_the_pod() {
        let mut conn = open(&pod(), 80).unwrap();
        conn.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        conn.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
        assert!(
            out.ends_with("kx-sim: pod shop/web-1 container nginx port 80 path /hello\n"),
            "{out}"
        );
    }

    #[tokio::test]
    async fn bytes_streams_exactly_n_bytes_and_echo_echoes() {
        let mut conn = open(&pod(), 80).unwrap();
        conn.write_all(b"GET /bytes/200000 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        conn.read_to_end(&mut out).await.unwrap();
        let body_at = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(out.len() - body_at, 200_000);

        let mut echo = open(&pod(), ECHO_PORT).unwrap();
        echo.write_all(b"ping").await.unwrap();
        let mut got = [0u8; 4];
        echo.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"ping");
    }

    #[test]
    fn other_ports_are_refused_in_the_kubelets_words() {
        let err = find(&pod(), 9999).unwrap_err();
        assert!(
            err.contains("error forwarding port 9999 to pod web-1"),
            "{err}"
        );
        assert!(err.contains("connection refused"), "{err}");
    }
}
