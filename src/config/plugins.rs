//! plugins.yaml: the user's own commands on keys, per resource scope. A plugin is an argv
//! with variables (`$NAME`, `$COL-IMAGE`, …) filled from the selected rows; it never goes
//! through a shell unless it says `shell: true` (or names one: `shell: bash`), and then the
//! values are the script's parameters, never part of its text.
//! Pure: parsing, checking and expanding; running is the UI's.

use super::keys::{Key, parse_chord};

pub const DEFAULT_PLUGINS: &str = include_str!("../../config/plugins.yaml");

/// Variables about the rows a plugin runs on. When a plugin runs once for all marked rows,
/// an argument naming `$NAME`, `$CONTAINER` or a column is repeated per row; one naming
/// only `$NAMESPACE` is given once (`-n $NAMESPACE`), so the rows must share it.
pub const ROW_VARIABLES: &[&str] = &["NAMESPACE", "NAME", "CONTAINER"];

/// Variables about where the plugin runs: the same for every row.
pub const COMMON_VARIABLES: &[&str] = &[
    "CONTEXT",
    "CLUSTER",
    "USER",
    "KUBECONFIG",
    "GROUP",
    "VERSION",
    "RESOURCE",
    "FILTER",
];

/// With marked rows: once per row, or once with all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    Each,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plugin {
    pub name: String,
    pub keys: Vec<Key>,
    pub description: String,
    /// Resource names it applies to (plural, singular, kind, short name, `plural.group`),
    /// `containers` for a pod's containers, or `all`; lower case.
    pub scopes: Vec<String>,
    pub command: String,
    pub args: Vec<String>,
    /// Output captured to a scrollable view instead of handing the terminal over.
    pub background: bool,
    pub confirm: bool,
    /// It changes the cluster: not run under --readonly.
    pub writes: bool,
    pub marked: Marked,
    /// The shell the command is a script for (`shell: true` is sh); None: an argv.
    pub shell: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    #[serde(default)]
    description: String,
    scopes: Vec<String>,
    command: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    confirm: bool,
    #[serde(default)]
    writes: bool,
    #[serde(default)]
    marked: Option<String>,
    #[serde(default)]
    shell: Option<serde_yaml::Value>,
}

/// Reads plugins.yaml (`plugins: {NAME: {...}}`); what is wrong with an entry is a warning
/// naming it, and the others load.
pub fn load(text: &str, origin: &str, warnings: &mut Vec<String>) -> Vec<Plugin> {
    let Some(map) = super::named_entries(
        text,
        origin,
        "plugins",
        "`NAME: {key, scopes, command, …}`",
        warnings,
    ) else {
        return Vec::new();
    };
    let mut plugins = Vec::new();
    for (name, body) in &map {
        let name = name.as_str().unwrap_or_default().to_string();
        let at = format!("{origin}: plugin {name}");
        match serde_yaml::from_value::<Entry>(body.clone()) {
            Ok(e) => match build(name, e) {
                Ok(p) => {
                    // A shell plugin's script has the shell's own variables too.
                    if p.shell.is_none() {
                        warnings.extend(unknown_variables(&p).map(|v| format!("{at}: {v}")));
                    }
                    plugins.push(p);
                }
                Err(why) => warnings.push(format!("{at}: {why}; not loaded")),
            },
            Err(e) => warnings.push(format!(
                "{at}: {e} (expected key, scopes, command and optionally description, args, output, confirm, writes, marked, shell); not loaded"
            )),
        }
    }
    plugins
}

fn build(name: String, e: Entry) -> Result<Plugin, String> {
    let keys = parse_chord(&e.key).map_err(|why| format!("key {:?}: {why}", e.key))?;
    if e.command.trim().is_empty() {
        return Err("command is empty".into());
    }
    if e.scopes.is_empty() {
        return Err("scopes is empty (say `all` for every list)".into());
    }
    let background = match e.output.as_deref() {
        None | Some("foreground") => false,
        Some("background") => true,
        Some(other) => {
            return Err(format!(
                "output {other:?}: expected foreground (the terminal is handed over) or background (output in a view)"
            ));
        }
    };
    let marked = match e.marked.as_deref() {
        None | Some("each") => Marked::Each,
        Some("all") => Marked::All,
        Some(other) => {
            return Err(format!(
                "marked {other:?}: expected each (one run per marked row) or all (one run with every row)"
            ));
        }
    };
    let shell = match &e.shell {
        None | Some(serde_yaml::Value::Bool(false)) => None,
        Some(serde_yaml::Value::Bool(true)) => Some("sh".to_string()),
        Some(serde_yaml::Value::String(sh))
            if !sh.trim().is_empty() && !sh.contains(char::is_whitespace) =>
        {
            Some(sh.clone())
        }
        Some(other) => {
            return Err(format!(
                "shell {other:?}: expected true (sh), false, or a shell's name (bash)"
            ));
        }
    };
    let per_row_in_command = parse(&e.command)
        .unwrap_or_default()
        .iter()
        .any(Piece::per_row);
    if marked == Marked::All && per_row_in_command {
        return Err(
            "with marked: all the command runs once: put $NAME, $CONTAINER and columns in args, which repeat for every marked row"
                .into(),
        );
    }
    Ok(Plugin {
        name,
        keys,
        description: e.description,
        scopes: e.scopes.iter().map(|s| s.to_lowercase()).collect(),
        command: e.command,
        args: e.args,
        background,
        confirm: e.confirm,
        writes: e.writes,
        marked,
        shell,
    })
}

/// What the variables in a plugin's command and arguments name that kx does not know.
fn unknown_variables(p: &Plugin) -> impl Iterator<Item = String> + '_ {
    std::iter::once(&p.command)
        .chain(&p.args)
        .flat_map(|text| parse(text).unwrap_or_default())
        .filter_map(|piece| match piece {
            Piece::Var(v, _) if !known(&v) => Some(format!(
                "${v} is not a variable kx fills (it has {}, and COL-<COLUMN>); it stays as written",
                ROW_VARIABLES
                    .iter()
                    .chain(COMMON_VARIABLES)
                    .map(|v| format!("${v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            _ => None,
        })
}

fn known(var: &str) -> bool {
    ROW_VARIABLES.contains(&var) || COMMON_VARIABLES.contains(&var) || var.starts_with("COL-")
}

impl Plugin {
    /// Whether it applies to a list known by these names (plural, kind, short names, …).
    pub fn applies(&self, names: &[&str]) -> bool {
        self.scopes
            .iter()
            .any(|s| s == "all" || names.iter().any(|n| n.eq_ignore_ascii_case(s)))
    }

    /// The command lines to run: one per row, or one for all rows (`marked: all`). `row(i,
    /// VAR)` is a row's value, `common(VAR)` the rest; a variable neither knows stays as
    /// written.
    pub fn argvs(
        &self,
        rows: usize,
        row: &dyn Fn(usize, &str) -> Option<String>,
        common: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Vec<String>>, String> {
        let groups: Vec<Vec<usize>> = match self.marked {
            Marked::Each => (0..rows).map(|i| vec![i]).collect(),
            Marked::All => vec![(0..rows).collect()],
        };
        if self.marked == Marked::All && self.namespace_given_once() {
            let mut namespaces: Vec<String> =
                (0..rows).filter_map(|i| row(i, "NAMESPACE")).collect();
            namespaces.sort();
            namespaces.dedup();
            if namespaces.len() > 1 {
                return Err(format!(
                    "plugin {} runs once for all marked rows with one $NAMESPACE, and they are in {} namespaces ({}); mark rows of one namespace",
                    self.name,
                    namespaces.len(),
                    namespaces.join(", ")
                ));
            }
        }
        Ok(groups
            .into_iter()
            .map(|group| self.argv(&group, row, common))
            .collect())
    }

    /// The `COL-…` variables it uses.
    pub fn columns_used(&self) -> Vec<String> {
        std::iter::once(&self.command)
            .chain(&self.args)
            .flat_map(|t| parse(t).unwrap_or_default())
            .filter_map(|p| match p {
                Piece::Var(v, _) if v.starts_with("COL-") => Some(v),
                _ => None,
            })
            .collect()
    }

    /// Whether `$NAMESPACE` appears in an argument not repeated per row (or the command).
    fn namespace_given_once(&self) -> bool {
        let once = |text: &String| {
            let pieces = parse(text).unwrap_or_default();
            !pieces.iter().any(Piece::per_row)
                && pieces
                    .iter()
                    .any(|p| matches!(p, Piece::Var(v, _) if v == "NAMESPACE"))
        };
        once(&self.command) || self.args.iter().any(once)
    }

    fn argv(
        &self,
        group: &[usize],
        row: &dyn Fn(usize, &str) -> Option<String>,
        common: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        // An argument naming a row's variable is repeated for each row of the group; the
        // others are filled from its first row (its namespace, which `argvs` made sure all
        // rows share).
        let first = group.first().copied().unwrap_or(0);
        let lookup = |v: &str| row(first, v).or_else(|| common(v));
        let mut words = Vec::new();
        for arg in &self.args {
            let pieces = parse(arg).unwrap_or_else(|_| vec![Piece::Text(arg.clone())]);
            if pieces.iter().any(|p| p.per_row()) {
                for &i in group {
                    words.push(fill(&pieces, &|v| row(i, v).or_else(|| common(v))));
                }
            } else {
                words.push(fill(&pieces, &lookup));
            }
        }
        let command_pieces =
            parse(&self.command).unwrap_or_else(|_| vec![Piece::Text(self.command.clone())]);
        if let Some(sh) = &self.shell {
            // `sh -c SCRIPT sh VALUE…`: the values are parameters, never part of the script;
            // the arguments follow the script as more of them.
            let mut values = Vec::new();
            let mut script = shell_script(&command_pieces, &lookup, &mut values);
            for w in words {
                values.push(w);
                script.push_str(&format!(" \"${{{}}}\"", values.len()));
            }
            let mut argv = vec![sh.clone(), "-c".into(), script, sh.clone()];
            argv.extend(values);
            return argv;
        }
        let mut argv = vec![fill(&command_pieces, &lookup)];
        argv.extend(words);
        argv
    }

    /// The command line as the help and a confirmation show it.
    pub fn display(argv: &[String]) -> String {
        argv.iter()
            .map(|w| {
                if w.is_empty() || w.contains(|c: char| c.is_whitespace() || "'\"$\\".contains(c)) {
                    quote(w)
                } else {
                    w.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A variable's name, and how it was written (`$NAME`, `${NAME}`): a variable kx does not
    /// fill stays exactly as written (a shell's own `${p}_x` too).
    Var(String, String),
}

impl Piece {
    fn per_row(&self) -> bool {
        matches!(self, Piece::Var(v, _) if v == "NAME" || v == "CONTAINER" || v.starts_with("COL-"))
    }
}

/// `$NAME`, `${NAME}`, `$COL-IMAGE`, `${COL-NOMINATED NODE}`; `$$` is a `$`.
fn parse(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' {
            literal.push(c);
            continue;
        }
        let (var, written) = match chars.peek().map(|(_, c)| *c) {
            Some('$') => {
                chars.next();
                literal.push('$');
                continue;
            }
            Some('{') => {
                chars.next();
                let mut v = String::new();
                loop {
                    match chars.next() {
                        Some((_, '}')) => break,
                        Some((_, c)) => v.push(c),
                        None => return Err(format!("{text:?}: ${{ without a closing }}")),
                    }
                }
                let written = format!("${{{v}}}");
                (v, written)
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut v = String::new();
                while let Some((_, c)) = chars.peek().copied() {
                    let column = v.starts_with("COL-") || v == "COL";
                    let ok = c.is_ascii_alphanumeric()
                        || c == '_'
                        || (column && (c == '-' || c == '%' || c == '/'));
                    if !ok {
                        break;
                    }
                    v.push(c);
                    chars.next();
                }
                let written = format!("${v}");
                (v, written)
            }
            _ => {
                literal.push('$');
                continue;
            }
        };
        if !literal.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut literal)));
        }
        pieces.push(Piece::Var(var, written));
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

/// The text with its variables filled; a variable kx does not fill stays as written.
fn fill(pieces: &[Piece], lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(v, written) => match lookup(v) {
                Some(value) => out.push_str(&value),
                None => out.push_str(written),
            },
        }
    }
    out
}

/// A `shell: true` plugin's script: each variable kx fills becomes a positional parameter
/// (its value goes in `values`), quoted for where it stands — outside quotes `"${N}"`, inside
/// double quotes `${N}`, inside single quotes `'"${N}"'` — so sh never reads a value as
/// code, wherever the plugin put the variable. Variables kx does not fill are the shell's.
fn shell_script(
    pieces: &[Piece],
    lookup: &dyn Fn(&str) -> Option<String>,
    values: &mut Vec<String>,
) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Quote {
        Out,
        Single,
        Double,
    }
    let (mut quote, mut escaped) = (Quote::Out, false);
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => {
                for c in t.chars() {
                    out.push(c);
                    if escaped {
                        escaped = false;
                        continue;
                    }
                    quote = match (quote, c) {
                        (Quote::Single, '\'') => Quote::Out,
                        (Quote::Single, _) => Quote::Single,
                        (q, '\\') => {
                            escaped = true;
                            q
                        }
                        (Quote::Out, '\'') => Quote::Single,
                        (Quote::Out, '"') => Quote::Double,
                        (Quote::Double, '"') => Quote::Out,
                        (q, _) => q,
                    };
                }
            }
            // `\$NAME` is sh's literal dollar: left as written.
            Piece::Var(_, written) if escaped => {
                escaped = false;
                out.push_str(written);
            }
            Piece::Var(v, written) => match lookup(v) {
                None => out.push_str(written),
                Some(value) => {
                    values.push(value);
                    let n = values.len();
                    out.push_str(&match quote {
                        Quote::Out => format!("\"${{{n}}}\""),
                        Quote::Double => format!("${{{n}}}"),
                        Quote::Single => format!("'\"${{{n}}}\"'"),
                    });
                }
            },
        }
    }
    out
}

/// One word for `sh`, whatever it holds.
fn quote(word: &str) -> String {
    shell_words::quote(word).into_owned()
}

/// A column's value by the name a plugin uses: `COL-IMAGE`, `COL-NOMINATED_NODE` or
/// `COL-NOMINATED NODE`; case does not matter.
pub fn column_value<'a>(var: &str, columns: &'a [(String, String)]) -> Option<&'a str> {
    let wanted = var.strip_prefix("COL-")?;
    let norm = |s: &str| s.to_uppercase().replace(' ', "_");
    columns
        .iter()
        .find(|(name, _)| norm(name) == norm(wanted))
        .map(|(_, v)| v.as_str())
}

/// Plugins whose key another plugin or a built-in key of the same screens already takes:
/// `(plugin, what it clashes with)`.
pub fn conflicts(
    plugins: &[Plugin],
    built_in: &dyn Fn(&[Key]) -> Option<String>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, p) in plugins.iter().enumerate() {
        let chord = super::keys::chord_display(&p.keys);
        if let Some(what) = built_in(&p.keys) {
            out.push((p.name.clone(), format!("{chord} is kx's {what}")));
        }
        let overlap = |q: &Plugin| {
            p.scopes.iter().any(|s| s == "all" || q.scopes.contains(s))
                || q.scopes.iter().any(|s| s == "all")
        };
        if let Some(q) = plugins[..i].iter().find(|q| q.keys == p.keys && overlap(q)) {
            out.push((
                p.name.clone(),
                format!("{chord} is also plugin {}'s, in the same scope", q.name),
            ));
        } else if let Some(q) = plugins[..i].iter().find(|q| {
            overlap(q)
                && q.keys != p.keys
                && (q.keys.starts_with(&p.keys) || p.keys.starts_with(&q.keys))
        }) {
            // `g` next to `g x`: one of the two can never be typed.
            out.push((
                p.name.clone(),
                format!(
                    "{chord} and plugin {}'s {} begin alike, in the same scope",
                    q.name,
                    super::keys::chord_display(&q.keys)
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
