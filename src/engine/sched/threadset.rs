//! A set of logical threads as a bitset: the executor's runnable and blocked
//! sets change at every block, wake and finish, and a bit flip is cheaper
//! than keeping a sorted list (the list is rebuilt, lazily, only for the
//! strategy).

/// A set of thread indices below the capacity given at creation.
#[derive(Clone, Debug)]
pub(super) struct ThreadSet {
    words: Vec<u64>,
}

impl ThreadSet {
    /// The empty set over threads `0..n`.
    pub(super) fn empty(n: usize) -> Self {
        Self {
            words: vec![0; n.div_ceil(64)],
        }
    }

    /// The set of all threads `0..n`.
    pub(super) fn full(n: usize) -> Self {
        let mut s = Self::empty(n);
        for t in 0..n {
            s.insert(t);
        }
        s
    }

    #[inline]
    pub(super) fn insert(&mut self, t: usize) {
        self.words[t / 64] |= 1 << (t % 64);
    }

    #[inline]
    pub(super) fn remove(&mut self, t: usize) {
        self.words[t / 64] &= !(1 << (t % 64));
    }

    #[inline]
    pub(super) fn contains(&self, t: usize) -> bool {
        self.words
            .get(t / 64)
            .is_some_and(|w| w & (1 << (t % 64)) != 0)
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Removes the members for which `f` says so, visiting members in
    /// ascending order; returns how many were removed.
    pub(super) fn remove_where(&mut self, mut f: impl FnMut(usize) -> bool) -> usize {
        let mut removed = 0;
        for (i, word) in self.words.iter_mut().enumerate() {
            let mut w = *word;
            while w != 0 {
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                if f(i * 64 + bit) {
                    *word &= !(1 << bit);
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Replaces `out`'s contents with the members, in ascending order.
    pub(super) fn collect_into(&self, out: &mut Vec<usize>) {
        out.clear();
        for (i, &word) in self.words.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                out.push(i * 64 + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
    }

    /// Members in ascending order.
    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros() as usize;
                    w &= w - 1;
                    i * 64 + bit
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_sorted_set() {
        let mut s = ThreadSet::full(130);
        assert_eq!(s.iter().count(), 130);
        for t in (0..130).filter(|t| t % 3 != 0) {
            s.remove(t);
        }
        let want: Vec<usize> = (0..130).filter(|t| t % 3 == 0).collect();
        assert_eq!(s.iter().collect::<Vec<_>>(), want);
        assert!(s.contains(129) && !s.contains(128) && !s.contains(500));
        for t in want {
            s.remove(t);
        }
        assert!(s.is_empty());
        s.insert(64);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![64]);
        let mut s = ThreadSet::full(70);
        let mut seen = Vec::new();
        let removed = s.remove_where(|t| {
            seen.push(t);
            t % 2 == 1
        });
        assert_eq!((removed, seen.len()), (35, 70));
        assert!(s.iter().all(|t| t % 2 == 0));
        let mut out = vec![99];
        s.collect_into(&mut out);
        assert_eq!(out, s.iter().collect::<Vec<_>>());
    }
}
