//! `kx edit` (the binary) against the simulator, with scripted editors: a sed edit, invalid YAML
//! fixed on the second run, a server rejection fixed on the second run, a concurrent change of
//! the same field (a conflict: nothing overwritten, the editor reopened with it explained), a
//! concurrent change of another field (both survive), and cancelling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use common::TestCluster;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// A scripted editor: `script` runs with the file as $1 and the test's scratch directory as
/// $D; `$D/runs` counts the runs, and each run's file is copied to `$D/seen.N` first.
fn editor(dir: &Path, script: &str) -> String {
    let path = dir.join("editor.sh");
    let text = format!(
        "set -e\nD={d}\nn=$(($(cat $D/runs 2>/dev/null || echo 0) + 1))\necho $n > $D/runs\ncp \"$1\" $D/seen.$n\n\
         stat -c '%a' \"$1\" > $D/mode.file\nstat -c '%a' \"$(dirname \"$1\")\" > $D/mode.dir\n{script}\n",
        d = dir.display()
    );
    std::fs::write(&path, text).expect("editor script");
    format!("sh {}", path.display())
}

struct Run {
    scratch: PathBuf,
    tmp: PathBuf,
}

impl Run {
    fn new(c: &TestCluster, name: &str) -> Run {
        let scratch = c.dir.path().join(name);
        let tmp = scratch.join("tmp");
        std::fs::create_dir_all(&tmp).expect("scratch dir");
        Run { scratch, tmp }
    }

    fn kx(&self, c: &TestCluster, editor: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kx"));
        cmd.env("KUBECONFIG", c.kubeconfig())
            .env("KUBE_EDITOR", editor)
            .env("TMPDIR", &self.tmp)
            .env("KX_CONFIG_DIR", &self.scratch)
            .arg("edit")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    fn seen(&self, n: u32) -> String {
        std::fs::read_to_string(self.scratch.join(format!("seen.{n}"))).unwrap_or_default()
    }

    fn runs(&self) -> u32 {
        std::fs::read_to_string(self.scratch.join("runs"))
            .ok()
            .and_then(|r| r.trim().parse().ok())
            .unwrap_or(0)
    }

    fn kept_files(&self) -> Vec<PathBuf> {
        walk(&self.tmp)
    }

    /// Runs `kx edit ARGS` with an editor that touches `$D/ready` and waits for `$D/go`, and
    /// runs kubectl `meanwhile` while the editor waits. Whether kx succeeded, and its output.
    async fn edit_while(
        &self,
        c: &TestCluster,
        editor: &str,
        args: &[&str],
        meanwhile: &[&str],
    ) -> (bool, String) {
        let child = self.kx(c, editor, args).spawn().expect("kx starts");
        self.wait_for_file("ready").await;
        c.kubectl_ok(meanwhile).await;
        std::fs::write(self.scratch.join("go"), "").expect("go");
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("kx ends")
            .expect("kx runs");
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        (out.status.success(), text)
    }

    async fn wait_for_file(&self, name: &str) {
        let path = self.scratch.join(name);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !path.exists() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the editor never wrote {name}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn output(cmd: &mut Command) -> (bool, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("kx edit finishes")
        .expect("kx runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

async fn replicas(c: &TestCluster) -> String {
    c.jsonpath(&["deploy", "web", "-n", "shop"], "{.spec.replicas}")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sed_edit_is_applied_from_a_private_file_that_is_removed_after() {
    let c = TestCluster::start(false).await;
    let run = Run::new(&c, "sed");
    let ed = editor(&run.scratch, "sed -i 's/replicas: 3/replicas: 5/' \"$1\"");
    let (ok, text) =
        output(&mut run.kx(&c, &ed, &["deploy/web", "-n", "shop", "--no-preview"])).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("edited deployments/web -n shop: spec.replicas 3→5"),
        "{text}"
    );
    assert_eq!(replicas(&c).await, "5");
    let first = run.seen(1);
    assert!(
        first.starts_with("# Editing deployments/web -n shop (resourceVersion "),
        "{first}"
    );
    assert!(first.contains("To cancel"), "{first}");
    assert!(!first.contains("managedFields"), "{first}");
    assert!(first.contains("\nspec:\n"), "{first}");
    let mode = |f: &str| std::fs::read_to_string(run.scratch.join(f)).unwrap_or_default();
    assert_eq!(mode("mode.file").trim(), "600");
    assert_eq!(mode("mode.dir").trim(), "700");
    assert!(
        run.kept_files().is_empty(),
        "removed after success: {:?}",
        run.kept_files()
    );

    // Saving without a change applies nothing.
    let run = Run::new(&c, "nochange");
    let ed = editor(&run.scratch, "true");
    let (ok, text) = output(&mut run.kx(&c, &ed, &["deploy/web", "-n", "shop"])).await;
    assert!(ok, "{text}");
    assert!(text.contains("edit cancelled, no changes"), "{text}");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_yaml_and_a_server_rejection_reopen_the_editor_with_the_error_and_the_text_kept() {
    let c = TestCluster::start(false).await;
    let run = Run::new(&c, "invalid");
    let ed = editor(
        &run.scratch,
        "case $n in\n\
           1) sed -i 's/replicas: 3/replicas: [4/' \"$1\" ;;\n\
           2) sed -i 's/replicas: \\[4/replicas: -1/' \"$1\" ;;\n\
           3) sed -i 's/replicas: -1/replicas: 4/' \"$1\" ;;\n\
         esac",
    );
    let (ok, text) =
        output(&mut run.kx(&c, &ed, &["deploy/web", "-n", "shop", "--no-preview"])).await;
    assert!(ok, "{text}");
    assert_eq!(run.runs(), 3);
    let second = run.seen(2);
    assert!(
        second.contains("# YOUR EDIT WAS NOT APPLIED:\n#   invalid YAML:"),
        "{second}"
    );
    assert!(
        second.contains("replicas: [4"),
        "the text is kept: {second}"
    );
    let third = run.seen(3);
    assert!(
        third.contains("the server rejected it (422 Invalid)")
            && third.contains("spec.replicas: Invalid value: -1"),
        "{third}"
    );
    assert!(third.contains("replicas: -1"), "{third}");
    assert_eq!(replicas(&c).await, "4");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_change_of_the_same_field_is_a_conflict_and_is_never_overwritten() {
    let c = TestCluster::start(false).await;
    let run = Run::new(&c, "conflict");
    let ed = editor(
        &run.scratch,
        "if [ $n = 1 ]; then\n\
           sed -i 's/replicas: 3/replicas: 7/' \"$1\"\n\
           touch $D/ready\n\
           while [ ! -f $D/go ]; do sleep 0.05; done\n\
         else\n\
           exit 1\n\
         fi",
    );
    let (ok, text) = run
        .edit_while(
            &c,
            &ed,
            &["deploy/web", "-n", "shop", "--no-preview"],
            &["scale", "-n", "shop", "deploy/web", "--replicas=5"],
        )
        .await;
    assert!(!ok, "cancelled on the second run: {text}");
    assert_eq!(
        replicas(&c).await,
        "5",
        "the other change is not overwritten"
    );
    let reopened = run.seen(2);
    assert!(
        reopened.contains(
            "# CONFLICT: while you edited, someone else changed fields you changed too:\n\
                           #   spec.replicas: you started from 3, it is now 5, you wrote 7\n"
        ),
        "{reopened}"
    );
    assert!(
        reopened.contains("  replicas: 7\n"),
        "your change re-applied: {reopened}"
    );
    assert!(
        text.contains("nothing applied") && text.contains("your edit is kept in"),
        "{text}"
    );
    assert_eq!(
        run.kept_files().len(),
        1,
        "the file is kept after a failure"
    );
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_change_of_another_field_survives_alongside_the_edit() {
    let c = TestCluster::start(false).await;
    let run = Run::new(&c, "other");
    let ed = editor(
        &run.scratch,
        "sed -i 's/replicas: 3/replicas: 6/' \"$1\"\n\
         touch $D/ready\n\
         while [ ! -f $D/go ]; do sleep 0.05; done",
    );
    let (ok, text) = run
        .edit_while(
            &c,
            &ed,
            &["deployment/web", "-n", "shop", "--no-preview"],
            &["label", "-n", "shop", "deploy/web", "team=blue"],
        )
        .await;
    assert!(ok, "{text}");
    assert_eq!(run.runs(), 1, "no conflict, no reopening");
    assert_eq!(replicas(&c).await, "6");
    let team = c
        .jsonpath(&["deploy", "web", "-n", "shop"], "{.metadata.labels.team}")
        .await;
    assert_eq!(team, "blue", "the concurrent label survives");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_applies_nothing_and_bad_targets_and_readonly_say_why() {
    let c = TestCluster::start(false).await;
    let run = Run::new(&c, "cancel");
    let emptied = editor(&run.scratch, ": > \"$1\"");
    let (ok, text) = output(&mut run.kx(&c, &emptied, &["deploy/web", "-n", "shop"])).await;
    assert!(!ok);
    assert!(
        text.contains("the file was emptied: edit cancelled, nothing applied"),
        "{text}"
    );
    let failing = editor(
        &run.scratch,
        "sed -i 's/replicas: 3/replicas: 9/' \"$1\"; exit 3",
    );
    let (ok, text) = output(&mut run.kx(&c, &failing, &["deploy/web", "-n", "shop"])).await;
    assert!(!ok);
    assert!(
        text.contains("the editor exited with exit status: 3"),
        "{text}"
    );
    assert_eq!(replicas(&c).await, "3");
    assert!(
        run.kept_files().iter().any(|f| std::fs::read_to_string(f)
            .unwrap_or_default()
            .contains("replicas: 9")),
        "the edit is kept: {:?}",
        run.kept_files()
    );
    let (ok, text) = output(&mut run.kx(&c, &failing, &["deploy/nope", "-n", "shop"])).await;
    assert!(!ok);
    assert!(
        text.contains("deployments/nope -n shop not found"),
        "{text}"
    );
    let (ok, text) = output(&mut run.kx(&c, &failing, &["deplyo/web", "-n", "shop"])).await;
    assert!(!ok);
    assert!(text.contains("did you mean"), "{text}");
    let (ok, text) =
        output(&mut run.kx(&c, &failing, &["deploy/web", "-n", "shop", "--readonly"])).await;
    assert!(!ok);
    assert!(text.contains("read-only"), "{text}");
    c.sim.stop().await;
}

async fn with_stdin(cmd: &mut Command, input: &str) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("kx starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("answer");
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("kx edit finishes")
        .expect("kx runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_shows_the_servers_dry_run_and_applies_only_on_yes() {
    let c = TestCluster::start(false).await;
    let run = Run::new(&c, "preview");
    let ed = editor(&run.scratch, "sed -i 's/replicas: 3/replicas: 8/' \"$1\"");
    let (ok, text) = with_stdin(&mut run.kx(&c, &ed, &["deploy/web", "-n", "shop"]), "n\n").await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("What the server will change (dry run):"),
        "{text}"
    );
    assert!(text.contains("+  replicas: 8"), "{text}");
    assert!(
        text.contains("Apply to deployments/web -n shop? [y/N]"),
        "{text}"
    );
    assert!(
        text.contains("not applied: no yes to the preview (--no-preview applies without asking); your edit is kept in"),
        "{text}"
    );
    assert_eq!(replicas(&c).await, "3", "the dry run changed nothing");
    let (ok, text) = with_stdin(&mut run.kx(&c, &ed, &["deploy/web", "-n", "shop"]), "y\n").await;
    assert!(ok, "{text}");
    assert!(
        text.contains("edited deployments/web -n shop: spec.replicas 3→8"),
        "{text}"
    );
    assert_eq!(replicas(&c).await, "8");
    c.sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rbac_denial_names_the_verb_and_the_object_and_keeps_the_edit() {
    let c = TestCluster::start(false).await;
    c.sim
        .cluster
        .faults
        .update(|f| f.forbidden = vec!["patch deployments".into()]);
    let run = Run::new(&c, "forbidden");
    let ed = editor(&run.scratch, "sed -i 's/replicas: 3/replicas: 4/' \"$1\"");
    let (ok, text) =
        output(&mut run.kx(&c, &ed, &["deploy/web", "-n", "shop", "--no-preview"])).await;
    assert!(!ok);
    assert!(
        text.contains(
            "forbidden: user \"kx-sim\" cannot patch deployments.apps/web in namespace shop (RBAC)"
        ),
        "{text}"
    );
    assert!(text.contains("your edit is kept in"), "{text}");
    assert_eq!(run.kept_files().len(), 1);
    assert_eq!(replicas(&c).await, "3");
    c.sim.stop().await;
}
