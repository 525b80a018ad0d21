//! The README documents the contract; this keeps it true: the error table against `ErrorKind`, and the function
//! table against `Action` (names and the fields each takes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::repo_path;

fn readme() -> String {
    std::fs::read_to_string(repo_path("README.md")).unwrap()
}

/// The cells of the table rows whose first cell is a backquoted name.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            line.trim()
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn the_error_table_matches_the_code() {
    let text = readme();
    let table: Vec<Vec<String>> = rows(&text)
        .into_iter()
        .filter(|row| row.len() == 4)
        .collect();
    let names: Vec<&str> = table.iter().map(|row| row[0].trim_matches('`')).collect();
    let expected: Vec<&str> = ErrorKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(
        names, expected,
        "the README lists every error name, in order"
    );
    for (row, kind) in table.iter().zip(ErrorKind::ALL) {
        assert_eq!(
            row[1],
            kind.http_status().to_string(),
            "{}: HTTP status",
            kind.name()
        );
        assert_eq!(
            row[2],
            if kind.retryable() { "yes" } else { "no" },
            "{}: retry",
            kind.name()
        );
        assert_eq!(row[3], kind.meaning(), "{}: meaning", kind.name());
    }
}

#[test]
fn the_function_table_lists_every_function_and_its_fields() {
    let text = readme();
    let table: Vec<Vec<String>> = rows(&text)
        .into_iter()
        .filter(|row| row.len() == 3)
        .collect();
    let names: Vec<&str> = table.iter().map(|row| row[0].trim_matches('`')).collect();
    let expected: Vec<&str> = Action::ALL.iter().map(|action| action.name()).collect();
    assert_eq!(names, expected, "the README lists every function, in order");
    for (row, action) in table.iter().zip(Action::ALL) {
        // Backquoted identifiers in the "own fields" cell; values such as `["groups", "apps"]` are not fields.
        let documented: Vec<&str> = row[1]
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|token| {
                token.chars().all(|c| c.is_ascii_alphanumeric())
                    && token.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            })
            .collect();
        assert_eq!(
            documented,
            action.own_fields(),
            "{}: the fields in the README",
            action.name()
        );
    }
}

#[test]
fn the_readme_documents_every_guardrail_setting() {
    let text = readme();
    for setting in okta_lifecycle::guard::SETTINGS {
        assert!(
            text.lines()
                .any(|line| line.starts_with(&format!("| `{setting}`"))),
            "the README's guardrail table has no row for {setting}"
        );
    }
}

#[test]
fn the_scope_table_lists_each_function_and_its_scopes() {
    let text = readme();
    let names: Vec<&str> = Action::ALL.iter().map(|action| action.name()).collect();
    let table: Vec<Vec<String>> = rows(&text)
        .into_iter()
        .filter(|row| row.len() == 2 && names.contains(&row[0].trim_matches('`')))
        .collect();
    let listed: Vec<&str> = table.iter().map(|row| row[0].trim_matches('`')).collect();
    assert_eq!(
        listed, names,
        "the scope table lists every function, in order"
    );
    for (row, action) in table.iter().zip(Action::ALL) {
        let scopes: Vec<&str> = row[1].split('`').skip(1).step_by(2).collect();
        assert_eq!(
            scopes,
            action.scopes(),
            "{}: the scopes in the README",
            action.name()
        );
    }
}

/// The licence the README names is the one `LICENSE` holds and the manifest declares, and every project document the
/// README sends a reader to exists.
#[test]
fn the_licence_and_the_project_documents_agree() {
    let text = readme();
    let manifest = std::fs::read_to_string(repo_path("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(r#"license = "Apache-2.0""#),
        "Cargo.toml declares Apache-2.0"
    );
    let licence = std::fs::read_to_string(repo_path("LICENSE")).unwrap();
    assert!(
        licence.contains("Apache License") && licence.contains("Version 2.0, January 2004"),
        "LICENSE is the Apache License 2.0"
    );
    assert!(
        text.contains("Apache License 2.0"),
        "the README names the licence"
    );
    for document in ["LICENSE", "CHANGELOG.md", "SECURITY.md", "CONTRIBUTING.md"] {
        assert!(
            text.contains(&format!("]({document})")),
            "the README links {document}"
        );
        assert!(repo_path(document).is_file(), "{document} exists");
    }
}
