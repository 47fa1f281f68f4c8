//! `kx changes KIND/NAME` and `kx status KIND/NAME`: an object's revisions as they happen, like
//! kubespy, but without the noise and without ever giving up. The object is followed by a
//! kube-runtime watcher, which resumes from its last resourceVersion (and relists after 410),
//! so no revision is missed across a broken watch; a revision seen twice (a relist) is printed
//! once.

use crate::cli::{ChangesArgs, ChangesOutput, Connection};
use crate::cluster::backoff::Policy;
use crate::cluster::object::{ObjectMsg, follow_with};
use crate::diff::{self, Noise};
use crate::paint::{fg, paint_if};
use anstyle::AnsiColor;
use anyhow::Result;
use serde_json::{Value, json};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use tokio::sync::mpsc;

struct Printer {
    json: bool,
    colour: bool,
    status_only: bool,
    noise: Noise,
    /// Show a Secret's values (`--show-secrets`); otherwise sizes and fingerprints.
    show_secrets: bool,
    /// Escape control characters in the object's text (stdout is a terminal).
    escape: bool,
    what: String,
    /// The last revision printed, noise taken out, and its resourceVersion.
    last: Option<(Value, String)>,
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Makes every string of the object (keys too) safe to print on a terminal.
fn escape_strings(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(safe) = crate::text::visible(s) {
                *s = safe;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(escape_strings),
        Value::Object(m) => {
            let risky: Vec<String> = m
                .keys()
                .filter(|k| matches!(crate::text::visible(k), std::borrow::Cow::Owned(_)))
                .cloned()
                .collect();
            for k in risky {
                if let Some(val) = m.remove(&k) {
                    m.insert(crate::text::visible(&k).into_owned(), val);
                }
            }
            m.values_mut().for_each(escape_strings);
        }
        _ => {}
    }
}

impl Printer {
    fn header(&self, kind: &str, rv: &str, summary: &str) -> String {
        let colour = match kind {
            "ADDED" => AnsiColor::Green,
            "DELETED" => AnsiColor::Red,
            _ => AnsiColor::Yellow,
        };
        let head = format!("{} {kind} {} rv={rv}", now(), self.what);
        let head = paint_if(self.colour, &head, fg(colour).bold());
        if summary.is_empty() {
            format!("{head}\n")
        } else {
            format!("{head}  {summary}\n")
        }
    }

    /// What to print for a revision, if anything (a relist repeats revisions; noise-only
    /// changes are not shown unless asked for).
    fn revision(&mut self, mut obj: Value) -> Option<String> {
        let rv = obj["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if self
            .last
            .as_ref()
            .is_some_and(|(_, last_rv)| *last_rv == rv)
        {
            return None;
        }
        if !self.show_secrets {
            crate::cluster::secrets::hide_secret_values(&mut obj);
        }
        if self.escape {
            escape_strings(&mut obj);
        }
        let view = if self.status_only {
            obj.get("status").cloned().unwrap_or(Value::Null)
        } else {
            obj
        };
        let clean = diff::strip_owned(view, &self.noise);
        let out = match &self.last {
            None => {
                if self.json {
                    json!({"type": "ADDED", "time": now(), "resourceVersion": rv, "object": clean})
                        .to_string()
                        + "\n"
                } else {
                    self.header("ADDED", &rv, "") + &diff::yaml(&clean)
                }
            }
            Some((prev, _)) if *prev == clean => {
                self.last = Some((clean, rv));
                return None;
            }
            Some((prev, _)) => {
                let summary = diff::summary(prev, &clean, 4);
                if self.json {
                    json!({"type": "MODIFIED", "time": now(), "resourceVersion": rv,
                           "summary": summary, "diff": diff::unified(prev, &clean, false)})
                    .to_string()
                        + "\n"
                } else {
                    self.header("MODIFIED", &rv, &summary)
                        + &diff::unified(prev, &clean, self.colour)
                }
            }
        };
        self.last = Some((clean, rv));
        Some(out)
    }

    fn deleted(&mut self) -> String {
        let rv = self.last.take().map(|(_, rv)| rv).unwrap_or_default();
        if self.json {
            json!({"type": "DELETED", "time": now(), "resourceVersion": rv}).to_string() + "\n"
        } else {
            self.header("DELETED", &rv, "")
        }
    }
}

pub async fn run(conn: Connection, args: ChangesArgs, status_only: bool) -> Result<ExitCode> {
    let (client, target) = super::connect_target(&conn, &args.target).await?;
    let tty = std::io::stdout().is_terminal();
    let mut printer = Printer {
        json: args.output == ChangesOutput::Json,
        colour: crate::paint::stdout(),
        status_only,
        noise: if args.all_fields {
            Noise::NONE
        } else {
            Noise::DEFAULT
        },
        show_secrets: args.show_secrets,
        escape: tty,
        what: target.display(),
        last: None,
    };
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(follow_with(
        client,
        target.clone(),
        false,
        tx,
        Policy::FOLLOWING,
    ));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut said_waiting = false;
    let mut reconnects = super::term::Reconnects::on_stderr("kx");
    let mut stdout = std::io::stdout();
    loop {
        let msg = tokio::select! {
            m = rx.recv() => m,
            _ = &mut ctrl_c => None,
        };
        let Some(msg) = msg else { break };
        if matches!(
            msg,
            ObjectMsg::Object(_) | ObjectMsg::Missing | ObjectMsg::Deleted
        ) {
            reconnects.recovered();
        }
        let text = match msg {
            ObjectMsg::Object(obj) => printer.revision(obj),
            ObjectMsg::Missing if printer.last.is_some() => Some(printer.deleted()),
            // The server's complete list said there is no such object: only now is that known.
            ObjectMsg::Missing => {
                if !said_waiting {
                    said_waiting = true;
                    eprintln!(
                        "kx: {} does not exist (yet); waiting for it (ctrl-c to stop)",
                        target.display()
                    );
                }
                None
            }
            ObjectMsg::Deleted => Some(printer.deleted()),
            ObjectMsg::Error(trouble) => {
                reconnects.failed(&trouble);
                None
            }
            ObjectMsg::EventSeen(..) | ObjectMsg::EventGone(_) | ObjectMsg::EventsError(_) => None,
        };
        if let Some(t) = text {
            // A reader that went away (`| head`) ends the run quietly.
            if stdout
                .write_all(t.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                break;
            }
        }
    }
    task.abort();
    Ok(ExitCode::SUCCESS)
}
