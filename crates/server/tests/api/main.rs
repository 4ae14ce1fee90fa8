//! HTTP tests against the real server on port 0, each on a fresh SQLite file and on a
//! fresh database in the throwaway PostgreSQL cluster that `cargo xtask test` starts.

mod admin;
mod audit;
mod audit_events;
mod caching;
mod contract;
mod deadlocks;
mod guest_lifecycle;
mod helpers;
mod instances;
mod ldap;
mod lifecycle_edges;
mod mail;
mod matrix;
mod oidc;
mod ownership;
mod packages;
mod platform;
mod request_rules;
mod requests;
mod scale;
mod scim;
mod security;
mod session;
mod settings;
mod signup;
