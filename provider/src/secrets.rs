//! Tokens read from AWS Secrets Manager when a gate runs, held in memory for that one
//! operation. A [`Secret`] prints as `(redacted)` however it is formatted, so it cannot
//! reach state, plans, diagnostics or logs by accident.

use crate::aws::AwsClients;
use crate::errors::{Error, Result};

/// A token. Its value is only reachable through [`Secret::expose`], at the one place
/// that puts it into a request header.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(redacted)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Where a token lives: a secret, and the key of its JSON object (None: the whole
/// secret string is the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRef {
    pub arn: String,
    pub key: Option<String>,
    /// The attribute naming it, for messages (`promotion.dynatrace.api_token_secret_arn`).
    pub attribute: &'static str,
}

impl SecretRef {
    /// "secret ARN (key KEY)" for messages; never the value.
    pub fn describe(&self) -> String {
        match &self.key {
            Some(k) => format!("secret {} (key {k:?})", self.arn),
            None => format!("secret {}", self.arn),
        }
    }
}

/// GetSecretValue, then the key's value. Every failure names the secret (and key) and
/// the attribute to fix, never the value.
pub async fn read(aws: &AwsClients, secret: &SecretRef) -> Result<Secret> {
    let found = crate::aws::secretsmanager::find_secret_string(&aws.secretsmanager, &secret.arn).await.map_err(|e| {
        let detail = e.to_diagnostic().detail;
        Error::Gate {
            summary: "Dynatrace token not readable".into(),
            detail: format!(
                "The token in {} ({}) could not be read: {detail} The role needs secretsmanager:GetSecretValue on it (and kms:Decrypt on its key, for a customer-managed key). Nothing was written.",
                secret.describe(),
                secret.attribute
            ),
        }
    })?;
    let Some(text) = found.as_deref() else {
        return Err(Error::Gate {
            summary: "Dynatrace token not readable".into(),
            detail: format!(
                "{} ({}) holds binary data, not a string. Store the token as a secret string. Nothing was written.",
                secret.describe(),
                secret.attribute
            ),
        });
    };
    let token = match &secret.key {
        None => text.trim().to_string(),
        Some(key) => {
            let json: serde_json::Value = serde_json::from_str(text).map_err(|_| Error::Gate {
                summary: "Dynatrace token not found in the secret".into(),
                detail: format!(
                    "{} is not a JSON object, so it has no key {key:?}. Store the secret as {{\"{key}\": \"<token>\"}}, or omit the key to use the whole string. Nothing was written.",
                    secret.describe()
                ),
            })?;
            match json.get(key).and_then(serde_json::Value::as_str) {
                Some(v) => v.to_string(),
                None => {
                    return Err(Error::Gate {
                        summary: "Dynatrace token not found in the secret".into(),
                        detail: format!(
                            "Secret {} has no string key {key:?}. Add the key to the secret, or fix the key attribute. Nothing was written.",
                            secret.arn
                        ),
                    });
                }
            }
        }
    };
    if token.is_empty() {
        return Err(Error::Gate {
            summary: "Dynatrace token is empty".into(),
            detail: format!("{} holds an empty token. Nothing was written.", secret.describe()),
        });
    }
    Ok(Secret(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_formats_its_value() {
        let s = Secret("dt0c01.SECRET".into());
        assert_eq!(format!("{s} {s:?} {:?}", Some(s.clone())), "(redacted) (redacted) Some((redacted))");
        assert_eq!(s.expose(), "dt0c01.SECRET");
    }
}
