//! deactivate-user-devices: deactivates the devices only the user uses (spec `deactivateDevice`: the device loses
//! its user links, device factors and client certificates), and keeps and reports the devices other users are
//! linked to too (`listDeviceUsers`): a shared kiosk or lab machine is not the leaver's to take away.
//!
//! `changed` is false when no personal device is left (a deactivated device has no user links, so it no longer
//! shows among the user's devices). Any user status is accepted: the spec documents no status rule.

use super::output::{DeviceSummary, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{ErrorKind, Result};
use crate::okta::Session;
use crate::okta::devices::{deactivate_device, device_users, user_devices};
use crate::okta::users::find_user;

pub async fn deactivate(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let action = Action::DeactivateUserDevices;
    let user = find_user(okta, &input.user).await?;
    let mut personal = Vec::new();
    let mut shared = Vec::new();
    for linked in user_devices(okta, &user.id).await? {
        let device = linked.device;
        if device.status == "DEACTIVATED" {
            continue;
        }
        let others = device_users(okta, &device.id)
            .await?
            .iter()
            .filter(|device_user| device_user.user.id != user.id)
            .count();
        if others == 0 {
            personal.push(device);
        } else {
            shared.push((device, others));
        }
    }
    let mut summaries: Vec<DeviceSummary> = Vec::new();
    for device in &personal {
        if !input.dry_run {
            match deactivate_device(okta, &device.id).await {
                // Deleted meanwhile: nothing left to deactivate.
                Err(error) if error.kind == ErrorKind::OktaNotFound => {}
                other => other?,
            }
        }
        summaries.push(DeviceSummary {
            id: device.id.clone(),
            name: device.display_name().to_owned(),
            outcome: if input.dry_run {
                "wouldDeactivate"
            } else {
                "deactivated"
            },
            other_users: None,
        });
    }
    for (device, others) in &shared {
        summaries.push(DeviceSummary {
            id: device.id.clone(),
            name: device.display_name().to_owned(),
            outcome: "keptShared",
            other_users: Some(*others),
        });
    }
    let kept = if shared.is_empty() {
        String::new()
    } else {
        format!(
            "; kept {} shared device(s): {}",
            shared.len(),
            shared
                .iter()
                .map(|(device, others)| format!(
                    "{:?} ({}, {others} other user(s))",
                    device.display_name(),
                    device.id
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let names = personal
        .iter()
        .map(|device| format!("{:?} ({})", device.display_name(), device.id))
        .collect::<Vec<_>>()
        .join(", ");
    let message = match (personal.is_empty(), input.dry_run) {
        (true, _) => format!("unchanged: no personal device{kept}"),
        (false, true) => format!("would deactivate {names}{kept}"),
        (false, false) => format!("deactivated {names}{kept}"),
    };
    let mut output = base_output(
        action,
        UserSummary::new(&user, &user.status),
        !personal.is_empty(),
        input,
        message,
    );
    output.devices = Some(summaries);
    Ok(output)
}
