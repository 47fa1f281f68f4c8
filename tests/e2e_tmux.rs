//! End to end: the kx binary (release when built, as CI builds it) in tmux, driven like a person would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

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

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "kx"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Starts a shell command in a 120x30 session; `sleep` after it keeps the pane to read.
    fn start(name: &str, cmd: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("kx-e2e-{name}-{}", std::process::id()),
        };
        let started = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "kx",
            "-x",
            "120",
            "-y",
            "30",
            cmd,
        ]);
        assert!(
            started.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        tmux
    }

    /// `kx --demo` with a private config dir (so a developer's own key map cannot change what
    /// the keys do), once the demo's pods show. The dir lives as long as the returned guard.
    fn demo(name: &str) -> (Tmux, tempfile::TempDir) {
        let config_dir = tempfile::tempdir().expect("temp dir");
        let tmux = Tmux::demo_in(name, config_dir.path());
        (tmux, config_dir)
    }

    /// `kx --demo` with the config dir given (the test's own files in it).
    fn demo_in(name: &str, config_dir: &std::path::Path) -> Tmux {
        let tmux = Tmux::start(
            name,
            &format!(
                "KX_CONFIG_DIR={} {} --demo; sleep 30",
                config_dir.display(),
                kx_binary().display()
            ),
        );
        tmux.wait_for("the demo pods", 30, |s| {
            s.contains("web-") && s.contains("Running")
        });
        tmux
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

#[test]
fn demo_yaml_search_describe_and_containers_of_a_pod() {
    let (tmux, _config_dir) = Tmux::demo("detail");
    tmux.keys(&["/^web-", "Enter"]);
    tmux.wait_for("only web pods", 10, |s| {
        !s.contains("coredns") && s.contains("web-")
    });
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("the pod's YAML", 15, |s| {
        s.contains("apiVersion: v1") && s.contains("kind: Pod") && s.contains(":yaml")
    });
    assert!(
        !screen.contains("managedFields:"),
        "hidden by default: {screen}"
    );
    tmux.keys(&["/image:", "Enter"]);
    let screen = tmux.wait_for("the search jumping to the image", 10, |s| {
        s.lines().nth(2).is_some_and(|l| l.contains("image: nginx"))
    });
    assert!(
        screen.contains("/image:"),
        "the header shows the search: {screen}"
    );
    tmux.keys(&["d"]);
    tmux.wait_for("the describe view", 10, |s| {
        s.contains(":describe") && s.contains("Containers:") && s.contains("Image:")
    });
    tmux.keys(&["Escape"]);
    tmux.keys(&["Escape"]);
    tmux.wait_for("back at the list", 10, |s| {
        s.contains("STATUS") && !s.contains(":describe")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the pod's containers", 10, |s| {
        s.contains(":containers") && s.contains("IMAGE") && s.contains("nginx")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("kx gone after q", 10, |s| !s.contains("IMAGE"));
}

/// A simulator process, stopped when the test ends however it ends.
struct Sim {
    child: std::process::Child,
    /// host:port it listens on.
    addr: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    /// POSTs to one of the simulator's `/sim/…` knobs (a bare HTTP/1.1 request).
    fn post(&self, path_and_query: &str) {
        use std::io::Write;
        let mut conn = std::net::TcpStream::connect(&self.addr).expect("the simulator listens");
        let _ = write!(
            conn,
            "POST {path_and_query} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        );
        let _ = conn.flush();
        // Wait for the answer: a connection closed first may cancel the request.
        let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
        let mut answer = Vec::new();
        let _ = std::io::Read::read_to_end(&mut conn, &mut answer);
    }
}

/// Starts `kx sim` writing a kubeconfig named after its context into `dir`.
fn start_sim(dir: &std::path::Path, name: &str, scenario: &str) -> Sim {
    use std::io::BufRead;
    let mut child = Command::new(kx_binary())
        .args([
            "sim",
            "--scenario",
            scenario,
            "--context-name",
            name,
            "--kubeconfig-out",
        ])
        .arg(dir.join(name))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kx sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the address line");
    assert!(first.contains("127.0.0.1"), "{first}");
    Sim {
        child,
        addr: first.trim().to_string(),
    }
}

#[test]
fn ctx_switches_between_clusters_of_a_merged_kubeconfig() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _alpha = start_sim(dir.path(), "alpha", "demo");
    let _beta = start_sim(dir.path(), "beta", "empty");
    let kubeconfig = format!(
        "{}:{}",
        dir.path().join("alpha").display(),
        dir.path().join("beta").display()
    );
    let tmux = Tmux::start(
        "ctx",
        &format!(
            "KX_CONFIG_DIR={} KUBECONFIG={kubeconfig} {} -A; sleep 30",
            dir.path().display(),
            kx_binary().display()
        ),
    );
    tmux.wait_for("alpha's pods", 30, |s| {
        s.contains("ctx: alpha") && s.contains("web-")
    });
    tmux.keys(&[":ctx", "Enter"]);
    let screen = tmux.wait_for("the context picker", 10, |s| s.contains("contexts"));
    assert!(
        screen.contains(" alpha ") && screen.contains(" beta "),
        "{screen}"
    );
    tmux.keys(&["j", "Enter"]);
    tmux.wait_for("beta's empty pod list", 20, |s| {
        s.contains("ctx: beta") && s.contains("0 rows") && !s.contains("web-")
    });
    tmux.keys(&[":ns", "Enter"]);
    let screen = tmux.wait_for("beta's namespaces", 10, |s| {
        s.contains("default") && s.contains("namespaces")
    });
    assert!(
        !screen.contains("shop"),
        "alpha's namespaces leaked into beta: {screen}"
    );
    tmux.keys(&[":ctx alph", "Enter"]);
    tmux.wait_for("a close match for the typo", 10, |s| {
        s.contains("did you mean alpha")
    });
    tmux.keys(&[":ctx alpha", "Enter"]);
    tmux.wait_for("alpha's namespaces again", 20, |s| {
        s.contains("ctx: alpha") && s.contains("shop")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("kx gone after q", 10, |s| !s.contains("ctx: alpha"));
}

#[test]
fn demo_log_view_follows_pauses_and_filters() {
    let (tmux, _config_dir) = Tmux::demo("logs");
    tmux.keys(&[":deploy", "Enter"]);
    tmux.wait_for("the deployments", 10, |s| s.contains("UP-TO-DATE"));
    tmux.keys(&["/^web", "Enter"]);
    tmux.wait_for("the web deployment alone", 10, |s| !s.contains("coredns"));
    tmux.keys(&["l"]);
    let screen = tmux.wait_for("web's logs, live", 20, |s| {
        s.contains("web:logs") && s.contains("following") && s.matches("GET /").count() >= 3
    });
    assert!(screen.contains("3 containers"), "three web pods: {screen}");
    tmux.keys(&["f"]);
    tmux.wait_for("a paused view still receiving", 15, |s| {
        s.contains("paused (") && s.contains(" new)")
    });
    tmux.keys(&["&/login", "Enter"]);
    // The header shows the filter once it applies (the prompt line shows it while typing).
    let screen = tmux.wait_for("only /login lines", 10, |s| {
        s.lines().next().is_some_and(|h| h.contains("&/login"))
    });
    let body: Vec<&str> = screen
        .lines()
        .skip(2)
        .filter(|l| l.contains("GET "))
        .collect();
    assert!(
        body.iter().all(|l| l.contains("/login")),
        "the filter hides the rest: {screen}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("the filter cleared", 10, |s| {
        s.lines().next().is_some_and(|h| !h.contains("&/login"))
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("back at the deployments", 10, |s| {
        s.contains("UP-TO-DATE") && !s.contains(":logs")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("kx gone after q", 10, |s| !s.contains("UP-TO-DATE"));
}

#[test]
fn demo_edit_in_the_editor_previews_applies_and_the_diff_view_shows_it_live() {
    let config_dir = tempfile::tempdir().expect("temp dir");
    // The editor: 3 → 4 replicas on the first run, 4 → 5 on the second.
    let script = config_dir.path().join("editor.sh");
    std::fs::write(
        &script,
        format!(
            "n=$(($(cat {d}/runs 2>/dev/null || echo 0) + 1)); echo $n > {d}/runs\n\
             case $n in 1) sed -i 's/replicas: 3$/replicas: 4/' \"$1\" ;; 2) sed -i 's/replicas: 4$/replicas: 5/' \"$1\" ;; esac\n",
            d = config_dir.path().display()
        ),
    )
    .expect("editor script");
    let tmux = Tmux::start(
        "edit",
        &format!(
            "KX_CONFIG_DIR={} KUBE_EDITOR='sh {}' {} --demo; sleep 30",
            config_dir.path().display(),
            script.display(),
            kx_binary().display()
        ),
    );
    tmux.wait_for("the demo pods", 30, |s| {
        s.contains("web-") && s.contains("Running")
    });
    tmux.keys(&[":deploy", "Enter"]);
    tmux.wait_for("the deployments", 10, |s| s.contains("UP-TO-DATE"));
    tmux.keys(&["/^web$", "Enter"]);
    tmux.wait_for("the web deployment alone", 10, |s| {
        !s.contains("coredns") && s.contains("3/3")
    });
    tmux.keys(&["e"]);
    // The TUI steps aside: the server's dry run is shown on the plain terminal and asked about.
    let screen = tmux.wait_for("the preview", 20, |s| {
        s.contains("Apply to deployments/web") && s.contains("[y/N]")
    });
    assert!(
        screen.contains("What the server will change (dry run):"),
        "{screen}"
    );
    assert!(screen.contains("+  replicas: 4"), "{screen}");
    tmux.keys(&["y", "Enter"]);
    tmux.wait_for(
        "the TUI back with the report and the new replicas",
        20,
        |s| {
            s.contains("edited deployments/web")
                && s.contains("spec.replicas 3→4")
                && s.contains("4/4")
        },
    );
    // The diff view follows the object; a second edit from inside it appears there live.
    tmux.keys(&["D"]);
    tmux.wait_for("the diff view", 10, |s| {
        s.contains("web:diff") && s.contains("rv ")
    });
    tmux.keys(&["e"]);
    tmux.wait_for("the second preview", 20, |s| {
        s.contains("+  replicas: 5") && s.contains("[y/N]")
    });
    tmux.keys(&["y", "Enter"]);
    let screen = tmux.wait_for("the change as a revision with its diff", 20, |s| {
        s.contains("MODIFIED   spec.replicas 4→5") && s.contains("+  replicas: 5")
    });
    assert!(screen.contains("-  replicas: 4"), "{screen}");
    // Scale from the list: a prompt, then the write.
    tmux.keys(&["Escape"]);
    tmux.wait_for("back at the deployments", 10, |s| s.contains("UP-TO-DATE"));
    tmux.keys(&["s"]);
    tmux.wait_for("the scale prompt", 10, |s| {
        s.contains("scale to how many replicas?")
    });
    tmux.keys(&["2", "Enter"]);
    tmux.wait_for("scaled to 2", 20, |s| {
        s.contains("scaled deployments/web -n shop to 2") && s.contains("2/2")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("kx gone after q", 10, |s| !s.contains("UP-TO-DATE"));
}

#[test]
fn a_server_that_goes_away_keeps_the_rows_on_screen_and_counts_the_reconnects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sim = start_sim(dir.path(), "flaky", "demo");
    let tmux = Tmux::start(
        "outage",
        &format!(
            "KX_CONFIG_DIR={} KUBECONFIG={} {} -A; sleep 30",
            dir.path().display(),
            dir.path().join("flaky").display(),
            kx_binary().display()
        ),
    );
    tmux.wait_for("the pods", 30, |s| {
        s.contains("web-") && s.contains("Running")
    });
    // The API server goes away for 8 s: connections are refused.
    sim.post("/sim/drop-connections?downSecs=8");
    let screen = tmux.wait_for("the reconnect report", 20, |s| {
        s.lines()
            .next()
            .is_some_and(|h| h.contains("reconnecting: ") && h.contains("failure"))
    });
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains(", next in "), "{screen}");
    assert!(
        screen.contains("web-") && screen.contains("Running"),
        "the last known rows stay on screen: {screen}"
    );
    // Back: the report goes and the list is live again.
    tmux.wait_for("the list live again", 40, |s| {
        s.lines()
            .next()
            .is_some_and(|h| !h.contains("reconnecting") && h.contains(" rows"))
    });
    tmux.keys(&["q"]);
    tmux.wait_for("kx gone after q", 10, |s| !s.contains("web-"));
}

#[test]
fn demo_shell_in_a_pod_runs_commands_and_returns_with_the_exit_status() {
    let (tmux, _config_dir) = Tmux::demo("shell");
    tmux.keys(&[":pods shop", "Enter"]);
    tmux.wait_for("shop's pods", 10, |s| {
        s.contains("web-") && s.contains("db-0")
    });
    tmux.keys(&["/", "^web", "Enter"]);
    // All three running (under load the demo's pods take a while to start).
    tmux.wait_for("the web pods running", 30, |s| {
        !s.contains("db-0")
            && s.lines()
                .filter(|l| l.contains("web-") && l.contains("Running"))
                .count()
                == 3
    });
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("a shell prompt", 15, |s| s.contains("root@web-"));
    let pod = screen
        .lines()
        .find_map(|l| l.split("root@").nth(1))
        .and_then(|r| r.split(':').next())
        .expect("the prompt names the pod")
        .to_string();
    tmux.keys(&["hostname", "Enter"]);
    tmux.wait_for("hostname's answer", 10, |s| {
        s.lines().any(|l| l.trim() == pod)
    });
    tmux.keys(&["exit 3", "Enter"]);
    let screen = tmux.wait_for("the list again, with the exit status", 15, |s| {
        s.contains("exited with status 3") && s.contains("STATUS")
    });
    assert!(
        screen.contains(&format!("shell in {pod}/nginx")),
        "{screen}"
    );
    // The watch kept running meanwhile: the list is live.
    assert!(screen.contains("Running"), "{screen}");
    // `~.` after Enter leaves from this side (the way out of a connection that died silently).
    tmux.keys(&["s"]);
    tmux.wait_for("a shell prompt again", 15, |s| s.contains("root@web-"));
    tmux.keys(&["Enter"]);
    tmux.keys(&["-l", "~."]);
    tmux.wait_for("the list, left with ~.", 15, |s| {
        s.contains("with ~.") && s.contains("STATUS")
    });
}

#[test]
fn demo_port_forward_to_a_service_carries_requests_and_stops() {
    let (tmux, _config_dir) = Tmux::demo("pf");
    tmux.keys(&[":pods shop", "Enter"]);
    tmux.wait_for("the api pods ready", 30, |s| {
        s.lines()
            .filter(|l| l.contains("api-") && l.contains("2/2") && l.contains("Running"))
            .count()
            == 2
    });
    tmux.keys(&[":svc shop", "Enter"]);
    tmux.wait_for("shop's services", 10, |s| {
        s.contains("web") && s.contains("ClusterIP")
    });
    tmux.keys(&["/", "^api", "Enter"]);
    tmux.wait_for("the api service alone", 10, |s| !s.contains("LoadBalancer"));
    tmux.keys(&["f"]);
    let screen = tmux.wait_for("the forward started", 15, |s| {
        s.contains("forwarding 127.0.0.1:")
    });
    let local = screen
        .split("forwarding ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the local address")
        .to_string();
    let mut conn = std::net::TcpStream::connect(&local).expect("the forward listens");
    std::io::Write::write_all(
        &mut conn,
        b"GET /e2e HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .unwrap();
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut body = String::new();
    let _ = std::io::Read::read_to_string(&mut conn, &mut body);
    assert!(body.contains("container api port 8080 path /e2e"), "{body}");
    tmux.keys(&[":pf", "Enter"]);
    let screen = tmux.wait_for("the forward with its one connection", 10, |s| {
        s.contains("port-forwards")
            && s.contains(&local)
            && s.contains("0/1")
            && s.contains("serving")
    });
    assert!(screen.contains("shop/svc/api:8080"), "{screen}");
    tmux.keys(&["C-d"]);
    tmux.wait_for("the forward stopped", 10, |s| {
        s.contains("stopped port-forward") && s.contains("No port-forwards")
    });
    assert!(
        std::net::TcpStream::connect(&local).is_err(),
        "still listening after stop"
    );
}

/// Waits until `kubectl` sees a ready pod of `app` in shop on this simulator.
fn wait_ready(kubeconfig: &std::path::Path, app: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = Command::new("kubectl")
            .env("KUBECONFIG", kubeconfig)
            .args([
                "wait",
                "-n",
                "shop",
                "--for=condition=Ready",
                "pod",
                "-l",
                &format!("app={app}"),
                "--timeout=5s",
            ])
            .output()
            .expect("kubectl runs");
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no ready {app} pod: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn kubectl_exec_it_and_kx_shell_work_on_a_terminal_against_the_simulator() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _sim = start_sim(dir.path(), "kc", "demo");
    let kubeconfig = dir.path().join("kc");
    wait_ready(&kubeconfig, "web");
    // The real kubectl, interactive: prompt, echo, a resize seen by `stty size`, the exit code.
    let tmux = Tmux::start(
        "kubectl-it",
        &format!(
            "KUBECONFIG={} kubectl exec -it -n shop deploy/web -- sh; echo KUBECTL-EXIT=$?; sleep 30",
            kubeconfig.display()
        ),
    );
    tmux.wait_for("kubectl's shell prompt", 20, |s| {
        s.lines().any(|l| l.trim_end() == "#")
    });
    tmux.keys(&["stty size", "Enter"]);
    tmux.wait_for("the terminal's size", 10, |s| s.contains("30 120"));
    tmux.keys(&["exit 4", "Enter"]);
    tmux.wait_for("kubectl's exit code", 10, |s| s.contains("KUBECTL-EXIT=4"));
    drop(tmux);

    // `kx shell -n shop QUERY` in tmux, its exit code said after it.
    let kx_shell = |name: &str, query: &str| {
        Tmux::start(
            name,
            &format!(
                "KX_CONFIG_DIR={} KUBECONFIG={} {} shell -n shop {query}; echo KX-EXIT=$?; sleep 30",
                dir.path().display(),
                kubeconfig.display(),
                kx_binary().display()
            ),
        )
    };
    // kx shell: several pods match, so it asks which on a terminal.
    let tmux = kx_shell("kx-shell", "web");
    tmux.wait_for("the pod question", 20, |s| {
        s.contains("pods match:") && s.contains("which pod")
    });
    tmux.keys(&["2", "Enter"]);
    tmux.wait_for("a bash prompt", 20, |s| s.contains("root@web-"));
    tmux.keys(&["echo $((1+1)) $HOSTNAME", "Enter"]);
    tmux.wait_for("the answer", 10, |s| s.contains("$((1+1)) web-"));
    tmux.keys(&["exit 2", "Enter"]);
    tmux.wait_for("kx's exit code", 10, |s| s.contains("KX-EXIT=2"));
    drop(tmux);

    // The database's image has sh but no bash, and its runtime says so with exit code 126 on
    // stdout: kx tries sh next.
    wait_ready(&kubeconfig, "db");
    let tmux = kx_shell("kx-sh", "db-0");
    tmux.wait_for("sh's prompt", 20, |s| {
        s.lines().any(|l| l.trim_end() == "#")
    });
    tmux.keys(&["hostname", "Enter"]);
    tmux.wait_for("the pod's name", 10, |s| {
        s.lines().any(|l| l.trim() == "db-0")
    });
    tmux.keys(&["exit", "Enter"]);
    tmux.wait_for("kx's exit code", 10, |s| s.contains("KX-EXIT=0"));
}

#[test]
fn demo_attach_shows_the_detach_keys_streams_output_and_detaches() {
    let (tmux, _config_dir) = Tmux::demo("attach");
    tmux.keys(&[":pods shop", "Enter"]);
    tmux.wait_for("shop's pods", 10, |s| s.contains("db-0"));
    tmux.keys(&["/", "^web", "Enter"]);
    // All three running (under load the demo's pods take a while to start).
    tmux.wait_for("the web pods running", 30, |s| {
        !s.contains("db-0")
            && s.lines()
                .filter(|l| l.contains("web-") && l.contains("Running"))
                .count()
                == 3
    });
    tmux.keys(&["a"]);
    tmux.wait_for("the detach keys, then the process's output", 20, |s| {
        s.contains("detach with ctrl-p ctrl-q") && s.contains("HTTP/1.1")
    });
    tmux.keys(&["C-p", "C-q"]);
    tmux.wait_for("the list again", 10, |s| {
        s.contains("detached from web-") && s.contains("STATUS")
    });
}

#[test]
fn a_saved_forward_starts_at_launch_with_forward_name() {
    let config_dir = tempfile::tempdir().expect("temp dir");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        config_dir.path().join("config.yaml"),
        format!("port_forwards:\n  shop-db:\n    target: sts/db\n    namespace: shop\n    ports: [\"{port}:5432\"]\n"),
    )
    .unwrap();
    let tmux = Tmux::start(
        "saved-pf",
        &format!(
            "KX_CONFIG_DIR={} {} --demo --forward shop-db; sleep 30",
            config_dir.path().display(),
            kx_binary().display()
        ),
    );
    tmux.wait_for("the forward started", 40, |s| {
        s.contains(&format!("forwarding 127.0.0.1:{port} → shop/sts/db:5432"))
    });
    let mut conn =
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("the saved forward listens");
    std::io::Write::write_all(
        &mut conn,
        b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .unwrap();
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut body = String::new();
    let _ = std::io::Read::read_to_string(&mut conn, &mut body);
    assert!(
        body.contains("pod shop/db-") && body.contains("port 5432"),
        "{body}"
    );
}

#[test]
fn demo_x_explains_the_crash_loop_and_lint_takes_a_finding_to_its_object() {
    let (tmux, _config_dir) = Tmux::demo("health");
    tmux.keys(&[":pods payments", "Enter"]);
    tmux.wait_for("the payments pods", 15, |s| s.contains("ledger-"));
    tmux.keys(&["/^ledger-", "Enter"]);
    tmux.wait_for("only the ledger pod", 10, |s| {
        s.contains("ledger-") && !s.contains("checkout-")
    });
    tmux.keys(&["X"]);
    // The first crash comes 8 s after start; the diagnosis is read again every 5 s.
    let screen = tmux.wait_for("the crash with its exit code and log lines", 45, |s| {
        s.contains(":explain")
            && s.contains("last exited with code 1 (Error)")
            && s.contains("last lines of the previous container's log:")
            && s.contains("processed batch")
    });
    assert!(screen.contains("broken"), "{screen}");
    tmux.keys(&[":lint payments", "Enter"]);
    let screen = tmux.wait_for("the payments findings", 20, |s| {
        s.contains("lint payments") && s.contains("deprecated-api") && s.contains("score ")
    });
    // The worst first: the ingress applied from a removed API version.
    assert!(
        screen
            .lines()
            .find(|l| l.starts_with("ERROR"))
            .is_some_and(|l| l.contains("ingress/checkout")),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("the finding's object", 15, |s| {
        s.contains("checkout:describe") && s.contains("Namespace:") && s.contains("payments")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("back on the findings", 10, |s| s.contains("deprecated-api"));
    // Pulse: the failing pods are counted; Enter on the pods tile lists only those.
    tmux.keys(&[":pulse payments", "Enter"]);
    tmux.wait_for("the pulse tiles", 20, |s| {
        s.contains("Pods") && s.contains("failing") && s.contains("Warning events")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the failing pods only", 15, |s| {
        s.contains("faults only") && s.contains("checkout-") && !s.contains("debug-tools")
    });
    // Xray: the service with no ready endpoints, down to its pods.
    tmux.keys(&[":xray svc payments", "Enter"]);
    tmux.wait_for("the services' tree", 20, |s| {
        s.contains("service/search") && s.contains("endpoints/search") && s.contains("pod/search-")
    });
    tmux.keys(&["q"]);
}

#[test]
fn demo_plugins_hotkeys_and_the_clipboard_work_on_a_real_terminal() {
    let config_dir = tempfile::tempdir().expect("temp dir");
    let out = config_dir.path().join("plugin-out.txt");
    std::fs::write(
        config_dir.path().join("plugins.yaml"),
        format!(
            r#"
plugins:
  getpod:
    key: shift-b
    description: kubectl get on the pod (background)
    scopes: [pods]
    command: kubectl
    args: [get, pod, -n, $NAMESPACE, $NAME]
    output: background
  save:
    key: ctrl-t
    description: Write the name and context (through sh, quoted)
    scopes: [pods]
    shell: true
    command: "printf '%s|%s\n' $NAME $CONTEXT > {}"
"#,
            out.display()
        ),
    )
    .expect("plugins.yaml");
    std::fs::write(
        config_dir.path().join("hotkeys.yaml"),
        "hotkeys:\n  sys:\n    view: pods kube-system\n",
    )
    .expect("hotkeys.yaml");
    std::fs::write(config_dir.path().join("config.yaml"), "mouse: true\n").expect("config.yaml");
    let tmux = Tmux::demo_in("plugins", config_dir.path());
    tmux.keys(&["/^web-", "Enter"]);
    tmux.wait_for("only web pods", 10, |s| !s.contains("coredns"));
    // c: the name through OSC 52 and tmux's buffer.
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("the copy said", 10, |s| s.contains("to the clipboard"));
    let name = screen
        .lines()
        .find_map(|l| l.split("copied ").nth(1))
        .and_then(|r| r.split(" to the clipboard").next())
        .unwrap_or_default()
        .to_string();
    assert!(name.starts_with("web-"), "{screen}");
    // The footer speaks when OSC 52 is written; `tmux load-buffer` runs beside it, so the
    // buffer is read until it holds something (or the wait runs out).
    let deadline = Instant::now() + Duration::from_secs(10);
    let buffer = loop {
        let buffer = String::from_utf8_lossy(&tmux.run(&["show-buffer"]).stdout).into_owned();
        if !buffer.is_empty() || Instant::now() >= deadline {
            break buffer;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(buffer.trim_end(), name);
    // A background plugin: kubectl, talking to the demo through $KUBECONFIG, in a view.
    tmux.keys(&["B"]);
    let screen = tmux.wait_for("the plugin's output", 20, |s| {
        s.contains("plugin getpod") && s.contains("done (exit code 0)")
    });
    assert!(
        screen.contains("STATUS") && screen.contains(&name),
        "kubectl's table of the pod: {screen}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("back at the list", 10, |s| !s.contains("plugin getpod"));
    // A foreground plugin through sh: values quoted, so the name arrives whole.
    tmux.keys(&["C-t"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    let written = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if !text.is_empty() {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the plugin never wrote {}",
            out.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(written, format!("{name}|kx-sim (demo)\n"));
    tmux.wait_for("the list back after the plugin", 15, |s| {
        s.contains("plugin save: done") && s.contains("web-")
    });
    // A hotkey by name.
    tmux.keys(&[":sys", "Enter"]);
    tmux.wait_for("kube-system's pods", 15, |s| s.contains("coredns"));
    // The mouse, as the terminal reports it (SGR): a double-click on the first row opens it,
    // a click on the first crumb comes back.
    let click = |col: u16, row: u16| {
        for end in ['M', 'm'] {
            tmux.run(&[
                "send-keys",
                "-t",
                "kx",
                "-l",
                &format!("\x1b[<0;{col};{row}{end}"),
            ]);
        }
    };
    click(5, 4);
    click(5, 4);
    tmux.wait_for("a double-click opening the pod's containers", 10, |s| {
        s.contains(":containers")
    });
    click(3, 2);
    tmux.wait_for("a click on the first crumb going back", 10, |s| {
        !s.contains(":containers") && s.contains("coredns")
    });
    tmux.keys(&["q"]);
}
