//! `kx import k9s` on the two k9s setups in tests/fixtures/k9s, as a user runs it: a dry run,
//! the write (then `kx config check` loads it), re-runs without and with --force, a file the
//! user wrote left alone, and a broken k9s file that stops everything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/k9s")
        .join(name)
}

fn kx(into: &Path, args: &[&str], k9s_env: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kx"));
    c.args(args)
        .env("KX_CONFIG_DIR", into)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("K9S_CONFIG_DIR");
    if let Some(d) = k9s_env {
        c.env("K9S_CONFIG_DIR", d);
    }
    c.output().expect("kx runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walk(dir) {
        out.push(e.strip_prefix(dir).unwrap().display().to_string());
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_dry_run_says_everything_and_writes_nothing() {
    let into = tempfile::tempdir().unwrap();
    let out = kx(
        into.path(),
        &[
            "import",
            "k9s",
            "--dry-run",
            "--from",
            fixture("modern").to_str().unwrap(),
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(files(into.path()).is_empty(), "a dry run writes nothing");
    for expected in [
        "settings: readOnly, defaultView, logger.tail, logger.buffer, thresholds, ui.enableMouse → config.yaml",
        "    mouse: true",
        "favourite namespaces of 2 context(s): shop, payments, default, kube-system, ingress-nginx",
        "aliases: 3 → config.yaml aliases",
        "aliases with arguments: sysdp, webpods → hotkeys.yaml",
        "plugins: stern, dive, container-logs, reconcile → plugins.yaml",
        "skin night-owl → themes/k9s-night-owl.yaml",
        // What could not be translated, each with its reason.
        "config.yaml refreshRate: kx lists are live watches",
        "hotkey broken: shortcut \"Meta-Q\"",
        "plugin groups: uses $GROUPS",
        "plugin piped: pipes its output",
        "plugin container-logs: its bash -c script runs as a kx shell plugin",
        // Keys kx takes first.
        "plugin reconcile: R is kx's restart key",
        "hotkey ingresses: G is kx's bottom key",
        // And the files, as they would be.
        "would write",
        "    default_view: \"deploy\"",
        "    command: \"kubectl logs -n $NAMESPACE $NAME -c $CONTAINER | less\"",
        "    shell: \"bash\"",
        "    row.selected: { fg: \"#011627\", bg: \"#1e90ff\" }",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn the_import_writes_files_kx_loads_and_a_rerun_keeps_them_unless_forced() {
    let into = tempfile::tempdir().unwrap();
    let from = fixture("modern");
    let out = kx(into.path(), &["import", "k9s"], Some(&from));
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(
        files(into.path()),
        vec![
            "config.yaml",
            "hotkeys.yaml",
            "plugins.yaml",
            "themes/k9s-night-owl.yaml"
        ]
    );
    // kx loads what it wrote: the only problems are the key clashes it already named.
    let check = stdout(&kx(into.path(), &["config", "check"], None));
    assert!(
        check.contains("plugins (4):") && check.contains(":webpods"),
        "{check}"
    );
    assert_eq!(check.matches("warning:").count(), 3, "{check}");
    assert!(
        !check.contains("not valid") && !check.contains("unknown"),
        "{check}"
    );

    // A re-run leaves its own files alone without --force...
    let plugins = into.path().join("plugins.yaml");
    let first = std::fs::read_to_string(&plugins).unwrap();
    let out = kx(into.path(), &["import", "k9s"], Some(&from));
    assert!(
        stdout(&out).contains("left alone: ") && stdout(&out).contains("--force replaces it"),
        "{}",
        stdout(&out)
    );
    // ...replaces them with it...
    let out = kx(into.path(), &["import", "k9s", "--force"], Some(&from));
    assert_eq!(
        stdout(&out).matches("replaced ").count(),
        4,
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(&plugins).unwrap(), first);
    // ...but not one the user edited since: that is theirs now.
    let edited = first + "# my note\n";
    std::fs::write(&plugins, &edited).unwrap();
    let out = kx(into.path(), &["import", "k9s", "--force"], Some(&from));
    assert!(stdout(&out).contains("edited since"), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(&plugins).unwrap(), edited);
}

#[test]
fn a_file_the_user_wrote_is_never_replaced_even_with_force() {
    let into = tempfile::tempdir().unwrap();
    let mine = "theme: dracula\nreadonly: false\n";
    std::fs::write(into.path().join("config.yaml"), mine).unwrap();
    let out = kx(
        into.path(),
        &[
            "import",
            "k9s",
            "--force",
            "--from",
            fixture("classic").to_str().unwrap(),
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("(you wrote it; merge by hand"), "{text}");
    assert_eq!(
        std::fs::read_to_string(into.path().join("config.yaml")).unwrap(),
        mine
    );
    // The rest of the older setup (alias.yml, plugin.yml, $RESOURCE_NAME) is written.
    let plugins = std::fs::read_to_string(into.path().join("plugins.yaml")).unwrap();
    assert!(plugins.contains("\"$RESOURCE\""), "{plugins}");
    assert!(into.path().join("themes/k9s-plain.yaml").is_file());
    assert!(
        text.contains("settings: readOnly, logger.tail, logger.buffer → config.yaml"),
        "{text}"
    );
}

#[test]
fn a_broken_k9s_file_stops_the_import_before_anything_is_written() {
    let from = tempfile::tempdir().unwrap();
    for f in ["config.yaml", "aliases.yaml", "hotkeys.yaml"] {
        std::fs::copy(fixture("modern").join(f), from.path().join(f)).unwrap();
    }
    std::fs::write(
        from.path().join("plugins.yaml"),
        "plugins:\n  bad: [unclosed\n",
    )
    .unwrap();
    let into = tempfile::tempdir().unwrap();
    let out = kx(
        into.path(),
        &["import", "k9s", "--from", from.path().to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plugins.yaml is not valid YAML") && err.contains("nothing written"),
        "{err}"
    );
    assert!(files(into.path()).is_empty());
    // And a directory that is not there says where to point it.
    let out = kx(
        into.path(),
        &["import", "k9s", "--from", "/nonexistent/k9s"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from DIR"));
}
