//! `kx import k9s`: a k9s setup read where k9s reads it, translated (`k9s`), checked with
//! kx's own loaders, then written into kx's config directory — only files that are not
//! there or that an earlier import wrote (with --force), never one the user wrote.

pub mod k9s;
pub mod skin;

use std::path::{Path, PathBuf};

/// Where k9s keeps its configuration: `$K9S_CONFIG_DIR`, else `$XDG_CONFIG_HOME/k9s`, else
/// the platform's config directory (`~/.config/k9s`, `~/Library/Application Support/k9s`).
pub fn k9s_dir_from(
    k9s_config_dir: Option<&str>,
    xdg_config_home: Option<&str>,
) -> Option<PathBuf> {
    if let Some(d) = k9s_config_dir.filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(x) = xdg_config_home.filter(|x| !x.is_empty()) {
        return Some(Path::new(x).join("k9s"));
    }
    directories::BaseDirs::new().map(|b| b.config_dir().join("k9s"))
}

fn read(path: &Path) -> Result<Option<(String, String)>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some((path.display().to_string(), text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The first of these names that exists (k9s renamed its files over the years).
fn read_first(dir: &Path, names: &[&str]) -> Result<Option<(String, String)>, String> {
    for n in names {
        if let Some(found) = read(&dir.join(n))? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    out.sort();
    out
}

/// Reads the k9s files of `dir`.
pub fn gather(dir: &Path) -> Result<k9s::K9sFiles, String> {
    if !dir.is_dir() {
        return Err(format!(
            "no k9s configuration at {} (say where with --from DIR, or set K9S_CONFIG_DIR)",
            dir.display()
        ));
    }
    let mut files = k9s::K9sFiles {
        config: read_first(dir, &["config.yaml", "config.yml"])?,
        aliases: read_first(dir, &["aliases.yaml", "aliases.yml", "alias.yml"])?,
        hotkeys: read_first(dir, &["hotkeys.yaml", "hotkeys.yml", "hotkey.yml"])?,
        ..Default::default()
    };
    if let Some(p) = read_first(dir, &["plugins.yaml", "plugins.yml", "plugin.yml"])? {
        files.plugins.push(p);
    }
    for p in yaml_files(&dir.join("plugins")) {
        files.plugins.extend(read(&p)?);
    }
    for p in yaml_files(&dir.join("skins")) {
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(f) = read(&p)? {
            files.skins.insert(name, f);
        }
    }
    // clusters/CLUSTER/CONTEXT/config.yaml
    let clusters = dir.join("clusters");
    let mut contexts: Vec<PathBuf> = std::fs::read_dir(&clusters)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|cluster| {
            std::fs::read_dir(cluster.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|context| context.path().join("config.yaml"))
        .filter(|p| p.is_file())
        .collect();
    contexts.sort();
    for p in contexts {
        files.contexts.extend(read(&p)?);
    }
    Ok(files)
}

/// kx's own loaders on what the import would write: every file must load without a warning.
pub fn validate(plan: &k9s::Plan) -> Result<(), Vec<String>> {
    let mut warnings = Vec::new();
    for (name, text) in &plan.files {
        let origin = format!("{name} (to be written)");
        match name.as_str() {
            "config.yaml" => {
                crate::config::Settings::load(Some((text, &origin)), &mut warnings);
            }
            "plugins.yaml" => {
                crate::config::plugins::load(text, &origin, &mut warnings);
            }
            "hotkeys.yaml" => {
                crate::config::hotkeys::load(text, &origin, &mut warnings);
            }
            theme if theme.starts_with("themes/") => {
                let t = crate::config::theme::Theme::load("import", Some((text, &origin)), false);
                warnings.extend(t.warnings);
            }
            _ => {}
        }
    }
    if warnings.is_empty() {
        Ok(())
    } else {
        Err(warnings)
    }
}

/// What happens to one file of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Write,
    /// An earlier import's file, as it wrote it: replaced (--force).
    Replace,
    /// An earlier import's file, kept (no --force).
    KeepOurs,
    /// An earlier import's file that was edited since: kept, even with --force.
    KeepEdited,
    /// A file the user wrote (or `kx config init` did), or anything that is not a plain
    /// file (a symlink, a folder): never touched.
    KeepTheirs,
}

fn checksum(body: &str) -> String {
    format!("{:08x}", crc32fast::hash(body.as_bytes()))
}

/// The text as written: its first line (the mark) ends with the checksum of the rest, so a
/// re-run can tell its own file, untouched, from one the user edited since.
pub fn stamp(text: &str) -> String {
    match text.split_once('\n') {
        Some((first, rest)) => format!("{first} (checksum {})\n{rest}", checksum(rest)),
        None => text.to_string(),
    }
}

pub fn fate(path: &Path, force: bool) -> Fate {
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Fate::Write,
        Err(_) => return Fate::KeepTheirs,
        Ok(m) => m,
    };
    if !meta.file_type().is_file() {
        return Fate::KeepTheirs;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Fate::KeepTheirs;
    };
    if !text.starts_with(k9s::MARK) {
        return Fate::KeepTheirs;
    }
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let untouched = first
        .rsplit_once("(checksum ")
        .and_then(|(_, sum)| sum.strip_suffix(')'))
        .is_some_and(|sum| sum == checksum(rest));
    match (untouched, force) {
        (false, _) => Fate::KeepEdited,
        (true, true) => Fate::Replace,
        (true, false) => Fate::KeepOurs,
    }
}

/// Writes a file of the plan: a new one only if it is still not there (never through a
/// symlink put there meanwhile); a replaced one through a temporary file and a rename.
pub fn write(path: &Path, text: &str, fate: &Fate) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = stamp(text);
    match fate {
        Fate::Write => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)?;
            f.write_all(text.as_bytes())
        }
        Fate::Replace => {
            let dir = path.parent().unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            tmp.write_all(text.as_bytes())?;
            tmp.persist(path).map(|_| ()).map_err(|e| e.error)
        }
        _ => Ok(()),
    }
}

/// Keys the imported plugins and hotkeys would not get, as kx's key map (the user's
/// keys.yaml in `into`, else the defaults) and each other take them.
pub fn key_clashes(plan: &k9s::Plan, into: &Path) -> Vec<String> {
    let config = crate::config::Config::load(Some(into.to_path_buf()), None, true);
    let mut ignored = Vec::new();
    let plugins = plan
        .files
        .get("plugins.yaml")
        .map(|t| crate::config::plugins::load(t, "plugins.yaml", &mut ignored))
        .unwrap_or_default();
    let hotkeys = plan
        .files
        .get("hotkeys.yaml")
        .map(|t| crate::config::hotkeys::load(t, "hotkeys.yaml", &mut ignored))
        .unwrap_or_default();
    let mut out: Vec<String> =
        crate::config::plugins::conflicts(&plugins, &|c| config.keys.taken(c))
            .into_iter()
            .map(|(name, why)| format!("plugin {name}: {why}"))
            .collect();
    out.extend(
        crate::config::hotkeys::conflicts(&hotkeys, &plugins, &config.keys)
            .into_iter()
            .map(|(name, why)| format!("hotkey {name}: {why}")),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_k9s_directory_is_found_as_k9s_finds_it() {
        assert_eq!(
            k9s_dir_from(Some("/cfg/k9s-here"), Some("/xdg")),
            Some(PathBuf::from("/cfg/k9s-here"))
        );
        assert_eq!(
            k9s_dir_from(Some(""), Some("/xdg")),
            Some(PathBuf::from("/xdg/k9s"))
        );
        let default = k9s_dir_from(None, None).unwrap_or_default();
        assert!(default.ends_with("k9s"), "{}", default.display());
    }

    #[test]
    fn a_file_is_written_replaced_or_kept_by_who_wrote_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ours = dir.path().join("ours.yaml");
        let theirs = dir.path().join("theirs.yaml");
        let _ = std::fs::write(&ours, stamp(&format!("{} from x\nplugins:\n", k9s::MARK)));
        let _ = std::fs::write(&theirs, "plugins:\n");
        assert_eq!(fate(&dir.path().join("new.yaml"), false), Fate::Write);
        assert_eq!(fate(&ours, false), Fate::KeepOurs);
        assert_eq!(fate(&ours, true), Fate::Replace);
        assert_eq!(fate(&theirs, true), Fate::KeepTheirs);
        // Edited since the import: kept even with --force.
        let edited = std::fs::read_to_string(&ours).unwrap_or_default() + "  mine: {}\n";
        let _ = std::fs::write(&ours, edited);
        assert_eq!(fate(&ours, true), Fate::KeepEdited);
        // A symlink (even one to nowhere) is never written through.
        #[cfg(unix)]
        {
            let link = dir.path().join("link.yaml");
            let _ = std::os::unix::fs::symlink(dir.path().join("elsewhere.yaml"), &link);
            assert_eq!(fate(&link, true), Fate::KeepTheirs);
        }
    }
}
