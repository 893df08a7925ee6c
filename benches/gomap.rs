//! Placeholder until the gomap benchmark lands.
fn main() {}
