//! `chaos` hunts concurrency bugs in hash maps and map wrappers.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod check;
pub mod engine;
pub mod history;
pub mod hunt;
pub mod maps;
pub mod report;
pub mod repro;
pub mod scenario;
pub mod seed;
pub mod shrink;
pub mod sync;
pub mod timeline;
pub mod workload;
