//! Foundation: real Terraform loads the provider, reads its schema, configures it
//! against the emulator, and shows its structured logs.

use acceptance_tests::PROVIDER_ADDRESS;
use acceptance_tests::emulator::Emulator;
use acceptance_tests::terraform::{Workdir, provider_block};

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn terraform_lists_the_provider_schema_with_resource_and_data_source() {
    let emu = Emulator::start();
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &provider_block(&emu.endpoint()));
    let out = wd.ok(&["providers", "schema", "-json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("schema JSON");
    let p = &v["provider_schemas"][PROVIDER_ADDRESS];
    assert!(p.is_object(), "provider {PROVIDER_ADDRESS} missing from {}", out.stdout);
    let release = &p["resource_schemas"]["bluegreen_ecs_release"]["block"];
    assert_eq!(release["attributes"]["cluster"]["required"], true);
    assert_eq!(release["attributes"]["active_color"]["optional"], true);
    assert_eq!(release["attributes"]["active_color"]["computed"], true);
    assert_eq!(release["block_types"]["promotion"]["max_items"], 1);
    let ds = &p["data_source_schemas"]["bluegreen_ecs_release"]["block"];
    assert_eq!(ds["attributes"]["cluster"]["required"], true);
    let provider = &p["provider"]["block"];
    for attr in ["region", "profile", "max_retries"] {
        assert!(provider["attributes"][attr].is_object(), "provider attribute {attr} missing");
    }
    for block in ["assume_role", "endpoints"] {
        assert!(provider["block_types"][block].is_object(), "provider block {block} missing");
    }
    // Terraform 1.12+ identity import needs the identity schema.
    let identity = &v["provider_schemas"][PROVIDER_ADDRESS]["resource_identity_schemas"]["bluegreen_ecs_release"];
    assert!(identity["attributes"]["cluster"].is_object(), "identity schema missing: {}", out.stdout);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn init_and_plan_with_provider_pointed_at_the_emulator() {
    let emu = Emulator::start();
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &format!("{}\nresource \"terraform_data\" \"x\" {{}}\n", provider_block(&emu.endpoint())));
    wd.ok(&["init", "-input=false", "-no-color"]);
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    // terraform_data is new, so the plan has changes (2); the provider configured cleanly.
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(!out.stderr.contains("Error"), "{}", out.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn provider_logs_reach_terraform_as_structured_lines_at_their_levels() {
    let emu = Emulator::start();
    let mut wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &provider_block(&emu.endpoint()));
    wd.set_env("TF_LOG_PROVIDER", "DEBUG");
    let out = wd.ok(&["plan", "-input=false", "-no-color"]);
    let ours: Vec<&str> = out.stderr.lines().filter(|l| l.contains("provider.terraform-provider-bluegreen")).collect();
    // go-plugin re-emits a parsed hclog line at its own level, with our fields as key=value.
    // (Terraform configures a provider only when a resource uses it; the release tests
    // check the INFO "provider configured" line.)
    let serving = ours.iter().find(|l| l.contains("[DEBUG]") && l.contains("plugin serving"));
    let serving = serving.unwrap_or_else(|| panic!("no DEBUG line from the provider in:\n{}", out.stderr));
    assert!(serving.contains("@module=bluegreen") && serving.contains("network=tcp"), "{serving}");
    // Unparsed lines would appear as raw JSON.
    assert!(!ours.iter().any(|l| l.contains("\"@message\"")), "raw JSON log lines:\n{}", out.stderr);
    // Below the level we asked for, nothing of ours is shown.
    assert!(!ours.iter().any(|l| l.contains("[TRACE]")), "TRACE shown at DEBUG:\n{}", out.stderr);
}

/// A state and an identity stored at schema version 0 are brought to version 1 by
/// real Terraform through the provider's upgrade steps, which see the stored JSON
/// before it is decoded against the current schema: tfplugin's example provider's
/// `echo_renamed` renamed `greeting` to `message` (and the identity's `name` to
/// `key`). Decoding first would have dropped `greeting`, and the plan would set it.
#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn state_stored_at_schema_version_0_is_upgraded_by_terraform_through_a_rename() {
    let dir = acceptance_tests::terraform::provider_dir().join("examples");
    assert!(
        dir.join("terraform-provider-echo").is_file(),
        "no {}/terraform-provider-echo: `cargo test` builds it (or `cargo build -p tfplugin --examples`)",
        dir.display()
    );
    let wd = Workdir::with_cli_config(
        "",
        &format!(
            "provider_installation {{\n  dev_overrides {{\n    \"bluegreen-ecs/echo\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            dir.display()
        ),
    );
    wd.write(
        "main.tf",
        "terraform {\n  required_providers {\n    echo = { source = \"bluegreen-ecs/echo\" }\n  }\n}\n\n\
         resource \"echo_renamed\" \"x\" {\n  message = \"hello\"\n}\n",
    );
    let v0 = serde_json::json!({
        "version": 4,
        "terraform_version": "1.11.0",
        "serial": 1,
        "lineage": "5f0c1d2e-0000-4000-8000-000000000001",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "echo_renamed",
            "name": "x",
            "provider": "provider[\"registry.terraform.io/bluegreen-ecs/echo\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": {"id": "echo", "greeting": "hello"},
                "sensitive_attributes": [],
                "identity_schema_version": 0,
                "identity": {"name": "echo"}
            }]
        }],
        "check_results": null
    });
    wd.write("terraform.tfstate", &serde_json::to_string_pretty(&v0).unwrap());

    // The upgraded state already holds message = "hello": nothing to change.
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "the version-0 state must upgrade to message = \"hello\":\n{}", plan.all());

    wd.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path().join("terraform.tfstate")).unwrap()).unwrap();
    let instance = &state["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1, "{instance}");
    assert_eq!(instance["attributes"], serde_json::json!({"id": "echo", "message": "hello"}), "{instance}");
    if acceptance_tests::terraform::terraform_version() >= (1, 12) {
        assert_eq!(instance["identity_schema_version"], 1, "{instance}");
        assert_eq!(instance["identity"], serde_json::json!({"key": "echo"}), "{instance}");
    }
}
