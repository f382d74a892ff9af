//! The provider's error type and the diagnostics users see, each with its remedy.

use std::fmt;
use std::time::Duration;
use tfplugin::Diagnostic;

#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// The object does not exist (any more).
    NotFound { what: &'static str, arn: String },
    /// An AWS call failed.
    Aws { call: &'static str, target: String, code: String, message: String },
    /// What is live cannot be managed as configured (e.g. a foreign target group).
    Live { summary: String, detail: String },
    /// A safety check refused the change; nothing was written.
    Gate { summary: String, detail: String },
    /// Terraform asked the provider to stop (Ctrl-C).
    Stopped { during: String },
    /// An operation ran past its timeout.
    Timeout { operation: String, elapsed: Duration, waiting_for: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn live(summary: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::Live { summary: summary.into(), detail: detail.into() }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether this is an AWS error with this code.
    pub fn is_aws_code(&self, wanted: &str) -> bool {
        matches!(self, Error::Aws { code, .. } if code == wanted)
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            Error::NotFound { what, arn } => Diagnostic::error(
                format!("{what} not found"),
                format!(
                    "{what} {arn} does not exist. Check the ARN, the provider's region and account, and that it was not deleted."
                ),
            ),
            Error::Aws { call, target, code, message } => {
                let remedy = match code.as_str() {
                    "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                        " The credentials lack permission for this call; see the IAM policy guide in the provider docs."
                    }
                    "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
                        " AWS is throttling these calls: raise max_retries, or run with lower -parallelism."
                    }
                    "ExpiredToken"
                    | "ExpiredTokenException"
                    | "InvalidClientTokenId"
                    | "UnrecognizedClientException" => " The AWS credentials are invalid or expired; refresh them.",
                    _ => "",
                };
                let code = if code.is_empty() { String::new() } else { format!(" ({code})") };
                Diagnostic::error(
                    format!("AWS {call} failed"),
                    format!("{call} on {target} failed{code}: {message}.{remedy}"),
                )
            }
            Error::Live { summary, detail } | Error::Gate { summary, detail } => {
                Diagnostic::error(summary.clone(), detail.clone())
            }
            Error::Stopped { during } => Diagnostic::error(
                "Interrupted",
                format!(
                    "Terraform asked the provider to stop during {during}. The state recorded is what is live now."
                ),
            ),
            Error::Timeout { operation, elapsed, waiting_for } => Diagnostic::error(
                format!("Timed out during {operation}"),
                format!(
                    "{operation} ran for {} while waiting for {waiting_for}. Raise the `timeouts` block (or promotion.wait_timeout) if this is expected.",
                    crate::duration::display(*elapsed)
                ),
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.to_diagnostic();
        write!(f, "{}: {}", d.summary, d.detail)
    }
}

impl std::error::Error for Error {}

/// Terraform called an operation before `ConfigureProvider` succeeded (or a unit test
/// runs without AWS). `what`: "operation", "action", "query", "read".
pub fn not_configured(what: &str) -> tfplugin::Diagnostics {
    Diagnostic::error(
        "Provider not configured",
        format!("The bluegreen provider was not configured before this {what}; check the provider block."),
    )
    .into()
}

/// A type name this provider does not serve: worded once, in tfplugin.
pub use tfplugin::diag::unknown_type;

/// Converts an SDK error, keeping the error code for typed handling.
pub fn aws<E, R>(call: &'static str, target: impl Into<String>, err: aws_sdk_ecs::error::SdkError<E, R>) -> Error
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    use aws_sdk_ecs::error::ProvideErrorMetadata;
    let code = err.code().unwrap_or_default().to_string();
    let message = match err.message() {
        Some(m) => m.to_string(),
        None => aws_sdk_ecs::error::DisplayErrorContext(&err).to_string(),
    };
    Error::Aws { call, target: target.into(), code, message }
}
