//! The first load: My Access, requests, approvals, sign-in and sign-up (see `lib.rs`).

fn main() {
    entrada::start_portal();
}
