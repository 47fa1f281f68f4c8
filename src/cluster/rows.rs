//! Rows as the API server computes them (server-side Tables): kubectl's columns for every
//! resource, CRD printer columns included, at a fraction of the bytes of full objects.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub priority: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WireMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub uid: String,
    #[serde(rename = "resourceVersion", default)]
    pub resource_version: String,
    #[serde(rename = "creationTimestamp", default)]
    pub creation_timestamp: Option<String>,
    #[serde(rename = "deletionTimestamp", default)]
    pub deletion_timestamp: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WireObject {
    pub metadata: WireMeta,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WireRow {
    pub cells: Vec<Value>,
    pub object: Option<WireObject>,
}

/// A watch event's row with the whole object (`includeObject=Object`): the object's text is
/// kept as it came, for the revision history, and only its metadata parsed.
#[derive(Debug, Clone, Deserialize)]
pub struct WireFullRow {
    pub cells: Vec<Value>,
    pub object: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WireFullTable {
    #[serde(default)]
    pub rows: Vec<WireFullRow>,
}

/// A list page with whole objects (`includeObject=Object`), for small lists.
#[derive(Debug, Clone, Deserialize)]
pub struct WireFullList {
    #[serde(rename = "columnDefinitions", default)]
    pub columns: Vec<Column>,
    #[serde(default)]
    pub rows: Vec<WireFullRow>,
    #[serde(default)]
    pub metadata: ListMeta,
}

impl WireFullRow {
    /// The row, and the object's text when it parses.
    pub fn parts(&self) -> Option<(Row, &str)> {
        let raw = self.object.as_deref()?;
        let object: WireObject = serde_json::from_str(raw.get()).ok()?;
        Some((Row::from_parts(&object.metadata, &self.cells), raw.get()))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListMeta {
    #[serde(rename = "resourceVersion", default)]
    pub resource_version: String,
    #[serde(rename = "continue", default)]
    pub continue_: Option<String>,
}

/// `meta.k8s.io/v1` Table, as lists and watch events carry it.
#[derive(Debug, Clone, Deserialize)]
pub struct WireTable {
    #[serde(rename = "columnDefinitions", default)]
    pub columns: Vec<Column>,
    #[serde(default)]
    pub rows: Vec<WireRow>,
    #[serde(default)]
    pub metadata: ListMeta,
}

/// One row as kx keeps it: identity, age source and the cells as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub resource_version: String,
    /// Unix seconds, for ages that tick without refetching.
    pub created: Option<i64>,
    pub deleting: bool,
    pub cells: Vec<Box<str>>,
    /// Namespace, then every cell, one per line: what a `/filter` regex runs over, in one pass.
    pub search: Box<str>,
}

/// The text a row filter searches: one line per field, so `^` and `$` anchor to a field.
pub fn search_text(namespace: &str, cells: &[Box<str>]) -> Box<str> {
    let mut text =
        String::with_capacity(namespace.len() + cells.iter().map(|c| c.len() + 1).sum::<usize>());
    text.push_str(namespace);
    for c in cells {
        text.push('\n');
        text.push_str(c);
    }
    text.into_boxed_str()
}

fn cell_text(v: &Value) -> Box<str> {
    match v {
        Value::String(s) => s.as_str().into(),
        Value::Null => "".into(),
        other => other.to_string().into_boxed_str(),
    }
}

impl Row {
    /// Recomputes the filter text after the cells or namespace were set by hand.
    pub fn refresh_search(mut self) -> Self {
        self.search = search_text(&self.namespace, &self.cells);
        self
    }

    pub fn from_wire(row: &WireRow) -> Option<Row> {
        Some(Row::from_parts(&row.object.as_ref()?.metadata, &row.cells))
    }

    pub fn from_parts(meta: &WireMeta, cells: &[Value]) -> Row {
        let cells: Vec<Box<str>> = cells.iter().map(cell_text).collect();
        Row {
            search: search_text(&meta.namespace, &cells),
            uid: if meta.uid.is_empty() {
                format!("{}/{}", meta.namespace, meta.name)
            } else {
                meta.uid.clone()
            },
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
            resource_version: meta.resource_version.clone(),
            created: meta
                .creation_timestamp
                .as_deref()
                .and_then(crate::age::parse_timestamp),
            deleting: meta.deletion_timestamp.is_some(),
            cells,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_row_with_metadata_becomes_a_row_of_text_cells() {
        let table: WireTable = serde_json::from_value(serde_json::json!({
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "9"},
            "columnDefinitions": [{"name": "Name", "type": "string", "format": "name", "priority": 0},
                                  {"name": "Size", "type": "integer", "priority": 1}],
            "rows": [{"cells": ["w", 3], "object": {"kind": "PartialObjectMetadata", "metadata": {
                "name": "w", "namespace": "shop", "uid": "u1", "resourceVersion": "8",
                "creationTimestamp": "1970-01-01T00:01:00Z", "deletionTimestamp": "1970-01-01T00:02:00Z"}}}]
        }))
        .unwrap();
        assert_eq!(table.columns[1].priority, 1);
        let row = Row::from_wire(&table.rows[0]).unwrap();
        assert_eq!(row.cells, vec!["w".into(), "3".into()] as Vec<Box<str>>);
        assert_eq!(
            (row.uid.as_str(), row.created, row.deleting),
            ("u1", Some(60), true)
        );
    }
}
