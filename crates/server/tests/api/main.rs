//! HTTP tests against the real server on port 0, each on a fresh SQLite file and on a
//! fresh database in the throwaway PostgreSQL cluster that `cargo xtask test` starts.

mod admin;
mod helpers;
mod matrix;
mod ownership;
mod packages;
mod platform;
mod requests;
mod session;
