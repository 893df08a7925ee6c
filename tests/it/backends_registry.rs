//! The registry as `chaos backends` and scenario files use it.

use chaos::maps::registry::{self, BackendInfo, Registry};
use chaos::maps::rwmutex::RwMutexMap;
use chaos::maps::ChaosMap;

#[test]
fn unknown_backend_error_is_one_line_listing_the_known_names() {
    let err = registry::lookup("foo").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(r#"unknown backend "foo"; known backends: "#),
        "{msg}"
    );
    let listed: Vec<&str> = msg
        .split("known backends: ")
        .nth(1)
        .unwrap()
        .split(", ")
        .collect();
    let names: Vec<&str> = registry::backends().iter().map(|b| b.name()).collect();
    assert_eq!(listed, names);
    assert!(names.starts_with(&["gomap", "rwmutex", "syncmap"]));
}

#[test]
fn describe_lines_name_first_and_mutants_say_mutant() {
    let lines = registry::describe_lines();
    assert_eq!(lines.len(), registry::backends().len());
    for (line, b) in lines.iter().zip(registry::backends()) {
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some(b.name()));
        assert_eq!(words.next() == Some("mutant,"), b.is_mutant(), "{line}");
        if let Some(m) = b.mutant_info() {
            assert!(line.contains(m.expected.name()), "{line}");
            assert_eq!(line.contains("needs growth"), m.needs_growth, "{line}");
        }
    }
}

/// A short single-thread sequence of every operation over at most 8 keys
/// (so no Go map grows and no planted bug triggers: every mutant's bug
/// needs concurrency, growth or promotions around a delete).
fn smoke(map: &dyn ChaosMap) {
    for k in 0..8 {
        map.store(k, k * 10).unwrap();
    }
    assert_eq!(map.load(3).unwrap(), Some(30));
    assert_eq!(map.load(9).unwrap(), None);
    assert_eq!(map.load_or_store(3, 1).unwrap(), (30, true));
    assert_eq!(map.swap(3, 31).unwrap(), Some(30));
    assert!(map.compare_and_swap(3, 31, 32).unwrap());
    assert!(!map.compare_and_swap(3, 31, 33).unwrap());
    assert!(!map.compare_and_delete(3, 31).unwrap());
    assert!(map.compare_and_delete(3, 32).unwrap());
    assert_eq!(map.load_and_delete(4).unwrap(), Some(40));
    assert_eq!(map.load_and_delete(4).unwrap(), None);
    map.delete(5).unwrap();
    assert_eq!(map.load_or_store(5, 55).unwrap(), (55, false));
    let mut seen = std::collections::BTreeMap::new();
    map.range(&mut |k, v| seen.insert(k, v).is_none()).unwrap();
    let want = [(0, 0), (1, 10), (2, 20), (5, 55), (6, 60), (7, 70)];
    assert_eq!(seen, want.into_iter().collect());
    if let Some(len) = map.len() {
        assert_eq!(len.unwrap(), 6);
    }
    assert_eq!(map.check_invariants(), vec![]);
    map.clear().unwrap();
    assert_eq!(map.load(1).unwrap(), None);
    let mut n = 0;
    map.range(&mut |_, _| {
        n += 1;
        true
    })
    .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn every_registered_constructor_passes_a_smoke_sequence() {
    for b in registry::backends() {
        let map = b.build(0x5eed);
        smoke(map.as_ref());
    }
}

#[test]
fn same_seed_same_backend_same_results() {
    for b in registry::backends() {
        let run = || {
            let m = b.build(42);
            for k in 0..8 {
                m.store(k, k).unwrap();
            }
            let mut order = Vec::new();
            m.range(&mut |k, _| {
                order.push(k);
                true
            })
            .unwrap();
            order
        };
        assert_eq!(run(), run(), "{}", b.name());
    }
}

#[test]
fn a_library_author_can_register_their_own_backend() {
    let mut reg = Registry::builtin();
    reg.register(BackendInfo::new(
        "mine",
        "an rwmutex under another name",
        |seed| Box::new(RwMutexMap::new(seed)),
    ))
    .unwrap();
    assert!(reg.describe_lines().last().unwrap().starts_with("mine "));
    smoke(reg.build("mine", 1).unwrap().as_ref());
    assert!(reg
        .lookup("nope")
        .unwrap_err()
        .to_string()
        .ends_with(", mine"));
    assert!(reg
        .register(registry::lookup("syncmap").unwrap().clone())
        .is_err());
}

#[test]
fn a_user_mutant_can_expect_a_deadlock_or_a_hang_and_each_mode_shows_its_class() {
    use chaos::engine::execute;
    use chaos::maps::registry::FindingClass;
    use chaos::scenario::{Mode, Scenario, StressSettings};
    use chaos::seed::Seed;

    use crate::support::buggy::Crossed;

    let mut registry = Registry::new();
    registry
        .register(BackendInfo::mutant(
            "crossed",
            "two locks taken in opposite orders",
            FindingClass::Deadlock,
            false,
            |_| Box::new(Crossed::default()),
        ))
        .unwrap();
    let lines = registry.describe_lines();
    assert!(lines[0].contains("mutant, expect deadlock"), "{lines:?}");
    let info = registry.lookup("crossed").unwrap().clone();
    let expected = info.mutant_info().unwrap().expected;
    // Sched mode sees the deadlock itself (each overlapping load/store pair
    // deadlocks with odds about 1/2: 20 seeds cannot all miss in practice);
    // stress mode sees a hang (with `perturb = yield`, 100 of 100 seeds at
    // 2 × 2,000 ops, as in `engine_stress`).
    let sched = Scenario {
        backend: "crossed".into(),
        threads: 2,
        ops: 20,
        mix: "load=50,store=50".parse().unwrap(),
        mode: Mode::Sched,
        ..Scenario::default()
    };
    let stress = Scenario {
        ops: 2000,
        mode: Mode::Stress,
        stress: StressSettings {
            timeout_ms: 300,
            perturb: chaos::scenario::Perturb::Yield,
        },
        ..sched.clone()
    };
    for (scenario, class, seeds) in [(sched, expected, 20), (stress, FindingClass::Hang, 24)] {
        let build = |seed| info.build(seed);
        let kind = (0..seeds)
            .find_map(|seed| {
                let e = execute(&scenario, Seed(seed), &build);
                e.findings.first().map(|f| f.kind)
            })
            .unwrap_or_else(|| panic!("no finding in {seeds} seeds of {:?}", scenario.mode));
        assert!(class.kinds().contains(&kind), "{kind:?} is not a {class}");
    }
    assert_eq!(FindingClass::Hang.kinds()[0].name(), "hang");
    assert_eq!(FindingClass::Deadlock.kinds()[0].name(), "deadlock");
}
