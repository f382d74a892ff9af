//! Stored state and identity from an older schema version, brought forward one
//! version at a time on the raw JSON Terraform kept, and only then decoded against
//! the current schema. Decoding first would drop a renamed or removed attribute
//! before any step could move its value (terraform-plugin-framework gives each
//! upgrader the stored value for the same reason; plugin-sdk/v2 chains steps as here).

use crate::diag::Diagnostic;
use serde_json::{Map, Value as Json};

/// The stored object of one version, as Terraform kept it (cty JSON).
pub type StoredObject = Map<String, Json>;

/// One step of a schema's history: turns an object stored at `from_version` into the
/// object of `from_version + 1`. An `Err` is shown to the user as the reason the
/// stored object cannot be upgraded.
#[derive(Clone, Copy)]
pub struct Upgrade {
    pub from_version: i64,
    pub step: fn(StoredObject) -> Result<StoredObject, String>,
}

impl std::fmt::Debug for Upgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrade").field("from_version", &self.from_version).finish_non_exhaustive()
    }
}

/// What is being upgraded, for the messages: "state" or "identity", and the type.
pub(crate) struct Subject<'a> {
    pub what: &'a str,
    pub type_name: &'a str,
}

/// Runs every step from `stored_version` to `current_version` over `stored` (JSON
/// bytes) and returns the JSON of the current version.
pub(crate) fn upgrade_json(
    subject: Subject<'_>,
    stored: &[u8],
    stored_version: i64,
    current_version: i64,
    steps: &[Upgrade],
) -> Result<Vec<u8>, Diagnostic> {
    let Subject { what, type_name } = subject;
    if stored_version > current_version {
        return Err(Diagnostic::error(
            format!("Stored {what} is from a newer provider"),
            format!(
                "The {what} of this {type_name} was written at schema version {stored_version}, and this \
                 provider knows versions up to {current_version}. Use the provider version that wrote it, or a \
                 newer one (`terraform init -upgrade`); an older provider cannot read it."
            ),
        ));
    }
    if stored_version == current_version {
        return Ok(stored.to_vec());
    }
    let mut object = match serde_json::from_slice::<Json>(stored) {
        Ok(Json::Object(o)) => o,
        Ok(other) => return Err(invalid(what, type_name, &format!("it is {}, not an object", kind(&other)))),
        Err(e) => return Err(invalid(what, type_name, &e.to_string())),
    };
    for version in stored_version..current_version {
        let Some(upgrade) = steps.iter().find(|u| u.from_version == version) else {
            return Err(Diagnostic::error(
                "Internal error in provider",
                format!(
                    "internal error in provider: no upgrade of the {type_name} {what} from schema version \
                     {version} to {}. Please report it; meanwhile `terraform state rm` and import it again.",
                    version + 1
                ),
            ));
        };
        object = (upgrade.step)(object).map_err(|reason| {
            Diagnostic::error(
                format!("Stored {what} cannot be upgraded"),
                format!(
                    "The {what} of this {type_name} could not be brought from schema version {version} to {}: \
                     {reason}. Remove it with `terraform state rm` and import it again.",
                    version + 1
                ),
            )
        })?;
    }
    // Serializing a map of JSON values cannot fail; an empty object is still valid input.
    Ok(serde_json::to_vec(&Json::Object(object)).unwrap_or_else(|_| b"{}".to_vec()))
}

fn invalid(what: &str, type_name: &str, reason: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid stored {what}"),
        format!(
            "The stored {what} of this {type_name} cannot be read: {reason}. Remove it with `terraform state rm` \
             and import it again."
        ),
    )
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A step that renames attribute `from` to `to` (keeping its value), the most common
/// migration; for use inside an [`Upgrade::step`].
pub fn rename(mut object: StoredObject, from: &str, to: &str) -> StoredObject {
    if let Some(v) = object.remove(from) {
        object.insert(to.to_string(), v);
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Subject<'static> {
        Subject { what: "state", type_name: "echo_renamed" }
    }

    const STEPS: &[Upgrade] = &[
        Upgrade { from_version: 0, step: |o| Ok(rename(o, "greeting", "message")) },
        Upgrade {
            from_version: 1,
            step: |mut o| {
                let shout = o.get("message").and_then(Json::as_str).ok_or("message is not a string")?.to_uppercase();
                o.insert("message".into(), Json::String(shout));
                Ok(o)
            },
        },
    ];

    fn run(json: &str, from: i64, to: i64) -> Result<Json, Diagnostic> {
        upgrade_json(subject(), json.as_bytes(), from, to, STEPS).map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn steps_run_in_order_from_the_stored_version() {
        let v = run(r#"{"id":"x","greeting":"hi"}"#, 0, 2).unwrap();
        assert_eq!(v, serde_json::json!({"id":"x","message":"HI"}));
        // From version 1 only the second step runs.
        let v = run(r#"{"id":"x","message":"hi"}"#, 1, 2).unwrap();
        assert_eq!(v, serde_json::json!({"id":"x","message":"HI"}));
    }

    #[test]
    fn the_current_version_passes_through_untouched() {
        assert_eq!(upgrade_json(subject(), b"{\"a\":1}", 2, 2, STEPS).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn a_newer_version_a_missing_step_a_failing_step_and_bad_json_are_diagnostics() {
        let newer = run("{}", 3, 2).unwrap_err();
        assert!(newer.detail.contains("schema version 3") && newer.detail.contains("init -upgrade"), "{newer:?}");
        let missing = upgrade_json(subject(), br#"{"greeting":"a"}"#, 0, 3, STEPS).unwrap_err();
        assert!(missing.detail.contains("from schema version 2 to 3"), "{missing:?}");
        let failing = run(r#"{"message":7}"#, 1, 2).unwrap_err();
        assert!(
            failing.detail.contains("message is not a string") && failing.detail.contains("state rm"),
            "{failing:?}"
        );
        let bad = run("[1]", 0, 2).unwrap_err();
        assert!(bad.detail.contains("an array, not an object"), "{bad:?}");
        assert!(run("{", 0, 2).is_err());
    }
}
