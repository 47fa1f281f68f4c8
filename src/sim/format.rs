//! How a response is shaped: full objects, server-side Tables, or metadata only — chosen by
//! the `Accept` header exactly as the API server chooses it.

use super::registry::ResourceType;
use super::store::Stored;
use super::table;
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Full,
    Table(IncludeObject),
    Metadata,
}

impl Format {
    pub fn negotiate(accept: &str, include_object: Option<&str>) -> Format {
        // The client lists what it takes in order of preference; take the first we serve.
        for part in accept.split(',') {
            let p = part.replace(' ', "");
            if p.contains("as=Table") {
                let include = match include_object {
                    Some("None") => IncludeObject::None,
                    Some("Object") => IncludeObject::Object,
                    _ => IncludeObject::Metadata,
                };
                return Format::Table(include);
            }
            if p.contains("as=PartialObjectMetadata") {
                return Format::Metadata;
            }
            if p.starts_with("application/json") || p.starts_with("*/*") || p.is_empty() {
                return Format::Full;
            }
        }
        Format::Full
    }
}

pub fn partial_metadata(stored: &Stored) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": stored.metadata})
}

fn table_row(stored: &Stored, include: IncludeObject, now: i64) -> Value {
    let mut row = json!({"cells": table::render_cells(&stored.cells, now)});
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => row["object"] = partial_metadata(stored),
        IncludeObject::Object => row["object"] = stored.value(),
    }
    row
}

/// A Table of the given objects.
pub fn table(
    rt: &ResourceType,
    items: &[std::sync::Arc<Stored>],
    include: IncludeObject,
    list_meta: Value,
    with_columns: bool,
    now: i64,
) -> Value {
    let rows: Vec<Value> = items.iter().map(|s| table_row(s, include, now)).collect();
    let mut t = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "rows": rows,
    });
    t["columnDefinitions"] = if with_columns {
        table::column_definitions(rt)
    } else {
        json!([])
    };
    t
}

/// The body of a list in the given format, written without re-parsing the stored objects.
pub fn list_body(
    rt: &ResourceType,
    items: &[std::sync::Arc<Stored>],
    format: Format,
    list_meta: Value,
    now: i64,
) -> Bytes {
    match format {
        Format::Table(include) => Bytes::from(
            serde_json::to_vec(&table(rt, items, include, list_meta, true, now))
                .unwrap_or_default(),
        ),
        Format::Metadata => {
            let body = json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": list_meta,
                "items": items.iter().map(|s| partial_metadata(s)).collect::<Vec<_>>(),
            });
            Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
        }
        Format::Full => {
            let size: usize = items.iter().map(|s| s.json.len() + 1).sum();
            let mut out = BytesMut::with_capacity(size + 256);
            let head = json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": list_meta});
            let head = serde_json::to_vec(&head).unwrap_or_default();
            // Splice `"items":[…]` in before the closing brace of the head.
            out.put_slice(&head[..head.len() - 1]);
            out.put_slice(b",\"items\":[");
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.put_u8(b',');
                }
                out.put_slice(&s.json);
            }
            out.put_slice(b"]}");
            out.freeze()
        }
    }
}

/// One object in the given format (for get, and for each watch event).
pub fn object_body(
    rt: &ResourceType,
    stored: &std::sync::Arc<Stored>,
    format: Format,
    with_columns: bool,
    now: i64,
) -> Bytes {
    match format {
        Format::Full => stored.json.clone(),
        Format::Metadata => {
            Bytes::from(serde_json::to_vec(&partial_metadata(stored)).unwrap_or_default())
        }
        Format::Table(include) => {
            let t = table(
                rt,
                std::slice::from_ref(stored),
                include,
                json!({"resourceVersion": stored.rv.to_string()}),
                with_columns,
                now,
            );
            Bytes::from(serde_json::to_vec(&t).unwrap_or_default())
        }
    }
}

/// `{"type":TYPE,"object":BODY}` and a newline.
pub fn watch_line(type_: &str, body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(body.len() + 32);
    out.put_slice(b"{\"type\":\"");
    out.put_slice(type_.as_bytes());
    out.put_slice(b"\",\"object\":");
    out.put_slice(body);
    out.put_slice(b"}\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_pick_the_first_served_form() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(
            Format::negotiate(kubectl, None),
            Format::Table(IncludeObject::Metadata)
        );
        assert_eq!(
            Format::negotiate(kubectl, Some("None")),
            Format::Table(IncludeObject::None)
        );
        let meta =
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
        assert_eq!(Format::negotiate(meta, None), Format::Metadata);
        assert_eq!(
            Format::negotiate("application/json, */*", None),
            Format::Full
        );
        assert_eq!(Format::negotiate("", None), Format::Full);
    }

    #[test]
    fn full_lists_splice_raw_objects_into_valid_json() {
        let rt = crate::sim::registry::builtin_types()
            .into_iter()
            .find(|t| t.kind == "ConfigMap")
            .unwrap();
        let a = std::sync::Arc::new(Stored::new(
            &rt,
            &json!({"metadata": {"name": "a", "namespace": "x"}}),
        ));
        let body = list_body(
            &rt,
            &[a.clone(), a],
            Format::Full,
            json!({"resourceVersion": "7"}),
            0,
        );
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["kind"], "ConfigMapList");
        assert_eq!(v["items"].as_array().unwrap().len(), 2);
        assert_eq!(v["metadata"]["resourceVersion"], "7");
    }
}
