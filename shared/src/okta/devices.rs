//! Devices (Identity Engine): the devices linked to a user (spec `listUserDevices`), the users linked to a device
//! (`listDeviceUsers`) and deactivation (`deactivateDevice`), which removes every user link of the device.

use reqwest::Method;

use super::models::{DeviceUser, UserDevice};
use super::{Session, segment};
use crate::error::Result;

pub async fn user_devices(okta: &Session<'_>, user_id: &str) -> Result<Vec<UserDevice>> {
    okta.get(&format!("/api/v1/users/{}/devices", segment(user_id)), &[])
        .await
}

pub async fn device_users(okta: &Session<'_>, device_id: &str) -> Result<Vec<DeviceUser>> {
    okta.get(
        &format!("/api/v1/devices/{}/users", segment(device_id)),
        &[],
    )
    .await
}

/// Sets the device DEACTIVATED: destructive for its device factors and client certificates (spec
/// `deactivateDevice`); the device stays in Okta until deleted, which this project never does.
pub async fn deactivate_device(okta: &Session<'_>, device_id: &str) -> Result<()> {
    let path = format!(
        "/api/v1/devices/{}/lifecycle/deactivate",
        segment(device_id)
    );
    okta.send_mutation(Method::POST, &path, &[], None)
        .await
        .map(drop)
}
