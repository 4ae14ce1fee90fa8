//! Every page but the admin area, served for the portal's pages (see `lib.rs`).

fn main() {
    entrada::start_portal();
}
