//! The log engine, shared by `kx logs` and the TUI's log view: which containers a query
//! follows (`select`), the live set of them as pods come and go (`tail`), each container's
//! stream resumed without losing or repeating a line (`stream`), the merge into timestamp
//! order (`order`) and how a line is printed (`format`). No command-line or UI code here.

pub mod format;
pub mod order;
pub mod select;
pub mod stream;
pub mod tail;
