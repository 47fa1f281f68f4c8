//! Copying to the clipboard: OSC 52 on the terminal (it reaches the local clipboard through
//! SSH, and through tmux when tmux lets it), and a clipboard tool of this machine when there is
//! one (tmux's buffer, wl-copy, xclip, xsel, pbcopy, clip.exe), since not every terminal takes
//! OSC 52.

use base64::Engine;
use std::path::Path;

/// The escape sequence that asks the terminal to put `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// The local tool to hand the text to, if one applies here: `env(NAME)` reads the
/// environment, `exists(program)` says whether the program is on PATH.
pub fn local_tool(
    env: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&str) -> bool,
) -> Option<Vec<&'static str>> {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let candidates: [(bool, &[&'static str]); 6] = [
        // tmux's buffer, and with -w the outer terminal's clipboard too.
        (set("TMUX"), &["tmux", "load-buffer", "-w", "-"]),
        (set("WAYLAND_DISPLAY"), &["wl-copy"]),
        (set("DISPLAY"), &["xclip", "-selection", "clipboard"]),
        (set("DISPLAY"), &["xsel", "--clipboard", "--input"]),
        (cfg!(target_os = "macos"), &["pbcopy"]),
        (set("WSL_DISTRO_NAME"), &["clip.exe"]),
    ];
    candidates
        .into_iter()
        .find(|(applies, argv)| *applies && exists(argv[0]))
        .map(|(_, argv)| argv.to_vec())
}

/// Whether `program` is an executable file in a PATH directory.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program)))
    })
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Hands `text` to the local tool, if any (its failure is not the user's concern: OSC 52
/// was sent too).
pub async fn to_local_tool(text: String) {
    let env = |k: &str| std::env::var(k).ok();
    let Some(argv) = local_tool(&env, &on_path) else {
        return;
    };
    let mut cmd = tokio::process::Command::new(argv[0]);
    cmd.args(&argv[1..])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let Ok(mut child) = cmd.spawn() else {
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        let _ = stdin.write_all(text.as_bytes()).await;
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), child.wait()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_in_base64_between_its_escape_and_bell() {
        assert_eq!(osc52("web-1"), "\x1b]52;c;d2ViLTE=\x07");
        assert_eq!(osc52("a\nb"), "\x1b]52;c;YQpi\x07");
    }

    #[test]
    fn the_local_tool_follows_the_session_and_what_is_installed() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let all = |_: &str| true;
        assert_eq!(
            local_tool(&env(&[("TMUX", "/tmp/t,1,0"), ("DISPLAY", ":0")]), &all),
            Some(vec!["tmux", "load-buffer", "-w", "-"])
        );
        assert_eq!(
            local_tool(&env(&[("DISPLAY", ":0")]), &|p| p == "xsel"),
            Some(vec!["xsel", "--clipboard", "--input"])
        );
        assert_eq!(local_tool(&env(&[("DISPLAY", ":0")]), &|_| false), None);
        if !cfg!(target_os = "macos") {
            assert_eq!(local_tool(&env(&[]), &all), None, "no session, no tool");
        }
    }
}
