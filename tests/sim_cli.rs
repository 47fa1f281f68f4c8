//! `kx sim` as a process: the address on the first line, a clean exit on SIGTERM, clear errors
//! for bad flags and a taken port, and the same seed giving the same cluster.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

fn kx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kx"))
}

fn start_sim(args: &[&str]) -> (Child, String) {
    let mut child = kx()
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kx sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the first line");
    (child, first.trim().to_string())
}

fn get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    child.wait().expect("kx sim exits")
}

#[test]
fn prints_the_bound_address_first_and_exits_zero_on_sigterm() {
    let (mut child, addr) = start_sim(&["--listen", "127.0.0.1:0", "--scenario", "empty"]);
    let port: u16 = addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("an address with a port");
    assert!(addr.starts_with("127.0.0.1:") && port > 0, "{addr}");
    assert!(get(&addr, "/version").contains("v1.36.0-kx-sim"));
    let status = terminate(&mut child);
    assert_eq!(status.code(), Some(0));
}

#[test]
fn unknown_flags_and_bad_values_exit_2_with_the_reason() {
    let out = kx().args(["sim", "--no-such-flag"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
    let out = kx()
        .args(["sim", "--error-code", "418"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("429, 500, 503"));
    let out = kx()
        .args(["sim", "--scenario", "huge"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let (mut first, addr) = start_sim(&["--scenario", "empty"]);
    let out = kx()
        .args(["sim", "--scenario", "empty", "--listen", &addr])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already in use") && err.contains(&addr),
        "{err}"
    );
    terminate(&mut first);
}

fn pod_names(seed: &str) -> Vec<String> {
    let (mut child, addr) = start_sim(&[
        "--scenario",
        "scale",
        "--pods",
        "40",
        "--namespaces",
        "2",
        "--seed",
        seed,
    ]);
    let body = get(&addr, "/api/v1/pods");
    terminate(&mut child);
    let json = body.split("\r\n\r\n").nth(1).unwrap_or_default();
    // The body may be chunked; the names are what matters.
    let mut names: Vec<String> = json
        .match_indices("\"name\":\"app-")
        .map(|(i, _)| {
            json[i + 8..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .filter(|n| n.matches('-').count() == 3)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_same_seed_gives_the_same_cluster() {
    let a = pod_names("7");
    assert_eq!(a.len(), 40, "{a:?}");
    assert_eq!(a, pod_names("7"));
    assert_ne!(a, pod_names("8"));
}
