//! Okta's limits as a shared budget: several function processes (one client each, as Lambda runs them, all with the
//! stack's one API token) against the simulator enforcing Okta's limits on a fast clock. They must finish without a single 429, no faster than the
//! bucket allows, and a request the pacer holds back past the deadline must never reach Okta.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use okta_lifecycle::config::OktaConfig;
use okta_lifecycle::connection::Connection;
use okta_lifecycle::guard::GuardedClient;
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle::okta::pacing::{Bucket, Heard, PacingPolicy};
use okta_lifecycle::okta::rate_limit_table::RateLimitTable;
use okta_lifecycle::okta::retry::RetryPolicy;
use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::moto::Moto;
use okta_lifecycle_tests::{TOKEN, run_within, start_sim, test_policy};
use okta_sim::{Family, LimitsConfig, Seed, Simulator};
use serde_json::json;

/// Okta's minute lasts one of our seconds.
const TIME_SCALE: f64 = 60.0;
/// The bucket of `GET /api/v1/users/{id}`, shrunk so that a test crosses several windows quickly.
const LIMIT: u32 = 40;
const WORKERS: u32 = 6;
const TABLE: &str = "okta-rate-limits";

fn worker_client(sim: &Simulator, share_percent: u32) -> GuardedClient {
    worker_client_sharing(sim, share_percent, None)
}

/// A worker's client; with `table`, it shares what it hears of Okta's rate limits with the stack's other processes.
fn worker_client_sharing(
    sim: &Simulator,
    share_percent: u32,
    table: Option<RateLimitTable>,
) -> GuardedClient {
    let config = OktaConfig::new(&sim.url(), TOKEN.to_owned().into(), &[]).unwrap();
    let policy = RetryPolicy {
        pacing: PacingPolicy {
            share_percent,
            concurrent_callers: WORKERS,
            time_scale: TIME_SCALE,
        },
        ..test_policy()
    };
    let client = OktaClient::with_policy(Connection::fixed(config), policy).unwrap();
    match table {
        Some(table) => client.with_rate_limit_table(table),
        None => client,
    }
    .into()
}

/// An org enforcing Okta's limits, with `background_load` of every bucket used by another integration and
/// `client_share` percent of each bucket for one client (Okta's default: 50).
async fn org(background_load: f64, client_share: u32) -> (Simulator, Vec<String>) {
    let mut seed = Seed::empty();
    let users: Vec<String> = (0..30)
        .map(|i| seed.user(&format!("user{i}@acme.example"), "ACTIVE"))
        .collect();
    let sim = start_sim(seed).await;
    sim.set_okta_limits(Some(LimitsConfig {
        time_scale: TIME_SCALE,
        background_load,
        latency_ms: 2,
        overrides: [(Family::GetUser.name().to_string(), LIMIT)].into(),
        client_share_percent: client_share,
        ..LimitsConfig::default()
    }));
    (sim, users)
}

/// `requests` reads of users by id spread over `WORKERS` processes; returns the elapsed time.
async fn read_users(sim: &Simulator, users: &[String], requests: usize, share: u32) -> Duration {
    read_users_sharing(sim, users, requests, share, 1, None).await
}

/// The same with `WORKERS` callers at a time, each taking its turns on `processes` processes of its own in rotation,
/// as a bulk item's steps land on the warm sandboxes of several functions: a process sits idle, its last answer
/// growing old, while the others spend the bucket. With `moto`, the processes share what they hear through the
/// rate-limit table there.
async fn read_users_sharing(
    sim: &Simulator,
    users: &[String],
    requests: usize,
    share: u32,
    processes: usize,
    moto: Option<&Moto>,
) -> Duration {
    let mut clients_of_workers = Vec::new();
    for _ in 0..WORKERS {
        let mut clients = Vec::new();
        for _ in 0..processes {
            let table = match moto {
                Some(moto) => Some(moto.rate_limit_table_client(TABLE).await),
                None => None,
            };
            clients.push(worker_client_sharing(sim, share, table));
        }
        clients_of_workers.push(clients);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (worker, clients) in clients_of_workers.into_iter().enumerate() {
        let mine: Vec<String> = users
            .iter()
            .cycle()
            .skip(worker)
            .step_by(WORKERS as usize)
            .take(requests / WORKERS as usize)
            .cloned()
            .collect();
        tasks.spawn(async move {
            for (turn, user) in mine.into_iter().enumerate() {
                run_within(
                    &clients[turn % clients.len()],
                    Action::GetUser,
                    json!({ "user": user }),
                    Duration::from_secs(20),
                )
                .await
                .expect("no item fails");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    started.elapsed()
}

fn report(sim: &Simulator) -> serde_json::Value {
    sim.okta_limits_report().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_a_bucket_without_a_429_and_no_faster_than_it_allows() {
    let (sim, users) = org(0.0, 100).await;
    let requests = 132;
    let elapsed = read_users(&sim, &users, requests, 100).await;
    let report = report(&sim);
    assert_eq!(report["rateLimited"], 0, "{report}");
    assert_eq!(report["concurrencyLimited"], 0, "{report}");
    assert!(report["peakConcurrentRequests"].as_u64().unwrap() <= u64::from(WORKERS));
    // 132 requests at 40 a window need at least three full windows after the first (three seconds here).
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
    // ... and, with the reset's one-second margin on Okta's clock, not much more than four windows.
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_integration_using_half_the_budget_fails_no_item() {
    let (sim, users) = org(0.5, 50).await;
    // Every read must succeed (`read_users` panics otherwise): a 429 is absorbed by waiting for the reset.
    // Okta holds the stack's API token to half of each bucket (rl2-token-oauth) and reports that half as the limit:
    // the stack spends all of what it is told, and the other integration keeps its half.
    read_users(&sim, &users, 60, 100).await;
    let report = report(&sim);
    // The other integration never finds the bucket spent: the stack's token stays within its half.
    assert_eq!(report["backgroundRefused"], 0, "{report}");
    // Each worker keeps one request of the token's half for each other worker that may send at the same moment; a
    // 429 could still come when two read the same count: at most about one per worker.
    assert!(
        report["rateLimited"].as_u64().unwrap() <= u64::from(WORKERS),
        "{report}"
    );
}

/// A bulk run's steps land on the warm sandboxes of several functions: more processes than callers at a time, most of
/// them idle while the others spend the bucket. A process waking with an answer a few seconds old, or none of this
/// window, must not take its own view as the bucket's state: it reads what the stack's other processes heard from the
/// rate-limit table (moto's DynamoDB). (Without the table, when the simulator counted every client in one budget,
/// this run refused the other integration about 35 requests; now Okta's per-token share protects the other
/// integration, and a stale view costs the stack its own 429s.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_processes_read_the_stacks_latest_word_and_leave_the_other_integration_its_half() {
    let moto = Moto::start();
    moto.rate_limit_table(TABLE).await;
    let (sim, users) = org(0.5, 50).await;
    let elapsed = read_users_sharing(&sim, &users, 120, 100, 3, Some(&moto)).await;
    let report = report(&sim);
    assert_eq!(report["backgroundRefused"], 0, "{report}");
    // The token's half of 40 a window is 20: 120 requests need six windows (seconds here). Not much slower for being
    // careful.
    assert!(elapsed < Duration::from_secs(9), "{elapsed:?}");
    assert!(
        report["rateLimited"].as_u64().unwrap() <= u64::from(WORKERS),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_held_back_past_the_deadline_never_reaches_okta() {
    let (sim, users) = org(0.0, 100).await;
    let client = worker_client(&sim, 100);
    for user in users.iter().cycle().take((LIMIT - WORKERS + 1) as usize) {
        run_within(
            &client,
            Action::GetUser,
            json!({"user": user}),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    }
    let sent = sim.total_calls();
    // The bucket is down to the reserve kept for the other workers; the next read would wait past this deadline.
    let error = run_within(
        &client,
        Action::GetUser,
        json!({"user": users[0]}),
        Duration::from_millis(300),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaRateLimited);
    assert!(error.retry_at.is_some());
    assert_eq!(sim.total_calls(), sent, "the held-back request was sent");
    assert_eq!(report(&sim)["rateLimited"], 0);
}

/// Fairness: each worker's calls have a deadline much shorter than Okta's window (as a Lambda's 30 s against Okta's
/// minute). Were the bucket spent in the first moments of each window, every call that came later would have to
/// wait for the reset, past its deadline, and give up (`Okta.RateLimited`), window after window: an item could lose
/// that race every time. Spread over the window, every call gets its turn within its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_with_a_deadline_shorter_than_the_window_all_get_their_turn() {
    let (sim, users) = org(0.0, 100).await;
    let gave_up = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..WORKERS as usize {
        let client = worker_client(&sim, 100);
        let gave_up = gave_up.clone();
        let mine: Vec<String> = users
            .iter()
            .cycle()
            .skip(worker)
            .step_by(WORKERS as usize)
            .take(20)
            .cloned()
            .collect();
        tasks.spawn(async move {
            for user in mine {
                // test_policy keeps 200 ms of margin and 200 ms for the request: waits of up to 300 ms fit, a
                // third of the one-second window.
                loop {
                    match run_within(
                        &client,
                        Action::GetUser,
                        json!({ "user": user }),
                        Duration::from_millis(700),
                    )
                    .await
                    {
                        Ok(_) => break,
                        Err(error) if error.kind == ErrorKind::OktaRateLimited => {
                            gave_up.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(error) => panic!("{error:?}"),
                    }
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let report = report(&sim);
    assert_eq!(report["rateLimited"], 0, "{report}");
    assert_eq!(
        gave_up.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "calls gave up waiting for their turn"
    );
}

/// The table keeps the latest word of each bucket whatever order the processes write in: within a window the lowest
/// count, a later window over an earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_table_keeps_the_latest_word_of_each_bucket() {
    let moto = Moto::start();
    let table = moto.rate_limit_table(TABLE).await;
    let org = "acme.okta.com";
    // Okta's own minute: resets closer than 15 s are one window.
    let policy = PacingPolicy::default();
    // The table keeps milliseconds.
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let now = UNIX_EPOCH + Duration::from_millis(since_epoch.as_millis() as u64);
    let heard = |remaining: u32, resets_in: u64| Heard {
        limit: 100,
        remaining,
        resets_at: now + Duration::from_secs(resets_in),
        heard_at: now,
    };
    assert_eq!(table.read(org, &policy).await, Some(vec![]));
    table
        .publish(org, Bucket::Apps, heard(40, 30), &policy)
        .await;
    // An answer that arrives late (a higher count in the same window) does not overwrite.
    table
        .publish(org, Bucket::Apps, heard(55, 30), &policy)
        .await;
    table
        .publish(org, Bucket::Users, heard(90, 30), &policy)
        .await;
    let read = table.read(org, &policy).await.unwrap();
    assert!(read.contains(&(Bucket::Apps, heard(40, 30))), "{read:?}");
    assert!(read.contains(&(Bucket::Users, heard(90, 30))), "{read:?}");
    // A later window replaces the spent one; an earlier one cannot come back.
    table
        .publish(org, Bucket::Apps, heard(99, 55), &policy)
        .await;
    table
        .publish(org, Bucket::Apps, heard(10, 30), &policy)
        .await;
    let read = table.read(org, &policy).await.unwrap();
    assert!(read.contains(&(Bucket::Apps, heard(99, 55))), "{read:?}");
    // Another org's buckets are its own.
    assert_eq!(table.read("other.okta.com", &policy).await, Some(vec![]));
}

/// A poisoned item (nothing left until the year 3000, a count above the limit) cannot stall the stack: what a process
/// reads is bounded to one window ahead, so its pacer waits one window at most, and the next real answer overwrites
/// the item. Unbounded, the pacer would hold every call to that bucket until its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_rate_limit_item_delays_a_call_by_one_window_at_most() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use okta_lifecycle::okta::pacing::Pacer;
    let moto = Moto::start();
    let table = moto.rate_limit_table(TABLE).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let org = "acme.okta.com";
    let policy = PacingPolicy {
        share_percent: 50,
        ..PacingPolicy::default()
    };
    let year_3000 = "32503680000000";
    let number = |value: &str| AttributeValue::N(value.to_owned());
    dynamodb
        .put_item()
        .table_name(TABLE)
        .item("org", AttributeValue::S(org.to_owned()))
        .item("apiV1Limit", number("1200"))
        .item("apiV1Remaining", number("0"))
        .item("apiV1ResetsAt", number(year_3000))
        .item("apiV1HeardAt", number(year_3000))
        .item("appsLimit", number("100"))
        .item("appsRemaining", number("5000"))
        .item("appsResetsAt", number(year_3000))
        .item("appsHeardAt", number("0"))
        .send()
        .await
        .unwrap();
    let read = table.read(org, &policy).await.unwrap();
    let other = read
        .iter()
        .find(|(bucket, _)| *bucket == Bucket::ApiV1)
        .map(|(_, heard)| *heard)
        .expect("the item is read, bounded");
    let wall_now = SystemTime::now();
    assert!(other.resets_at <= wall_now + policy.window(), "{other:?}");
    assert!(other.heard_at <= wall_now, "{other:?}");
    let apps = read
        .iter()
        .find(|(bucket, _)| *bucket == Bucket::Apps)
        .map(|(_, heard)| *heard)
        .unwrap();
    assert!(apps.remaining <= apps.limit, "{apps:?}");
    // The process's pacer, told what the table said, holds a call to that bucket one window at most.
    let pacer = Pacer::default();
    let now = Instant::now();
    pacer.hear(Bucket::ApiV1, Some(other), &policy, now);
    let wait = pacer.wait_before(Bucket::ApiV1, &policy, now);
    assert!(
        wait > Duration::ZERO,
        "the bounded item still paces: {wait:?}"
    );
    assert!(wait <= policy.window(), "{wait:?}");
    // The next real answer overwrites the poison.
    let since_epoch = wall_now.duration_since(UNIX_EPOCH).unwrap();
    let wall_now = UNIX_EPOCH + Duration::from_millis(since_epoch.as_millis() as u64);
    let real = Heard {
        limit: 1200,
        remaining: 700,
        resets_at: wall_now + Duration::from_secs(40),
        heard_at: wall_now,
    };
    table.publish(org, Bucket::ApiV1, real, &policy).await;
    let apps_real = Heard {
        limit: 100,
        remaining: 60,
        ..real
    };
    table.publish(org, Bucket::Apps, apps_real, &policy).await;
    let read = table.read(org, &policy).await.unwrap();
    assert!(read.contains(&(Bucket::ApiV1, real)), "{read:?}");
    assert!(read.contains(&(Bucket::Apps, apps_real)), "{read:?}");
}

/// Items written before the buckets followed Okta's table carry attributes of a bucket that no longer exists
/// (`other*`): a process reads past them, and a bucket of the same org written since is still read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_table_ignores_buckets_it_no_longer_knows() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let moto = Moto::start();
    let table = moto.rate_limit_table(TABLE).await;
    let org = "acme.okta.com";
    let millis = |time: SystemTime| time.duration_since(UNIX_EPOCH).unwrap().as_millis();
    let now = SystemTime::now();
    let number = |value: u128| AttributeValue::N(value.to_string());
    aws_sdk_dynamodb::Client::new(&moto.sdk_config().await)
        .put_item()
        .table_name(TABLE)
        .item("org", AttributeValue::S(org.to_owned()))
        .item("otherLimit", number(1200))
        .item("otherRemaining", number(3))
        .item(
            "otherResetsAt",
            number(millis(now + Duration::from_secs(30))),
        )
        .item("otherHeardAt", number(millis(now)))
        .send()
        .await
        .unwrap();
    let policy = PacingPolicy::default();
    assert_eq!(table.read(org, &policy).await, Some(vec![]));
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap();
    let now = UNIX_EPOCH + Duration::from_millis(since_epoch.as_millis() as u64);
    let heard = Heard {
        limit: 300,
        remaining: 120,
        resets_at: now + Duration::from_secs(30),
        heard_at: now,
    };
    table.publish(org, Bucket::Users, heard, &policy).await;
    assert_eq!(
        table.read(org, &policy).await,
        Some(vec![(Bucket::Users, heard)])
    );
}
