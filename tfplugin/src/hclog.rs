//! Logs in hclog's JSON line format on stderr, which Terraform's plugin client parses
//! and re-emits at the right level under `TF_LOG_PROVIDER` / `TF_LOG`.
//!
//! Never pass credentials or secret values as fields: anything logged here can end up
//! in CI logs.

use std::fmt::Display;
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Trace = 1,
    Debug = 2,
    Info = 3,
    Warn = 4,
    Error = 5,
    Off = 6,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Off => "off",
        }
    }

    /// Parses a `TF_LOG`-style level; `JSON` means trace, as in Terraform.
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TRACE" | "JSON" => Some(Level::Trace),
            "DEBUG" => Some(Level::Debug),
            "INFO" => Some(Level::Info),
            "WARN" => Some(Level::Warn),
            "ERROR" => Some(Level::Error),
            "OFF" => Some(Level::Off),
            _ => None,
        }
    }

    /// The level Terraform will display: `TF_LOG_PROVIDER` wins over `TF_LOG`. With
    /// neither set Terraform discards provider logs, so we write none.
    pub fn from_env() -> Level {
        let lookup = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        lookup("TF_LOG_PROVIDER")
            .or_else(|| lookup("TF_LOG"))
            .and_then(|v| Level::parse(&v).or(Some(Level::Trace)))
            .unwrap_or(Level::Off)
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Off as u8);
/// The `@module` of every line: the provider's type name, set by [`crate::serve::main`].
static MODULE: OnceLock<&'static str> = OnceLock::new();

/// Names the module the lines are logged under; the first call wins, as the process
/// is one provider.
pub fn set_module(module: &'static str) {
    let _ = MODULE.set(module);
}

pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level != Level::Off && level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Writes one log line if `level` is enabled. `fields` become extra JSON keys.
pub fn log(level: Level, message: &str, fields: &[(&str, &dyn Display)]) {
    if !enabled(level) {
        return;
    }
    let line = format_line(level, message, fields, MODULE.get().copied(), SystemTime::now());
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    // A closed stderr must not take the provider down with it.
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}

pub fn trace(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Trace, message, fields)
}
pub fn debug(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Debug, message, fields)
}
pub fn info(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Info, message, fields)
}
pub fn warn(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Warn, message, fields)
}
pub fn error(message: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Error, message, fields)
}

/// One JSON line; without a module the `@module` key is left out, as hclog does for a
/// logger with no name.
fn format_line(
    level: Level,
    message: &str,
    fields: &[(&str, &dyn Display)],
    module: Option<&str>,
    at: SystemTime,
) -> String {
    let mut obj = serde_json::Map::new();
    obj.insert("@level".into(), level.name().into());
    obj.insert("@message".into(), message.into());
    if let Some(module) = module {
        obj.insert("@module".into(), module.into());
    }
    obj.insert("@timestamp".into(), timestamp(at).into());
    for (k, v) in fields {
        if !k.starts_with('@') {
            obj.insert((*k).to_string(), v.to_string().into());
        }
    }
    let mut line = serde_json::Value::Object(obj).to_string();
    line.push('\n');
    line
}

/// hclog's time layout `2006-01-02T15:04:05.000000Z07:00`, always in UTC ("Z").
pub fn timestamp(at: SystemTime) -> String {
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z", rem / 3600, (rem / 60) % 60, rem % 60, d.subsec_micros())
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamp_uses_hclog_layout() {
        // 2026-11-26T03:20:16.123456Z
        let at = UNIX_EPOCH + Duration::new(1_795_663_216, 123_456_789);
        assert_eq!(timestamp(at), "2026-11-26T03:20:16.123456Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        // leap day
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn line_is_one_json_object_with_hclog_keys() {
        let fields: &[(&str, &dyn Display)] = &[("region", &"us-east-1"), ("@level", &"x")];
        let line = format_line(Level::Debug, "configured", fields, Some("echo"), UNIX_EPOCH);
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "debug");
        assert_eq!(v["@message"], "configured");
        assert_eq!(v["@module"], "echo");
        assert_eq!(v["@timestamp"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(v["region"], "us-east-1");
        let unnamed: serde_json::Value =
            serde_json::from_str(&format_line(Level::Info, "m", &[], None, UNIX_EPOCH)).unwrap();
        assert!(unnamed.get("@module").is_none(), "{unnamed}");
    }

    #[test]
    fn levels_parse_like_terraform() {
        assert_eq!(Level::parse("debug"), Some(Level::Debug));
        assert_eq!(Level::parse("JSON"), Some(Level::Trace));
        assert_eq!(Level::parse("nonsense"), None);
        assert!(Level::Error > Level::Warn);
    }
}
