//! Diagnostics: what Terraform shows the user, optionally pointing at an attribute.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step into a value: an object attribute, a map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attr(String),
    Key(String),
    Index(i64),
}

/// Where in a configuration or state value a diagnostic points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<PathStep>);

impl AttrPath {
    pub fn root(name: impl Into<String>) -> AttrPath {
        AttrPath(vec![PathStep::Attr(name.into())])
    }
    pub fn attr(mut self, name: impl Into<String>) -> AttrPath {
        self.0.push(PathStep::Attr(name.into()));
        self
    }
    pub fn index(mut self, i: i64) -> AttrPath {
        self.0.push(PathStep::Index(i));
        self
    }
    pub fn key(mut self, k: impl Into<String>) -> AttrPath {
        self.0.push(PathStep::Key(k.into()));
        self
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attr(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, summary: summary.into(), detail: detail.into(), path: None }
    }
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, summary: summary.into(), detail: detail.into(), path: None }
    }
    pub fn at(mut self, path: AttrPath) -> Diagnostic {
        self.path = Some(path);
        self
    }
}

/// An ordered list of diagnostics; a request failed when any of them is an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }
    pub fn error_at(&mut self, path: AttrPath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

/// A type name the provider does not serve (`kind`: "resource", "data source",
/// "list resource", "action", "resource identity"): the one wording of this refusal,
/// for the server, the provider trait's defaults and the provider itself.
pub fn unknown_type(kind: &str, type_name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unsupported {kind} type"),
        format!("This provider has no {kind} named {type_name:?}. Check the spelling and the provider version."),
    )
    .into()
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match &d.path {
                Some(p) => write!(f, "{p}: {}: {}", d.summary, d.detail)?,
                None => write!(f, "{}: {}", d.summary, d.detail)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_renders_like_terraform_addresses() {
        let p = AttrPath::root("promotion").index(0).attr("wait_timeout");
        assert_eq!(p.to_string(), "promotion[0].wait_timeout");
        assert_eq!(AttrPath::root("tags").key("a").to_string(), "tags[\"a\"]");
    }

    #[test]
    fn errors_are_detected_but_warnings_are_not() {
        let mut d = Diagnostics::new();
        d.warning("w", "x");
        assert!(!d.has_errors());
        d.error_at(AttrPath::root("a"), "bad", "fix it");
        assert!(d.has_errors());
        assert_eq!(d.to_string(), "w: x\na: bad: fix it");
    }
}
