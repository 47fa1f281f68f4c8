//! End to end: the kx binary (release when built, as CI builds it) in tmux, driven like a person would.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn kx_binary() -> PathBuf {
    let release = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/kx");
    if release.is_file() {
        release
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_kx"))
    }
}

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux is installed (.ci/run installs it)")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "kx"]).stdout).into_owned()
    }

    fn wait_for(&self, what: &str, secs: u64, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn alive(&self) -> bool {
        self.run(&["has-session", "-t", "kx"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn demo_explorer_deployments_filter_drill_down_and_quit() {
    let tmux = Tmux {
        socket: format!("kx-e2e-{}", std::process::id()),
    };
    let bin = kx_binary();
    let config_dir = tempfile::tempdir().expect("temp dir");
    // A private config dir, so a developer's own key map cannot change what the keys below do.
    let cmd = format!(
        "KX_CONFIG_DIR={} {} --demo; sleep 30",
        config_dir.path().display(),
        bin.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "kx",
        "-x",
        "120",
        "-y",
        "30",
        &cmd,
    ]);
    assert!(
        started.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let screen = tmux.wait_for("the demo pods running", 30, |s| {
        s.contains("kx-sim (demo)")
            && s.contains("web-")
            && s.lines().filter(|l| l.contains("Running")).count() >= 10
    });
    assert!(
        screen.contains("NAMESPACE") && screen.contains("STATUS"),
        "{screen}"
    );
    assert!(
        screen.contains("kube-system") && screen.contains("shop"),
        "{screen}"
    );

    tmux.run(&["send-keys", "-t", "kx", ":deploy", "Enter"]);
    let screen = tmux.wait_for("the deployments list", 15, |s| {
        s.contains("UP-TO-DATE") && s.contains("coredns")
    });
    assert!(screen.contains(" deployments"), "breadcrumb: {screen}");

    tmux.run(&["send-keys", "-t", "kx", "/web", "Enter"]);
    let screen = tmux.wait_for("only the web deployment", 15, |s| {
        !s.contains("coredns") && s.contains("web")
    });
    assert!(
        screen.contains("1/4 rows") || screen.lines().filter(|l| l.contains(" web ")).count() == 1,
        "{screen}"
    );

    tmux.run(&["send-keys", "-t", "kx", "Enter"]);
    let screen = tmux.wait_for("the web deployment's pods", 15, |s| {
        s.contains("web:pods") && s.contains("web-") && !s.contains("api-")
    });
    assert!(screen.contains("deployments › web:pods"), "{screen}");

    tmux.run(&["send-keys", "-t", "kx", "Escape"]);
    tmux.wait_for("back at the deployments", 10, |s| {
        s.contains("UP-TO-DATE") && !s.contains("web:pods")
    });

    tmux.run(&["send-keys", "-t", "kx", "q"]);
    // kx leaves the alternate screen: the shell's `sleep` keeps the pane, and the table is gone.
    tmux.wait_for("kx gone after q", 10, |s| {
        !s.contains("NAMESPACE") && !s.contains("UP-TO-DATE")
    });
    assert!(tmux.alive());
}
