//! `sync.Map`'s structural invariants (`docs/go-maps.md` §8.10): read,
//! dirty and the entries agree on which keys are where, and which expunged.

use super::SyncMap;
use crate::maps::Violation;

impl SyncMap {
    /// §8.10, plus both inner maps' own invariants. Taken under `mu`.
    pub(super) fn invariant_violations(&self) -> Vec<Violation> {
        let g = self.mu.lock();
        let r = self.read.load();
        let mut out = Vec::new();
        let mut violation =
            |invariant: &'static str, detail: String| out.push(Violation { invariant, detail });
        let dirty = g.dirty.as_ref();
        if r.amended && dirty.is_none() {
            violation(
                "syncmap-amended-without-dirty",
                "read.amended but dirty is nil".into(),
            );
        }
        let maps = [("read.m", r.m.as_deref()), ("dirty", dirty)];
        for (name, m) in maps {
            let Some(m) = m else { continue };
            for v in m.check_invariants() {
                violation(v.invariant, format!("{name}: {}", v.detail));
            }
        }
        if let Some(m) = &r.m {
            for kv in m.iter() {
                let Ok((k, h)) = kv else {
                    violation(
                        "syncmap-read-iteration-threw",
                        "iterating read.m threw".into(),
                    );
                    break;
                };
                let Ok(e) = self.entry(h) else {
                    violation(
                        "syncmap-bad-handle",
                        format!("read.m[{k}] = {h} names no entry"),
                    );
                    continue;
                };
                let in_dirty = dirty.map(|d| d.get(k));
                match (e.is_expunged(), in_dirty) {
                    (true, None) => violation(
                        "syncmap-expunged-without-dirty",
                        format!("read.m[{k}] is expunged while dirty is nil"),
                    ),
                    (true, Some(Ok(Some(_)))) => violation(
                        "syncmap-expunged-in-dirty",
                        format!("read.m[{k}] is expunged but dirty has the key"),
                    ),
                    (false, Some(Ok(d))) if d != Some(h) => violation(
                        "syncmap-read-entry-not-in-dirty",
                        format!("read.m[{k}] = entry {h} is not expunged but dirty[{k}] = {d:?}"),
                    ),
                    _ => {}
                }
            }
        }
        if let Some(d) = dirty {
            for kv in d.iter() {
                let Ok((k, h)) = kv else {
                    violation(
                        "syncmap-dirty-iteration-threw",
                        "iterating dirty threw".into(),
                    );
                    break;
                };
                match self.entry(h) {
                    Err(_) => violation(
                        "syncmap-bad-handle",
                        format!("dirty[{k}] = {h} names no entry"),
                    ),
                    Ok(e) if e.is_expunged() => violation(
                        "syncmap-dirty-entry-expunged",
                        format!("dirty[{k}] is expunged"),
                    ),
                    Ok(_) => {}
                }
                let in_read = r.m.as_ref().map(|m| m.get(k));
                if !r.amended && !matches!(in_read, Some(Ok(Some(_)))) {
                    violation(
                        "syncmap-unamended-dirty-has-new-key",
                        format!("dirty has {k}, read.m lacks it, and read is not amended"),
                    );
                }
            }
        }
        out
    }
}
