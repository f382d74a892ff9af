//! The release zip installed the way a user's Terraform installs it: from a filesystem
//! mirror, with `terraform init` checking it and recording its hash in the lock file —
//! no dev_overrides. Needs `make dist` first (`make test` runs it).

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::Scaffold;
use acceptance_tests::terraform::{Workdir, provider_block};
use std::path::PathBuf;

fn dist_dir() -> PathBuf {
    std::env::var_os("BLUEGREEN_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| acceptance_tests::repo_root().join("dist"))
}

/// `h1:` hash of a provider zip: base64(sha256 of "SHA256HEX  NAME\n" per member, sorted).
fn h1_hash(zip: &std::path::Path) -> String {
    let script = "import base64,hashlib,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\n\
lines=''.join(f'{hashlib.sha256(z.read(n)).hexdigest()}  {n}\\n' for n in sorted(z.namelist()))\n\
print('h1:'+base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode())";
    let out = std::process::Command::new(acceptance_tests::emulator::python())
        .args(["-c", script])
        .arg(zip)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn release_zip_installs_from_a_filesystem_mirror_and_plans() {
    let dist = dist_dir();
    let zip = std::fs::read_dir(&dist)
        .unwrap_or_else(|e| panic!("no {} ({e}): run `make dist`", dist.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .expect("a release zip in dist/");
    let zip_name = zip.file_name().unwrap().to_str().unwrap().to_string();
    // terraform-provider-bluegreen_VERSION_OS_ARCH.zip
    let parts: Vec<&str> = zip_name.trim_end_matches(".zip").split('_').collect();
    assert_eq!(parts.len(), 4, "zip name {zip_name}");
    let version = parts[1];
    let sums =
        std::fs::read_to_string(dist.join(format!("terraform-provider-bluegreen_{version}_SHA256SUMS"))).unwrap();
    let zip_sha = sums
        .lines()
        .find(|l| l.ends_with(&zip_name))
        .and_then(|l| l.split_whitespace().next())
        .expect("zip in SHA256SUMS");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join(format!("terraform-provider-bluegreen_{version}_manifest.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["metadata"]["protocol_versions"], serde_json::json!(["6.0"]));

    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let mirror = std::env::temp_dir().join(format!("bluegreen-mirror-{}", std::process::id()));
    let pkg_dir = mirror.join("registry.terraform.io/bluegreen-ecs/bluegreen");
    std::fs::create_dir_all(&pkg_dir).unwrap();
    std::fs::copy(&zip, pkg_dir.join(&zip_name)).unwrap();
    let addr = "registry.terraform.io/bluegreen-ecs/bluegreen";
    let wd = Workdir::with_cli_config(
        &emu.endpoint(),
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n    include = [\"{addr}\"]\n  }}\n  direct {{\n    exclude = [\"{addr}\"]\n  }}\n}}\n",
            mirror.display()
        ),
    );
    // The usual configuration, pinned to the packaged version.
    let provider = provider_block(&emu.endpoint()).replace(
        "bluegreen = { source = \"bluegreen-ecs/bluegreen\" }",
        &format!(
            "bluegreen = {{\n      source  = \"bluegreen-ecs/bluegreen\"\n      version = \"= {version}\"\n    }}"
        ),
    );
    assert!(provider.contains(&format!("version = \"= {version}\"")), "{provider}");
    wd.write("main.tf", &format!("{provider}{}", s.release_hcl("listener_rule_arn", "  active_color = \"blue\"")));
    let init = wd.ok(&["init", "-input=false", "-no-color"]);
    assert!(init.stdout.contains(&format!("Installed bluegreen-ecs/bluegreen v{version}")), "{}", init.all());
    assert!(!init.all().contains("overrides"), "no dev_overrides may be involved: {}", init.all());
    let lock = std::fs::read_to_string(wd.path().join(".terraform.lock.hcl")).unwrap();
    assert!(lock.contains(&format!("version     = \"{version}\"")), "{lock}");
    // A mirror install records the package's h1 hash (Go's dirhash of the zip's files).
    assert!(lock.contains(&format!("\"{}\"", h1_hash(&zip))), "the lock file records the zip's h1 hash: {lock}");
    assert_eq!(zip_sha.len(), 64);
    wd.apply();
    assert_eq!(wd.plan_exit_code().code, 0);
    let _ = std::fs::remove_dir_all(&mirror);
}
