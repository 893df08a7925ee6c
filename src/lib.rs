//! `chaos` hunts concurrency bugs in hash maps and map wrappers.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod engine;
pub mod history;
pub mod maps;
pub mod sync;
pub mod workload;
