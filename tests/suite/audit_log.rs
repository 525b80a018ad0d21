//! The audit record as production writes it: a real function binary, under a minimal Lambda Runtime API, with
//! `AWS_LAMBDA_LOG_FORMAT=JSON` (what the template's `LoggingConfig` sets), so `lambda_runtime`'s own subscriber
//! formats the line. The README's Logs Insights queries are the one list of what must be on it: every field they
//! name is read from the README and looked for in the line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use okta_lifecycle_tests::{TOKEN, repo_path, sample_org, start_sim};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The Logs Insights queries of the Operations page (`docs/operations.md`) that read audit records.
fn readme_audit_queries() -> Vec<String> {
    let operations = std::fs::read_to_string(repo_path("docs/operations.md")).unwrap();
    let block = operations
        .split("```")
        .nth(1)
        .expect("Operations has a query block");
    block
        .split("\n\n")
        .filter(|query| query.contains("audit"))
        .map(str::to_owned)
        .collect()
}

/// `fields.x` paths named in a query.
fn field_paths(query: &str) -> BTreeSet<String> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|token| token.starts_with("fields."))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_queries_find_audit_records_by_a_field_the_runtime_keeps() {
    let queries = readme_audit_queries();
    assert!(queries.len() >= 2, "{queries:?}");
    for query in &queries {
        assert!(
            query.contains("fields.record = \"audit\""),
            "every audit query filters on fields.record (the runtime drops the target): {query}"
        );
        assert!(!query.contains("target ="), "{query}");
    }
}

/// A Runtime API that hands out one event, then keeps the next `GET` waiting; answers arrive on `answers`.
async fn runtime_api(event: Value) -> (String, mpsc::UnboundedReceiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (sender, answers) = mpsc::unbounded_channel();
    let event = event.to_string();
    tokio::spawn(async move {
        let mut delivered = false;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let give = !delivered;
            delivered = true;
            tokio::spawn(serve(stream, event.clone(), give, sender.clone()));
        }
    });
    (address, answers)
}

async fn serve(
    stream: TcpStream,
    event: String,
    mut give: bool,
    answers: mpsc::UnboundedSender<Value>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            head.push(line);
        }
        let request_line = head.first().cloned().unwrap_or_default();
        let length = head
            .iter()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await.unwrap();
        let response = if request_line.starts_with("GET")
            && request_line.contains("/invocation/next")
        {
            if !give {
                // The function waits for its next event: never comes.
                std::future::pending::<()>().await;
            }
            give = false;
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 20_000;
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: req-1\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:suspend-user\r\n\
                 content-length: {}\r\n\r\n{event}",
                event.len()
            )
        } else {
            if request_line.contains("/response") || request_line.contains("/error") {
                let _ = answers.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
            }
            "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                .to_owned()
        };
        if reader
            .get_mut()
            .write_all(response.as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

fn function_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("target"));
    let binary = target.join("debug").join(name);
    if !binary.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", name, "--bin", name])
            .current_dir(repo_path(""))
            .status()
            .unwrap();
        assert!(status.success(), "cargo build -p {name}");
    }
    // A binary older than the code would test yesterday's audit line; the test cannot rebuild it under a running
    // `cargo test` (the build directory is locked), so it says what to run.
    let built = std::fs::metadata(&binary).unwrap().modified().unwrap();
    let newest = newest_source(&repo_path("shared/src"))
        .max(newest_source(&repo_path(&format!("functions/{name}/src"))));
    assert!(
        newest <= built,
        "{} is older than the code: run `cargo build --bins` first",
        binary.display()
    );
    binary
}

fn newest_source(dir: &std::path::Path) -> std::time::SystemTime {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                newest_source(&path)
            } else {
                entry
                    .metadata()
                    .and_then(|meta| meta.modified())
                    .unwrap_or(std::time::UNIX_EPOCH)
            }
        })
        .max()
        .unwrap_or(std::time::UNIX_EPOCH)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_binary_writes_the_fields_the_readme_queries_read() {
    let sim = start_sim(sample_org()).await;
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("tests/events/suspend-user/apigw-v2.json")).unwrap(),
    )
    .unwrap();
    let (runtime, mut answers) = runtime_api(event).await;
    let mut child = tokio::process::Command::new(function_binary("suspend-user"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", "suspend-user")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env("OKTA_ORG_URL", sim.url())
        .env("OKTA_API_TOKEN", TOKEN)
        // The emulated Lambda environment takes its connection from the environment only with the override.
        .env("OKTA_ALLOW_ENV_CREDENTIALS", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(30), answers.recv())
        .await
        .expect("the function answers")
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let audit = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(json) = serde_json::from_str::<Value>(&line)
                && json["fields"]["record"] == "audit"
            {
                return json;
            }
        }
        panic!("no audit line on stdout");
    })
    .await
    .expect("an audit line");
    child.kill().await.ok();
    let mut missing = Vec::new();
    for query in readme_audit_queries() {
        for path in field_paths(&query) {
            let value = path.split('.').fold(&audit, |value, key| &value[key]);
            if value.is_null() {
                missing.push(path);
            }
        }
    }
    assert!(missing.is_empty(), "missing {missing:?} in {audit}");
    // The release the line names is the newest one CHANGELOG.md describes, so a deployment can say what it runs.
    let changelog = std::fs::read_to_string(repo_path("CHANGELOG.md")).unwrap();
    let newest = changelog
        .lines()
        .filter_map(|line| line.strip_prefix("## ["))
        .map(|rest| rest.split(']').next().unwrap_or_default())
        .find(|version| *version != "Unreleased")
        .expect("CHANGELOG.md names a release");
    assert_eq!(audit["fields"]["version"], newest, "{audit}");
    assert!(
        audit.get("target").is_none(),
        "the runtime's subscriber drops the target, which is why the queries do not use it: {audit}"
    );
}

/// Inside Lambda a function never takes Okta credentials from its environment: the same binary, the same Lambda
/// variables, no override, answers `Config.Invalid` and sends nothing to Okta.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_lambda_credentials_in_the_environment_are_refused() {
    let sim = start_sim(sample_org()).await;
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("tests/events/suspend-user/apigw-v2.json")).unwrap(),
    )
    .unwrap();
    let (runtime, mut answers) = runtime_api(event).await;
    let mut child = tokio::process::Command::new(function_binary("suspend-user"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", "suspend-user")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env("OKTA_ORG_URL", sim.url())
        .env("OKTA_API_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(30), answers.recv())
        .await
        .expect("the function answers")
        .unwrap();
    child.kill().await.ok();
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap_or("{}")).unwrap();
    assert_eq!(body["error"], "Config.Invalid", "{answer}");
    assert!(
        !answer.to_string().contains(TOKEN),
        "the token leaks: {answer}"
    );
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

/// The lines a real function binary writes for one event (init line, audit record), with the simulator as Okta.
async fn lines_of_one_invocation(sim: &okta_sim::Simulator, token: &str, user: &str) -> Vec<Value> {
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("tests/events/suspend-user/apigw-v2.json")).unwrap(),
    )
    .unwrap();
    event["pathParameters"]["user"] = Value::String(user.to_owned());
    let (runtime, mut answers) = runtime_api(event).await;
    let mut child = tokio::process::Command::new(function_binary("suspend-user"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", "suspend-user")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env("OKTA_ORG_URL", sim.url())
        .env("OKTA_API_TOKEN", token)
        .env("OKTA_ALLOW_ENV_CREDENTIALS", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(40), answers.recv())
        .await
        .expect("the function answers")
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(json) = serde_json::from_str::<Value>(&line) {
                let audit = json["fields"]["record"] == "audit";
                seen.push(json);
                if audit {
                    return;
                }
            }
        }
    })
    .await;
    child.kill().await.ok();
    seen
}

/// CloudWatch Logs' JSON filter patterns as the template writes them: `{ $.a.b = "x" && $.c = "Policy.*" }` and
/// `$.a IS TRUE` terms joined by `&&` (a trailing `*` is a prefix match, as in CloudWatch).
fn filter_matches(pattern: &str, line: &Value) -> bool {
    let body = pattern.trim().trim_start_matches('{').trim_end_matches('}');
    body.split("&&").all(|term| {
        let term = term.trim();
        let at = |path: &str| {
            path.trim()
                .trim_start_matches("$.")
                .split('.')
                .fold(line, |value, key| &value[key])
                .clone()
        };
        if let Some(path) = term.strip_suffix("IS TRUE") {
            return at(path) == Value::Bool(true);
        }
        let Some((path, wanted)) = term.split_once(" = ") else {
            return false;
        };
        let wanted = wanted.trim().trim_matches('"');
        match (at(path).as_str(), wanted.strip_suffix('*')) {
            (Some(value), Some(prefix)) => value.starts_with(prefix),
            (Some(value), None) => value == wanted,
            _ => false,
        }
    })
}

/// Issue 25: every metric filter the template puts on the function logs (and so every alarm and dashboard metric
/// fed from them) matches a line that a real function binary writes in a test: an accepted change after a 429 it
/// waited out (`paced`), a guardrail refusal, a revoked token (Okta.Unauthorized), a rate limit that outlasts the
/// deadline (Okta.RateLimited), and each process's init line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_filter_on_the_function_logs_matches_a_line_a_real_binary_writes() {
    use okta_sim::{Fault, FaultKind, Match};
    let template = std::fs::read_to_string(repo_path("template.yaml")).unwrap();
    let patterns: Vec<String> = template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("FilterPattern: '"))
        .map(|pattern| pattern.trim_end_matches('\'').to_owned())
        .filter(|pattern| pattern.contains("$.fields."))
        .collect();
    assert!(patterns.len() >= 6, "{patterns:?}");
    let sim = start_sim(sample_org()).await;
    let mut lines = Vec::new();
    // Waited out one 429, then changed the user.
    sim.inject(Fault::new(
        Match::route("POST", "/api/v1/users/{id}/lifecycle/suspend"),
        1,
        FaultKind::RateLimited { reset_in_secs: 1 },
    ));
    lines.extend(lines_of_one_invocation(&sim, TOKEN, "bob.sales@acme.example").await);
    sim.clear_faults();
    // The token's owner: a guardrail refusal.
    lines.extend(lines_of_one_invocation(&sim, TOKEN, "okta-automation@acme.example").await);
    // A token Okta does not know.
    lines.extend(
        lines_of_one_invocation(
            &sim,
            "00unknown-token-xxxxxxxxxxxxxxxxxx",
            "carol.eng@acme.example",
        )
        .await,
    );
    // A rate limit whose reset lies beyond the invocation's deadline.
    sim.inject(Fault::new(
        Match::route("POST", "/api/v1/users/{id}/lifecycle/suspend"),
        100,
        FaultKind::RateLimited {
            reset_in_secs: 3600,
        },
    ));
    lines.extend(lines_of_one_invocation(&sim, TOKEN, "carol.eng@acme.example").await);
    let outcomes: Vec<&Value> = lines
        .iter()
        .map(|line| &line["fields"]["outcome"])
        .collect();
    let unmatched: Vec<&String> = patterns
        .iter()
        .filter(|pattern| !lines.iter().any(|line| filter_matches(pattern, line)))
        .collect();
    assert!(
        unmatched.is_empty(),
        "no line matched {unmatched:?}; outcomes {outcomes:?}"
    );
    // The evaluator itself can say no.
    assert!(!filter_matches(
        r#"{ $.fields.record = "audit" && $.fields.outcome = "Policy.*" }"#,
        &serde_json::json!({"fields": {"record": "audit", "outcome": "ok"}})
    ));
}
