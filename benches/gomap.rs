//! Single-thread speed of `GoMap` beside `std::collections::HashMap`, on a
//! map pre-filled with 2^16 random `u64` keys.
//!
//! Target: within 2× of std for get and put; Go 1.19's own map did about
//! 34.6 ns/op get and 37.2 ns/op put on this kind of machine.
//!
//! - `get`: look up present keys, in a shuffled order;
//! - `put`: overwrite present keys (no growth), same order;
//! - `get_random`: look up random keys (almost all absent).
//!
//! Run: `cargo bench --bench gomap`.

use std::collections::HashMap;
use std::hint::black_box;

use chaos::maps::gomap::GoMap;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const KEYS: usize = 1 << 16;

fn keys() -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(0xbe7c);
    let mut keys: Vec<u64> = (0..KEYS).map(|_| rng.random()).collect();
    keys.shuffle(&mut rng);
    keys
}

/// xorshift64: a cheap stream of random probe keys, the same for both maps.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let go = GoMap::new(1);
    let mut std = HashMap::new();
    for (i, &k) in keys.iter().enumerate() {
        go.insert(k, i as u64).unwrap();
        std.insert(k, i as u64);
    }
    // Benchmark the steady state, not a grow in progress.
    go.force_evacuate(usize::MAX).unwrap();
    // Lookups follow the insertion-independent shuffled order.
    let mut order = keys.clone();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(7));

    let mut g = c.benchmark_group("get");
    g.bench_function("gomap", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & (KEYS - 1);
            black_box(go.get(black_box(order[i])).unwrap())
        })
    });
    g.bench_function("std", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & (KEYS - 1);
            black_box(std.get(&black_box(order[i])).copied())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("put");
    g.bench_function("gomap", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & (KEYS - 1);
            go.insert(black_box(order[i]), i as u64).unwrap()
        })
    });
    g.bench_function("std", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & (KEYS - 1);
            black_box(std.insert(black_box(order[i]), i as u64))
        })
    });
    g.finish();
    assert_eq!(go.len(), KEYS, "put only overwrote");

    let mut g = c.benchmark_group("get_random");
    g.bench_function("gomap", |b| {
        let mut x = 0x2545_f491_4f6c_dd1d;
        b.iter(|| black_box(go.get(next(&mut x)).unwrap()))
    });
    g.bench_function("std", |b| {
        let mut x = 0x2545_f491_4f6c_dd1d;
        b.iter(|| black_box(std.get(&next(&mut x)).copied()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
