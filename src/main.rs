//! The first load: sign-in and My Access (see `lib.rs`).

fn main() {
    entrada::start_first_load();
}
