//! The key hasher (Go's `typ.Hasher(key, m.seed)`, `memhash64`) and the
//! map's random source (Go's `rand()`), both deterministic under a seed
//! (docs/go-swiss-map.md §2: a faithful port needs *some* seeded 64-bit
//! hash with every bit well mixed, not Go's exact bits: the top bits pick
//! the table, bits 7 and up the first group, the low 7 bits are H2).

/// `memhash64(key, seed)` and `rand()`: the hash and random source every Go
/// map model here shares (`gomap::hash`), under Go 1.24's 64-bit seed.
pub(super) use crate::maps::gomap::hash::{hash64 as hash, Rng};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_distinct() {
        assert_eq!(hash(1, 2), hash(1, 2));
        assert_ne!(hash(1, 2), hash(1, 3));
        assert_ne!(hash(1, 2), hash(2, 2));
        let (a, b) = (Rng::new(9), Rng::new(9));
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
