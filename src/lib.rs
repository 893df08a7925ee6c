//! `chaos` hunts concurrency bugs in hash maps and map wrappers.
//!
//! # The problem
//!
//! A plain Go map shared between goroutines dies with `fatal error:
//! concurrent map writes` — sometimes. Go's check is best-effort: most racing
//! runs crash, some finish with a wrong value, and the one unlocked write can
//! take days to find. `chaos` re-implements Go's runtime map faithfully
//! ([`maps::gomap`]), runs seeded workloads against it (or against a wrapper
//! built on it, or against your own map) and reproduces such a failure on
//! demand, from a seed.
//!
//! # The pipeline
//!
//! ```text
//!  Scenario + Seed ──> Request ──> engine::run ──────────────> Execution ──> Outcome
//!  (TOML or flags)     │ choices: seeded | replay | follow      │ history      met | finding | undetected
//!                      │ faults:  seeded | replay | follow      │ findings ◄── check (throws, panics, hangs,
//!                      ▼                                        │               deadlocks, races, invariants,
//!                  workload ──> stress threads | sched steps    │               linearizability, lost writes)
//!                               backend (ChaosMap) + faults     ▼
//!                                                   shrink ──> Script ──> replay ──> Verdict
//!                                                     (seed level,  (each thread's   reproduced |
//!                                                      then script)  ops + trace)    fails differently | gone
//!                                                                  └──> repro file ──> report (text, JSON, JUnit)
//! ```
//!
//! | step | module |
//! |---|---|
//! | a [`scenario::Scenario`]: backend, threads, ops, keys, mix, mode, fault rates, expectation | [`scenario`] |
//! | the ops and their results, the vocabulary every floor speaks | [`op`] |
//! | per-thread op streams from ChaCha8 seeded by (seed, thread) | [`workload`], [`seed`] |
//! | one [`engine::Request`] in, one [`engine::Execution`] out: real threads ([`engine::stress`]) or a deterministic scheduler ([`engine::sched`]) | [`engine`] |
//! | a `go:` backend: the same ops in a Go target process, on the real Go runtime, read back into a history | [`engine::go`] |
//! | backends behind [`maps::ChaosMap`]; their locks and yield points from [`sync`] | [`maps`], [`sync`] |
//! | forced grows, evacuation and `sync.Map` promotions at unlucky moments | [`engine::faults`] |
//! | invoke/return events | [`history`] |
//! | throws, panics, hangs, deadlocks, races, invariants, linearizability, lost writes | [`check`] |
//! | the smallest run that fails the same way ([`shrink`]), as a [`replay::Script`] whose replay gives a [`replay::Verdict`] | [`shrink`], [`replay`] |
//! | the repro file, and the picture of what happened | [`repro`], [`timeline`] |
//! | every text a person or a machine reads | [`report`] |
//!
//! # A race, found
//!
//! Two threads each store one key into one Go map, under the deterministic
//! scheduler. Some interleaving puts both stores inside each other's
//! `hashWriting` window, and Go's check fires:
//!
//! ```
//! use chaos::engine::execute;
//! use chaos::maps::registry;
//! use chaos::scenario::{Mode, Scenario};
//! use chaos::seed::Seed;
//!
//! let scenario = Scenario {
//!     backend: "gomap".into(),
//!     threads: 2,
//!     ops: 1,
//!     mix: "store=1".parse().unwrap(),
//!     mode: Mode::Sched,
//!     ..Scenario::default()
//! };
//! let gomap = registry::lookup("gomap").unwrap();
//! let (seed, exec) = (0..100)
//!     .map(|s| (Seed(s), execute(&scenario, Seed(s), &|seed| gomap.build(seed))))
//!     .find(|(_, e)| !e.findings.is_empty())
//!     .expect("the race within 100 seeds");
//! assert_eq!(exec.findings[0].message, "concurrent map writes");
//! println!("{}", chaos::report::run_human(&exec));
//! # let _ = seed;
//! ```
//!
//! The report reads like this (the seed and the step numbers vary):
//!
//! ```text
//! FINDING: gomap · 2 threads × 1 ops · 16 keys · mix store=1 · sched mode · seed 0x7
//!   throw: concurrent map writes (thread 1, op 0)
//!     fatal error: concurrent map writes
//!     signature: throw: concurrent map writes [gomap]
//!   history hash 0xd7edca9465ceac03 over 17 steps
//!   replay: chaos run --backend gomap --threads 2 --ops 1 --keys 16 --mix store=1 --mode sched --seed 0x7
//! ```
//!
//! # … and replayed
//!
//! In sched mode the same scenario and seed give the same history, byte for
//! byte, on any machine: the replay line reproduces the finding, and so does
//! running the execution again:
//!
//! ```
//! # use chaos::engine::execute;
//! # use chaos::maps::registry;
//! # use chaos::scenario::{Mode, Scenario};
//! # use chaos::seed::Seed;
//! # let scenario = Scenario { backend: "gomap".into(), threads: 2, ops: 1,
//! #     mix: "store=1".parse().unwrap(), mode: Mode::Sched, ..Scenario::default() };
//! # let gomap = registry::lookup("gomap").unwrap();
//! # let (seed, exec) = (0..100)
//! #     .map(|s| (Seed(s), execute(&scenario, Seed(s), &|seed| gomap.build(seed))))
//! #     .find(|(_, e)| !e.findings.is_empty()).unwrap();
//! let again = execute(&scenario, seed, &|seed| gomap.build(seed));
//! assert_eq!(again.history_hash(), exec.history_hash());
//! assert_eq!(again.findings[0].signature(), exec.findings[0].signature());
//! ```
//!
//! From the shell, `chaos shrink` turns the failing run into a minimal repro
//! file (two stores, one schedule) and `chaos replay FILE` re-executes it
//! exactly: exit 1 while the bug is there, 0 once it is fixed. Every file in
//! `fixtures/` is replayed by the test suite.
//!
//! # Your own map
//!
//! Implement [`maps::ChaosMap`] for your wrapper, take its locks from
//! [`sync`] so the scheduler can explore it, and call
//! [`engine::execute`] with a constructor of your map — see
//! `examples/user_wrapper.rs`. For the whole command line over your map
//! (hunts, shrinking, repro files that your binary replays), register it
//! and call [`cli::main_with`] from a binary of your own —
//! `examples/chaos.rs`.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bench;
pub mod check;
pub mod cli;
pub mod engine;
pub mod files;
pub mod history;
pub mod hunt;
pub mod init;
pub mod maps;
pub mod op;
pub mod replay;
pub mod report;
pub mod repro;
pub mod scenario;
pub mod seed;
pub mod shrink;
pub mod sync;
pub mod timeline;
pub mod workload;
