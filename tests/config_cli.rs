//! `kx config path|init|check` as a user runs them, with KX_CONFIG_DIR pointing at a temp dir.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

use std::process::Command;

fn kx_config(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kx"))
        .arg("config")
        .args(args)
        .env("KX_CONFIG_DIR", dir)
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .expect("kx runs")
}

#[test]
fn init_then_check_is_clean_and_path_names_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = kx_config(dir.path(), &["path"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&dir.path().display().to_string()) && text.contains("not present"),
        "{text}"
    );
    let out = kx_config(dir.path(), &["init"]);
    assert!(out.status.success());
    assert!(dir.path().join("keys.yaml").is_file() && dir.path().join("config.yaml").is_file());
    let out = kx_config(dir.path(), &["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("configuration is valid (theme default-dark)")
    );
}

#[test]
fn check_lists_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("config.yaml"),
        "theme: nope\nreadonly: maybe\nextra: 1\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("keys.yaml"), "quit: [ctrl-zz]\nhelp: [q]\n").expect("write");
    let out = kx_config(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "unknown theme \"nope\"",
        "readonly: expected true or false",
        "unknown setting \"extra\"",
        "unknown key \"ctrl-zz\"",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn kx_log_writes_a_log_file_in_the_state_directory_and_nothing_to_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_kx"))
        .args(["config", "path"])
        .env("KX_CONFIG_DIR", dir.path())
        .env("XDG_STATE_HOME", state.path())
        .env("KX_LOG", "info")
        .output()
        .expect("kx runs");
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(state.path().join("kx/kx.log")).expect("kx.log written");
    assert!(log.contains("kx starting"), "{log}");
    let bad = Command::new(env!("CARGO_BIN_EXE_kx"))
        .args(["config", "path"])
        .env("KX_CONFIG_DIR", dir.path())
        .env("XDG_STATE_HOME", state.path())
        .env("KX_LOG", "kx=nonsense[")
        .output()
        .expect("kx runs");
    assert!(
        bad.status.success(),
        "a bad filter turns logging off, it does not stop kx"
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a valid filter"));
}

#[test]
fn check_lists_plugins_with_how_they_run_and_every_key_conflict() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("plugins.yaml"),
        r#"
plugins:
  dive:
    key: shift-i
    description: Look into the image
    scopes: [containers]
    command: dive
    args: [$COL-IMAGE]
  wipe:
    key: shift-d
    scopes: [pods]
    command: kubectl
    args: [delete, pod, -n, $NAMESPACE, $NAME]
    writes: true
    confirm: true
    marked: all
  twin:
    key: shift-i
    scopes: [all]
    command: echo
    output: background
"#,
    )
    .expect("write");
    let out = kx_config(dir.path(), &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for expected in [
        "plugins (3):",
        "  I          dive             on containers",
        "foreground — Look into the image",
        "background",
        "asks first, writes (off under --readonly), once for all marked rows",
        "plugin wipe: D is kx's diff key; that key does not reach the plugin",
        "plugin twin: I is also plugin dive's, in the same scope",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
