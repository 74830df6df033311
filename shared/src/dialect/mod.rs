//! Wire formats. Each dialect only parses, names fields, wraps and shapes errors; the rules are
//! in [`crate::usecases`]. Later dialects (huawei, vmware, aws) sit beside these.

pub mod oauth2;
pub mod paragon;
