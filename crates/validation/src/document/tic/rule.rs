//! The ids of the price-transparency checks beside the schema (a finding's `rule`).

/// A provider group id used by a negotiated rate that no `provider_references` entry
/// defines.
pub const PROVIDER_GROUP_ID: &str = "tic.provider_group_id";
/// A negotiated rate of 0 or less, or a percentage above 100.
pub const NEGOTIATED_RATE: &str = "tic.negotiated_rate";
/// An expiration date in the past.
pub const EXPIRATION_DATE: &str = "tic.expiration_date";
/// A billing code without its type's shape.
pub const BILLING_CODE: &str = "tic.billing_code";
/// An in-network item repeated.
pub const DUPLICATE_ITEM: &str = "tic.duplicate_item";
