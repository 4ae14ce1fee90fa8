//! `entrada-domain` owns Entrada's model: the directory, catalogs, access packages and
//! their assignment policies, requests and assignments with their state machines, the
//! audit event and the permission check. Its serde types are the HTTP API's wire types.
//!
//! Architecture invariant: this crate does no IO, starts no async runtime and reads no
//! clock. Time is always an argument. The browser and the server call the same functions,
//! so what the browser validates instantly the server validates again with the same code.

pub mod admin;
pub mod api;
pub mod assignment;
pub mod audit;
pub mod catalog;
pub mod delivery;
pub mod directory;
pub mod directory_sync;
pub mod error;
pub mod guest;
pub mod ids;
pub mod notification;
pub mod organization;
pub mod permission;
pub mod policy;
pub mod preview;
pub mod report;
pub mod request;
pub mod request_view;
pub mod scim;
pub mod settings;
pub mod signup;
pub mod submit;
pub mod web_build;

#[cfg(test)]
mod testkit;

pub use error::{FieldError, FieldErrors};
