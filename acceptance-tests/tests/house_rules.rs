//! Issue 23's rules for where code lives, checked on the source tree so that `make test`
//! fails when a change breaks one: no file over 800 lines in `provider/src` or
//! `tfplugin/src`, no glob re-export in `provider/src`, "not configured" worded in one
//! place, the release's attribute names in one module, and no two gate modules that
//! import each other.

use acceptance_tests::repo_root;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`, relative to the repository root, with its text.
fn sources(dir: &str) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path: PathBuf = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = repo_root();
    let mut out = BTreeMap::new();
    walk(&root, &root.join(dir), &mut out);
    assert!(!out.is_empty(), "no sources under {dir}");
    out
}

#[test]
fn no_source_file_is_over_800_lines() {
    for dir in ["provider/src", "tfplugin/src"] {
        for (file, text) in sources(dir) {
            let lines = text.lines().count();
            assert!(lines < 800, "{file} has {lines} lines: split it by job (tests into a tests.rs beside it)");
        }
    }
}

#[test]
fn provider_re_exports_by_name() {
    for (file, text) in sources("provider/src") {
        for line in text.lines().map(str::trim) {
            assert!(
                !(line.starts_with("pub use ") && line.ends_with("::*;")),
                "{file}: glob re-export `{line}`: name what is re-exported"
            );
        }
    }
}

#[test]
fn not_configured_is_worded_in_one_place() {
    let wording: Vec<String> = sources("provider/src")
        .into_iter()
        .filter(|(_, text)| text.lines().any(|l| l.contains("\"Provider not configured\"") && !l.contains("assert")))
        .map(|(file, _)| file)
        .collect();
    assert_eq!(wording, ["provider/src/errors.rs"], "use errors::not_configured");
}

#[test]
fn the_release_attribute_names_live_in_attrs() {
    let provider = sources("provider/src");
    for name in ["listener_rule_arn", "active_color", "standby_traffic_percent", "test_listener_rule_arn"] {
        let quoted = format!("\"{name}\"");
        let files: Vec<&String> = provider.iter().filter(|(_, t)| t.contains(&quoted)).map(|(f, _)| f).collect();
        assert_eq!(files, ["provider/src/resource_ecs_release/attrs.rs"], "{name}: use resource_ecs_release::attrs");
    }
}

#[test]
fn no_two_gate_modules_import_each_other() {
    // Module name → the sibling modules its `use` lines name.
    let gate = sources("provider/src/promotion_gate");
    let module_of = |file: &str| -> String {
        let rel = file.trim_start_matches("provider/src/promotion_gate/").trim_end_matches(".rs");
        rel.trim_end_matches("/mod").trim_end_matches("/tests").to_string()
    };
    let mut imports: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let names: Vec<String> = gate.keys().map(|f| module_of(f)).collect();
    for (file, text) in &gate {
        if file.ends_with("tests.rs") {
            continue;
        }
        let me = module_of(file);
        let uses: Vec<&str> = text.lines().map(str::trim).filter(|l| l.starts_with("use ")).collect();
        for other in names.iter().filter(|n| **n != me && !me.starts_with(&format!("{n}/"))) {
            let leaf = other.rsplit('/').next().unwrap();
            if uses.iter().any(|u| u.contains(&format!("::{leaf}::")) || u.contains(&format!("::{leaf};"))) {
                imports.entry(me.clone()).or_default().push(other.clone());
            }
        }
    }
    for (a, targets) in &imports {
        for b in targets {
            assert!(
                !imports.get(b).is_some_and(|t| t.contains(a)),
                "promotion_gate: {a} and {b} import each other: {imports:?}"
            );
        }
    }
    assert!(imports.get("poll").is_some_and(|t| t.contains(&"check".to_string())), "the check reads: {imports:?}");
}
