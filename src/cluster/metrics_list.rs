//! Reading the metrics API's list (`metrics.k8s.io` pods or nodes) as it streams in, item by
//! item: at 100k pods the list is tens of megabytes, and holding it whole (the text, a tree of
//! it, a map of every name) once every 15 s left the process half again as large. Only each
//! item's names and summed usage are read; the caller keeps what it needs of them.

use super::backoff::retry_kube;
use super::figures::Amounts;
use super::quantity::{bytes, millicores};
use kube::Client;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::time::Duration;

/// How long one reading is retried through transient failures.
const PATIENCE: Duration = Duration::from_secs(10);

/// Hears each item of the list: its namespace (empty for a node), name and usage.
pub trait Each {
    fn item(&mut self, namespace: &str, name: &str, used: Amounts);
}

/// How long the list may take to arrive once the server answers: a body that stalls
/// (a half-open connection after a VPN drop) must not hold a thread for good.
const READ_LIMIT: Duration = Duration::from_secs(60);

/// Reads the list at `path` into `each`, and gives it back; None when the metrics API is not
/// served, Err (saying why) when the reading failed.
pub async fn read<E: Each + Send + 'static>(
    client: &Client,
    path: &str,
    each: E,
) -> Result<Option<E>, String> {
    read_within(client, path, each, READ_LIMIT).await
}

/// `read`, with `limit` for the list to arrive once the server answers.
pub async fn read_within<E: Each + Send + 'static>(
    client: &Client,
    path: &str,
    mut each: E,
    limit: Duration,
) -> Result<Option<E>, String> {
    // Failures now and then are retried; a 503 that lasts is a metrics server that is down.
    let got = retry_kube(PATIENCE, || async {
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(kube::Error::HttpError)?;
        client.request_stream(req).await
    })
    .await;
    let body = match got {
        Ok(body) => body,
        // 404: no such API group; 503: the APIService is registered but its server is down.
        Err(Some(kube::Error::Api(e))) if e.code == 404 || e.code == 503 => return Ok(None),
        Err(Some(e)) => return Err(super::errors::classify(&e).to_string()),
        Err(None) => return Err(format!("no answer within {} s", PATIENCE.as_secs())),
    };
    use tokio_util::compat::FuturesAsyncReadCompatExt;
    // Cancelled when the time is up or this reading is dropped (its list closed): the parse
    // then stops at its next read. No timer is polled on the parse's side, where the runtime
    // may already be shutting down.
    let stop = tokio_util::sync::CancellationToken::new();
    let body = Cancellable {
        inner: body.compat(),
        stop: Box::pin(stop.clone().cancelled_owned()),
    };
    let body = tokio_util::io::SyncIoBridge::new(body);
    let _stop_on_drop = stop.clone().drop_guard();
    // The parse reads the body as it arrives, so it waits on the network: off the runtime's
    // threads.
    let parsed = tokio::task::spawn_blocking(move || {
        parse(std::io::BufReader::new(body), &mut each)
            .map(|()| Some(each))
            .map_err(|e| format!("the metrics list could not be read: {e}"))
    });
    match tokio::time::timeout(limit, parsed).await {
        Ok(joined) => joined.map_err(|e| e.to_string())?,
        Err(_) => Err(format!(
            "the metrics list took over {} s to arrive",
            limit.as_secs_f64()
        )),
    }
}

/// A reader that fails once `stop` is cancelled.
struct Cancellable<R> {
    inner: R,
    stop: std::pin::Pin<Box<tokio_util::sync::WaitForCancellationFutureOwned>>,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Cancellable<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::future::Future;
        if self.stop.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the reading was stopped",
            )));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

/// Reads a list from `reader` into `each`.
pub fn parse(reader: impl std::io::Read, each: &mut impl Each) -> serde_json::Result<()> {
    let mut json = serde_json::Deserializer::from_reader(reader);
    de::Deserializer::deserialize_map(&mut json, List(each))?;
    json.end()
}

/// The list: its `items`, the rest read past.
struct List<'e, E>(&'e mut E);

impl<'de, E: Each> Visitor<'de> for List<'_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a metrics list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(Items(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Items<'e, E>(&'e mut E);

impl<'de, E: Each> DeserializeSeed<'de> for Items<'_, E> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E: Each> Visitor<'de> for Items<'_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Item>()? {
            let used = item.containers.unwrap_or(Amounts {
                cpu: item.usage.cpu,
                mem: item.usage.memory,
            });
            self.0
                .item(&item.metadata.namespace, &item.metadata.name, used);
        }
        Ok(())
    }

    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        Ok(())
    }
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    metadata: Name,
    /// Pods report per container, nodes as a whole.
    #[serde(default, deserialize_with = "summed")]
    containers: Option<Amounts>,
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize, Default)]
struct Name {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(Deserialize, Default)]
struct Container {
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default, deserialize_with = "cpu")]
    cpu: u64,
    #[serde(default, deserialize_with = "memory")]
    memory: u64,
}

/// A quantity as the API writes it (a string; a bare number from a hand-written client), read
/// with its parser; what does not parse counts as nothing.
struct QuantityOf(fn(&str) -> Option<u64>);

impl Visitor<'_> for QuantityOf {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a quantity")
    }

    fn visit_str<Er: de::Error>(self, v: &str) -> Result<u64, Er> {
        Ok((self.0)(v).unwrap_or(0))
    }

    fn visit_u64<Er: de::Error>(self, v: u64) -> Result<u64, Er> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<Er: de::Error>(self, v: i64) -> Result<u64, Er> {
        self.visit_str(&v.to_string())
    }

    fn visit_f64<Er: de::Error>(self, v: f64) -> Result<u64, Er> {
        self.visit_str(&v.to_string())
    }

    fn visit_unit<Er: de::Error>(self) -> Result<u64, Er> {
        Ok(0)
    }
}

fn cpu<'de, D: de::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(QuantityOf(millicores))
}

fn memory<'de, D: de::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(QuantityOf(bytes))
}

/// A pod's containers' usage, summed as the list is read.
fn summed<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<Amounts>, D::Error> {
    struct Sum;
    impl<'de> Visitor<'de> for Sum {
        type Value = Option<Amounts>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of containers")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut sum = Amounts::default();
            while let Some(c) = seq.next_element::<Container>()? {
                // A quantity past u64 reads as its largest value; sums stop there too.
                sum.cpu = sum.cpu.saturating_add(c.usage.cpu);
                sum.mem = sum.mem.saturating_add(c.usage.memory);
            }
            Ok(Some(sum))
        }

        fn visit_unit<Er: de::Error>(self) -> Result<Self::Value, Er> {
            Ok(None)
        }
    }
    d.deserialize_any(Sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Seen(HashMap<(String, String), Amounts>);

    impl Each for Seen {
        fn item(&mut self, namespace: &str, name: &str, used: Amounts) {
            self.0.insert((namespace.into(), name.into()), used);
        }
    }

    #[test]
    fn each_item_is_heard_with_its_containers_summed() {
        let text = r#"{"kind":"PodMetricsList","metadata":{"resourceVersion":""},"items":[
            {"metadata":{"name":"web-1","namespace":"shop"},"containers":[
                {"name":"app","usage":{"cpu":"150000000n","memory":"64Mi"}},
                {"name":"proxy","usage":{"cpu":"50m","memory":"1024Ki"}}]},
            {"metadata":{"name":"w\u0065b-2","namespace":"shop"},"containers":[
                {"usage":{"cpu":2,"memory":1048576}}]},
            {"metadata":{"name":"kx-worker-1"},"usage":{"cpu":"1500m","memory":"2Gi"}},
            {"metadata":{"name":"odd","namespace":"shop"},"containers":null,"usage":{"cpu":"lots"}}],
            "apiVersion":"metrics.k8s.io/v1beta1"}"#;
        let mut seen = Seen::default();
        parse(text.as_bytes(), &mut seen).unwrap();
        let at = |ns: &str, name: &str| seen.0.get(&(ns.into(), name.into())).copied();
        let amounts = |cpu, mem| Some(Amounts { cpu, mem });
        assert_eq!(at("shop", "web-1"), amounts(200, 65 << 20));
        // Escaped names and bare numbers are read too.
        assert_eq!(at("shop", "web-2"), amounts(2000, 1 << 20));
        assert_eq!(at("", "kx-worker-1"), amounts(1500, 2 << 30));
        // What does not parse counts as nothing; it does not lose the rest of the reading.
        assert_eq!(at("shop", "odd"), amounts(0, 0));
        // A list cut off mid-way is an error, not a short reading.
        let cut = &text[..text.len() / 2];
        assert!(parse(cut.as_bytes(), &mut Seen::default()).is_err());
    }
}
