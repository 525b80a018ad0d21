//! Hostile input at every layer: generated events of every caller shape (`okta_lifecycle_tests::hostile`) run
//! through `lambda::handle`, the handler every function runs, against the simulator; each answer is checked
//! against every invariant (a named answer, nothing sent for refused input, requests only under /api/v1/ naming
//! the resolved ids, no secret in answers or logs, no 5xx for HTTP callers, one audit record).
//!
//! Bounded by time: `HOSTILE_BUDGET_MS` per caller shape (default 2500). A failure prints arbtest's seed;
//! `ARBTEST_SEED=<seed>` replays it. The long run (`make fuzz`, ≥ 10^6 events) is `fuzz_run`, ignored here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use lambda_runtime::{Context, LambdaEvent};
use okta_lifecycle::Action;
use okta_lifecycle::connection::Connection;
use okta_lifecycle::guard::GuardedClient;
use okta_lifecycle::lambda::{self, Event};
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle::okta::retry::RetryPolicy;
use okta_lifecycle_tests::hostile::{
    Capture, Fixtures, Shape, check, check_within, generate, truncated,
};
use okta_lifecycle_tests::{Form, client_for, config_for, sample_org, start_sim, test_policy};
use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn budget() -> Duration {
    let millis = std::env::var("HOSTILE_BUDGET_MS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(2500);
    Duration::from_millis(millis)
}

fn property(shape: Shape) {
    let runtime = runtime();
    let sim = runtime.block_on(start_sim(sample_org()));
    let client = client_for(&sim);
    let fixtures = Fixtures::load();
    let logs = Capture::default();
    let _guard = okta_lifecycle_tests::set_log_capture(logs.subscriber());
    let mut events = 0;
    arbtest::arbtest(|u| {
        let action = *u.choose(&Action::ALL)?;
        let generated = generate(u, &fixtures, action, shape)?;
        events += 1;
        if let Err(why) = runtime.block_on(check(&sim, &client, &logs, &generated)) {
            panic!(
                "{} {shape:?}: {why}\nevent: {}",
                action.name(),
                truncated(&generated.text, 2000)
            );
        }
        Ok(())
    })
    .budget(budget())
    .size_min(64)
    .size_max(4096)
    .run();
    assert!(events >= 20, "only {events} events in the budget");
}

#[test]
fn plain_inputs() {
    property(Shape::Plain);
}

#[test]
fn step_functions_inputs() {
    property(Shape::StepFunctions);
}

#[test]
fn api_gateway_v2_events() {
    property(Shape::ApiGatewayV2);
}

#[test]
fn api_gateway_v1_events() {
    property(Shape::ApiGatewayV1);
}

#[test]
fn eventbridge_events() {
    property(Shape::EventBridge);
}

#[test]
fn raw_payloads_of_any_type_and_depth() {
    property(Shape::Raw);
}

/// The layer before the handler: nesting past serde_json's recursion limit, and the largest payload Lambda takes
/// (6 MB), get `Input.Invalid` naming where, never the runtime's `DeserializeError`; nothing reaches Okta.
#[test]
fn any_depth_and_size_is_a_named_refusal() {
    let runtime = runtime();
    let sim = runtime.block_on(start_sim(sample_org()));
    let client = client_for(&sim);
    let deep = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let mut cases: Vec<(String, &str)> = Vec::new();
    for depth in [65, 128, 129, 1_000, 100_000] {
        cases.push((deep(depth), "event"));
        cases.push((
            format!(
                r#"{{"user": "sam.leaver@acme.example", "profile": {}}}"#,
                deep(depth)
            ),
            "event",
        ));
        cases.push((
            format!(
                r#"{{"version": "0", "detail-type": "x", "source": "hr", "detail": {}}}"#,
                deep(depth)
            ),
            "event",
        ));
    }
    // Lambda's limit for a synchronous invoke is 6 MB (6,291,456 bytes).
    let huge = "x".repeat(6_291_456 - 512);
    for action in Action::ALL {
        let path = okta_lifecycle_tests::repo_path(&format!(
            "tests/events/{}/stepfunctions.json",
            action.name()
        ));
        let mut input: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        input["user"] = Value::from(huge.as_str());
        let largest = (input.to_string(), "user");
        for (text, field) in cases.iter().chain([&largest]) {
            sim.reset_counters();
            let event = LambdaEvent::new(Event::from_json(text), Context::default());
            let error = runtime
                .block_on(lambda::handle(action, Ok(&client), event))
                .unwrap_err();
            let diagnostic = lambda_runtime::Diagnostic::from(error.clone());
            assert_eq!(
                diagnostic.error_type,
                "Input.Invalid",
                "{}",
                truncated(text, 200)
            );
            assert_eq!(
                error.field.as_deref(),
                Some(*field),
                "{}",
                truncated(text, 200)
            );
            assert!(diagnostic.error_message.len() < 500);
            assert_eq!(sim.total_calls(), 0, "a refused event reached Okta");
        }
    }
}

/// An API Gateway body nested too deep is a 400 naming `body`, from either API version.
#[test]
fn a_deep_api_gateway_body_is_a_400_naming_body() {
    let runtime = runtime();
    let sim = runtime.block_on(start_sim(sample_org()));
    let client = client_for(&sim);
    let fixtures = [
        okta_lifecycle_tests::repo_path("tests/events/suspend-user/apigw-v2.json"),
        okta_lifecycle_tests::repo_path("tests/events/suspend-user/apigw-v1.json"),
    ];
    for path in fixtures {
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for depth in [65, 129, 100_000] {
            event["body"] = Value::from(format!(
                r#"{{"dryRun": {}true{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            ));
            sim.reset_counters();
            let answer = runtime
                .block_on(lambda::handle(
                    Action::SuspendUser,
                    Ok(&client),
                    LambdaEvent::new(Event::from_json(&event.to_string()), Context::default()),
                ))
                .unwrap();
            assert_eq!(answer["statusCode"], 400, "{depth}");
            let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["error"], "Input.Invalid");
            assert_eq!(body["field"], "body");
            assert_eq!(sim.total_calls(), 0);
        }
    }
}

/// What the generated events found, kept as fixed cases: a user named `.` or `..` was read by path, and the URL
/// parser turned `/api/v1/users/..` into `/api/v1/` (on Okta, `/api/v1/users/` lists users); `revokeSessions`
/// without `tempPassword` was refused only after the user lookup had reached Okta.
#[test]
fn regressions_found_by_fuzzing() {
    let runtime = runtime();
    let sim = runtime.block_on(start_sim(sample_org()));
    let client = client_for(&sim);
    let logs = Capture::default();
    let _guard = okta_lifecycle_tests::set_log_capture(logs.subscriber());
    let cases = [
        (Action::GetUser, Shape::Plain, r#"{"user": ".."}"#),
        (Action::GetUser, Shape::Plain, r#"{"user": " . "}"#),
        (
            Action::SuspendUser,
            Shape::StepFunctions,
            r#"{"user": "..", "executionId": "arn:aws:states:us-east-1:1:execution:x:y"}"#,
        ),
        (
            Action::ExpirePassword,
            Shape::Plain,
            r#"{"user": "sam.leaver@acme.example", "revokeSessions": true}"#,
        ),
        (
            Action::ExpirePassword,
            Shape::EventBridge,
            r#"{"version": "0", "id": "1", "detail-type": "x", "source": "hr", "account": "1", "time": "2026-11-27T09:15:00Z", "region": "us-east-1", "resources": [], "detail": {"user": "eng/ops.bot@acme.example", "revokeSessions": false, "dryRun": true}}"#,
        ),
    ];
    for (action, shape, text) in cases {
        let generated = okta_lifecycle_tests::hostile::Generated {
            action,
            shape,
            text: text.to_owned(),
            must_refuse: if action == Action::ExpirePassword {
                Some("revokeSessions without tempPassword")
            } else {
                None
            },
        };
        if let Err(why) = runtime.block_on(check(&sim, &client, &logs, &generated)) {
            panic!("{text}: {why}");
        }
    }
}

/// The long run outside CI: `make fuzz` (FUZZ_EVENTS, default 10^6; FUZZ_SEED to replay). Prints the figures for
/// the README: events, failures, events per second, outcomes.
#[test]
#[ignore = "the long fuzz run; make fuzz"]
fn fuzz_run() {
    let events: u64 = std::env::var("FUZZ_EVENTS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let runtime = runtime();
    let sim = runtime.block_on(start_sim(sample_org()));
    // The run is niced on a shared machine: with the suite's 2 s request timeout and the handler's 25 s default
    // budget, a process starved by other work turned a few simulator answers into `Okta.Transient` (14 in 10^6
    // events, none reproduced alone). That is timing, not input handling: the long run gives each event a 20 s
    // request timeout and a 10-minute deadline, and a bucket large enough for its pace (the unconfigured bucket
    // reports Okta's 600 a minute, which pacing rightly honours: a few events a second).
    sim.set_rate_limit(Some(u32::MAX / 2));
    let client: GuardedClient = OktaClient::with_policy(
        Connection::fixed(config_for(&sim, Form::from_env())),
        RetryPolicy {
            request_timeout: Duration::from_secs(20),
            ..test_policy()
        },
    )
    .unwrap()
    .into();
    let fixtures = Fixtures::load();
    let logs = Capture::default();
    let _guard = okta_lifecycle_tests::set_log_capture(logs.subscriber());
    let started = Instant::now();
    let mut failures: Vec<String> = Vec::new();
    let mut failed = 0u64;
    let mut ran = 0u64;
    let mut bytes = Vec::new();
    let mut outcomes = std::collections::BTreeMap::new();
    for index in 0..events {
        let event_seed = seed.wrapping_add(index);
        let mut rng = fastrand::Rng::with_seed(event_seed);
        bytes.clear();
        bytes.extend((0..rng.usize(16..=4096)).map(|_| rng.u8(..)));
        let mut u = Unstructured::new(&bytes);
        // From the event's own seed (not its index), so that `FUZZ_SEED=<event seed> FUZZ_EVENTS=1` replays it.
        let shape = Shape::ALL[usize::try_from(event_seed % 6).unwrap()];
        let Ok(action) = u.choose(&Action::ALL).copied() else {
            continue;
        };
        let Ok(generated) = generate(&mut u, &fixtures, action, shape) else {
            continue;
        };
        ran += 1;
        let result = runtime.block_on(check_within(
            &sim,
            &client,
            &logs,
            &generated,
            Some(Duration::from_secs(600)),
        ));
        *outcomes
            .entry(result.clone().unwrap_or_else(|_| "failure".to_owned()))
            .or_insert(0u64) += 1;
        if let Err(why) = result {
            failed += 1;
            if failures.len() < 20 {
                let failure = format!(
                    "FUZZ_SEED={event_seed} FUZZ_EVENTS=1 ({} {shape:?}): {why}\nevent: {}",
                    action.name(),
                    truncated(&generated.text, 1000)
                );
                // Printed at once too: a long run's first failure is worth reading before the run ends.
                eprintln!("fuzz failure: {failure}");
                failures.push(failure);
            }
        }
        if ran.is_multiple_of(100_000) {
            eprintln!(
                "{ran} events, {failed} failures, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: seed {seed}: {ran} events across {} functions and {} caller shapes, {failed} failures, {seconds:.0} s, {:.0} events/s",
        Action::ALL.len(),
        Shape::ALL.len(),
        ran as f64 / seconds
    );
    eprintln!("fuzz: outcomes {outcomes:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
