//! A release imported with `-generate-config-out` adopts what is live on every client.
//!
//! Terraform 1.14+ asks the provider for the configuration (`GenerateResourceConfig`,
//! [`crate::resource_ecs_release::generate_config`]), which leaves the traffic out.
//! Terraform up to 1.13, and OpenTofu, write the file themselves from the state the
//! import's refresh returned, every optional attribute with its value: an imported
//! `active_color = "blue"` would land in the file and pin traffic, so the next deploy
//! tool flip would plan a move back. On those clients the first refresh after an import
//! withholds the adopted traffic (`active_color`, `standby_traffic_percent` null); the
//! next refresh fills it in. Private data marks the two phases.
//!
//! Terraform 1.14.0 calls `GenerateResourceConfig` with no state (fixed in 1.14.1):
//! the state the import's refresh returned is remembered here, so the configuration can
//! still be generated when there is exactly one.

use std::sync::Mutex;
use tfplugin::Value;

/// Private data of an imported release that has not been refreshed yet.
const IMPORTED: &[u8] = b"{\"bluegreen_import\":\"imported\"}";
/// Private data after the import's refresh, which withheld the traffic.
const WITHHELD: &[u8] = b"{\"bluegreen_import\":\"traffic withheld\"}";

/// Who writes `-generate-config-out` files, from the version `ConfigureProvider` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigWriter {
    /// Terraform 1.14+: asks the provider.
    Provider,
    /// Terraform <= 1.13, OpenTofu (its own version numbers, all below 1.14 so far), or
    /// a version that cannot be read: the client writes the file from state.
    ClientFromState,
}

impl ConfigWriter {
    pub fn of(terraform_version: &str) -> ConfigWriter {
        let mut parts = terraform_version.trim_start_matches('v').split(['.', '-']);
        let major = parts.next().and_then(|p| p.parse::<u64>().ok());
        let minor = parts.next().and_then(|p| p.parse::<u64>().ok());
        match (major, minor) {
            (Some(1), Some(minor)) if minor >= 14 => ConfigWriter::Provider,
            (Some(major), Some(_)) if major >= 2 => ConfigWriter::Provider,
            _ => ConfigWriter::ClientFromState,
        }
    }
}

/// The private data `ImportResourceState` returns.
pub fn imported_private() -> Vec<u8> {
    IMPORTED.to_vec()
}

/// What a refresh does with an object's traffic, given its private data.
#[derive(Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Fill in the live traffic (any refresh but the import's own, or on a client that
    /// asks the provider for the configuration).
    Fill,
    /// The import's refresh on a client that writes the file from state: leave the
    /// traffic out.
    Withhold,
}

/// Decides the refresh of an object with `private` data, and the private data to keep.
pub fn refresh(private: &[u8], writer: ConfigWriter) -> (Refresh, Vec<u8>) {
    match (private, writer) {
        (IMPORTED, ConfigWriter::ClientFromState) => (Refresh::Withhold, WITHHELD.to_vec()),
        // A withheld object's next refresh fills it in; the marks are then done with.
        (IMPORTED | WITHHELD, _) => (Refresh::Fill, Vec::new()),
        (other, _) => (Refresh::Fill, other.to_vec()),
    }
}

/// True when `private` says the traffic of this object was withheld by its import.
pub fn is_withheld(private: &[u8]) -> bool {
    private == WITHHELD
}

/// True when `private` says the object was just imported (its refresh comes next).
pub fn is_imported(private: &[u8]) -> bool {
    private == IMPORTED
}

/// States returned by imports' refreshes in this provider process, for Terraform
/// 1.14.0's `GenerateResourceConfig` without a state.
#[derive(Default)]
pub struct RecentImports(Mutex<Vec<Value>>);

impl RecentImports {
    pub fn remember(&self, state: &Value) {
        if let Ok(mut v) = self.0.lock() {
            v.push(state.clone());
        }
    }

    /// The one release imported in this process, if there is exactly one.
    pub fn only_one(&self) -> Result<Value, usize> {
        let v = self.0.lock().map(|v| v.clone()).unwrap_or_default();
        match v.as_slice() {
            [one] => Ok(one.clone()),
            many => Err(many.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_1_14_and_later_generate_through_the_provider_everything_else_from_state() {
        for v in ["1.14.0", "1.14.9", "1.15.5", "v1.16.0-alpha20260101", "2.0.0"] {
            assert_eq!(ConfigWriter::of(v), ConfigWriter::Provider, "{v}");
        }
        // 1.11 .. 1.13, OpenTofu 1.6 .. 1.10, and what cannot be read.
        for v in ["1.11.4", "1.12.2", "1.13.5", "1.10.6", "1.6.0", "", "dev", "0.15.5"] {
            assert_eq!(ConfigWriter::of(v), ConfigWriter::ClientFromState, "{v}");
        }
    }

    #[test]
    fn only_the_imports_own_refresh_withholds_and_only_on_clients_writing_from_state() {
        let (r, private) = refresh(&imported_private(), ConfigWriter::ClientFromState);
        assert_eq!(r, Refresh::Withhold);
        assert!(is_withheld(&private));
        // The next refresh (the next plan) fills in and drops the marks.
        assert_eq!(refresh(&private, ConfigWriter::ClientFromState), (Refresh::Fill, Vec::new()));
        assert_eq!(refresh(&imported_private(), ConfigWriter::Provider), (Refresh::Fill, Vec::new()));
        // Other private data is kept as it is.
        assert_eq!(refresh(b"x", ConfigWriter::ClientFromState), (Refresh::Fill, b"x".to_vec()));
        assert_eq!(refresh(b"", ConfigWriter::ClientFromState), (Refresh::Fill, Vec::new()));
    }

    #[test]
    fn recent_imports_answer_only_when_there_is_exactly_one() {
        let recent = RecentImports::default();
        assert_eq!(recent.only_one(), Err(0));
        recent.remember(&Value::from("a"));
        assert_eq!(recent.only_one(), Ok(Value::from("a")));
        recent.remember(&Value::from("b"));
        assert_eq!(recent.only_one(), Err(2));
    }
}
