//! AWS Secrets Manager reads: a secret's string value.

use super::failed;
use crate::errors::Result;
use aws_sdk_secretsmanager::Client as SecretsManagerClient;

/// The current string value of the secret `arn` (one GetSecretValue); `None` when the
/// secret holds binary data instead. The caller keeps the value out of every message.
pub async fn find_secret_string(secrets: &SecretsManagerClient, arn: &str) -> Result<Option<String>> {
    let out =
        secrets.get_secret_value().secret_id(arn).send().await.map_err(|e| failed(e, "GetSecretValue", arn, None))?;
    Ok(out.secret_string().map(str::to_string))
}
