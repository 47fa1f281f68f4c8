//! Running a plugin's command lines: on the terminal (inherited, the UI stepped aside), or in
//! the background with stdout and stderr read line by line into the app. Never through a
//! shell: the argv is the plugin's (a `shell: true` plugin's argv is `sh -c SCRIPT`).

use super::action::{Action, PluginLaunch};
use super::runtime::Inbound;
use std::process::{ExitStatus, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// Lines sent to the app at most at once.
const BATCH: usize = 1000;

/// How runs went, for the footer or the output screen: `(said, ok)`.
fn summary(name: &str, results: &[Result<ExitStatus, String>]) -> (String, bool) {
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| match r {
            Ok(s) if s.success() => None,
            Ok(s) => Some(match s.code() {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".to_string(),
            }),
            Err(e) => Some(e.clone()),
        })
        .collect();
    let runs = results.len();
    match (failed.as_slice(), runs) {
        ([], 1) => (format!("plugin {name}: done (exit code 0)"), true),
        ([], n) => (format!("plugin {name}: {n} runs done (exit code 0)"), true),
        ([why], 1) => (format!("plugin {name}: failed: {why}"), false),
        (many, n) => (
            format!(
                "plugin {name}: {} of {n} runs failed (first: {})",
                many.len(),
                many[0]
            ),
            false,
        ),
    }
}

/// Why a command could not start, in words that say what to fix.
fn start_error(program: &str, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("cannot run {program:?}: not found (is it installed and on PATH?)")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot run {program:?}: permission denied (is it executable?)")
        }
        _ => format!("cannot run {program:?}: {e}"),
    }
}

/// The KUBECONFIG a plugin gets: kx's kubeconfig (one file or a list of them), and in front of
/// it a file naming the context kx shows as current (kubectl takes the first current-context
/// of the list), so the plugin acts on the cluster on screen whatever the files say. The file
/// lives as long as the returned guard. When it cannot be written the plugin is not run:
/// without it, it could act on another cluster.
type PluginKubeconfig = (Option<String>, Option<tempfile::NamedTempFile>);

fn plugin_kubeconfig(
    kubeconfig: Option<&str>,
    context: Option<&str>,
) -> Result<PluginKubeconfig, String> {
    let Some(context) = context else {
        return Ok((kubeconfig.map(str::to_string), None));
    };
    let rest = kubeconfig
        .map(str::to_string)
        .or_else(|| std::env::var("KUBECONFIG").ok().filter(|k| !k.is_empty()))
        .or_else(|| {
            directories::BaseDirs::new()
                .map(|b| b.home_dir().join(".kube/config").display().to_string())
        });
    let not_run = |why: String| {
        format!(
            "cannot pin the context {context:?} for the plugin ({why}); not run, so it does not act on another cluster"
        )
    };
    let pin = tempfile::Builder::new()
        .prefix("kx-plugin-context-")
        .suffix(".kubeconfig")
        .tempfile()
        .and_then(|mut f| {
            use std::io::Write;
            let context = serde_json::to_string(context).unwrap_or_default();
            write!(
                f,
                "apiVersion: v1\nkind: Config\ncurrent-context: {context}\n"
            )?;
            Ok(f)
        })
        .map_err(|e| not_run(e.to_string()))?;
    // KUBECONFIG may already be a list (a:b): its files follow the pin, one by one.
    let files = std::iter::once(pin.path().to_path_buf()).chain(
        rest.iter()
            .flat_map(|r| std::env::split_paths(r).collect::<Vec<_>>()),
    );
    let joined = std::env::join_paths(files).map_err(|e| not_run(e.to_string()))?;
    Ok((Some(joined.to_string_lossy().into_owned()), Some(pin)))
}

fn command(argv: &[String], kubeconfig: Option<&str>) -> Option<std::process::Command> {
    let (program, args) = argv.split_first()?;
    let mut c = std::process::Command::new(program);
    c.args(args);
    if let Some(k) = kubeconfig.filter(|k| !k.is_empty()) {
        c.env("KUBECONFIG", k);
    }
    Some(c)
}

/// Kills a background plugin's whole process group when dropped (its screen closed): a
/// `sh -c 'kubectl logs -f … | grep …'` leaves nothing running.
struct Group(Option<u32>);

impl Drop for Group {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// On the terminal, one command line after the other; the loop gets the terminal back after.
pub async fn foreground(launch: PluginLaunch, tx: mpsc::Sender<Inbound>) {
    let PluginLaunch {
        id,
        name,
        argvs,
        kubeconfig,
        context,
        ..
    } = launch;
    let results = tokio::task::spawn_blocking(move || {
        let (kubeconfig, _pin) = match plugin_kubeconfig(kubeconfig.as_deref(), context.as_deref())
        {
            Ok(k) => k,
            Err(e) => return vec![Err(e)],
        };
        argvs
            .iter()
            .filter_map(|argv| {
                let mut c = command(argv, kubeconfig.as_deref())?;
                Some(c.status().map_err(|e| start_error(&argv[0], &e)))
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_else(|e| vec![Err(format!("the plugin's runner failed: {e}"))]);
    let (said, ok) = summary(&name, &results);
    let _ = tx.send(Inbound::PluginReturned(id, said, ok)).await;
}

/// In the background: output read as it comes; the process dies with the task (its screen
/// closed).
pub async fn background(launch: PluginLaunch, tx: mpsc::Sender<Inbound>) {
    let PluginLaunch {
        id,
        name,
        argvs,
        kubeconfig,
        context,
        ..
    } = launch;
    let mut results = Vec::new();
    let (kubeconfig, _pin) = match plugin_kubeconfig(kubeconfig.as_deref(), context.as_deref()) {
        Ok(k) => k,
        Err(e) => {
            results.push(Err(e));
            (None, None)
        }
    };
    // Nothing is run without the pinned context.
    let argvs = if results.is_empty() {
        argvs
    } else {
        Vec::new()
    };
    for argv in &argvs {
        if argvs.len() > 1 {
            let line = format!("$ {}", crate::config::plugins::Plugin::display(argv));
            let _ = tx
                .send(Inbound::Action(Action::PluginOutput(id, vec![line])))
                .await;
        }
        let Some(std) = command(argv, kubeconfig.as_deref()) else {
            continue;
        };
        let mut c = tokio::process::Command::from(std);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        c.process_group(0);
        let mut child = match c.spawn() {
            Ok(child) => child,
            Err(e) => {
                results.push(Err(start_error(&argv[0], &e)));
                continue;
            }
        };
        let _group = Group(child.id());
        let (lines_tx, mut lines) = mpsc::channel::<String>(BATCH);
        if let Some(out) = child.stdout.take() {
            tokio::spawn(read_lines(out, lines_tx.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(read_lines(err, lines_tx.clone()));
        }
        drop(lines_tx);
        while let Some(first) = lines.recv().await {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match lines.try_recv() {
                    Ok(l) => batch.push(l),
                    Err(_) => break,
                }
            }
            if tx
                .send(Inbound::Action(Action::PluginOutput(id, batch)))
                .await
                .is_err()
            {
                return;
            }
        }
        results.push(
            child
                .wait()
                .await
                .map_err(|e| format!("waiting for {:?}: {e}", argv[0])),
        );
    }
    let (said, ok) = summary(&name, &results);
    let _ = tx
        .send(Inbound::Action(Action::PluginEnded(id, said, ok)))
        .await;
}

/// Lines of one pipe (not UTF-8 is shown with replacement characters, never dropped).
async fn read_lines(pipe: impl AsyncRead + Unpin, to: mpsc::Sender<String>) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                let line = text.trim_end_matches(['\n', '\r']).to_string();
                if to.send(line).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(argvs: Vec<Vec<&str>>, background: bool) -> PluginLaunch {
        PluginLaunch {
            id: 7,
            name: "p".into(),
            argvs: argvs
                .into_iter()
                .map(|a| a.into_iter().map(String::from).collect())
                .collect(),
            background,
            kubeconfig: Some("/tmp/kx-test-kubeconfig".into()),
            context: None,
        }
    }

    async fn collect(mut rx: mpsc::Receiver<Inbound>) -> (Vec<String>, Option<(String, bool)>) {
        let (mut lines, mut end) = (Vec::new(), None);
        while let Some(m) = rx.recv().await {
            match m {
                Inbound::Action(Action::PluginOutput(7, l)) => lines.extend(l),
                Inbound::Action(Action::PluginEnded(7, said, ok)) => end = Some((said, ok)),
                Inbound::PluginReturned(7, said, ok) => end = Some((said, ok)),
                _ => {}
            }
        }
        (lines, end)
    }

    #[tokio::test]
    async fn background_output_comes_line_by_line_with_its_exit_and_the_kubeconfig() {
        let (tx, rx) = mpsc::channel(100);
        let script = "printf 'a\\nb\\n'; echo \"cfg=$KUBECONFIG\" >&2; printf 'no newline'; exit 3";
        background(launch(vec![vec!["sh", "-c", script]], true), tx).await;
        let (mut lines, end) = collect(rx).await;
        lines.sort();
        assert_eq!(
            lines,
            vec!["a", "b", "cfg=/tmp/kx-test-kubeconfig", "no newline"]
        );
        assert_eq!(
            end,
            Some(("plugin p: failed: exit code 3".to_string(), false))
        );
    }

    #[tokio::test]
    async fn a_missing_program_is_named_and_the_other_runs_go_on() {
        let (tx, rx) = mpsc::channel(100);
        background(
            launch(
                vec![
                    vec!["kx-no-such-program-here"],
                    vec!["echo", "second; not a shell"],
                ],
                true,
            ),
            tx,
        )
        .await;
        let (lines, end) = collect(rx).await;
        assert_eq!(
            lines,
            vec![
                "$ kx-no-such-program-here",
                "$ echo 'second; not a shell'",
                "second; not a shell"
            ]
        );
        let (said, ok) = end.unwrap_or_default();
        assert!(!ok);
        assert!(
            said.contains("1 of 2 runs failed")
                && said.contains("\"kx-no-such-program-here\": not found"),
            "{said}"
        );
    }

    #[tokio::test]
    async fn foreground_runs_report_how_they_ended() {
        let (tx, rx) = mpsc::channel(10);
        foreground(launch(vec![vec!["true"], vec!["true"]], false), tx).await;
        let (_, end) = collect(rx).await;
        assert_eq!(
            end,
            Some(("plugin p: 2 runs done (exit code 0)".to_string(), true))
        );
    }

    #[tokio::test]
    async fn the_shown_context_is_pinned_in_front_of_the_kubeconfig() {
        let (tx, rx) = mpsc::channel(100);
        let mut l = launch(
            vec![vec![
                "sh",
                "-c",
                "IFS=:; set -- $KUBECONFIG; cat \"$1\"; echo \"then $2\"",
            ]],
            true,
        );
        l.context = Some("prod: \"eu\"".into());
        background(l, tx).await;
        let (lines, end) = collect(rx).await;
        assert_eq!(
            lines,
            vec![
                "apiVersion: v1",
                "kind: Config",
                "current-context: \"prod: \\\"eu\\\"\"",
                "then /tmp/kx-test-kubeconfig"
            ]
        );
        assert!(end.is_some_and(|(_, ok)| ok));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_kubeconfig_that_is_a_list_follows_the_pin_file_by_file() {
        let (tx, rx) = mpsc::channel(100);
        let mut l = launch(
            vec![vec![
                "sh",
                "-c",
                "IFS=:; set -- $KUBECONFIG; echo \"$#\"; echo \"$2\"; echo \"$3\"",
            ]],
            true,
        );
        l.context = Some("prod".into());
        l.kubeconfig = Some("/tmp/kx-a:/tmp/kx-b".into());
        background(l, tx).await;
        let (lines, end) = collect(rx).await;
        assert_eq!(lines, vec!["3", "/tmp/kx-a", "/tmp/kx-b"]);
        assert!(end.is_some_and(|(_, ok)| ok));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn stopping_a_background_plugin_kills_what_it_started_too() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pidfile = dir.path().join("pid");
        let (tx, mut rx) = mpsc::channel(100);
        let script = format!(
            "sleep 60 & echo $! > {}; echo started; wait",
            pidfile.display()
        );
        let task = tokio::spawn(background(
            launch(vec![vec!["sh", "-c", &script]], true),
            tx,
        ));
        // Wait for the grandchild to be there.
        while let Some(m) = rx.recv().await {
            if matches!(m, Inbound::Action(Action::PluginOutput(_, ref l)) if l.iter().any(|x| x == "started"))
            {
                break;
            }
        }
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap_or_default()
            .trim()
            .parse()
            .unwrap_or(0);
        assert!(pid > 0);
        task.abort();
        let _ = task.await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
                && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .unwrap_or_default()
                    .contains(") Z ");
            if !alive {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "sleep {pid} outlived its plugin"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
