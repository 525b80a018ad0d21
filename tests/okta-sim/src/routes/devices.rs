//! Devices (Identity Engine): a user's devices (SPEC `listUserDevices`), a device's users (`listDeviceUsers`) and
//! deactivation (`deactivateDevice`), which "causes a device to lose all device user links".

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::users::resolve_id;
use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{Device, Org};

fn device_idx(org: &Org, id: &str) -> Result<usize, OktaError> {
    org.devices
        .iter()
        .position(|device| device.id == id)
        .ok_or_else(|| OktaError::not_found(id, "Device"))
}

/// A `Device` as the spec's example `APIUserListDevicesResponse` shows it (the parts that matter here).
fn device_json(base: &str, device: &Device) -> Value {
    let href = format!("{base}/api/v1/devices/{}", device.id);
    json!({
        "id": device.id,
        "status": device.status,
        "created": device.created,
        "lastUpdated": device.created,
        "profile": {
            "displayName": device.display_name,
            "platform": device.platform,
            "registered": true,
        },
        "resourceId": device.id,
        "resourceDisplayName": { "value": device.display_name, "sensitive": false },
        "resourceType": "UDDevice",
        "_links": {
            "self": { "href": href },
            "users": { "href": format!("{href}/users") },
            "deactivate": { "href": format!("{href}/lifecycle/deactivate") },
        },
    })
}

/// `GET /api/v1/users/{userId}/devices`: the devices linked to the user (a DEACTIVATED device has no links left).
pub async fn of_user(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    let user_id = org.users[resolve_id(&org, &id)?].id.clone();
    let items: Vec<Value> = org
        .devices
        .iter()
        .filter(|device| device.users.contains(&user_id))
        .map(|device| {
            json!({
                "created": device.created,
                "deviceUserId": crate::util::seeded_id("lnk", &format!("{}|{user_id}", device.id)),
                "device": device_json(&sh.base, device),
            })
        })
        .collect();
    Ok(json(Value::Array(items)))
}

/// `GET /api/v1/devices/{deviceId}/users`: one `DeviceUser` per linked user, the user embedded.
pub async fn users(sh: Sh, Path(device_id): Path<String>) -> ApiResult {
    let org = sh.org();
    let device = &org.devices[device_idx(&org, &device_id)?];
    let items: Vec<Value> = device
        .users
        .iter()
        .filter_map(|user_id| org.user_idx_by_id(user_id))
        .map(|i| {
            json!({
                "created": device.created,
                "managementStatus": "NOT_MANAGED",
                "screenLockType": "BIOMETRIC",
                "user": org.users[i].to_json(&sh.base),
            })
        })
        .collect();
    Ok(json(Value::Array(items)))
}

/// `POST /api/v1/devices/{deviceId}/lifecycle/deactivate`: 204; the device is DEACTIVATED and loses its user links.
/// Deactivating a DEACTIVATED device is answered 204 as well (not documented either way).
pub async fn deactivate(sh: Sh, Path(device_id): Path<String>) -> ApiResult {
    let mut org = sh.org();
    let i = device_idx(&org, &device_id)?;
    let device = &mut org.devices[i];
    device.status = "DEACTIVATED".into();
    device.users.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}
