//! kx: a terminal UI for exploring and operating Kubernetes clusters.

pub mod age;
pub mod app;
pub mod changes;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod duration;
pub mod edit;
pub mod history;
pub mod logs;
pub mod sim;
pub mod term;
pub mod trace;
