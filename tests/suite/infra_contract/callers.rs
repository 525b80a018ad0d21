//! The README names every template parameter, and its caller policies (HelpDesk, HrIntegration, AdminTooling)
//! fit the routes: each may call what it needs and nothing more.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::broken_examples::broken_entry_points;
use super::routes::routes;
use super::{assert_none, expect_problems, template};

/// Every template parameter is named in the README (its deploy section explains them).
pub fn check_parameters_documented(template: &Yaml, readme: &str) -> Vec<String> {
    template
        .get("Parameters")
        .and_then(Yaml::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(name, _)| name.as_str())
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .map(|name| format!("parameter {name} is not in the README"))
        .collect()
}

/// `GET /users/{user}` as the execute-api resource path it is invoked on, `GET/users/x`.
fn invoked_path(route_key: &str) -> String {
    let (method, path) = route_key.split_once(' ').unwrap_or(("", route_key));
    let path: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "x"
            } else {
                segment
            }
        })
        .collect();
    format!("{method}{}", path.join("/"))
}

/// IAM's `*` (any characters, `/` included) and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.chars().next() {
        None => text.is_empty(),
        Some('*') => (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .any(|i| glob(&pattern[1..], &text[i..])),
        Some(c) => {
            text.chars().next().is_some_and(|t| c == '?' || c == t)
                && glob(
                    &pattern[c.len_utf8()..],
                    &text[text.chars().next().map_or(0, char::len_utf8)..],
                )
        }
    }
}

/// The README's caller policies (JSON blocks whose statements have a Sid): each allows execute-api:Invoke on exactly
/// the routes that caller needs (help desk: read, unlock, reset; HR integration: the flows; admin tooling: all).
pub fn check_caller_policies(template: &Yaml, readme: &str) -> Vec<String> {
    let routes: Vec<String> = routes(template)
        .into_iter()
        .map(|(_, key, _)| key)
        .collect();
    let expected: BTreeMap<&str, BTreeSet<String>> = [
        (
            "HelpDesk",
            routes
                .iter()
                .filter(|r| {
                    r.starts_with("GET /users/")
                        || r.ends_with("/unlock")
                        || r.ends_with("/reset-password")
                })
                .cloned()
                .collect(),
        ),
        (
            "HrIntegration",
            // The user flows, never a bulk run: that is a permission of its own (issue 25).
            routes
                .iter()
                .filter(|r| r.starts_with("POST /flows/") && *r != "POST /flows/bulk")
                .cloned()
                .collect(),
        ),
        ("AdminTooling", routes.iter().cloned().collect()),
    ]
    .into();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for block in readme.split("```json").skip(1) {
        let text = block.split("```").next().unwrap_or("");
        let Ok(policy) = serde_json::from_str::<Json>(text) else {
            continue;
        };
        for statement in policy
            .get("Statement")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(sid), Some("execute-api:Invoke")) = (
                statement.get("Sid").and_then(Json::as_str),
                statement.get("Action").and_then(Json::as_str),
            ) else {
                continue;
            };
            let resources = match statement.get("Resource") {
                Some(Json::String(one)) => vec![one.clone()],
                Some(Json::Array(many)) => many
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            found.entry(sid.to_owned()).or_default().extend(resources);
        }
    }
    let mut problems = Vec::new();
    for (caller, want) in &expected {
        let Some(arns) = found.get(*caller) else {
            problems.push(format!("the README has no {caller} policy"));
            continue;
        };
        let mut allowed = BTreeSet::new();
        for arn in arns {
            // arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/path
            let pattern = arn
                .splitn(6, ':')
                .nth(5)
                .and_then(|rest| rest.splitn(3, '/').nth(2))
                .unwrap_or("");
            let matched: Vec<&String> = routes
                .iter()
                .filter(|route| glob(pattern, &invoked_path(route)))
                .collect();
            if matched.is_empty() {
                problems.push(format!("{caller}: {arn} matches no route of the template"));
            }
            allowed.extend(matched.into_iter().cloned());
        }
        for route in want.difference(&allowed) {
            problems.push(format!("{caller}: cannot call {route}"));
        }
        for route in allowed.difference(want) {
            problems.push(format!(
                "{caller}: may call {route}, which it does not need"
            ));
        }
    }
    problems
}

#[test]
fn the_readme_names_every_parameter_and_its_caller_policies_fit_the_routes() {
    let readme = okta_lifecycle_tests::documentation();
    assert_none(check_parameters_documented(&template(), &readme));
    assert_none(check_caller_policies(&template(), &readme));
}

#[test]
fn caller_policy_check_fails_on_broken_readme() {
    let template = broken_entry_points();
    let readme = r#"
```json
{"Statement": [
  {"Sid": "HelpDesk", "Effect": "Allow", "Action": "execute-api:Invoke",
   "Resource": ["arn:aws:execute-api:R:A:API/*/GET/users/*", "arn:aws:execute-api:R:A:API/*/POST/users/*"]},
  {"Sid": "HrIntegration", "Effect": "Allow", "Action": "execute-api:Invoke",
   "Resource": "arn:aws:execute-api:R:A:API/*/POST/flows/*"}
]}
```
"#;
    expect_problems(
        &check_caller_policies(&template, readme),
        &[
            "the README has no AdminTooling policy",
            "HrIntegration: arn:aws:execute-api:R:A:API/*/POST/flows/* matches no route",
            "HelpDesk: may call POST /users/{user}/deactivate, which it does not need",
        ],
    );
    let wide = check_caller_policies(&template, readme);
    assert!(
        !wide.iter().any(|p| p.contains("HelpDesk: cannot call")),
        "{wide:#?}"
    );
    assert!(glob("GET/users/*", "GET/users/x"));
    assert!(glob("*", "POST/users/x/unlock"));
    assert!(!glob("GET/users/*", "POST/users/x"));
}

#[test]
fn parameters_documented_check_fails_on_broken_example() {
    let template = broken_entry_points();
    expect_problems(
        &check_parameters_documented(&template, "`JwtReadScope` and `Documented`"),
        &["parameter Undocumented is not in the README"],
    );
}
