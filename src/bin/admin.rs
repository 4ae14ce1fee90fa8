//! The whole app with the admin area, served for `/admin/…` (see `lib.rs`).

fn main() {
    entrada::start_admin();
}
