//! The trusted-device flow end to end, through the handlers, against dynoxide.

mod flow;
mod polling;
mod refusals;

use devicegate::model::{ApiKeySettings, CodeStatus, DeviceStatus, FamilyStatus};
use devicegate::usecases::device_grant::{
    DeviceCodeGrant, TooFastPolls, poll_as_device as poll_device_code,
};
use devicegate::{Error, http};
use devicegate_tests::*;
