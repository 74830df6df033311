//! Wire formats. Each dialect only parses, names fields, wraps and shapes errors; the rules are
//! in [`crate::usecases`]. Later dialects (oauth2, huawei, vmware, aws) sit beside `paragon`.

pub mod paragon;
