//! A Terraform working directory wired to the built provider through `dev_overrides`.

use crate::emulator::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The terraform command: `TF_ACC_TERRAFORM_PATH` wins (terraform-plugin-testing's
/// convention), else the project's own launcher of the pinned Terraform.
pub fn terraform_bin() -> PathBuf {
    std::env::var_os("TF_ACC_TERRAFORM_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("tools/terraform"))
}

/// The directory holding the built `terraform-provider-bluegreen`.
pub fn provider_dir() -> PathBuf {
    let dir = std::env::var_os("BLUEGREEN_PROVIDER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target/debug"));
    assert!(
        dir.join("terraform-provider-bluegreen").is_file(),
        "no provider binary in {}: run `cargo build -p terraform-provider-bluegreen` (make test does)",
        dir.display()
    );
    dir
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// What a finished `terraform` process printed, and its exit code.
    pub fn of(out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Waits for a process started by [`Workdir::applying`].
    pub fn finish(child: std::process::Child) -> Output {
        Output::of(child.wait_with_output().expect("wait for terraform"))
    }

    /// Terraform's words for a provider that crashed or stopped answering.
    pub fn reports_crash(&self) -> bool {
        let all = format!("{}{}", self.stdout, self.stderr);
        ["plugin crashed", "Plugin did not respond", "panic:", "The plugin encountered an error"]
            .iter()
            .any(|m| all.contains(m))
    }

    /// Both streams, for assertion messages.
    pub fn all(&self) -> String {
        format!("exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

pub struct Workdir {
    dir: TempDir,
    env: Vec<(String, String)>,
    /// Terraform runs made here, and how many of them reported a crashed provider.
    runs: AtomicU32,
    crashes: AtomicU32,
}

impl Workdir {
    /// A fresh working directory using the built provider through `dev_overrides`;
    /// `endpoint` is the emulator every AWS call goes to.
    pub fn new(endpoint: &str) -> Workdir {
        Workdir::with_cli_config(
            endpoint,
            &format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                crate::PROVIDER_SOURCE,
                provider_dir().display()
            ),
        )
    }

    /// A fresh working directory with the given CLI configuration (e.g. a filesystem
    /// mirror instead of `dev_overrides`).
    pub fn with_cli_config(endpoint: &str, cli_config_text: &str) -> Workdir {
        let dir = TempDir::new("tf");
        let cli_config = dir.0.join("terraformrc");
        std::fs::write(&cli_config, cli_config_text).unwrap();
        let env = vec![
            ("TF_CLI_CONFIG_FILE".into(), cli_config.display().to_string()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("BLUEGREEN_TEST_ENDPOINT".into(), endpoint.to_string()),
        ];
        Workdir { dir, env, runs: Default::default(), crashes: Default::default() }
    }

    pub fn path(&self) -> &Path {
        &self.dir.0
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    pub fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.dir.0.join(name), contents).unwrap();
    }

    /// The `terraform ARGS` command for this directory, for tests that need the process
    /// (to interrupt it, or to find the provider it started).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(terraform_bin());
        cmd.current_dir(&self.dir.0).args(args).stdin(Stdio::null());
        for key in ["TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_CORE", "TF_LOG_PATH", "TF_CLI_ARGS", "TF_REATTACH_PROVIDERS"] {
            cmd.env_remove(key);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `terraform apply -auto-approve` started in the background (to act on the release
    /// while it runs); [`Output::finish`] waits for it.
    pub fn applying(&self) -> std::process::Child {
        self.command(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terraform apply")
    }

    /// `terraform apply -invoke=ACTION -auto-approve` started in the background;
    /// [`Output::finish`] waits for it.
    pub fn invoking(&self, action: &str) -> std::process::Child {
        let invoke = format!("-invoke={action}");
        self.command(&["apply", &invoke, "-auto-approve", "-input=false", "-no-color"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terraform apply -invoke")
    }

    /// Runs `terraform ARGS` in this directory (no stdin, no colour).
    pub fn run(&self, args: &[&str]) -> Output {
        let out =
            self.command(args).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", terraform_bin().display()));
        let out = Output::of(out);
        self.runs.fetch_add(1, Ordering::Relaxed);
        if out.reports_crash() {
            self.crashes.fetch_add(1, Ordering::Relaxed);
        }
        out
    }

    /// `(terraform runs, runs that reported a crashed provider)` so far.
    pub fn tally(&self) -> (u32, u32) {
        (self.runs.load(Ordering::Relaxed), self.crashes.load(Ordering::Relaxed))
    }

    /// Runs and requires exit 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(out.code, 0, "terraform {args:?} failed:\n{}", out.all());
        out
    }

    pub fn apply(&self) -> Output {
        self.ok(&["apply", "-input=false", "-auto-approve", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    pub fn plan_exit_code(&self) -> Output {
        self.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"])
    }

    /// Saves a plan and returns `terraform show -json` of it.
    pub fn plan_json(&self) -> serde_json::Value {
        self.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        let out = self.ok(&["show", "-json", "tfplan"]);
        serde_json::from_str(&out.stdout).expect("plan JSON")
    }
}

/// The `terraform` + `provider` blocks every test configuration starts with.
pub fn provider_block(endpoint: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    bluegreen = {{ source = "{source}" }}
  }}
}}

provider "bluegreen" {{
  region = "us-east-1"
  endpoints {{
    ecs        = "{endpoint}"
    elbv2      = "{endpoint}"
    cloudwatch = "{endpoint}"
    secretsmanager = "{endpoint}"
    lambda     = "{endpoint}"
    codedeploy = "{endpoint}"
  }}
  max_retries = 2
}}
"#,
        source = crate::PROVIDER_SOURCE
    )
}

/// The `(major, minor)` of the Terraform the tests run (`terraform version -json`),
/// asked once per test binary.
pub fn terraform_version() -> (u64, u64) {
    static VERSION: std::sync::OnceLock<(u64, u64)> = std::sync::OnceLock::new();
    *VERSION.get_or_init(|| {
        let out = Command::new(terraform_bin())
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", terraform_bin().display()));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("terraform version -json");
        let text = v["terraform_version"].as_str().expect("terraform_version").to_string();
        let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    })
}

/// True when this Terraform writes `-generate-config-out` files itself from the
/// imported state (before 1.14, which asks the provider's GenerateResourceConfig).
pub fn writes_generated_config_from_state() -> bool {
    terraform_version() < (1, 14)
}
