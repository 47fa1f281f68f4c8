use super::*;

fn one(yaml: &str) -> Plugin {
    let mut warnings = Vec::new();
    let mut plugins = load(yaml, "plugins.yaml", &mut warnings);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(plugins.len(), 1);
    plugins.remove(0)
}

/// A row as a list shows it: (namespace, name, columns).
type TestRow = (String, String, Vec<(String, String)>);

fn rows() -> Vec<TestRow> {
    vec![
        (
            "shop".into(),
            "web 'quoted' $HOME; rm -rf /".into(),
            vec![
                ("IMAGE".into(), "nginx:1.27".into()),
                ("NOMINATED NODE".into(), "<none>".into()),
            ],
        ),
        (
            "shop".into(),
            "api".into(),
            vec![
                ("IMAGE".into(), "api:2".into()),
                ("NOMINATED NODE".into(), "n1".into()),
            ],
        ),
    ]
}

fn run(p: &Plugin, rows: &[TestRow]) -> Vec<Vec<String>> {
    let row = |i: usize, var: &str| {
        let (ns, name, cols) = &rows[i];
        match var {
            "NAMESPACE" => Some(ns.clone()),
            "NAME" => Some(name.clone()),
            v => column_value(v, cols).map(str::to_string),
        }
    };
    let common = |var: &str| match var {
        "CONTEXT" => Some("kind-kx".to_string()),
        "RESOURCE" => Some("pods".to_string()),
        "FILTER" => Some("web".to_string()),
        _ => None,
    };
    p.argvs(rows.len(), &row, &common)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn variables_fill_whole_arguments_and_are_never_split_or_interpreted() {
    let mut warnings = Vec::new();
    let plugins = load(
        r#"
plugins:
  dive:
    key: shift-i
    description: Look into the image
    scopes: [pods, po]
    command: dive
    args: [--context, $CONTEXT, "${COL-IMAGE}", "ns=$NAMESPACE/$NAME", "${COL-NOMINATED NODE}", $COL-NOMINATED_NODE, "$$NAME", "$UNKNOWN"]
"#,
        "plugins.yaml",
        &mut warnings,
    );
    // An unknown variable is said when the file loads, and stays as written.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("$UNKNOWN is not a variable kx fills"));
    let p = &plugins[0];
    let argvs = run(p, &rows()[..1]);
    assert_eq!(
        argvs,
        vec![vec![
            "dive",
            "--context",
            "kind-kx",
            "nginx:1.27",
            "ns=shop/web 'quoted' $HOME; rm -rf /",
            "<none>",
            "<none>",
            "$NAME",
            "$UNKNOWN",
        ]]
    );
}

#[test]
fn marked_rows_run_once_each_or_once_with_every_row() {
    let each = one(
        "plugins: {p: {key: ctrl-x, scopes: [all], command: kubectl, args: [delete, -n, $NAMESPACE, pod, $NAME]}}",
    );
    assert_eq!(
        run(&each, &rows())
            .iter()
            .map(|a| a.join(" "))
            .collect::<Vec<_>>(),
        vec![
            "kubectl delete -n shop pod web 'quoted' $HOME; rm -rf /",
            "kubectl delete -n shop pod api"
        ]
    );
    let all = one(
        "plugins: {p: {key: ctrl-x, scopes: [all], command: kubectl, marked: all, args: [delete, -n, $NAMESPACE, pod, $NAME, --context, $CONTEXT]}}",
    );
    let argvs = run(&all, &rows());
    assert_eq!(argvs.len(), 1);
    assert_eq!(
        argvs[0],
        vec![
            "kubectl",
            "delete",
            "-n",
            "shop",
            "pod",
            "web 'quoted' $HOME; rm -rf /",
            "api",
            "--context",
            "kind-kx"
        ]
    );
    // One -n for rows of two namespaces would act on the wrong objects: refused, said why.
    let mut two = rows();
    two[1].0 = "billing".into();
    let row = |i: usize, var: &str| match var {
        "NAMESPACE" => Some(two[i].0.clone()),
        "NAME" => Some(two[i].1.clone()),
        _ => None,
    };
    let err = all.argvs(2, &row, &|_| None).err().unwrap_or_default();
    assert!(
        err.contains("they are in 2 namespaces (billing, shop); mark rows of one namespace"),
        "{err}"
    );
    assert!(
        each.argvs(2, &row, &|_| None).is_ok(),
        "once per row is fine"
    );
}

/// Runs an argv and returns its stdout.
fn output_of(argv: &[String]) -> String {
    std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

#[test]
fn a_shell_plugin_passes_values_as_parameters_so_sh_never_reads_them_as_code() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let canary = dir.path().join("ran");
    let mut rows = rows();
    // A value that is code if sh ever reads it: in any quoting the plugin chose.
    rows[0].2[0].1 = format!("$(touch {})`touch {}`", canary.display(), canary.display());
    let p = one(
        r#"plugins: {logs: {key: ctrl-l, scopes: [pods], shell: true, command: "printf '[%s]' $NAME \"$NAME\" '$NAME' \"x${COL-IMAGE}y\" \"$$HOME\" ${FILTER}", args: ["$CONTEXT"]}}"#,
    );
    let argvs = run(&p, &rows[..1]);
    let out = output_of(&argvs[0]);
    let name = "web 'quoted' $HOME; rm -rf /";
    let image = &rows[0].2[0].1;
    let home = std::env::var("HOME").unwrap_or_default();
    assert_eq!(
        out,
        format!("[{name}][{name}][{name}][x{image}y][{home}][web][kind-kx]")
    );
    assert!(!canary.exists(), "a value ran as code");
    // The shell's own variables stay its own, braces and all.
    let p = one(
        r#"plugins: {v: {key: ctrl-v, scopes: [pods], shell: true, command: "p=in; printf '%s' ${p}_x"}}"#,
    );
    assert_eq!(output_of(&run(&p, &rows[..1])[0]), "in_x");
}

#[test]
fn with_marked_all_a_row_variable_belongs_in_args_and_a_shell_script_gets_each_row() {
    let mut warnings = Vec::new();
    let bad = load(
        "plugins: {p: {key: x, scopes: [pods], command: \"kubectl delete pod $NAME\", shell: true, marked: all}}",
        "plugins.yaml",
        &mut warnings,
    );
    assert!(bad.is_empty());
    assert!(
        warnings[0].contains("with marked: all the command runs once"),
        "{warnings:?}"
    );
    let p = one(
        r#"plugins: {p: {key: x, scopes: [pods], command: "printf '<%s>' -n $NAMESPACE", shell: true, marked: all, args: [$NAME]}}"#,
    );
    let argvs = run(&p, &rows());
    assert_eq!(argvs.len(), 1);
    assert_eq!(
        output_of(&argvs[0]),
        "<-n><shop><web 'quoted' $HOME; rm -rf /><api>"
    );
}

#[test]
fn scopes_match_any_name_of_the_resource_or_all() {
    let p = one(
        "plugins: {p: {key: x, scopes: [Deployments, certificates.cert-manager.io], command: c}}",
    );
    assert!(p.applies(&["deployments", "deployment", "deploy", "Deployment"]));
    assert!(p.applies(&["certificates", "certificates.cert-manager.io"]));
    assert!(!p.applies(&["pods", "pod", "po"]));
    let all = one("plugins: {p: {key: x, scopes: [all], command: c}}");
    assert!(all.applies(&["anything"]));
}

#[test]
fn defaults_and_settings_load_and_each_mistake_is_named_while_the_rest_load() {
    let text = r#"
plugins:
  good:
    key: shift-d
    scopes: [pods]
    command: dive
    output: background
    confirm: true
    writes: true
    marked: all
  nokey:
    scopes: [pods]
    command: x
  badkey:
    key: ctrl-
    scopes: [pods]
    command: x
  badoutput:
    key: z
    scopes: [pods]
    command: x
    output: sideways
  noscope:
    key: z
    scopes: []
    command: x
  unknownvar:
    key: w
    scopes: [pods]
    command: echo
    args: [$NAMESPCE]
"#;
    let mut warnings = Vec::new();
    let plugins = load(text, "plugins.yaml", &mut warnings);
    let names: Vec<&str> = plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["good", "unknownvar"]);
    let good = &plugins[0];
    assert!(good.background && good.confirm && good.writes && good.shell.is_none());
    assert_eq!(good.marked, Marked::All);
    let said = warnings.join("\n");
    for expected in [
        "plugin nokey: missing field `key`",
        "plugin badkey: key \"ctrl-\"",
        "plugin badoutput: output \"sideways\": expected foreground",
        "plugin noscope: scopes is empty",
        "plugin unknownvar: $NAMESPCE is not a variable kx fills",
    ] {
        assert!(said.contains(expected), "{expected:?} not in:\n{said}");
    }
    let mut warnings = Vec::new();
    assert!(load("plugins: [", "plugins.yaml", &mut warnings).is_empty());
    assert!(warnings[0].contains("not valid YAML"), "{warnings:?}");
}

#[test]
fn conflicts_with_built_in_keys_and_between_plugins_in_one_scope_are_found() {
    let mut warnings = Vec::new();
    let plugins = load(
        r#"
plugins:
  a: {key: shift-d, scopes: [pods], command: a}
  b: {key: ctrl-t, scopes: [pods], command: b}
  c: {key: ctrl-t, scopes: [deployments], command: c}
  d: {key: ctrl-t, scopes: [all], command: d}
  e: {key: g, scopes: [pods], command: e}
  f: {key: g x, scopes: [pods], command: f}
"#,
        "plugins.yaml",
        &mut warnings,
    );
    let built_in = |keys: &[Key]| {
        (super::super::keys::chord_display(keys) == "D").then(|| "diff key".to_string())
    };
    let found = conflicts(&plugins, &built_in);
    assert_eq!(
        found,
        vec![
            ("a".to_string(), "D is kx's diff key".to_string()),
            (
                "d".to_string(),
                "ctrl-t is also plugin b's, in the same scope".to_string()
            ),
            (
                "f".to_string(),
                "g x and plugin e's g begin alike, in the same scope".to_string()
            ),
        ]
    );
}

#[test]
fn a_command_line_is_shown_with_quotes_where_a_word_needs_them() {
    let argv = vec![
        "kubectl".to_string(),
        "logs".into(),
        "web 1".into(),
        "".into(),
    ];
    assert_eq!(Plugin::display(&argv), "kubectl logs 'web 1' ''");
}

#[test]
fn the_shipped_examples_load_when_uncommented_and_the_file_as_shipped_has_none() {
    let mut warnings = Vec::new();
    assert!(load(DEFAULT_PLUGINS, "plugins.yaml", &mut warnings).is_empty());
    assert!(warnings.is_empty(), "{warnings:?}");
    let after = DEFAULT_PLUGINS
        .split_once("plugins:\n")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let uncommented: String = after
        .lines()
        .map(|l| l.strip_prefix('#').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let plugins = load(
        &format!("plugins:\n{uncommented}"),
        "plugins.yaml",
        &mut warnings,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let names: Vec<&str> = plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["dive", "stern", "node-top", "restart-all", "owners"]
    );
}
