//! Editing an object in $EDITOR, as `kubectl edit` does but without ever overwriting someone
//! else's change or losing the user's. Shared by `kx edit` and the TUI's `e` (which suspends
//! itself around `edit`).
//!
//! One attempt: write the latest object's YAML (managedFields left out, a comment header on
//! top) to a private file, run the editor, read the file back. Then: unchanged → nothing to
//! do; invalid YAML → reopen with the error on top and the text kept; changed → a merge patch
//! of only the changed fields, checked against the latest object (a field someone else changed
//! meanwhile → reopen on the latest object with the user's changes re-applied and the conflict
//! explained), optionally previewed with a server-side dry run, and sent with the latest
//! resourceVersion as a precondition (a 409 starts the check again). The file is removed after
//! success and kept, its path said, after any failure.

pub mod file;
pub mod patch;

use crate::cluster::backoff::retry_kube;
use crate::cluster::object::{ObjectRef, dynamic_api};
use crate::diff::{self, Noise};
use anyhow::{Context, Result, anyhow, bail};
use file::Reason;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Show the server's dry-run result as a diff and ask before applying.
    pub preview: bool,
    /// How long each request keeps being retried while the server is away (`--request-timeout`).
    pub request_timeout: std::time::Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied; what changed, in `spec.replicas 3→5` form, and the object before and after
    /// (for the TUI's revision history).
    Applied {
        summary: String,
        before: Box<Value>,
        after: Box<Value>,
    },
    Unchanged,
    /// Nothing applied, and why (with the kept file's path when there is one).
    Cancelled(String),
}

impl Outcome {
    /// What to tell the user (Err when nothing was applied for a reason), and the object before
    /// and after when the edit was applied.
    pub fn report(self, what: &str) -> (Result<String, String>, Option<(Value, Value)>) {
        let message = self.message(what);
        match self {
            Outcome::Applied { before, after, .. } => (Ok(message), Some((*before, *after))),
            Outcome::Unchanged => (Ok(message), None),
            Outcome::Cancelled(_) => (Err(message), None),
        }
    }

    pub fn message(&self, what: &str) -> String {
        match self {
            Outcome::Applied { summary, .. } if summary.is_empty() => format!("edited {what}"),
            Outcome::Applied { summary, .. } => format!("edited {what}: {summary}"),
            Outcome::Unchanged => "edit cancelled, no changes".into(),
            Outcome::Cancelled(why) => why.clone(),
        }
    }
}

/// The editor command: `$KUBE_EDITOR`, else `$EDITOR`, else `vi`, split as a shell would.
pub fn editor_command() -> Result<Vec<String>> {
    let raw = ["KUBE_EDITOR", "EDITOR"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    let argv = shell_words::split(&raw)
        .map_err(|e| anyhow!("cannot split the editor command {raw:?}: {e}"))?;
    if argv.is_empty() {
        bail!("the editor command {raw:?} is empty");
    }
    Ok(argv)
}

/// The object as the editor shows it: without managedFields (kubectl leaves them out too).
fn for_editing(obj: &DynamicObject) -> Result<Value> {
    let mut v = serde_json::to_value(obj)?;
    if let Some(meta) = v["metadata"].as_object_mut() {
        meta.remove("managedFields");
    }
    Ok(v)
}

fn rv_of(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A request that failed or got no answer in time (`retry_kube`), worded as `api_error`.
fn failed(e: &Option<kube::Error>, verb: &str, what: &str, limit: std::time::Duration) -> String {
    match e {
        Some(e) => api_error(e, verb, what),
        None => format!(
            "cannot {verb} {what}: no answer from the API server in {} (--request-timeout)",
            crate::duration::human(limit)
        ),
    }
}

/// How many times the object may change between kx's check and its write before kx stops
/// and says so (a controller rewriting it without pause).
const MAX_RACES: u32 = 10;

/// Why a request failed, worded as everywhere in kx, with what kx was doing when it is not
/// already said (a 403 names the verb and the object itself).
pub fn api_error(e: &kube::Error, verb: &str, what: &str) -> String {
    match crate::cluster::errors::classify(e) {
        denied @ crate::cluster::errors::KxError::Forbidden(_) => denied.to_string(),
        crate::cluster::errors::KxError::NotFound { .. } => format!("{what} not found"),
        other => format!("cannot {verb} {what}: {other}"),
    }
}

fn rejected(e: &kube::Error) -> Option<String> {
    match e {
        kube::Error::Api(s) if s.code == 400 || s.code == 422 => Some(format!(
            "the server rejected it ({} {}): {}",
            s.code, s.reason, s.message
        )),
        _ => None,
    }
}

/// A private place for the file: a 0700 directory, the file 0600.
struct Workspace {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl Workspace {
    fn new(target: &ObjectRef) -> Result<Workspace> {
        let dir = tempfile::Builder::new()
            .prefix("kx-edit-")
            .tempdir()
            .context("cannot create a private directory for the edit")?;
        set_mode(dir.path(), 0o700)?;
        let file_name = format!(
            "{}-{}.yaml",
            target.resource.kind.to_lowercase(),
            target.name.replace(['/', '\\'], "_")
        );
        let path = dir.path().join(file_name);
        Ok(Workspace {
            dir: Some(dir),
            path,
        })
    }

    fn write(&self, text: &str) -> Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options
            .open(&self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        f.write_all(text.as_bytes())?;
        Ok(())
    }

    fn read(&self) -> Result<String> {
        std::fs::read_to_string(&self.path)
            .with_context(|| format!("cannot read {}", self.path.display()))
    }

    /// Keeps the file for the user and says where it is.
    fn keep(&mut self) -> String {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        format!("your edit is kept in {}", self.path.display())
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    let _ = (path, mode);
    Ok(())
}

async fn run_editor(path: &Path) -> Result<std::process::ExitStatus> {
    let argv = editor_command()?;
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .arg(&path)
            .status()
            .map_err(|e| {
                anyhow!(
                    "cannot run the editor {:?}: {e} (set $KUBE_EDITOR or $EDITOR to one that is installed)",
                    argv.join(" ")
                )
            })
    })
    .await?
}

/// Shows the preview and asks on the terminal; anything but yes is no.
async fn confirm_on_terminal(preview: String, question: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let mut err = std::io::stderr();
        let _ = write!(err, "{preview}{question} [y/N] ");
        let _ = err.flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok()
            && matches!(answer.trim(), "y" | "Y" | "yes" | "YES")
    })
    .await
    .unwrap_or(false)
}

/// Edits `target` in the user's editor until it is applied, unchanged or cancelled.
pub async fn edit(client: Client, target: &ObjectRef, options: Options) -> Result<Outcome> {
    let api: Api<DynamicObject> = dynamic_api(client, target);
    let what = target.display();
    let limit = options.request_timeout;
    let latest = retry_kube(limit, || api.get(&target.name))
        .await
        .map_err(|e| anyhow!(failed(&e, "get", &what, limit)))?;
    let mut original = for_editing(&latest)?;
    let mut work = Workspace::new(target)?;
    let mut text = file::header(&what, &rv_of(&original), Reason::First) + &diff::yaml(&original);
    loop {
        work.write(&text)?;
        let status = run_editor(&work.path).await.map_err(|e| {
            let kept = work.keep();
            anyhow!("{e}; {kept}")
        })?;
        if !status.success() {
            return Ok(Outcome::Cancelled(format!(
                "the editor exited with {status}: edit cancelled, nothing applied ({})",
                work.keep()
            )));
        }
        let saved = work.read()?;
        let user = file::body(&saved).to_string();
        if file::is_blank(&saved) {
            return Ok(Outcome::Cancelled(
                "the file was emptied: edit cancelled, nothing applied".into(),
            ));
        }
        let edited: Value = match serde_yaml::from_str(&user) {
            Ok(v) => v,
            Err(e) => {
                let why = format!("invalid YAML: {e}");
                text = file::header(&what, &rv_of(&original), Reason::Rejected(&why)) + &user;
                continue;
            }
        };
        if edited == original {
            return Ok(Outcome::Unchanged);
        }
        let change = patch::merge_patch(&original, &edited);
        // Check and send, again after a 409: the object may change between the two.
        let mut races = 0u32;
        let next = loop {
            races += 1;
            if races > MAX_RACES {
                bail!(
                    "{what} changed {MAX_RACES} times while kx was writing; something rewrites it constantly (a controller?); {}",
                    work.keep()
                );
            }
            if races > 1 {
                tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(races))).await;
            }
            let latest = retry_kube(limit, || api.get(&target.name))
                .await
                .map_err(|e| anyhow!("{}; {}", failed(&e, "get", &what, limit), work.keep()))?;
            let latest = for_editing(&latest)?;
            let conflicts = patch::conflicts(&original, &latest, &edited, &change);
            if !conflicts.is_empty() {
                let mut merged = latest.clone();
                json_patch::merge(&mut merged, &change);
                let head = file::header(&what, &rv_of(&latest), Reason::Conflicts(&conflicts));
                original = latest;
                break head + &diff::yaml(&merged);
            }
            // The resourceVersion makes the server refuse (409) if anything changed since.
            let mut guarded = change.clone();
            guarded["metadata"]["resourceVersion"] = Value::String(rv_of(&latest));
            if options.preview {
                let dry = PatchParams {
                    dry_run: true,
                    ..Default::default()
                };
                let body = Patch::Merge(&guarded);
                match retry_kube(limit, || api.patch(&target.name, &dry, &body)).await {
                    Ok(result) => {
                        let after = diff::strip_owned(for_editing(&result)?, &Noise::DEFAULT);
                        let before = diff::strip(&latest, &Noise::DEFAULT);
                        let preview = format!(
                            "What the server will change (dry run):\n{}",
                            diff::unified(&before, &after, crate::paint::stderr())
                        );
                        if !confirm_on_terminal(preview, format!("Apply to {what}?")).await {
                            return Ok(Outcome::Cancelled(format!(
                                "not applied: no yes to the preview (--no-preview applies without asking); {}",
                                work.keep()
                            )));
                        }
                    }
                    Err(Some(kube::Error::Api(s))) if s.code == 409 => continue,
                    Err(e) => match e.as_ref().and_then(rejected) {
                        Some(why) => {
                            break file::header(&what, &rv_of(&latest), Reason::Rejected(&why))
                                + &user;
                        }
                        None => bail!("{}; {}", failed(&e, "patch", &what, limit), work.keep()),
                    },
                }
            }
            // A retried patch is safe: the resourceVersion precondition turns a repeat into a
            // 409, and the check above then finds the object already as the user wrote it.
            let apply = PatchParams::default();
            let body = Patch::Merge(&guarded);
            match retry_kube(limit, || api.patch(&target.name, &apply, &body)).await {
                Ok(result) => {
                    let whole = for_editing(&result)?;
                    let after = diff::strip(&whole, &Noise::DEFAULT);
                    let before = diff::strip(&latest, &Noise::DEFAULT);
                    return Ok(Outcome::Applied {
                        summary: diff::summary(&before, &after, 3),
                        before: Box::new(latest),
                        after: Box::new(whole),
                    });
                }
                Err(Some(kube::Error::Api(s))) if s.code == 409 => continue,
                Err(e) => match e.as_ref().and_then(rejected) {
                    Some(why) => {
                        break file::header(&what, &rv_of(&latest), Reason::Rejected(&why)) + &user;
                    }
                    None => bail!("{}; {}", failed(&e, "patch", &what, limit), work.keep()),
                },
            }
        };
        text = next;
    }
}
