//! Apps: finding one by id or exact label, and reading or changing a user's assignment.

use serde_json::Value;

use super::models::{App, AppGroupAssignment, AppUser};
use super::{Session, exactly_named, looks_like_id, search_literal, segment};
use crate::error::Result;

/// An app by id or exact label. `q` is a prefix search on name and label, so the exact label is picked here.
/// INACTIVE apps are included: their assignments remain and get-user reports them.
pub async fn find_app(okta: &Session<'_>, reference: &str) -> Result<App> {
    if looks_like_id(reference, "0oa")
        && let Some(app) = okta
            .get_optional::<App>(&format!("/api/v1/apps/{}", segment(reference)), &[])
            .await?
    {
        return Ok(app);
    }
    let apps: Vec<App> = okta
        .get_all(
            "/api/v1/apps",
            &[
                ("q", reference),
                ("includeNonDeleted", "true"),
                ("limit", "200"),
            ],
        )
        .await?;
    exactly_named(
        &apps,
        reference,
        |app| &app.label,
        |app| app.id.clone(),
        "app",
    )
}

/// Every app assigned to the user, directly or through a group, active or not, each with the user's assignment
/// embedded: one call per 200 apps (spec `listApplications`: `expand=user/{userId}` "must be used with the
/// `user.id eq "{userId}"` filter"). Dashboard links (`appLinks`) are not used: an app may have none, or several
/// with labels of their own.
pub async fn user_apps(okta: &Session<'_>, user_id: &str) -> Result<Vec<App>> {
    let filter = format!("user.id eq {}", search_literal(user_id));
    let expand = format!("user/{user_id}");
    okta.get_all(
        "/api/v1/apps",
        &[
            ("filter", &filter),
            ("expand", &expand),
            ("includeNonDeleted", "true"),
            ("limit", "200"),
        ],
    )
    .await
}

/// The user's assignment to the app, direct (`USER`) or through a group (`GROUP`), if any.
pub async fn app_user(okta: &Session<'_>, app_id: &str, user_id: &str) -> Result<Option<AppUser>> {
    okta.get_optional(
        &format!(
            "/api/v1/apps/{}/users/{}",
            segment(app_id),
            segment(user_id)
        ),
        &[],
    )
    .await
}

/// The groups the app is assigned to.
pub async fn app_group_ids(okta: &Session<'_>, app_id: &str) -> Result<Vec<String>> {
    let rows: Vec<AppGroupAssignment> = okta
        .get_all(&format!("/api/v1/apps/{}/groups", segment(app_id)), &[])
        .await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// `POST /api/v1/apps/{appId}/users` with the spec's `AppUserAssignRequest`.
pub async fn assign(okta: &Session<'_>, app_id: &str, request: &Value) -> Result<AppUser> {
    let path = format!("/api/v1/apps/{}/users", segment(app_id));
    okta.send_mutation(reqwest::Method::POST, &path, &[], Some(request))
        .await?
        .json()
}

pub async fn unassign(okta: &Session<'_>, app_id: &str, user_id: &str) -> Result<()> {
    let path = format!(
        "/api/v1/apps/{}/users/{}",
        segment(app_id),
        segment(user_id)
    );
    okta.send_mutation(
        reqwest::Method::DELETE,
        &path,
        &[("sendEmail", "false")],
        None,
    )
    .await
    .map(drop)
}
