//! The time-ordered list of calls and returns that the Wing–Gong–Lowe
//! searches walk (the whole-map search and the plain per-key reference),
//! with the lifting out and putting back of a linearized op.
//!
//! Entry `2i` is op `i`'s call and `2i + 1` its return. Calls sort before
//! returns at equal times, so equal stamps count as overlap: fewer
//! precedence constraints, never a false alarm from a clock tie.

/// A doubly linked list over the entries, with a sentinel head.
pub(super) struct Entries {
    next: Vec<usize>,
    prev: Vec<usize>,
}

/// No entry: the end of the list.
pub(super) const END: usize = usize::MAX;

impl Entries {
    /// The list of `n` ops whose call and return times `times(i)` gives,
    /// in time order.
    pub(super) fn new(n: usize, times: impl Fn(usize) -> (u64, u64)) -> Self {
        let mut order: Vec<usize> = (0..2 * n).collect();
        order.sort_by_key(|&e| {
            let (invoke, ret) = times(e / 2);
            if e % 2 == 0 {
                (invoke, 0u8, e)
            } else {
                (ret, 1u8, e)
            }
        });
        let head = 2 * n;
        let mut next = vec![END; 2 * n + 1];
        let mut prev = vec![END; 2 * n + 1];
        let mut last = head;
        for &e in &order {
            next[last] = e;
            prev[e] = last;
            last = e;
        }
        Entries { next, prev }
    }

    /// The first entry still in the list.
    pub(super) fn first(&self) -> usize {
        self.next[self.next.len() - 1]
    }

    /// The entry after `e` (which may have been lifted out: then the one
    /// after it when it was lifted).
    pub(super) fn after(&self, e: usize) -> usize {
        self.next[e]
    }

    /// Takes the call `e` and its return out of the list.
    pub(super) fn lift(&mut self, e: usize) {
        for x in [e, e + 1] {
            let (p, nx) = (self.prev[x], self.next[x]);
            self.next[p] = nx;
            if nx != END {
                self.prev[nx] = p;
            }
        }
    }

    /// Puts the call `e` and its return back, undoing the last [`lift`].
    ///
    /// [`lift`]: Entries::lift
    pub(super) fn unlift(&mut self, e: usize) {
        for x in [e + 1, e] {
            let (p, nx) = (self.prev[x], self.next[x]);
            self.next[p] = x;
            if nx != END {
                self.prev[nx] = x;
            }
        }
    }
}
