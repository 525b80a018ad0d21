//! The README documents the contract; this keeps it true: the error table against `ErrorKind`, and the function
//! table against `Action` (names and the fields each takes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::{documentation, repo_path};

/// The README and the `docs/` pages: the tables may stand on any page.
fn readme() -> String {
    documentation()
}

/// The README alone: the front door.
fn front_door() -> String {
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
    // The table of the Errors section (docs/functions.md); other four-column tables (the runbook's) are not it.
    let errors = text
        .split("\n## Errors\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("an Errors section");
    let table: Vec<Vec<String>> = rows(errors)
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
    let text = front_door();
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

/// The count of recorded Okta exchanges the Testing section states for `recorded_okta.rs` is the number the records
/// hold (`tests/okta-recordings/<source>/*.json`, one `exchanges` entry each). Paths come from this test's own crate
/// root, not the support library's `repo_path`, which a target folder shared between checkouts may have compiled for
/// another one.
#[test]
fn the_readme_counts_the_recorded_okta_exchanges() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = documentation();
    let mut recorded = 0;
    for source in std::fs::read_dir(root.join("okta-recordings")).unwrap() {
        let source = source.unwrap().path();
        if !source.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(source).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|ext| ext == "json") {
                let record: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
                recorded += record["exchanges"].as_array().unwrap().len();
            }
        }
    }
    assert_eq!(
        stated_recorded_count(&readme),
        Some(recorded),
        "the README's line for tests/suite/recorded_okta.rs states the number of recorded exchanges"
    );
    assert_eq!(
        stated_recorded_count(
            "- `tests/suite/recorded_okta.rs`: the simulator against 7 recorded exchanges from"
        ),
        Some(7),
        "the count is read from the line"
    );
    assert_eq!(stated_recorded_count("no such line"), None);
}

fn stated_recorded_count(readme: &str) -> Option<usize> {
    let line = readme
        .lines()
        .find(|line| line.starts_with("- `tests/suite/recorded_okta.rs`:"))?;
    line.split(" recorded exchanges")
        .next()?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

/// The README is a front door a person reads in minutes (about 300 lines), and every `docs/` page is one click from
/// it.
#[test]
fn the_readme_is_a_front_door_to_every_docs_page() {
    let text = front_door();
    let lines = text.lines().count();
    assert!(
        lines <= 320,
        "README.md has {lines} lines: move detail to docs/"
    );
    let mut pages: Vec<String> = std::fs::read_dir(repo_path("docs"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 8, "{pages:?}");
    for page in pages {
        assert!(
            text.contains(&format!("](docs/{page})")),
            "README.md links docs/{page}"
        );
    }
}

/// GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code
            && let Some(heading) = line.trim_start_matches('#').strip_prefix(' ')
            && line.starts_with('#')
        {
            found.push(anchor_of(heading));
        }
    }
    found
}

/// Relative links of `text` (a file in `dir`) whose file or anchor does not exist.
fn broken_links(dir: &std::path::Path, text: &str, own: &[String]) -> Vec<String> {
    let mut broken = Vec::new();
    for piece in text.split("](").skip(1) {
        let Some(target) = piece.split(')').next() else {
            continue;
        };
        if target.contains("://") || target.starts_with("mailto:") || target.contains(' ') {
            continue;
        }
        let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
        let known = if path.is_empty() {
            own.to_vec()
        } else {
            let file = dir.join(path);
            if !file.exists() {
                broken.push(format!("{target}: no such file"));
                continue;
            }
            if file.extension().is_some_and(|ext| ext == "md") {
                anchors(&std::fs::read_to_string(&file).unwrap())
            } else {
                Vec::new()
            }
        };
        if !anchor.is_empty() && !known.iter().any(|known| known == anchor) {
            broken.push(format!("{target}: no such heading"));
        }
    }
    broken
}

#[test]
fn every_link_of_the_documentation_resolves() {
    let mut files = vec![
        repo_path("README.md"),
        repo_path("CONTRIBUTING.md"),
        repo_path("SECURITY.md"),
    ];
    for entry in std::fs::read_dir(repo_path("docs")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut broken = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for problem in broken_links(file.parent().unwrap(), &text, &anchors(&text)) {
            broken.push(format!("{}: {problem}", file.display()));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
    // The check itself: a missing page and a missing heading are both found.
    let dir = repo_path("docs");
    let sample = "[a](flows.md#no-such-heading) [b](nowhere.md) [c](#here) [d](flows.md#bulk)";
    assert_eq!(
        broken_links(&dir, sample, &["here".to_owned()]),
        [
            "flows.md#no-such-heading: no such heading",
            "nowhere.md: no such file"
        ]
    );
    assert_eq!(anchor_of("Bulk at Okta's limits"), "bulk-at-oktas-limits");
}

/// The README's first `make invoke` example runs as written, against the simulator's sample org (no connection in
/// the environment), and answers the user it names.
#[test]
fn the_readme_invoke_example_runs_against_the_sample_org() {
    let text = front_door();
    let command = text
        .lines()
        .find(|line| line.starts_with("make -s invoke "))
        .expect("a `make -s invoke` line with no connection variables");
    let mut args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(args.remove(0), "make");
    let mut make = std::process::Command::new("make");
    make.args(&args).current_dir(repo_path(""));
    for name in [
        "OKTA_ORG_URL",
        "OKTA_SECRET_ID",
        "OKTA_API_TOKEN",
        "OKTA_CLIENT_ID",
        "OKTA_PRIVATE_KEY",
    ] {
        make.env_remove(name);
    }
    let output = make.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{command}: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(answer["action"], "get-user", "{answer}");
    assert_eq!(
        answer["user"]["login"], "sam.leaver@acme.example",
        "{answer}"
    );
}

/// Every test the README's security model names as a guarantee's proof exists (a Rust `fn` or a pytest `def`), and
/// every row names at least one.
#[test]
fn the_security_model_names_tests_that_exist() {
    let text = readme();
    let section = text
        .split("\n## Security model\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has a Security model section");
    let mut sources = String::new();
    for dir in [
        "tests/suite",
        "tests/suite/infra_contract",
        "tests/local",
        "shared/src",
    ] {
        for entry in std::fs::read_dir(repo_path(dir)).unwrap().flatten() {
            if entry.path().is_file() {
                sources.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
    }
    let mut missing = Vec::new();
    let proofs: Vec<&str> = section
        .lines()
        .filter(|line| line.starts_with("| **"))
        .map(|line| line.trim_end_matches('|').rsplit('|').next().unwrap_or(""))
        .collect();
    assert!(proofs.len() >= 8, "{proofs:?}");
    for proof in proofs {
        let names: Vec<&str> = proof
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|name| {
                name.contains('_') && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
            .collect();
        if names.is_empty() {
            missing.push(format!("a row names no test: {proof}"));
        }
        for name in names {
            let is_test_file = repo_path(&format!("tests/suite/{name}.rs")).exists();
            if !is_test_file
                && !sources.contains(&format!("fn {name}("))
                && !sources.contains(&format!("def {name}("))
            {
                missing.push(name.to_owned());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the security model names tests that do not exist: {missing:?}"
    );
}
