//! The repository passes its own tests with nothing beside it: no test, script, Makefile target or CI step may read
//! a path that climbs out of the repository into the folder around it (where a team's reference material or another
//! checkout may sit on some machines and not on a newcomer's).
//!
//! Every relative path literal (`../…`) in a tracked source, script or build file is resolved from the file's folder
//! and from each folder above it up to the repository root (the bases a script, a crate or a `cd` may use). A literal
//! is refused when one of those resolutions names something that exists beside the repository, unless another one
//! names something that exists inside it. Hostile test data such as `../admin` names nothing and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use okta_lifecycle_tests::repo_path;

/// Files that hold no paths to follow: the vendored spec, lock files, prose.
fn is_scanned(relative: &str) -> bool {
    let skipped = relative.starts_with("tests/okta-spec/")
        || relative.ends_with(".md")
        || relative.ends_with("Cargo.lock")
        || relative.ends_with("package-lock.json");
    !skipped
}

/// The relative path literals of one line: runs of path characters that start with `../` and are not the tail of
/// a longer path (`$(dirname "$0")/../..` climbs from a folder the script names, which is inside the repository).
fn relative_literals(line: &str) -> Vec<&str> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "._-/".contains(c);
    let mut found = Vec::new();
    let mut rest = line;
    let mut offset = 0;
    while let Some(at) = rest.find("../") {
        let start = offset + at;
        let before = line[..start].chars().next_back();
        let end = line[start..]
            .find(|c: char| !is_path_char(c))
            .map_or(line.len(), |length| start + length);
        if before.is_none_or(|c| !is_path_char(c)) {
            found.push(&line[start..end]);
        }
        offset = end.max(start + 3);
        rest = &line[offset..];
    }
    found
}

/// `base/relative` with `..` applied lexically.
fn resolve(base: &Path, relative: &str) -> PathBuf {
    let mut path = base.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::ParentDir => {
                path.pop();
            }
            Component::Normal(part) => path.push(part),
            _ => {}
        }
    }
    path
}

/// The refusals for one file's text, as `file:line: literal`.
fn climbing_paths(root: &Path, relative_file: &str, text: &str) -> Vec<String> {
    let folder = root.join(relative_file);
    let folder = folder.parent().unwrap_or(root);
    let bases: Vec<&Path> = folder
        .ancestors()
        .take_while(|base| base.starts_with(root))
        .collect();
    let outside = root.parent().unwrap_or(root);
    let mut refusals = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for literal in relative_literals(line) {
            let resolutions: Vec<PathBuf> =
                bases.iter().map(|base| resolve(base, literal)).collect();
            let inside = resolutions
                .iter()
                .any(|path| path.starts_with(root) && path.exists());
            let beside = resolutions.iter().any(|path| {
                !path.starts_with(root)
                    && path.starts_with(outside)
                    && path != outside
                    && path.exists()
            });
            if beside && !inside {
                refusals.push(format!("{relative_file}:{}: {literal}", number + 1));
            }
        }
    }
    refusals
}

#[test]
fn nothing_reads_outside_the_repository() {
    let root = repo_path("").canonicalize().unwrap();
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        .expect("git ls-files");
    assert!(listed.status.success(), "git ls-files failed");
    let files = String::from_utf8(listed.stdout).unwrap();
    let mut refusals = Vec::new();
    let mut scanned = 0;
    for relative in files.split('\0').filter(|name| !name.is_empty()) {
        if !is_scanned(relative) {
            continue;
        }
        // Binary and deleted files have no text to scan.
        let Ok(text) = std::fs::read_to_string(root.join(relative)) else {
            continue;
        };
        scanned += 1;
        refusals.extend(climbing_paths(&root, relative, &text));
    }
    assert!(scanned > 100, "only {scanned} files scanned");
    assert!(
        refusals.is_empty(),
        "these paths climb out of the repository (copy what they need into it):\n{}",
        refusals.join("\n")
    );
}

#[test]
fn the_scan_refuses_a_path_beside_the_repository() {
    let place = std::env::temp_dir().join(format!("self-contained-{}", std::process::id()));
    let root = place.join("repo");
    std::fs::create_dir_all(root.join("tests/suite")).unwrap();
    std::fs::create_dir_all(root.join("target")).unwrap();
    std::fs::create_dir_all(place.join("shared/okta")).unwrap();
    std::fs::write(place.join("shared/okta/spec.yaml"), "openapi: 3.0.3").unwrap();

    // The bug this test exists for: a test crate reading the team's folder beside the clone.
    let bug = r#"let path = repo_path("../shared/okta/spec.yaml");"#;
    assert_eq!(
        climbing_paths(&root, "tests/suite/spec.rs", bug),
        ["tests/suite/spec.rs:1: ../shared/okta/spec.yaml"]
    );
    assert_eq!(
        climbing_paths(&root, "Makefile", "\tcat ../shared/okta/spec.yaml"),
        ["Makefile:1: ../shared/okta/spec.yaml"]
    );
    // Paths that stay inside: a link to the workspace's target folder, a script climbing from its own folder.
    assert!(climbing_paths(&root, "tests/infra/validate.sh", "ln -s ../../target x").is_empty());
    assert!(climbing_paths(&root, "tests/run.sh", r#"cd "$(dirname "$0")/../..""#).is_empty());
    // Hostile input in tests names nothing that exists.
    assert!(climbing_paths(&root, "tests/suite/lookups.rs", r#"user("../admin")"#).is_empty());
    std::fs::remove_dir_all(&place).unwrap();
}

#[test]
fn literals_are_found_where_they_start() {
    assert_eq!(
        relative_literals(r#"a("../x/y.yaml") b ../../z"#),
        ["../x/y.yaml", "../../z"]
    );
    assert!(relative_literals("cd $(dirname $0)/../..").is_empty());
    assert!(relative_literals("`.../response`").is_empty());
}
