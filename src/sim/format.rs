//! How a response is shaped: full objects, server-side Tables, or metadata only — chosen by
//! the `Accept` header exactly as the API server chooses it.

use super::registry::ResourceType;
use super::store::Stored;
use super::table;
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Value, json};
use std::sync::Arc;

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

/// `{"kind":"PartialObjectMetadata",…,"metadata":…}`, spliced from the stored bytes.
pub fn partial_metadata(stored: &Stored, out: &mut BytesMut) {
    out.put_slice(
        b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":",
    );
    out.put_slice(&stored.metadata_json);
    out.put_u8(b'}');
}

fn table_row(stored: &Stored, include: IncludeObject, now: i64, out: &mut BytesMut) {
    out.put_slice(b"{\"cells\":");
    out.put_slice(
        &serde_json::to_vec(&table::render_cells(&stored.cells, now))
            .unwrap_or_else(|_| b"[]".to_vec()),
    );
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            out.put_slice(b",\"object\":");
            partial_metadata(stored, out);
        }
        IncludeObject::Object => {
            out.put_slice(b",\"object\":");
            out.put_slice(&stored.json);
        }
    }
    out.put_u8(b'}');
}

/// Writes `head` (a JSON object) with `"name":[items…]` added at its end.
fn with_array<T>(
    head: &Value,
    name: &str,
    items: &[T],
    mut write: impl FnMut(&T, &mut BytesMut),
    size_hint: usize,
) -> Bytes {
    let head = serde_json::to_vec(head).unwrap_or_else(|_| b"{}".to_vec());
    let mut out = BytesMut::with_capacity(size_hint + head.len() + 64);
    out.put_slice(&head[..head.len() - 1]);
    if head.len() > 2 {
        out.put_u8(b',');
    }
    out.put_u8(b'"');
    out.put_slice(name.as_bytes());
    out.put_slice(b"\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        write(item, &mut out);
    }
    out.put_slice(b"]}");
    out.freeze()
}

/// A Table of the given objects, written without re-parsing them.
pub fn table(
    rt: &ResourceType,
    items: &[Arc<Stored>],
    include: IncludeObject,
    list_meta: Value,
    with_columns: bool,
    now: i64,
) -> Bytes {
    let columns = if with_columns {
        table::column_definitions(rt)
    } else {
        json!([])
    };
    let head = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "columnDefinitions": columns});
    let per_row = match include {
        IncludeObject::None => 200,
        IncludeObject::Metadata => 900,
        IncludeObject::Object => 4000,
    };
    with_array(
        &head,
        "rows",
        items,
        |s, out| table_row(s, include, now, out),
        items.len() * per_row,
    )
}

/// The body of a list in the given format, written without re-parsing the stored objects.
pub fn list_body(
    rt: &ResourceType,
    items: &[Arc<Stored>],
    format: Format,
    list_meta: Value,
    now: i64,
) -> Bytes {
    match format {
        Format::Table(include) => table(rt, items, include, list_meta, true, now),
        Format::Metadata => {
            let head = json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta});
            with_array(
                &head,
                "items",
                items,
                |s, out| partial_metadata(s, out),
                items.len() * 800,
            )
        }
        Format::Full => {
            let head = json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": list_meta});
            let size: usize = items.iter().map(|s| s.json.len() + 1).sum();
            with_array(&head, "items", items, |s, out| s.item_json(out), size)
        }
    }
}

/// One object in the given format (for get, and for each watch event).
pub fn object_body(
    rt: &ResourceType,
    stored: &Arc<Stored>,
    format: Format,
    with_columns: bool,
    now: i64,
) -> Bytes {
    match format {
        Format::Full => stored.json.clone(),
        Format::Metadata => {
            let mut out = BytesMut::with_capacity(stored.metadata_json.len() + 80);
            partial_metadata(stored, &mut out);
            out.freeze()
        }
        Format::Table(include) => {
            let meta = json!({"resourceVersion": stored.rv.to_string()});
            table(
                rt,
                std::slice::from_ref(stored),
                include,
                meta,
                with_columns,
                now,
            )
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
        let a = Arc::new(Stored::new(
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
