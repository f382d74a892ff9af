//! `make test` fails on stale docs: the generator's check passes on the committed docs
//! and fails, naming the file, once a generated page differs from what the schema and
//! templates produce.

use acceptance_tests::emulator::python;
use acceptance_tests::repo_root;
use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn check(docs: &Path) -> std::process::Output {
    Command::new(python())
        .arg(repo_root().join("tools/gendocs.py"))
        .args(["--check", "--docs-dir"])
        .arg(docs)
        .env_remove("TF_CLI_CONFIG_FILE")
        .output()
        .unwrap()
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn stale_docs_are_caught() {
    let tmp = acceptance_tests::emulator::TempDir::new("docs");
    let docs = tmp.0.join("docs");
    copy_dir(&repo_root().join("docs"), &docs);
    let fresh = check(&docs);
    assert!(fresh.status.success(), "committed docs are stale: {}", String::from_utf8_lossy(&fresh.stderr));

    let page = docs.join("resources/ecs_release.md");
    let edited = std::fs::read_to_string(&page).unwrap().replace("Optional", "Optionnal");
    std::fs::write(&page, edited).unwrap();
    let stale = check(&docs);
    assert_eq!(stale.status.code(), Some(1));
    let all = format!("{}{}", String::from_utf8_lossy(&stale.stdout), String::from_utf8_lossy(&stale.stderr));
    assert!(all.contains("docs are stale: run make docs") && all.contains("ecs_release.md"), "{all}");
}
