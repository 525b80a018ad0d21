//! The simulator against real Okta: every exchange recorded from a real org in `tests/okta-recordings/` (extracts of
//! okta-sdk-python's VCR cassettes, see that folder's README) is replayed against a simulator seeded with the state
//! the recording implies, and the answer must match the recording in what the client reads: the status, the
//! `errorCode`, the headers (media type, `Link` relations, the rate-limit headers, `WWW-Authenticate`) and the body
//! fields of `shared/src/okta/models.rs`.
//!
//! Exchanges on endpoints the simulator does not serve (no `okta_sim::ROUTES` entry) are counted and listed, not
//! replayed. Known differences another change is fixing are listed in `PENDING` with who fixes them: they must still
//! differ (a pending entry that starts matching fails, so it gets flipped), and every other exchange must match.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use okta_sim::{ROUTES, Seed, Simulator};
use serde_json::{Value, json};

const TOKEN: &str = "recorded-okta-token";

/// Recorded answers the simulator does not give yet, in files another helper is changing (the lead flips each entry
/// after merging that change): (record file, interaction index, who, what Okta answered).
const PENDING: &[(&str, usize, &str, &str)] = &[];

/// One recorded exchange, as `tests/okta-recordings/extract.py` writes it.
struct Exchange {
    /// `<cassette>.json#<interaction>`: how reports name it.
    name: String,
    cassette: String,
    interaction: usize,
    record: Value,
}

/// What the simulator answered, reduced to what the comparison looks at.
#[derive(Debug, Default)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    link_rels: Vec<String>,
    rate_limit_headers: bool,
    www_authenticate: Option<String>,
    body: Option<Value>,
}

/// The records, found from this test's own crate (`tests/`): the support library's `repo_path` is compiled once in
/// a target folder several worktrees share, so it may point at another checkout.
fn recordings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("okta-recordings")
}

/// Every exchange of every record file (`tests/okta-recordings/<source>/*.json`), in file order.
fn exchanges() -> Vec<Exchange> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(recordings_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let record: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for source in ["repo", "path", "commit", "licence"] {
            assert!(
                record["source"][source].is_string(),
                "{}: source.{source} is missing",
                file.display()
            );
        }
        let cassette = file.file_name().unwrap().to_string_lossy().into_owned();
        for exchange in record["exchanges"].as_array().unwrap() {
            let interaction = exchange["interaction"].as_u64().unwrap() as usize;
            all.push(Exchange {
                name: format!("{cassette}#{interaction}"),
                cassette: cassette.clone(),
                interaction,
                record: exchange.clone(),
            });
        }
    }
    all
}

/// The simulator's route template for a request, if it serves one (`{name}` matches any one segment).
fn route_of(method: &str, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let matches = |template: &str| {
        let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
        parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(part, segment)| part.starts_with('{') || part == segment)
    };
    // A literal segment beats a parameter (`/groups/rules` before `/groups/{groupId}`).
    let literal_count =
        |template: &str| template.split('/').filter(|p| !p.starts_with('{')).count();
    ROUTES
        .iter()
        .filter(|route| route.method == method && matches(route.path))
        .max_by_key(|route| literal_count(route.path))
        .map(|route| route.path)
}

async fn replay(exchange: &Exchange) -> Answer {
    let record = &exchange.record;
    let seed = Seed::from_json(&record["given"].to_string())
        .unwrap_or_else(|e| panic!("{}: the derived seed is refused: {e}", exchange.name));
    let sim = Simulator::start(seed, TOKEN).await.unwrap();
    let request = &record["request"];
    let mut url = url::Url::parse(&format!(
        "{}{}",
        sim.url(),
        request["path"].as_str().unwrap()
    ))
    .unwrap();
    let query = request["query"].as_array().unwrap();
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for pair in query {
            pairs.append_pair(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        }
    }
    let method: reqwest::Method = request["method"].as_str().unwrap().parse().unwrap();
    let body = match &request["body"] {
        Value::Null => Vec::new(),
        body => serde_json::to_vec(body).unwrap(),
    };
    let response = reqwest::Client::new()
        .request(method, url)
        .header("Authorization", format!("SSWS {TOKEN}"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .header("Content-Length", body.len().to_string())
        .body(body)
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    let text_of = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    let answer = Answer {
        status: response.status().as_u16(),
        content_type: text_of("content-type")
            .map(|v| v.split(';').next().unwrap().trim().to_owned()),
        link_rels: link_rels(headers.get_all("link").iter().map(|v| v.to_str().unwrap())),
        rate_limit_headers: [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
        ]
        .iter()
        .all(|name| text_of(name).is_some_and(|v| v.parse::<u64>().is_ok())),
        www_authenticate: text_of("www-authenticate"),
        body: None,
    };
    let text = response.text().await.unwrap();
    Answer {
        body: (!text.trim().is_empty())
            .then(|| serde_json::from_str(&text).unwrap_or(Value::String(text))),
        ..answer
    }
}

fn link_rels<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut rels: Vec<String> = values
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.split("rel=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect();
    rels.sort();
    rels
}

/// Every difference between the recorded answer (`expected`, the record's `response`) and the simulator's.
fn differences(expected: &Value, answer: &Answer) -> Vec<String> {
    let mut found = Vec::new();
    let status = expected["status"].as_u64().unwrap();
    if u64::from(answer.status) != status {
        found.push(format!(
            "status: Okta {status}, simulator {}",
            answer.status
        ));
    }
    let error_code = answer
        .body
        .as_ref()
        .and_then(|b| b.get("errorCode"))
        .cloned();
    if expected["errorCode"] != error_code.clone().unwrap_or(Value::Null) {
        found.push(format!(
            "errorCode: Okta {}, simulator {}",
            expected["errorCode"],
            error_code.unwrap_or(Value::Null)
        ));
    }
    if let Some(media) = expected["contentType"].as_str()
        && answer.content_type.as_deref() != Some(media)
    {
        found.push(format!(
            "Content-Type: Okta {media}, simulator {:?}",
            answer.content_type
        ));
    }
    let recorded_rels: Vec<String> = serde_json::from_value(expected["linkRels"].clone()).unwrap();
    let rels_ok = if expected["linkRelsComplete"] == json!(true) {
        recorded_rels == answer.link_rels
    } else {
        recorded_rels
            .iter()
            .all(|rel| answer.link_rels.contains(rel))
    };
    if !rels_ok {
        found.push(format!(
            "Link rels: Okta {recorded_rels:?}, simulator {:?}",
            answer.link_rels
        ));
    }
    if expected["rateLimitHeaders"] == json!(true) && !answer.rate_limit_headers {
        found.push("X-Rate-Limit-Limit/Remaining/Reset: sent by Okta, not by the simulator".into());
    }
    let challenge =
        |value: Option<&str>| value.map(|v| v.split_whitespace().next().unwrap_or("").to_owned());
    if challenge(expected["wwwAuthenticate"].as_str())
        != challenge(answer.www_authenticate.as_deref())
    {
        found.push(format!(
            "WWW-Authenticate: Okta {}, simulator {:?}",
            expected["wwwAuthenticate"], answer.www_authenticate
        ));
    }
    body_differences(&expected["body"], answer.body.as_ref(), "body", &mut found);
    found
}

fn body_differences(expected: &Value, actual: Option<&Value>, at: &str, found: &mut Vec<String>) {
    match expected["kind"].as_str().unwrap() {
        "none" => {
            if let Some(actual) = actual {
                found.push(format!("{at}: Okta sent none, simulator {actual}"));
            }
        }
        "list" => {
            let Some(Value::Array(items)) = actual else {
                found.push(format!("{at}: Okta sent a list, simulator {actual:?}"));
                return;
            };
            let key = expected["key"].as_str().unwrap();
            let recorded = expected["items"].as_array().unwrap();
            let keys_of = |values: Vec<Value>| {
                let mut keys: Vec<String> = values.iter().map(Value::to_string).collect();
                keys.sort();
                keys
            };
            let recorded_keys =
                keys_of(recorded.iter().map(|i| i["fields"][key].clone()).collect());
            let actual_keys = keys_of(
                items
                    .iter()
                    .map(|i| i.pointer(key).cloned().unwrap_or(Value::Null))
                    .collect(),
            );
            if recorded_keys != actual_keys {
                found.push(format!(
                    "{at}: Okta listed {recorded_keys:?}, simulator {actual_keys:?}"
                ));
                return;
            }
            for item in recorded {
                let id = &item["fields"][key];
                let twin = items.iter().find(|i| i.pointer(key) == Some(id));
                object_differences(item, twin, &format!("{at}[{key}={id}]"), found);
            }
        }
        "object" => object_differences(expected, actual, at, found),
        other => panic!("unknown body kind {other}"),
    }
}

fn object_differences(expected: &Value, actual: Option<&Value>, at: &str, found: &mut Vec<String>) {
    let Some(Value::Object(object)) = actual else {
        found.push(format!("{at}: Okta sent an object, simulator {actual:?}"));
        return;
    };
    if let Some(keys) = expected.get("keys").and_then(Value::as_array) {
        let mut actual_keys: Vec<&String> = object.keys().collect();
        actual_keys.sort();
        let recorded: Vec<&str> = keys.iter().map(|k| k.as_str().unwrap()).collect();
        if actual_keys != recorded {
            found.push(format!(
                "{at}: Okta's keys {recorded:?}, simulator {actual_keys:?}"
            ));
        }
    }
    let actual = actual.unwrap();
    for (pointer, value) in expected["fields"].as_object().into_iter().flatten() {
        let got = actual.pointer(pointer).unwrap_or(&Value::Null);
        if got != value {
            found.push(format!("{at}{pointer}: Okta {value}, simulator {got}"));
        }
    }
    for pointer in expected["present"].as_array().into_iter().flatten() {
        let pointer = pointer.as_str().unwrap();
        if actual.pointer(pointer).is_none_or(Value::is_null) {
            found.push(format!(
                "{at}{pointer}: sent by Okta, missing from the simulator"
            ));
        }
    }
}

fn pending(
    exchange: &Exchange,
) -> Option<&'static (&'static str, usize, &'static str, &'static str)> {
    PENDING.iter().find(|(cassette, interaction, _, _)| {
        *cassette == exchange.cassette && *interaction == exchange.interaction
    })
}

/// The report (counts, pending gaps, endpoints not served) goes to stderr, shown with `--no-capture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_answers_every_recorded_exchange_as_okta_did() {
    let all = exchanges();
    let mut unmodeled = Vec::new();
    let mut failures = Vec::new();
    let mut matched = 0;
    let mut still_pending = Vec::new();
    let mut by_route: BTreeMap<String, usize> = BTreeMap::new();
    for exchange in &all {
        let request = &exchange.record["request"];
        let (method, path) = (
            request["method"].as_str().unwrap(),
            request["path"].as_str().unwrap(),
        );
        let Some(route) = route_of(method, path) else {
            unmodeled.push(format!("{} ({method} {path})", exchange.name));
            continue;
        };
        *by_route.entry(format!("{method} {route}")).or_default() += 1;
        let differences = differences(&exchange.record["response"], &replay(exchange).await);
        match (pending(exchange), differences.is_empty()) {
            (None, true) => matched += 1,
            (None, false) => failures.push(format!("{} ({method} {path}):\n    {}", exchange.name, differences.join("\n    "))),
            (Some((_, _, who, what)), false) => still_pending.push(format!("{} [{who}]: {what}", exchange.name)),
            (Some((_, _, who, _)), true) => failures.push(format!(
                "{}: listed in PENDING for {who}, but the simulator now answers as Okta did: remove the entry",
                exchange.name
            )),
        }
    }
    eprintln!(
        "{} recorded exchanges: {matched} match, {} pending another fix, {} on endpoints the simulator does not serve",
        all.len(),
        still_pending.len(),
        unmodeled.len()
    );
    for line in &still_pending {
        eprintln!("  pending: {line}");
    }
    for line in &unmodeled {
        eprintln!("  not served: {line}");
    }
    for (route, count) in &by_route {
        eprintln!("  replayed {count}x: {route}");
    }
    assert!(
        failures.is_empty(),
        "the simulator differs from Okta:\n{}",
        failures.join("\n")
    );
    assert!(matched > 0 && !by_route.is_empty(), "nothing was replayed");
}

/// The comparison reports what it should: a recorded answer altered in each compared part is a difference.
#[test]
fn a_changed_recording_is_reported_as_a_difference() {
    let recorded = json!({
        "status": 404,
        "errorCode": "E0000007",
        "contentType": "application/json",
        "linkRels": [],
        "linkRelsComplete": true,
        "rateLimitHeaders": true,
        "wwwAuthenticate": null,
        "body": {"kind": "object", "fields": {"/errorCode": "E0000007", "/errorSummary": "Not found: Resource not found: x (User)"}}
    });
    let answer = Answer {
        status: 404,
        content_type: Some("application/json".into()),
        link_rels: vec![],
        rate_limit_headers: true,
        www_authenticate: None,
        body: Some(
            json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: x (User)"}),
        ),
    };
    assert_eq!(differences(&recorded, &answer), Vec::<String>::new());
    let altered = |pointer: &str, value: Value| {
        let mut changed = recorded.clone();
        *changed.pointer_mut(pointer).unwrap() = value;
        differences(&changed, &answer)
    };
    assert_eq!(
        altered("/status", json!(403)),
        vec!["status: Okta 403, simulator 404"]
    );
    assert_eq!(altered("/errorCode", json!("E0000006")).len(), 1);
    assert_eq!(altered("/linkRels", json!(["next", "self"])).len(), 1);
    assert_eq!(
        altered("/wwwAuthenticate", json!("Bearer realm=\"x\"")).len(),
        1
    );
    assert_eq!(
        altered("/body/fields/~1errorSummary", json!("Not found")).len(),
        1
    );
    assert_eq!(altered("/body", json!({"kind": "none"})).len(), 1);
    let list = json!({"kind": "list", "key": "/id", "items": [{"fields": {"/id": "00u1", "/status": "ACTIVE"}}]});
    let listed = |body: Value| {
        let mut found = Vec::new();
        body_differences(&list, Some(&body), "body", &mut found);
        found
    };
    assert!(listed(json!([{"id": "00u1", "status": "ACTIVE"}])).is_empty());
    assert_eq!(
        listed(json!([{"id": "00u1", "status": "SUSPENDED"}])).len(),
        1
    );
    assert_eq!(listed(json!([{"id": "00u2", "status": "ACTIVE"}])).len(), 1);
    assert_eq!(listed(json!([])).len(), 1);
}

#[test]
fn requests_are_matched_to_the_simulators_routes() {
    assert_eq!(
        route_of("GET", "/api/v1/groups/rules"),
        Some("/api/v1/groups/rules")
    );
    assert_eq!(
        route_of("GET", "/api/v1/groups/00g1"),
        Some("/api/v1/groups/{groupId}")
    );
    assert_eq!(
        route_of("POST", "/api/v1/users/00u1/lifecycle/reset_factors"),
        Some("/api/v1/users/{id}/lifecycle/reset_factors")
    );
    // Listing grants is not served (only revoking them all): the method counts.
    assert_eq!(route_of("GET", "/api/v1/users/00u1/grants"), None);
    assert_eq!(route_of("GET", "/api/v1/users/00u1/idps"), None);
}
