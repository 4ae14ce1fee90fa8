//! One module per route; each reads its params, loads its data and shows loading and
//! error states itself.

pub(crate) mod access;
pub(crate) mod access_package;
pub(crate) mod admin;
pub(crate) mod approvals;
pub(crate) mod my_access;
pub(crate) mod not_found;
pub(crate) mod notifications;
pub(crate) mod requests;
pub(crate) mod sign_in;
pub(crate) mod sign_up;
