//! kx: a terminal UI for exploring and operating Kubernetes clusters.
//!
//! The layers point one way: `main → cmd → tui → {logs, history, diff, edit, trace} →
//! cluster`, with `sim` (the simulated API server) beside them, using none. See
//! ARCHITECTURE.md.

pub mod age;
pub mod cli;
pub mod cluster;
pub mod cmd;
pub mod complete;
pub mod config;
pub mod diff;
pub mod duration;
pub mod edit;
pub mod explain;
pub mod history;
pub mod import;
pub mod lint;
pub mod logs;
pub mod memory;
pub mod paint;
pub mod remote;
pub mod sim;
pub mod text;
pub mod trace;
pub mod tui;
pub mod xray;
