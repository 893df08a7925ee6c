//! When a fresh `SwissMap` changes shape as 1..=200,000 distinct keys go in
//! (docs/go-swiss-map.md §4, §5, §8): it leaves the small form at the 9th
//! insert; its one table doubles when an insert finds `growthLeft == 0`
//! (16 slots hold 14, then 28, 56, 112, 224, 448, 896); a full 1024-slot
//! table splits instead, and the directory doubles exactly when the
//! splitting table's local depth is the global depth.
//!
//! The counts up to the first split follow from the rules alone, whatever
//! the hash seed; later splits depend on which table each key hashes to, so
//! for those the test checks each event against the rule (the split table
//! held 896 entries; the directory doubled iff the split table used every
//! directory bit) and the figures are recorded for one seed in
//! docs/go-swiss-map.md ("model figures").

use chaos::maps::swissmap::{GoVersion, SwissMap};

/// One shape change: the count the insert took the map to, and what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Promoted,
    Grew { to: u16 },
    Split { doubled: bool },
}

fn events(seed: u64, n: u64, version: GoVersion) -> (Vec<(u64, Event)>, SwissMap) {
    let m = SwissMap::with_version(seed, version);
    let mut out = Vec::new();
    let mut before = m.counters();
    for k in 1..=n {
        m.insert(k, k).unwrap();
        let after = m.counters();
        if after != before {
            let loads = m.table_loads();
            let event = if before.small && !after.small {
                Event::Promoted
            } else if after.grows == before.grows + 1 && after.splits == before.splits {
                Event::Grew {
                    to: loads.last().unwrap().capacity,
                }
            } else if after.splits == before.splits + 1 && after.grows == before.grows {
                let doubled = after.dir_doublings == before.dir_doublings + 1;
                // The two newest tables are the split's halves: together
                // they hold the 896 entries of the full table and the key.
                let (l, r) = (loads[loads.len() - 2], loads[loads.len() - 1]);
                assert_eq!(u32::from(l.used) + u32::from(r.used), 897, "count {k}");
                assert_eq!((l.capacity, r.capacity), (1024, 1024));
                assert_eq!(l.local_depth, r.local_depth);
                // The directory doubled iff the old table (depth d − 1) had
                // used every directory bit.
                assert!(l.local_depth <= after.global_depth, "count {k}");
                assert_eq!(
                    doubled,
                    before.global_depth == l.local_depth - 1,
                    "count {k}"
                );
                Event::Split { doubled }
            } else {
                panic!("count {k}: {before:?} -> {after:?}");
            };
            out.push((k, event));
            before = after;
        }
    }
    (out, m)
}

#[test]
fn growth_follows_the_rules_of_go_1_24() {
    for seed in [1, 2, 0x5eed] {
        let (ev, m) = events(seed, 200_000, GoVersion::Go124);
        // Up to the first split: the same for every seed.
        let want_start = [
            (9, Event::Promoted),
            (15, Event::Grew { to: 32 }),
            (29, Event::Grew { to: 64 }),
            (57, Event::Grew { to: 128 }),
            (113, Event::Grew { to: 256 }),
            (225, Event::Grew { to: 512 }),
            (449, Event::Grew { to: 1024 }),
            (897, Event::Split { doubled: true }),
        ];
        assert_eq!(ev[..want_start.len()], want_start, "seed {seed}");
        // After it, only splits (every table is at 1024 slots).
        assert!(ev[want_start.len()..]
            .iter()
            .all(|(_, e)| matches!(e, Event::Split { .. })));
        let c = m.counters();
        let splits = ev
            .iter()
            .filter(|(_, e)| matches!(e, Event::Split { .. }))
            .count();
        let doublings = ev
            .iter()
            .filter(|(_, e)| matches!(e, Event::Split { doubled: true }))
            .count();
        assert_eq!((c.splits, c.dir_doublings), (splits, doublings));
        assert_eq!(c.dir_len, 1 << c.global_depth);
        assert_eq!(usize::from(c.global_depth), doublings);
        let tables = m.table_loads();
        assert_eq!(tables.len(), splits + 1);
        // 200,000 entries at most 896 to a table.
        assert!(tables.len() >= 224, "{} tables", tables.len());
        assert!(m.check_invariants().is_empty());
        let firsts: Vec<u64> = ev
            .iter()
            .filter(|(_, e)| *e == Event::Split { doubled: true })
            .map(|(k, _)| *k)
            .collect();
        eprintln!(
            "seed {seed}: {splits} splits, {} tables, globalDepth {}, directory doubled at {firsts:?}, fullest table {}, emptiest {}",
            tables.len(),
            c.global_depth,
            tables.iter().map(|t| t.used).max().unwrap(),
            tables.iter().map(|t| t.used).min().unwrap(),
        );
    }
}

/// Inserts alone leave no tombstone, so Go 1.25's pruning never runs and
/// the shape changes are the same event for event.
#[test]
fn go_1_25_grows_like_go_1_24_on_inserts_alone() {
    let (a, _) = events(7, 20_000, GoVersion::Go124);
    let (b, m) = events(7, 20_000, GoVersion::Go125);
    assert_eq!(a, b);
    assert_eq!(m.stats().prunes, 0);
}

/// The real Go runtime's map changes shape at the same counts: `go/cmd/
/// swissgrowth` (Go ≥ 1.24) inserts the same 1..=200,000 keys into a
/// `map[uint64]uint64` and reads its header, directory and tables after
/// each insert. Every event up to the first split is at the model's count
/// exactly (they follow from the rules alone). Later splits depend on the
/// hash seed, which the runtime draws at random, so those are compared by
/// their rule and their totals: only splits, 255 of them, 256 tables, the
/// directory doubled 8 times — measured on go1.26.8, three runs, and the
/// model for seeds 1, 2 and 0x5eed. A 257th table needs one of 256 tables
/// of ~781 entries to pass 896 (4σ), odds about 0.5% a run, so the totals
/// are checked with that much room (256 to 258 tables, depth 8 or 9).
#[test]
fn growth_matches_the_real_go_runtime() {
    let Some(version) = crate::go_module::run(&["env", "GOVERSION"]) else {
        crate::support::say_go_skipped();
        return;
    };
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let minor: u32 = version
        .strip_prefix("go1.")
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if minor < 24 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs Go 1.24 or later for the Swiss map comparison, found {version}"
        );
        eprintln!("growth comparison with the real Go runtime skipped: {version} has no Swiss map (Go 1.24 or later runs it)");
        return;
    }
    let out = crate::go_module::run(&["run", "./cmd/swissgrowth", "-n", "200000"])
        .expect("go ran a moment ago");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "go run ./cmd/swissgrowth: {err}{text}"
    );
    let mut real = Vec::new();
    let mut end = None;
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w[..] {
            ["end", tables, depth] => {
                end = Some((
                    tables.parse::<usize>().unwrap(),
                    depth.parse::<u8>().unwrap(),
                ))
            }
            [k, "promoted"] => real.push((k.parse::<u64>().unwrap(), Event::Promoted)),
            [k, "grew", to] => real.push((
                k.parse().unwrap(),
                Event::Grew {
                    to: to.parse().unwrap(),
                },
            )),
            [k, "split"] => real.push((k.parse().unwrap(), Event::Split { doubled: false })),
            [k, "split", "doubled"] => {
                real.push((k.parse().unwrap(), Event::Split { doubled: true }))
            }
            _ => panic!("unexpected line from swissgrowth: {line}"),
        }
    }
    let (model, m) = events(1, 200_000, GoVersion::Go124);
    let prefix = 8;
    assert_eq!(real[..prefix], model[..prefix], "real Go:\n{text}");
    assert!(
        real[prefix..]
            .iter()
            .all(|(_, e)| matches!(e, Event::Split { .. })),
        "{text}"
    );
    let (tables, depth) = end.expect("swissgrowth ends with its totals");
    let doublings = real
        .iter()
        .filter(|(_, e)| *e == Event::Split { doubled: true })
        .count();
    assert_eq!(usize::from(depth), doublings);
    assert_eq!(
        tables,
        real.len() - prefix + 1 + 1,
        "one table, plus one per split"
    );
    let c = m.counters();
    assert_eq!(
        (m.table_loads().len(), c.global_depth),
        (256, 8),
        "the model"
    );
    assert!(
        (256..=258).contains(&tables) && (8..=9).contains(&depth),
        "real Go: {tables} tables, depth {depth}"
    );
}
