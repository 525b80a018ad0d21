//! The guardrails, through the Lambda handler as every function runs it: for each refusal, the error name, the
//! HTTP status an API caller gets, the audit record, and that no changing request reached Okta.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use lambda_runtime::{Context, LambdaEvent};
use okta_lifecycle::grants::{Grant, Grants};
use okta_lifecycle::guard::Guardrails;
use okta_lifecycle::{Action, lambda};
use okta_lifecycle_tests::{
    Form, client_guarded, client_with, open_grants, repo_path, sample_org, start_sim,
};
use okta_sim::{SeedUser, Simulator};
use serde_json::{Map, Value, json};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn audit_lines(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["fields"]["record"] == "audit")
            .collect()
    }
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// The same input as an HTTP API (2.0) request: the function's fixture with this path and body.
fn http_event(action: Action, payload: &Value) -> Value {
    let path = repo_path(&format!("tests/events/{}/apigw-v2.json", action.name()));
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut body = payload.as_object().unwrap().clone();
    let mut path_parameters = Map::new();
    for key in ["user", "group", "app"] {
        if let Some(value) = body.remove(key) {
            path_parameters.insert(key.to_owned(), value);
        }
    }
    event["pathParameters"] = Value::Object(path_parameters);
    event["body"] = json!(Value::Object(body).to_string());
    event["isBase64Encoded"] = json!(false);
    event
        .as_object_mut()
        .unwrap()
        .remove("queryStringParameters");
    event["rawQueryString"] = json!("");
    event
}

struct Case {
    name: &'static str,
    action: Action,
    payload: Value,
    guardrails: Guardrails,
    error: &'static str,
    /// Words the message must hold, so that the refusal is for the reason the case is about.
    because: &'static str,
    /// Whether an HTTP caller is refused too (credentials may go to HTTP callers when the deployment allows it).
    http_refused: bool,
}

fn case(
    name: &'static str,
    action: Action,
    payload: Value,
    error: &'static str,
    because: &'static str,
) -> Case {
    Case {
        name,
        action,
        payload,
        guardrails: Guardrails::default(),
        error,
        because,
        http_refused: true,
    }
}

const EXECUTION: &str =
    "arn:aws:states:us-east-1:123456789012:execution:okta-lifecycle-onboarding:guard-test";

/// The leaver actions (issue 27) refuse every kind of protected user, as the other changes do.
fn leaver_cases() -> Vec<Case> {
    let break_glass = Guardrails {
        protected_groups: vec!["Break Glass".to_owned()],
        ..Guardrails::default()
    };
    let mut cases = Vec::new();
    for action in [
        Action::RevokeUserGrants,
        Action::ResetUserFactors,
        Action::DeactivateUserDevices,
        Action::TransferGroupOwnership,
        Action::OffboardUser,
    ] {
        cases.push(case(
            "leaver action on the token owner",
            action,
            json!({"user": "okta-automation@acme.example"}),
            "Policy.ProtectedUser",
            "owns this deployment's API token",
        ));
        cases.push(case(
            "leaver action on a super admin",
            action,
            json!({"user": "sara.super@acme.example"}),
            "Policy.ProtectedUser",
            "SUPER_ADMIN",
        ));
        cases.push(case(
            "leaver action on an admin through a group",
            action,
            json!({"user": "hank.helpdesk@acme.example"}),
            "Policy.ProtectedUser",
            "HELP_DESK_ADMIN through a group",
        ));
        cases.push(Case {
            guardrails: break_glass.clone(),
            ..case(
                "leaver action on a protected group member",
                action,
                json!({"user": "bree.breakglass@acme.example"}),
                "Policy.ProtectedUser",
                "\"Break Glass\"",
            )
        });
        cases.push(case(
            "leaver action by shortname",
            action,
            json!({"user": "sam.leaver"}),
            "Input.Invalid",
            "give the full login or the id",
        ));
    }
    cases.push(case(
        "me as the new owner",
        Action::TransferGroupOwnership,
        json!({"user": "sam.leaver@acme.example", "newOwner": "me"}),
        "Input.Invalid",
        "token's own admin",
    ));
    cases.push(case(
        "a shortname as the new owner",
        Action::TransferGroupOwnership,
        json!({"user": "sam.leaver@acme.example", "newOwner": "alice.active"}),
        "Input.Invalid",
        "give the full login or the id",
    ));
    cases
}

fn cases() -> Vec<Case> {
    let break_glass = Guardrails {
        protected_groups: vec!["Break Glass".to_owned()],
        ..Guardrails::default()
    };
    let credentials_on = Guardrails {
        allow_credential_return: true,
        ..Guardrails::default()
    };
    vec![
        case(
            "token owner",
            Action::SuspendUser,
            json!({"user": "okta-automation@acme.example"}),
            "Policy.ProtectedUser",
            "owns this deployment's API token",
        ),
        case(
            "token owner, ignoring case",
            Action::DeactivateUser,
            json!({"user": "OKTA-Automation@acme.example"}),
            "Policy.ProtectedUser",
            "owns this deployment's API token",
        ),
        case(
            "super admin",
            Action::DeactivateUser,
            json!({"user": "sara.super@acme.example"}),
            "Policy.ProtectedUser",
            "SUPER_ADMIN",
        ),
        case(
            "admin through a group",
            Action::ResetPassword,
            json!({"user": "hank.helpdesk@acme.example", "sendEmail": true}),
            "Policy.ProtectedUser",
            "HELP_DESK_ADMIN through a group",
        ),
        case(
            "admin losing a group",
            Action::RemoveUserFromGroup,
            json!({"user": "hank.helpdesk@acme.example", "group": "IT Help Desk"}),
            "Policy.ProtectedUser",
            "admin roles",
        ),
        Case {
            guardrails: break_glass.clone(),
            ..case(
                "protected group member",
                Action::ClearUserSessions,
                json!({"user": "bree.breakglass@acme.example"}),
                "Policy.ProtectedUser",
                "\"Break Glass\"",
            )
        },
        Case {
            guardrails: break_glass,
            ..case(
                "protected group member, app revoked",
                Action::RevokeAppFromUser,
                json!({"user": "bree.breakglass@acme.example", "app": "Slack"}),
                "Policy.ProtectedUser",
                "OKTA_PROTECTED_GROUPS",
            )
        },
        Case {
            guardrails: open_grants(),
            ..case(
                "group with an admin role",
                Action::AddUserToGroup,
                json!({"user": "bob.sales@acme.example", "group": "IT Help Desk"}),
                "Policy.PrivilegedGroup",
                "HELP_DESK_ADMIN",
            )
        },
        // Issue 25: anyone with the lifecycle scope could add themselves to the break-glass group.
        Case {
            guardrails: Guardrails {
                protected_groups: vec!["Break Glass".to_owned()],
                ..open_grants()
            },
            ..case(
                "protected group as the target",
                Action::AddUserToGroup,
                json!({"user": "bob.sales@acme.example", "group": "Break Glass"}),
                "Policy.PrivilegedGroup",
                "OKTA_PROTECTED_GROUPS",
            )
        },
        // Closed by default: nothing set, only the access profiles' groups and apps.
        case(
            "group with no allow-list",
            Action::AddUserToGroup,
            json!({"user": "bob.sales@acme.example", "group": "AD: Domain Users"}),
            "Policy.NotGrantable",
            "set OKTA_GRANTABLE_GROUPS to *",
        ),
        case(
            "app with no allow-list",
            Action::AssignAppToUser,
            json!({"user": "bob.sales@acme.example", "app": "Google Workspace"}),
            "Policy.NotGrantable",
            "set OKTA_GRANTABLE_APPS to *",
        ),
        Case {
            guardrails: open_grants(),
            ..case(
                "app profile under *",
                Action::AssignAppToUser,
                json!({"user": "bob.sales@acme.example", "app": "Slack", "profile": {"role": "admin"}}),
                "Policy.NotGrantable",
                "profile key \"role\"",
            )
        },
        Case {
            guardrails: Guardrails {
                grantable_apps: Grants::Only(vec![Grant {
                    reference: "Slack".to_owned(),
                    profile_keys: vec!["team".to_owned()],
                }]),
                ..Guardrails::default()
            },
            ..case(
                "app profile key not listed",
                Action::AssignAppToUser,
                json!({"user": "bob.sales@acme.example", "app": "Slack", "profile": {"team": "x", "role": "admin"}}),
                "Policy.NotGrantable",
                "Slack[role]",
            )
        },
        Case {
            guardrails: Guardrails {
                grantable_groups: Grants::Only(vec![Grant::named("Engineering")]),
                ..Guardrails::default()
            },
            ..case(
                "group outside the allow-list",
                Action::AddUserToGroup,
                json!({"user": "bob.sales@acme.example", "group": "AD: Domain Users"}),
                "Policy.NotGrantable",
                "OKTA_GRANTABLE_GROUPS",
            )
        },
        Case {
            guardrails: Guardrails {
                grantable_apps: Grants::Only(vec![Grant::named("Slack")]),
                ..Guardrails::default()
            },
            ..case(
                "app outside the allow-list",
                Action::AssignAppToUser,
                json!({"user": "bob.sales@acme.example", "app": "Google Workspace"}),
                "Policy.NotGrantable",
                "OKTA_GRANTABLE_APPS",
            )
        },
        case(
            "activation link",
            Action::ActivateUser,
            json!({"user": "jane.doe@acme.example", "sendEmail": false}),
            "Policy.CredentialReturnDisabled",
            "OKTA_ALLOW_CREDENTIAL_RETURN",
        ),
        case(
            "reset link",
            Action::ResetPassword,
            json!({"user": "bob.sales@acme.example", "sendEmail": false}),
            "Policy.CredentialReturnDisabled",
            "OKTA_ALLOW_CREDENTIAL_RETURN",
        ),
        case(
            "temporary password",
            Action::ExpirePassword,
            json!({"user": "bob.sales@acme.example", "tempPassword": true}),
            "Policy.CredentialReturnDisabled",
            "OKTA_ALLOW_CREDENTIAL_RETURN",
        ),
        Case {
            guardrails: credentials_on.clone(),
            http_refused: false,
            ..case(
                "activation link to a flow",
                Action::ActivateUser,
                json!({"user": "jane.doe@acme.example", "sendEmail": false, "executionId": EXECUTION}),
                "Policy.CredentialReturnDisabled",
                "execution history",
            )
        },
        Case {
            guardrails: credentials_on,
            http_refused: false,
            ..case(
                "temporary password to a flow",
                Action::ExpirePassword,
                json!({"user": "bob.sales@acme.example", "tempPassword": true, "executionId": EXECUTION}),
                "Policy.CredentialReturnDisabled",
                "execution history",
            )
        },
        case(
            "me",
            Action::SuspendUser,
            json!({"user": "me"}),
            "Input.Invalid",
            "token's own admin",
        ),
        case(
            "me, read",
            Action::GetUser,
            json!({"user": "me"}),
            "Input.Invalid",
            "token's own admin",
        ),
        case(
            "dot",
            Action::DeactivateUser,
            json!({"user": "."}),
            "Input.Invalid",
            "path segment",
        ),
        case(
            "dot dot",
            Action::SuspendUser,
            json!({"user": "x/../me"}),
            "Input.Invalid",
            "path segment",
        ),
        case(
            "shortname",
            Action::SuspendUser,
            json!({"user": "bob.sales"}),
            "Input.Invalid",
            "give the full login or the id",
        ),
        case(
            "rehire by email",
            Action::ActivateUser,
            json!({"user": "pat@acme.example"}),
            "Okta.Ambiguous",
            "name its id or login",
        ),
    ]
}

async fn org() -> Simulator {
    let mut seed = sample_org();
    // A former employee whose email a new hire could be given: only an id or login may reactivate the account.
    seed.add_user(SeedUser {
        login: "pat.former@acme.example".into(),
        email: Some("pat@acme.example".into()),
        status: Some("DEPROVISIONED".into()),
        ..SeedUser::default()
    });
    start_sim(seed).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_guard_refuses_before_any_change_and_is_audited() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = okta_lifecycle_tests::set_log_capture(subscriber);
    let mut failures = Vec::new();
    for case in cases().into_iter().chain(leaver_cases()) {
        let sim = org().await;
        let client = client_guarded(&sim, case.guardrails.clone());
        capture.clear();
        let event = LambdaEvent::new(case.payload.clone(), Context::default());
        match lambda::handle(case.action, Ok(&client), event).await {
            Err(error)
                if error.kind.name() == case.error && error.message.contains(case.because) => {}
            other => failures.push(format!("{}: {other:?}", case.name)),
        }
        let audit = capture.audit_lines();
        // A refusal for whom it protects names that user; refusals of the input itself have no user to name.
        let user_id = case
            .payload
            .get("user")
            .and_then(Value::as_str)
            .and_then(|user| sim.user(user))
            .map(|user| user.id);
        let names_user = case.error != "Policy.ProtectedUser"
            || user_id.is_some_and(|id| {
                audit
                    .first()
                    .is_some_and(|line| line["fields"]["user_id"] == id)
            });
        if audit.len() != 1
            || audit[0]["fields"]["outcome"] != case.error
            || audit[0]["fields"]["action"] != case.action.name()
            || !names_user
        {
            failures.push(format!("{}: audit {audit:?}", case.name));
        }
        if case.http_refused {
            let mut payload = case.payload.clone();
            payload.as_object_mut().unwrap().remove("executionId");
            let event = LambdaEvent::new(http_event(case.action, &payload), Context::default());
            let answer = lambda::handle(case.action, Ok(&client), event)
                .await
                .unwrap();
            let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
            let status = okta_lifecycle::ErrorKind::ALL
                .into_iter()
                .find(|kind| kind.name() == case.error)
                .unwrap()
                .http_status();
            if answer["statusCode"] != status || body["error"] != case.error {
                failures.push(format!("{} over HTTP: {answer}", case.name));
            }
        }
        if sim.mutating_calls() != 0 {
            failures.push(format!(
                "{}: {} changing requests reached Okta",
                case.name,
                sim.mutating_calls()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The guards do not refuse what they should let through: the same org, the same settings, ordinary people.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_users_and_reads_pass_the_guards() {
    let sim = org().await;
    let client = client_guarded(
        &sim,
        Guardrails {
            protected_groups: vec!["Break Glass".to_owned()],
            grantable_groups: Grants::Only(vec![Grant::named("VPN Users")]),
            grantable_apps: Grants::Only(vec![Grant {
                reference: "Slack".to_owned(),
                profile_keys: vec!["team".to_owned()],
            }]),
            allow_credential_return: true,
            ..Guardrails::default()
        },
    );
    let owner = sim.user("okta-automation@acme.example").unwrap().id;
    let direct = [
        (
            Action::SuspendUser,
            json!({"user": "bob.sales@acme.example"}),
        ),
        (
            Action::AddUserToGroup,
            json!({"user": "grace.hr@acme.example", "group": "VPN Users"}),
        ),
        (
            Action::AssignAppToUser,
            json!({"user": "carol.eng@acme.example", "app": "Slack", "profile": {"team": "eng"}}),
        ),
        // Not in the lists, but in an access profile (infra/access-profiles.json): HR onboarding grants it.
        (
            Action::AddUserToGroup,
            json!({"user": "grace.hr@acme.example", "group": "Contractors"}),
        ),
        // An email that only one user has names that user.
        (
            Action::ClearUserSessions,
            json!({"user": "tom@contractor.example"}),
        ),
        (
            Action::ResetPassword,
            json!({"user": "eddie.expired@acme.example", "sendEmail": false}),
        ),
        // Reads are never refused: the token's owner and admins may be looked at, also by shortname.
        (Action::GetUser, json!({"user": owner})),
        (Action::GetUser, json!({"user": "sara.super"})),
        // A DEPROVISIONED account named by its login is a deliberate rehire.
        (
            Action::ActivateUser,
            json!({"user": "pat.former@acme.example"}),
        ),
    ];
    for (action, payload) in direct {
        let event = LambdaEvent::new(payload.clone(), Context::default());
        let output = lambda::handle(action, Ok(&client), event).await;
        assert!(output.is_ok(), "{} {payload}: {output:?}", action.name());
    }
    let reset = lambda::handle(
        Action::ResetPassword,
        Ok(&client),
        LambdaEvent::new(
            json!({"user": "larry.locked@acme.example", "sendEmail": false}),
            Context::default(),
        ),
    )
    .await
    .unwrap();
    assert!(reset["resetPasswordUrl"].is_string(), "{reset}");
    assert_eq!(sim.mutating_calls(), 8);
}

/// The token's owner is read once per connection, not per invocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_owner_is_read_once_per_connection() {
    let sim = org().await;
    let client = client_guarded(&sim, Guardrails::default());
    for user in ["bob.sales@acme.example", "carol.eng@acme.example"] {
        let event = LambdaEvent::new(json!({"user": user}), Context::default());
        lambda::handle(Action::SuspendUser, Ok(&client), event)
            .await
            .unwrap();
    }
    let me_reads = sim
        .requests()
        .iter()
        .filter(|request| request.path == "/api/v1/users/me")
        .count();
    assert_eq!(me_reads, 1);
}

/// HTTP callers cannot claim a flow's execution, and their principal is what API Gateway's authorizer verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_callers_cannot_forge_an_execution_id() {
    let sim = org().await;
    let client = client_guarded(&sim, Guardrails::default());
    let payload = json!({"user": "bob.sales@acme.example", "executionId": EXECUTION});
    let event = LambdaEvent::new(
        http_event(Action::SuspendUser, &payload),
        Context::default(),
    );
    let answer = lambda::handle(Action::SuspendUser, Ok(&client), event)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 400, "{answer}");
    assert!(answer["body"].as_str().unwrap().contains("executionId"));
    assert_eq!(sim.mutating_calls(), 0);
}

/// The custom role of an admin who may do everything the actions need except read role assignments.
fn permissions_without_iam_read() -> Vec<String> {
    [
        "okta.users.read",
        "okta.users.lifecycle.suspend",
        "okta.groups.read",
        "okta.groups.members.manage",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A token whose admin role lacks `okta.iam.read` gets `403 E0000006` on role reads (okta-api-notes.md section 13):
/// the guardrails cannot tell an admin from anyone else, so the change is refused, named, and never sent. For each
/// connection form: the API token's owner, or the service app, holds the restricted role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_read_refused_for_lack_of_okta_iam_read_is_named_and_changes_nothing() {
    for form in Form::ALL {
        let mut seed = sample_org();
        match form {
            Form::ApiToken => {
                let owner = seed
                    .users
                    .iter_mut()
                    .find(|user| user.login == "okta-automation@acme.example")
                    .unwrap();
                owner.admin_permissions = Some(permissions_without_iam_read());
            }
            Form::ServiceAppDpop | Form::ServiceAppBearer => {
                for app in &mut seed.service_apps {
                    app.admin_permissions = Some(permissions_without_iam_read());
                }
            }
        }
        let sim = start_sim(seed).await;
        let client = client_with(&sim, form).with_guardrails(Guardrails::default());
        for (action, payload) in [
            (
                Action::SuspendUser,
                json!({"user": "bob.sales@acme.example"}),
            ),
            (
                Action::AddUserToGroup,
                json!({"user": "grace.hr@acme.example", "group": "VPN Users"}),
            ),
        ] {
            let event = LambdaEvent::new(payload.clone(), Context::default());
            let error = lambda::handle(action, Ok(&client), event)
                .await
                .unwrap_err();
            assert_eq!(error.kind.name(), "Okta.Forbidden", "{form:?} {payload}");
            for words in [
                "okta.iam.read",
                "View roles, resources, and admin assignments",
                "super admin",
                "okta.roles.read scope",
                "nothing was changed",
            ] {
                assert!(error.message.contains(words), "{form:?}: {error}");
            }
        }
        assert_eq!(
            sim.calls("GET", "/api/v1/users/{userId}/roles"),
            2,
            "{form:?}: the refusal is Okta's answer to the role read"
        );
        assert_eq!(sim.mutating_calls(), 0, "{form:?}");
    }
}

/// The same org with `okta.iam.read` in the role: the role reads answer, and the change goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_role_with_okta_iam_read_may_read_roles() {
    let mut seed = sample_org();
    let mut permissions = permissions_without_iam_read();
    permissions.push("okta.iam.read".to_owned());
    for app in &mut seed.service_apps {
        app.admin_permissions = Some(permissions.clone());
    }
    let sim = start_sim(seed).await;
    let client = client_with(&sim, Form::ServiceAppDpop).with_guardrails(Guardrails::default());
    let event = LambdaEvent::new(
        json!({"user": "bob.sales@acme.example"}),
        Context::default(),
    );
    lambda::handle(Action::SuspendUser, Ok(&client), event)
        .await
        .unwrap();
    assert_eq!(
        sim.user("bob.sales@acme.example").unwrap().status,
        "SUSPENDED"
    );
}

/// Issue 25: a leaver has no path back. activate-user and unsuspend-user refuse a user the flows' ledger records as
/// offboarded (`Policy.Offboarded`, nothing sent to Okta), unless the request is an explicit rehire naming the user
/// by id or full login with a reason, which the audit record keeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaver_comes_back_only_by_an_explicit_audited_rehire() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    use okta_lifecycle::ledger::Ledger;
    use okta_lifecycle_tests::moto::Moto;

    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = okta_lifecycle_tests::set_log_capture(subscriber);
    let moto = Moto::start();
    let aws = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    dynamodb
        .create_table()
        .table_name("ledger")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let sim = org().await;
    let pat = sim.user("pat.former@acme.example").unwrap().id;
    let susan = sim.user("susan.suspended@acme.example").unwrap().id;
    let record = |user: &str, flow: &str| {
        dynamodb
            .put_item()
            .table_name("ledger")
            .item("pk", AttributeValue::S(format!("user#{user}")))
            .item("lastFlow", AttributeValue::S(flow.to_owned()))
            .item(
                "lastExecutionId",
                AttributeValue::S(format!("arn:aws:states:us-east-1:1:execution:x-{flow}:e")),
            )
            .item(
                "lastEventTime",
                AttributeValue::S("2026-11-30T18:00:00Z".to_owned()),
            )
            .send()
    };
    record(&pat, "offboarding").await.unwrap();
    record(&susan, "offboarding").await.unwrap();
    let client = client_guarded(&sim, open_grants())
        .with_ledger(Ledger::from_config(&aws, "ledger".to_owned()));
    let call = |action: Action, payload: Value| {
        let client = &client;
        async move {
            lambda::handle(
                action,
                Ok(client),
                LambdaEvent::new(payload, Context::default()),
            )
            .await
        }
    };
    // A schedule, a flow or a caller that only asks: refused before any change.
    for (action, payload) in [
        (
            Action::ActivateUser,
            json!({"user": "pat.former@acme.example"}),
        ),
        (Action::UnsuspendUser, json!({"user": susan})),
        (
            Action::UnsuspendUser,
            json!({"user": "susan.suspended@acme.example", "executionId": EXECUTION}),
        ),
    ] {
        let error = call(action, payload.clone()).await.unwrap_err();
        assert_eq!(error.kind.name(), "Policy.Offboarded", "{payload}: {error}");
        assert!(error.message.contains("rehireReason"), "{}", error.message);
    }
    // A rehire must name the user exactly and say why.
    let error = call(
        Action::ActivateUser,
        json!({"user": "pat@acme.example", "rehireReason": "rehired"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.kind.name(),
        "Okta.Ambiguous",
        "an email never reactivates: {error}"
    );
    let error = call(
        Action::UnsuspendUser,
        json!({"user": susan, "rehireReason": "  "}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("rehireReason"));
    assert_eq!(sim.mutating_calls(), 0, "a refused request reached Okta");
    // The explicit rehire goes through, and the audit record says why.
    capture.clear();
    call(
        Action::ActivateUser,
        json!({"user": "pat.former@acme.example", "rehireReason": "rehired as of 2027-01-04, HR ticket 4411"}),
    )
    .await
    .unwrap();
    assert_eq!(sim.mutating_calls(), 1);
    let audit = capture.audit_lines();
    assert_eq!(
        audit[0]["fields"]["rehire_reason"], "rehired as of 2027-01-04, HR ticket 4411",
        "{audit:?}"
    );
    // A later flow (a leave, then a return) is no offboarding: the return may unsuspend.
    record(&susan, "leave").await.unwrap();
    call(Action::UnsuspendUser, json!({"user": susan}))
        .await
        .unwrap();
    assert_eq!(sim.mutating_calls(), 2);
}

/// Issue 25: attribution. An API event from another API than this stack's, or an executionId of another stack's
/// flow, is refused before anything reaches Okta; the audit record says which entry point the event claims (`via`)
/// and which of its attributions the function could only take from the payload (`claimed`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributions_are_checked_against_this_stack_and_marked_claimed() {
    use okta_lifecycle::guard::Origin;
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = okta_lifecycle_tests::set_log_capture(subscriber);
    let sim = org().await;
    let stack = |api: &str| Guardrails {
        origin: Origin {
            stack_name: Some("okta-lifecycle".to_owned()),
            api_id: Some(api.to_owned()),
        },
        ..open_grants()
    };
    // The fixture's event names API k7x2q9w4ab: from another API, refused (an HTTP 400 naming the event).
    let client = client_guarded(&sim, stack("this-stacks-api"));
    let payload = json!({"user": "bob.sales@acme.example"});
    let event = LambdaEvent::new(
        http_event(Action::SuspendUser, &payload),
        Context::default(),
    );
    let answer = lambda::handle(Action::SuspendUser, Ok(&client), event)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 400, "{answer}");
    assert!(
        answer["body"].as_str().unwrap().contains("another API"),
        "{answer}"
    );
    // Another stack's execution, from a direct invoke dressed as a flow: refused.
    let forged = json!({"user": "bob.sales@acme.example",
        "executionId": "arn:aws:states:us-east-1:123456789012:execution:someone-elses-offboarding:x"});
    let error = lambda::handle(
        Action::SuspendUser,
        Ok(&client),
        LambdaEvent::new(forged, Context::default()),
    )
    .await
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("executionId"), "{error}");
    assert_eq!(sim.mutating_calls(), 0);
    // This stack's API and flow: accepted, and the audit record marks what it only claims.
    let client = client_guarded(&sim, stack("k7x2q9w4ab"));
    capture.clear();
    let event = LambdaEvent::new(
        http_event(Action::SuspendUser, &payload),
        Context::default(),
    );
    let answer = lambda::handle(Action::SuspendUser, Ok(&client), event)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let flow = json!({"user": "carol.eng@acme.example", "executionId": EXECUTION, "requestedBy": "api:00u1"});
    lambda::handle(
        Action::SuspendUser,
        Ok(&client),
        LambdaEvent::new(flow, Context::default()),
    )
    .await
    .unwrap();
    let audit = capture.audit_lines();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["fields"]["via"], "api");
    assert!(
        audit[0]["fields"]["claimed"]
            .as_str()
            .unwrap()
            .contains("principal"),
        "{audit:?}"
    );
    assert_eq!(audit[1]["fields"]["via"], "flow");
    assert_eq!(audit[1]["fields"]["claimed"], "execution_id,requested_by");
}
