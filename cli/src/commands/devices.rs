//! `devicegate device`: list, approve, deny, revoke.

use clap::Subcommand;
use devicegate::api::admin::views::DeviceView;
use devicegate::http::now;
use devicegate::model::DeviceStatus;
use devicegate::usecases::admin::{self, DeviceAction};
use devicegate::{Error, Store};

use super::print_json;

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// List devices with a status (pending, approved, denied, revoked) as JSON lines.
    List {
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Approve a device's pending registration.
    Approve { client_id: String },
    /// Deny a device's pending registration.
    Deny { client_id: String },
    /// Revoke a device and every token it holds.
    Revoke { client_id: String },
}

pub async fn run(command: DeviceCommand, store: &Store) -> Result<(), Error> {
    let (client_id, action) = match command {
        DeviceCommand::List { status } => {
            let status = DeviceStatus::parse_field("--status", &status)?;
            for device in admin::list_devices(store, status).await? {
                print_json(&DeviceView::from(&device))?;
            }
            return Ok(());
        }
        DeviceCommand::Approve { client_id } => (client_id, DeviceAction::Approve),
        DeviceCommand::Deny { client_id } => (client_id, DeviceAction::Deny),
        DeviceCommand::Revoke { client_id } => (client_id, DeviceAction::Revoke),
    };
    let device =
        admin::act_on_device(store, &client_id, action, now(), &super::cli_origin()).await?;
    eprintln!(
        "device {} is now {}",
        device.client_id,
        device.status.as_str()
    );
    Ok(())
}
