//! What the doctor found: one line per item, OK or what to fix, as text for a terminal and as JSON for the deployed
//! function's answer.

use std::fmt;

use serde::Serialize;

/// The outcome of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "camelCase")]
pub enum Verdict {
    /// Works; the detail says what was seen.
    Ok(String),
    /// Does not work; the detail says what to grant or change.
    Fix(String),
    /// Not checked, because something it depends on failed (or it does not apply to this connection).
    Skipped(String),
}

/// One item of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub item: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Every item, in the order they were checked.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The release that checked (the workspace version, as in every audit record), so a report says what it ran.
    pub version: &'static str,
    /// The org the connection points at, when the settings could be read.
    pub org: Option<String>,
    pub checks: Vec<Check>,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            version: crate::VERSION,
            org: None,
            checks: Vec::new(),
        }
    }
}

impl Report {
    pub fn ok(&mut self, item: impl Into<String>, detail: impl Into<String>) {
        self.push(item, Verdict::Ok(detail.into()));
    }

    pub fn fix(&mut self, item: impl Into<String>, detail: impl Into<String>) {
        self.push(item, Verdict::Fix(detail.into()));
    }

    pub fn skip(&mut self, item: impl Into<String>, detail: impl Into<String>) {
        self.push(item, Verdict::Skipped(detail.into()));
    }

    pub fn push(&mut self, item: impl Into<String>, verdict: Verdict) {
        self.checks.push(Check {
            item: item.into(),
            verdict,
        });
    }

    /// Whether nothing needs fixing (skipped items only follow from a fix elsewhere, or do not apply).
    pub fn all_ok(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|check| matches!(check.verdict, Verdict::Fix(_)))
    }

    /// The items to fix.
    pub fn fixes(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|check| matches!(check.verdict, Verdict::Fix(_)))
    }

    /// The item named `item`, for tests and scripts.
    pub fn get(&self, item: &str) -> Option<&Verdict> {
        self.checks
            .iter()
            .find(|check| check.item == item)
            .map(|check| &check.verdict)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "okta-lifecycle {} doctor: {} (read-only: nothing is changed in Okta)",
            self.version,
            self.org.as_deref().unwrap_or("(no org)")
        )?;
        for check in &self.checks {
            let (tag, detail) = match &check.verdict {
                Verdict::Ok(detail) => ("OK  ", detail),
                Verdict::Fix(detail) => ("FIX ", detail),
                Verdict::Skipped(detail) => ("SKIP", detail),
            };
            writeln!(f, "{tag} {}: {detail}", check.item)?;
        }
        let fixes = self.fixes().count();
        if fixes == 0 {
            write!(f, "all OK")
        } else {
            write!(f, "{fixes} to fix")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_anywhere_makes_the_report_not_ok_and_is_printed_as_such() {
        let mut report = Report {
            org: Some("https://acme.okta.com".to_owned()),
            ..Report::default()
        };
        report.ok("credential", "API token of admin x");
        report.skip("granted scopes", "an API token has no scopes");
        assert!(report.all_ok());
        report.fix("role reads", "add okta.iam.read");
        assert!(!report.all_ok());
        let text = report.to_string();
        assert!(
            text.contains("FIX  role reads: add okta.iam.read"),
            "{text}"
        );
        assert!(text.ends_with("1 to fix"), "{text}");
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["checks"][2]["status"], "fix");
        assert_eq!(json["checks"][2]["detail"], "add okta.iam.read");
    }
}
