//! The tiny shell every simulated container runs under `exec`: enough to try things by hand
//! (`echo`, `env`, `hostname`, `ls`, `cat` of a few files, `cd`, `stty size`, `exit N`) and
//! for tests to check what came back. It is pure: a line in, what to write and what happened
//! out; `connect` does the terminal part (echo, prompt, line editing).

use std::collections::BTreeMap;

/// What a container is, as its shell sees it.
#[derive(Debug, Clone)]
pub struct Machine {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub image: String,
    pub env: BTreeMap<String, String>,
}

/// Whether a container's image has a shell at all: distroless and from-scratch images do not
/// (the demo's worker images are built that way), so exec's "no shell" path can be tried.
pub fn has_shell(image: &str) -> bool {
    !(image.contains("distroless") || image.contains("kx-demo/worker"))
}

/// Whether an image has bash besides sh. Alpine- and busybox-based images have only sh, and
/// some runtimes report `exec bash` there as exit code 126 with their message on stdout; the
/// demo's postgres stands in for such an image (the real one is Debian-based, with bash).
pub fn has_bash(image: &str) -> bool {
    has_shell(image)
        && !["postgres", "alpine", "busybox"]
            .iter()
            .any(|i| image.contains(i))
}

/// What one command line did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    /// Set by `exit`: the shell ends with this status.
    pub exit: Option<i32>,
    /// `sleep N`: the caller waits this long before the next prompt.
    pub sleep_secs: u64,
}

pub struct Shell {
    pub machine: Machine,
    pub cwd: String,
    pub status: i32,
    /// Rows and columns of the client's terminal, from its resize messages.
    pub size: Option<(u16, u16)>,
}

const DIRS: &[(&str, &[&str])] = &[
    (
        "/",
        &[
            "app", "bin", "dev", "etc", "home", "proc", "root", "tmp", "usr", "var",
        ],
    ),
    (
        "/etc",
        &["hostname", "hosts", "os-release", "passwd", "resolv.conf"],
    ),
    ("/app", &["config.yaml"]),
    ("/bin", &["cat", "echo", "env", "hostname", "ls", "sh"]),
    ("/root", &[]),
    ("/tmp", &[]),
    ("/home", &[]),
    ("/var", &["log"]),
    ("/usr", &["bin", "lib"]),
];

impl Shell {
    pub fn new(machine: Machine) -> Shell {
        Shell {
            machine,
            cwd: "/".into(),
            status: 0,
            size: None,
        }
    }

    pub fn prompt(&self, bash: bool) -> String {
        if bash {
            format!("root@{}:{}# ", self.machine.pod, self.cwd)
        } else {
            "# ".to_string()
        }
    }

    fn variable(&self, name: &str) -> String {
        match name {
            "?" => self.status.to_string(),
            "HOSTNAME" => self.machine.pod.clone(),
            "PWD" => self.cwd.clone(),
            "HOME" => "/root".into(),
            _ => self.machine.env.get(name).cloned().unwrap_or_default(),
        }
    }

    /// `$NAME`, `${NAME}` and `$?` replaced, outside single quotes (good enough for a demo).
    fn expand(&self, line: &str) -> String {
        let mut out = String::new();
        let mut chars = line.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            if c == '\'' {
                quoted = !quoted;
                out.push(c);
                continue;
            }
            if c != '$' || quoted {
                out.push(c);
                continue;
            }
            let mut name = String::new();
            if chars.peek() == Some(&'{') {
                chars.next();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    name.push(c);
                }
            } else if chars.peek() == Some(&'?') {
                chars.next();
                name.push('?');
            } else {
                while let Some(&c) = chars.peek() {
                    if !(c.is_ascii_alphanumeric() || c == '_') {
                        break;
                    }
                    name.push(c);
                    chars.next();
                }
            }
            if name.is_empty() {
                out.push('$');
            } else {
                out.push_str(&self.variable(&name));
            }
        }
        out
    }

    fn path(&self, arg: &str) -> String {
        let joined = if arg.starts_with('/') {
            arg.to_string()
        } else if self.cwd == "/" {
            format!("/{arg}")
        } else {
            format!("{}/{arg}", self.cwd)
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in joined.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        format!("/{}", parts.join("/"))
    }

    fn file(&self, path: &str) -> Option<String> {
        let m = &self.machine;
        Some(match path {
            "/etc/hostname" => format!("{}\n", m.pod),
            "/etc/hosts" => format!(
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.64.0.2\t{}\n",
                m.pod
            ),
            "/etc/os-release" => {
                "PRETTY_NAME=\"kx simulated container\"\nNAME=\"kx-sim\"\nID=kxsim\nVERSION_ID=\"1\"\n"
                    .to_string()
            }
            "/etc/passwd" => "root:x:0:0:root:/root:/bin/sh\n".to_string(),
            "/etc/resolv.conf" => format!(
                "search {}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
                m.namespace
            ),
            "/app/config.yaml" => format!(
                "# {} in {}/{}\nimage: {}\nlisten: 0.0.0.0\n",
                m.container, m.namespace, m.pod, m.image
            ),
            _ => return None,
        })
    }

    /// Runs one line: commands joined by `;`, `&&` and `||`.
    pub fn run(&mut self, line: &str) -> Ran {
        let mut all = Ran::default();
        let mut skip = false;
        for (command, joiner) in split_list(line) {
            if !skip {
                let ran = self.run_one(&command);
                all.stdout.push_str(&ran.stdout);
                all.stderr.push_str(&ran.stderr);
                all.sleep_secs += ran.sleep_secs;
                if ran.exit.is_some() {
                    all.exit = ran.exit;
                    return all;
                }
            }
            skip = match joiner {
                Joiner::And => self.status != 0,
                Joiner::Or => self.status == 0,
                Joiner::Then => false,
            };
        }
        all
    }

    /// Runs one command (`exit`, a builtin, or "not found").
    fn run_one(&mut self, line: &str) -> Ran {
        let expanded = self.expand(line);
        let words = match shell_words::split(&expanded) {
            Ok(w) => w,
            Err(_) => {
                self.status = 2;
                return Ran {
                    stderr: "sh: syntax error: unterminated quoted string\n".into(),
                    ..Ran::default()
                };
            }
        };
        // `>&2` (or `1>&2`) sends the command's output to stderr.
        let to_stderr = words.iter().any(|w| w == ">&2" || w == "1>&2");
        let words: Vec<String> = words
            .into_iter()
            .filter(|w| w != ">&2" && w != "1>&2")
            .collect();
        let Some((command, args)) = words.split_first() else {
            return Ran::default();
        };
        let mut ran = Ran::default();
        let status = self.builtin(command, args, &mut ran);
        if to_stderr {
            let out = std::mem::take(&mut ran.stdout);
            ran.stderr.push_str(&out);
        }
        self.status = status;
        ran
    }

    fn builtin(&mut self, command: &str, args: &[String], ran: &mut Ran) -> i32 {
        let name = command.rsplit('/').next().unwrap_or(command);
        match name {
            "exit" => {
                let code = args
                    .first()
                    .map_or(Some(self.status), |a| a.parse::<i32>().ok());
                match code {
                    Some(c) => {
                        ran.exit = Some(c & 0xff);
                        c & 0xff
                    }
                    None => {
                        ran.stderr = format!("sh: exit: Illegal number: {}\n", args[0]);
                        2
                    }
                }
            }
            "echo" => {
                ran.stdout = format!("{}\n", args.join(" "));
                0
            }
            "true" | ":" => 0,
            "false" => 1,
            "hostname" => {
                ran.stdout = format!("{}\n", self.machine.pod);
                0
            }
            "whoami" => {
                ran.stdout = "root\n".into();
                0
            }
            "id" => {
                ran.stdout = "uid=0(root) gid=0(root) groups=0(root)\n".into();
                0
            }
            "pwd" => {
                ran.stdout = format!("{}\n", self.cwd);
                0
            }
            "uname" => {
                ran.stdout = if args.iter().any(|a| a == "-a") {
                    format!(
                        "Linux {} 6.12.0-kx-sim #1 SMP x86_64 GNU/Linux\n",
                        self.machine.pod
                    )
                } else {
                    "Linux\n".into()
                };
                0
            }
            "date" => {
                ran.stdout = format!("{}\n", jiff::Timestamp::now());
                0
            }
            "env" | "printenv" => {
                let mut vars = self.machine.env.clone();
                vars.insert("HOSTNAME".into(), self.machine.pod.clone());
                vars.insert("HOME".into(), "/root".into());
                vars.insert(
                    "PATH".into(),
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
                );
                if let Some(var) = args.first().filter(|_| name == "printenv") {
                    return match vars.get(var) {
                        Some(v) => {
                            ran.stdout = format!("{v}\n");
                            0
                        }
                        None => 1,
                    };
                }
                ran.stdout = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                0
            }
            "cd" => {
                let target = self.path(args.first().map_or("/root", String::as_str));
                if DIRS.iter().any(|(d, _)| *d == target) {
                    self.cwd = target;
                    0
                } else {
                    ran.stderr = format!("sh: cd: can't cd to {}\n", args[0]);
                    2
                }
            }
            "ls" => {
                let mut status = 0;
                let targets: Vec<String> = if args.is_empty() {
                    vec![self.cwd.clone()]
                } else {
                    args.iter()
                        .filter(|a| !a.starts_with('-'))
                        .map(|a| self.path(a))
                        .collect()
                };
                for t in targets {
                    if let Some((_, entries)) = DIRS.iter().find(|(d, _)| *d == t) {
                        ran.stdout.push_str(&entries.join("\n"));
                        if !entries.is_empty() {
                            ran.stdout.push('\n');
                        }
                    } else if self.file(&t).is_some() {
                        ran.stdout.push_str(&format!("{t}\n"));
                    } else {
                        ran.stderr.push_str(&format!(
                            "ls: cannot access '{t}': No such file or directory\n"
                        ));
                        status = 2;
                    }
                }
                status
            }
            "cat" => {
                let mut status = 0;
                for a in args {
                    let p = self.path(a);
                    match self.file(&p) {
                        Some(text) => ran.stdout.push_str(&text),
                        None if DIRS.iter().any(|(d, _)| *d == p) => {
                            ran.stderr.push_str(&format!("cat: {a}: Is a directory\n"));
                            status = 1;
                        }
                        None => {
                            ran.stderr
                                .push_str(&format!("cat: {a}: No such file or directory\n"));
                            status = 1;
                        }
                    }
                }
                status
            }
            "stty" if args.first().is_some_and(|a| a == "size") => match self.size {
                Some((rows, cols)) => {
                    ran.stdout = format!("{rows} {cols}\n");
                    0
                }
                None => {
                    ran.stderr = "stty: 'standard input': Inappropriate ioctl for device\n".into();
                    1
                }
            },
            "ps" => {
                ran.stdout = format!(
                    "PID   USER     COMMAND\n    1 root     {}\n   42 root     sh\n",
                    self.machine.container
                );
                0
            }
            "sleep" => match args.first().and_then(|a| a.parse::<u64>().ok()) {
                Some(secs) => {
                    ran.sleep_secs = secs.min(3600);
                    0
                }
                None => {
                    ran.stderr = "sleep: invalid number\n".into();
                    1
                }
            },
            _ => {
                ran.stderr = format!("sh: 1: {command}: not found\n");
                127
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Joiner {
    Then,
    And,
    Or,
}

/// A command list cut at `;`, `&&` and `||` outside quotes, each part with what follows it.
fn split_list(line: &str) -> Vec<(String, Joiner)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, ';') => parts.push((std::mem::take(&mut current), Joiner::Then)),
            (None, '&') if chars.peek() == Some(&'&') => {
                chars.next();
                parts.push((std::mem::take(&mut current), Joiner::And));
            }
            (None, '|') if chars.peek() == Some(&'|') => {
                chars.next();
                parts.push((std::mem::take(&mut current), Joiner::Or));
            }
            (None, c) => current.push(c),
        }
    }
    parts.push((current, Joiner::Then));
    parts
}

/// Whether the command an exec asks for is a shell (then the session is interactive line by
/// line) rather than one program to run.
pub fn is_shell(command: &str) -> bool {
    matches!(
        command.rsplit('/').next().unwrap_or(command),
        "sh" | "bash" | "ash" | "dash" | "zsh"
    )
}

/// Whether a program exists in the simulated image (anything the shell knows as a builtin).
pub fn exists(command: &str) -> bool {
    let name = command.rsplit('/').next().unwrap_or(command);
    is_shell(name)
        || matches!(
            name,
            "echo"
                | "true"
                | "false"
                | "hostname"
                | "whoami"
                | "id"
                | "pwd"
                | "uname"
                | "date"
                | "env"
                | "printenv"
                | "ls"
                | "cat"
                | "stty"
                | "ps"
                | "sleep"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell() -> Shell {
        Shell::new(Machine {
            namespace: "shop".into(),
            pod: "web-1".into(),
            container: "nginx".into(),
            image: "nginx:1.27".into(),
            env: BTreeMap::from([("LOG_LEVEL".into(), "info".into())]),
        })
    }

    #[test]
    fn builtins_answer_as_a_small_linux_would() {
        let mut sh = shell();
        assert_eq!(sh.run("hostname").stdout, "web-1\n");
        assert_eq!(
            sh.run("echo $HOSTNAME says \"hi there\"").stdout,
            "web-1 says hi there\n"
        );
        assert_eq!(sh.run("echo '$HOSTNAME'").stdout, "$HOSTNAME\n");
        assert!(sh.run("env").stdout.contains("LOG_LEVEL=info\n"));
        assert_eq!(sh.run("cat /etc/hostname").stdout, "web-1\n");
        assert!(sh.run("ls /etc").stdout.contains("resolv.conf\n"));
        assert!(
            sh.run("cat /etc/resolv.conf")
                .stdout
                .contains("search shop.svc")
        );
        let missing = sh.run("cat /nope");
        assert_eq!(missing.stderr, "cat: /nope: No such file or directory\n");
        assert_eq!(sh.run("echo $?").stdout, "1\n");
    }

    #[test]
    fn unknown_commands_are_not_found_with_127_and_exit_ends_the_shell() {
        let mut sh = shell();
        let ran = sh.run("kubectl get pods");
        assert_eq!(ran.stderr, "sh: 1: kubectl: not found\n");
        assert_eq!(sh.status, 127);
        assert_eq!(sh.run("exit").exit, Some(127));
        assert_eq!(sh.run("exit 3").exit, Some(3));
        assert_eq!(sh.run("exit 256").exit, Some(0));
        assert_eq!(sh.run("exit x").exit, None);
    }

    #[test]
    fn lists_run_in_order_and_and_or_follow_the_status() {
        let mut sh = shell();
        assert_eq!(sh.run("echo a; hostname").stdout, "a\nweb-1\n");
        assert_eq!(sh.run("false && echo no || echo yes").stdout, "yes\n");
        assert_eq!(sh.run("echo 'a;b' && exit 5").exit, Some(5));
        let to_err = sh.run("echo oops >&2");
        assert_eq!(
            (to_err.stdout.as_str(), to_err.stderr.as_str()),
            ("", "oops\n")
        );
    }

    #[test]
    fn cd_moves_and_the_prompt_follows() {
        let mut sh = shell();
        assert_eq!(sh.run("cd /etc").stderr, "");
        assert_eq!(sh.prompt(true), "root@web-1:/etc# ");
        assert_eq!(sh.run("cat hostname").stdout, "web-1\n");
        sh.run("cd ..");
        assert_eq!(sh.run("pwd").stdout, "/\n");
        assert_eq!(
            sh.run("cd /nowhere").stderr,
            "sh: cd: can't cd to /nowhere\n"
        );
    }

    #[test]
    fn stty_size_reports_the_last_resize() {
        let mut sh = shell();
        assert_eq!(sh.run("stty size").exit, None);
        assert_eq!(sh.status, 1);
        sh.size = Some((40, 132));
        assert_eq!(sh.run("stty size").stdout, "40 132\n");
    }

    #[test]
    fn distroless_images_have_no_shell() {
        assert!(!has_shell("gcr.io/distroless/static-debian12"));
        assert!(!has_shell("ghcr.io/kx-demo/worker:1.8.0"));
        assert!(has_shell("nginx:1.27"));
        assert!(has_bash("nginx:1.27") && has_shell("postgres:16.4") && !has_bash("postgres:16.4"));
        assert!(is_shell("/bin/bash") && !is_shell("hostname"));
        assert!(exists("/bin/hostname") && !exists("curl"));
    }
}
