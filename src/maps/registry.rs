//! The backend registry: names → constructors, and how to plug in your own map.
//!
//! Every backend is built from a `u64` seed by a function or closure
//! ([`Constructor`]). The seed feeds every inner Go map's hash seed, so an
//! execution replays exactly; a backend with several inner maps gives each
//! its own sub-seed from [`crate::seed::sub_seed`].
//!
//! The built-in backends are [`backends()`]; [`lookup`] finds one by name and
//! [`describe_lines`] is what `chaos backends` prints. To add your own, build
//! a [`Registry`] (the built-ins plus yours) and look names up there:
//!
//! ```
//! use chaos::maps::gomap::GoMap;
//! use chaos::maps::registry::{BackendInfo, Registry};
//! use chaos::maps::rwmutex::RwMutexMap;
//!
//! let mut registry = Registry::builtin();
//! registry
//!     .register(BackendInfo::new(
//!         "my-map",
//!         "my wrapper: a reader-writer lock around a Go map",
//!         |seed| Box::new(RwMutexMap::from_map(GoMap::new(seed))),
//!     ))
//!     .unwrap();
//! let map = registry.build("my-map", 0x5eed).unwrap();
//! map.store(1, 10).unwrap();
//! assert_eq!(map.load(1).unwrap(), Some(10));
//! ```
//!
//! # Locks: what a wrapper must use to be explored
//!
//! A wrapper must take its locks from [`crate::sync`] ([`crate::sync::Mutex`],
//! [`crate::sync::RwLock`]) to be explored by the deterministic scheduler
//! (`sched` mode): there, every logical thread runs on one OS thread, and only
//! these locks hand control back to the scheduler when they are contended. A
//! wrapper built on `std::sync` or `parking_lot` locks still works in `stress`
//! mode (real threads), but the scheduler cannot explore it, and the first
//! contended acquire under the scheduler hangs the execution. Mark your own
//! race windows with [`crate::sync::yield_point`] (or
//! [`crate::sync::yield_now`]) so the scheduler may switch there.
//!
//! A backend that panics is a finding: the engine catches the panic, and
//! these locks ignore poisoning, so nothing is left unusable for later runs.

use crate::maps::gomap::{GoMap, GoMapMutation};
use crate::maps::hashtriemap::{Bug as TrieBug, HashTrieMap};
use crate::maps::mutants;
use crate::maps::mutex::MutexMap;
use crate::maps::rwmutex::RwMutexMap;
use crate::maps::sharded::{Plant, Sharded};
use crate::maps::swiss_rwmutex::{self, SwissRwMutexMap};
use crate::maps::swissmap::{SwissMap, SwissMutation};
use crate::maps::syncmap::SyncMap;
use std::sync::{Arc, LazyLock};

use crate::maps::{ChaosMap, Constructor};

/// The kind of finding a mutant is expected to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FindingClass {
    /// A Go-style fatal error (`concurrent map writes`, ...).
    Throw,
    /// A history no sequential map could produce (never throws).
    Linearizability,
    /// A write that is missing at quiescence.
    LostWrite,
    /// A structural invariant broken, or a wrong result from a single thread.
    Invariant,
    /// Threads that wait on each other forever: sched mode's deadlock (every
    /// unfinished logical thread blocked on a `chaos::sync` lock).
    Deadlock,
    /// A run that never finishes: stress mode's watchdog, or sched mode's
    /// deadlock or livelock (the step limit), whichever the mode can see.
    Hang,
}

impl FindingClass {
    /// Short stable name, as printed by `chaos backends`.
    pub fn name(self) -> &'static str {
        match self {
            FindingClass::Throw => "throw",
            FindingClass::Linearizability => "linearizability",
            FindingClass::LostWrite => "lost-write",
            FindingClass::Invariant => "invariant",
            FindingClass::Deadlock => "deadlock",
            FindingClass::Hang => "hang",
        }
    }
}

impl std::fmt::Display for FindingClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a mutant (a deliberately broken backend) is expected to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MutantInfo {
    /// The finding a correct checker reports against it.
    pub expected: FindingClass,
    /// Whether its bug only shows while the inner Go map grows (so forced
    /// resizes find it far sooner).
    pub needs_growth: bool,
}

/// One registered backend: its name, what it is, and how to build it.
/// Cheap to clone: the constructor is shared.
#[derive(Clone)]
pub struct BackendInfo {
    name: &'static str,
    description: &'static str,
    mutant: Option<MutantInfo>,
    construct: Arc<Constructor<'static>>,
}

impl std::fmt::Debug for BackendInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendInfo")
            .field("name", &self.name)
            .field("mutant", &self.mutant)
            .finish_non_exhaustive()
    }
}

impl BackendInfo {
    /// A backend that is meant to be correct. `name` should be one word
    /// (letters, digits, `-`, `_`); `description` one line. `construct`
    /// builds it from a seed: a function or a closure (which may capture
    /// configuration).
    pub fn new(
        name: &'static str,
        description: &'static str,
        construct: impl Fn(u64) -> Box<dyn ChaosMap> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            description,
            mutant: None,
            construct: Arc::new(construct),
        }
    }

    /// A mutant: a backend broken on purpose, expected to produce `expected`.
    pub fn mutant(
        name: &'static str,
        description: &'static str,
        expected: FindingClass,
        needs_growth: bool,
        construct: impl Fn(u64) -> Box<dyn ChaosMap> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            description,
            mutant: Some(MutantInfo {
                expected,
                needs_growth,
            }),
            construct: Arc::new(construct),
        }
    }

    /// The name scenarios and the command line use.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// One line: what it is.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// `Some` for a mutant: what it should produce.
    pub fn mutant_info(&self) -> Option<MutantInfo> {
        self.mutant
    }

    /// Whether this backend is broken on purpose.
    pub fn is_mutant(&self) -> bool {
        self.mutant.is_some()
    }

    /// A fresh map, seeded.
    pub fn build(&self, seed: u64) -> Box<dyn ChaosMap> {
        (self.construct)(seed)
    }

    /// Its constructor, as the engine, the shrinker and replay take one.
    pub fn constructor(&self) -> &Constructor<'static> {
        &*self.construct
    }

    /// What it is, after the name: the description, and for a mutant the
    /// word `mutant` with the finding it should produce.
    fn what(&self) -> String {
        match self.mutant {
            None => self.description.to_string(),
            Some(m) => format!(
                "mutant, expect {}{}: {}",
                m.expected,
                if m.needs_growth {
                    " (needs growth)"
                } else {
                    ""
                },
                self.description
            ),
        }
    }
}

/// A backend name that nothing is registered under.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {name:?}; known backends: {known}", known = .known.join(", "))]
pub struct UnknownBackend {
    /// The name asked for.
    pub name: String,
    /// Every registered name, in registry order.
    pub known: Vec<&'static str>,
}

/// Why [`Registry::register`] refused a backend.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The name is taken.
    #[error("backend {0:?} is already registered")]
    Duplicate(&'static str),
    /// The name is empty or has characters other than letters, digits, `-`, `_`.
    #[error("backend name {0:?} must be one word of letters, digits, '-' or '_'")]
    BadName(&'static str),
}

/// The built-in backends, in the order `chaos backends` lists them.
static BUILTIN: LazyLock<Vec<BackendInfo>> = LazyLock::new(|| {
    vec![
    BackendInfo::new(
        "gomap",
        "Go's runtime map (hmap/bmap, Go 1.x-1.23), unsynchronised: throws (best-effort) under concurrent writes",
        |seed| Box::new(GoMap::new(seed)),
    ),
    BackendInfo::new(
        "rwmutex",
        "a reader-writer lock around a gomap: clean and linearizable",
        |seed| Box::new(RwMutexMap::new(seed)),
    ),
    BackendInfo::new(
        "syncmap",
        "a clone of Go 1.20-1.23 sync.Map (read/dirty/misses/expunged) over gomaps: clean, linearizable, weak Range",
        |seed| Box::new(SyncMap::new(seed)),
    ),
    BackendInfo::new(
        "mutex",
        "a plain lock around a gomap (every op, reads too, under one sync.Mutex): clean and linearizable",
        |seed| Box::new(MutexMap::new(seed)),
    ),
    BackendInfo::new(
        "sharded",
        "4 shards, each under its own lock (the design of dashmap); whole-map ops lock every shard: clean, atomic Clear, snapshot Range, exact len",
        |_| Box::new(Sharded::new()),
    ),
    BackendInfo::new(
        "swissmap",
        "Go's runtime map, Go 1.24+ (Swiss table), unsynchronised: throws (best-effort) under concurrent writes",
        |seed| Box::new(SwissMap::new(seed)),
    ),
    BackendInfo::new(
        "swiss-rwmutex",
        "a reader-writer lock around a swissmap: clean and linearizable",
        |seed| Box::new(swiss_rwmutex::new(seed)),
    ),
    BackendInfo::new(
        "hashtriemap",
        "a clone of Go 1.24+ sync.Map (a concurrent hash-trie: lock-free loads, a lock per node, re-check-and-restart writes, pruning): clean, linearizable, weak Range",
        |seed| Box::new(HashTrieMap::new(seed)),
    ),
    BackendInfo::mutant(
        "mutant-write-under-rlock",
        "rwmutex whose Store and Delete take the read lock (copy-pasted from Load)",
        FindingClass::Throw,
        false,
        |seed| Box::new(mutants::write_under_rlock::WriteUnderRLock::new(seed)),
    ),
    BackendInfo::mutant(
        "mutant-unlocked-read",
        "rwmutex whose Load first reads the map with no lock (an unlocked fast path)",
        FindingClass::Throw,
        false,
        |seed| Box::new(mutants::unlocked_read::UnlockedRead::new(seed)),
    ),
    BackendInfo::mutant(
        "mutant-check-then-act",
        "rwmutex whose LoadOrStore loads under RLock, unlocks, then stores under Lock without re-checking",
        FindingClass::Linearizability,
        false,
        |seed| Box::new(mutants::check_then_act::CheckThenAct::new(seed)),
    ),
    BackendInfo::mutant(
        "mutant-split-swap",
        "rwmutex whose Swap is a locked Load followed by a separately locked Store",
        FindingClass::Linearizability,
        false,
        |seed| Box::new(mutants::split_swap::SplitSwap::new(seed)),
    ),
    BackendInfo::mutant(
        "mutant-expunged-store",
        "sync.Map whose Store un-expunges an entry without putting it back into dirty",
        FindingClass::LostWrite,
        false,
        |seed| Box::new(mutants::expunged_store::new(seed)),
    ),
    BackendInfo::mutant(
        "mutant-lossy-promotion",
        "sync.Map whose promotion drops deleted (nil) entries instead of leaving them to be expunged",
        FindingClass::LostWrite,
        false,
        |seed| Box::new(mutants::lossy_promotion::new(seed)),
    ),
    BackendInfo::mutant(
        "mutant-evacuate-skips-overflow",
        "rwmutex over a gomap whose evacuation copies only the head bucket of each chain",
        FindingClass::LostWrite,
        true,
        |seed| {
            Box::new(RwMutexMap::from_map(GoMap::with_mutation(
                seed,
                GoMapMutation::EvacuateSkipsOverflow,
            )))
        },
    ),
    BackendInfo::mutant(
        "mutant-iter-ignores-oldbuckets",
        "rwmutex over a gomap whose iterator, started mid-grow, never reads old buckets",
        FindingClass::Linearizability,
        true,
        |seed| {
            Box::new(RwMutexMap::from_map(GoMap::with_mutation(
                seed,
                GoMapMutation::IterIgnoresOldBuckets,
            )))
        },
    ),
    BackendInfo::mutant(
        "mutant-split-wrong-bit",
        "swiss-rwmutex over a swissmap whose table split sorts entries by the old local depth's hash bit (off by one), so every entry goes to one half",
        FindingClass::LostWrite,
        true,
        |seed| {
            Box::new(SwissRwMutexMap::from_map(SwissMap::with_mutation(
                seed,
                SwissMutation::SplitUsesOldDepthBit,
            )))
        },
    ),
    BackendInfo::mutant(
        "mutant-trie-skips-recheck",
        "Go 1.24+ sync.Map whose writers publish what their lock-free walk saw, without re-checking the slot and the node's dead flag under the lock",
        FindingClass::LostWrite,
        false,
        |seed| Box::new(HashTrieMap::with_bug(seed, TrieBug::SkipRecheck)),
    ),
    BackendInfo::mutant(
        "mutant-shard-clear",
        "sharded map whose Clear empties one shard at a time, yet promises an atomic clear",
        FindingClass::Linearizability,
        false,
        |_| Box::new(Sharded::with_plant(Plant::ClearShardByShard)),
    ),
    BackendInfo::mutant(
        "mutant-racy-len",
        "sharded map whose len is a counter updated outside the shard lock by a load and a store",
        FindingClass::Linearizability,
        false,
        |_| Box::new(Sharded::with_plant(Plant::RacyLen)),
    ),
    BackendInfo::mutant(
        "mutant-torn-range",
        "sharded map whose Range read-locks one shard at a time, yet promises a snapshot",
        FindingClass::Linearizability,
        false,
        |_| Box::new(Sharded::with_plant(Plant::TornRange)),
    ),
    ]
});

/// The built-in backends.
pub fn backends() -> &'static [BackendInfo] {
    &BUILTIN
}

/// The built-in backend called `name`.
pub fn lookup(name: &str) -> Result<&'static BackendInfo, UnknownBackend> {
    lookup_in(&BUILTIN, name)
}

/// What `chaos backends` prints for the built-ins: one line per backend,
/// name first, then what it is (mutants say `mutant`).
pub fn describe_lines() -> Vec<String> {
    describe(&BUILTIN)
}

fn lookup_in<'a>(
    entries: &'a [BackendInfo],
    name: &str,
) -> Result<&'a BackendInfo, UnknownBackend> {
    entries
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| UnknownBackend {
            name: name.to_string(),
            known: entries.iter().map(|b| b.name).collect(),
        })
}

fn describe(entries: &[BackendInfo]) -> Vec<String> {
    let width = entries.iter().map(|b| b.name.len()).max().unwrap_or(0);
    entries
        .iter()
        .map(|b| format!("{:<width$}  {}", b.name, b.what()))
        .collect()
}

/// A set of backends a library author can extend with their own.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    entries: Vec<BackendInfo>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in backends, ready to be extended.
    pub fn builtin() -> Self {
        Self {
            entries: BUILTIN.clone(),
        }
    }

    /// Adds `info`, after the ones already registered.
    pub fn register(&mut self, info: BackendInfo) -> Result<&mut Self, RegisterError> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if info.name.is_empty() || !info.name.chars().all(ok_char) {
            return Err(RegisterError::BadName(info.name));
        }
        if self.entries.iter().any(|b| b.name == info.name) {
            return Err(RegisterError::Duplicate(info.name));
        }
        self.entries.push(info);
        Ok(self)
    }

    /// Every registered backend, in registration order.
    pub fn backends(&self) -> &[BackendInfo] {
        &self.entries
    }

    /// The backend called `name`.
    pub fn lookup(&self, name: &str) -> Result<&BackendInfo, UnknownBackend> {
        lookup_in(&self.entries, name)
    }

    /// Builds the backend called `name` from `seed`.
    pub fn build(&self, name: &str, seed: u64) -> Result<Box<dyn ChaosMap>, UnknownBackend> {
        self.lookup(name).map(|b| b.build(seed))
    }

    /// One line per backend, name first (see [`describe_lines`]).
    pub fn describe_lines(&self) -> Vec<String> {
        describe(&self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_name_error_lists_every_known_name_on_one_line() {
        let err = lookup("foo").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(r#"unknown backend "foo"; known backends: gomap, rwmutex, syncmap, "#),
            "{msg}"
        );
        for b in backends() {
            assert!(msg.contains(b.name()), "{msg} lacks {}", b.name());
        }
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn describe_lines_one_per_backend_name_first_mutants_say_so() {
        let lines = describe_lines();
        assert_eq!(lines.len(), backends().len());
        for (line, b) in lines.iter().zip(backends()) {
            assert_eq!(line.split_whitespace().next(), Some(b.name()), "{line}");
            assert_eq!(
                line.split_whitespace().any(|w| w.starts_with("mutant,")),
                b.is_mutant(),
                "{line}"
            );
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn names_are_unique_and_registrable() {
        let mut r = Registry::new();
        for b in backends() {
            r.register(b.clone()).unwrap();
        }
        assert_eq!(
            r.register(backends()[0].clone()).unwrap_err(),
            RegisterError::Duplicate("gomap")
        );
        let bad = BackendInfo::new("two words", "x", |s| Box::new(GoMap::new(s)));
        assert_eq!(
            r.register(bad).unwrap_err(),
            RegisterError::BadName("two words")
        );
    }

    #[test]
    fn at_least_eight_mutants_each_with_an_expected_finding() {
        let mutants: Vec<_> = backends().iter().filter(|b| b.is_mutant()).collect();
        assert!(mutants.len() >= 8);
        assert!(mutants.iter().all(|b| b.name().starts_with("mutant-")));
    }

    #[test]
    fn derived_seeds_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for seed in [0, 1, u64::MAX] {
            for i in 0..1000 {
                assert!(seen.insert(crate::seed::sub_seed(seed, i)));
            }
        }
    }
}
