//! The sequential model: what a correct map returns, one operation at a time.

use std::collections::BTreeMap;

use crate::maps::{Key, Value};
use crate::op::{Op, Ret};

/// A sequential map with Go's `sync.Map` semantics for every [`Op`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    /// The contents.
    pub map: BTreeMap<Key, Value>,
}

impl Model {
    /// A model holding `initial`.
    pub fn new(initial: BTreeMap<Key, Value>) -> Self {
        Model { map: initial }
    }

    /// Applies `op` and returns what a correct map returns. For `Range` the
    /// entries come in key order; compare with [`Model::agrees`], which
    /// ignores order.
    pub fn apply(&mut self, op: &Op) -> Ret {
        let m = &mut self.map;
        match *op {
            Op::Load { key } => Ret::Value(m.get(&key).copied()),
            Op::Store { key, value } => {
                m.insert(key, value);
                Ret::Unit
            }
            Op::Delete { key } => {
                m.remove(&key);
                Ret::Unit
            }
            Op::LoadOrStore { key, value } => match m.get(&key) {
                Some(&actual) => Ret::LoadOrStore {
                    actual,
                    loaded: true,
                },
                None => {
                    m.insert(key, value);
                    Ret::LoadOrStore {
                        actual: value,
                        loaded: false,
                    }
                }
            },
            Op::LoadAndDelete { key } => Ret::Value(m.remove(&key)),
            Op::Swap { key, value } => Ret::Value(m.insert(key, value)),
            Op::CompareAndSwap { key, old, new } => {
                let hit = m.get(&key) == Some(&old);
                if hit {
                    m.insert(key, new);
                }
                Ret::Bool(hit)
            }
            Op::CompareAndDelete { key, old } => {
                let hit = m.get(&key) == Some(&old);
                if hit {
                    m.remove(&key);
                }
                Ret::Bool(hit)
            }
            Op::Range { limit } => {
                let n = if limit == 0 {
                    usize::MAX
                } else {
                    limit as usize
                };
                Ret::Entries(m.iter().take(n).map(|(k, v)| (*k, *v)).collect())
            }
            Op::Clear => {
                m.clear();
                Ret::Unit
            }
            Op::Len => Ret::Len(m.len()),
        }
    }

    /// Whether `got` is a correct result for `op` given the model's state
    /// *before* `op` (call it before [`Model::apply`]). A `Range` may return
    /// entries in any order, and one that stopped early any `limit` of them;
    /// `Unsupported` is correct for `Len` on a map without one.
    pub fn agrees(&self, op: &Op, got: &Ret) -> bool {
        match (op, got) {
            (Op::Len, Ret::Unsupported) => true,
            (Op::Range { limit }, Ret::Entries(es)) => {
                let mut keys: Vec<Key> = es.iter().map(|(k, _)| *k).collect();
                keys.sort_unstable();
                keys.dedup();
                let distinct = keys.len() == es.len();
                let all_current = es.iter().all(|(k, v)| self.map.get(k) == Some(v));
                let expected = if *limit == 0 {
                    self.map.len()
                } else {
                    self.map.len().min(*limit as usize)
                };
                distinct && all_current && es.len() == expected
            }
            _ => self.clone().apply(op) == *got,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_follows_go_sync_map_semantics() {
        let mut m = Model::default();
        assert_eq!(
            m.apply(&Op::LoadOrStore { key: 1, value: 5 }),
            Ret::LoadOrStore {
                actual: 5,
                loaded: false
            }
        );
        assert_eq!(
            m.apply(&Op::LoadOrStore { key: 1, value: 6 }),
            Ret::LoadOrStore {
                actual: 5,
                loaded: true
            }
        );
        assert_eq!(m.apply(&Op::Swap { key: 1, value: 7 }), Ret::Value(Some(5)));
        assert_eq!(
            m.apply(&Op::CompareAndSwap {
                key: 1,
                old: 5,
                new: 8
            }),
            Ret::Bool(false)
        );
        assert_eq!(
            m.apply(&Op::CompareAndDelete { key: 1, old: 7 }),
            Ret::Bool(true)
        );
        // CompareAndDelete with no current value is false, whatever `old` is.
        assert_eq!(
            m.apply(&Op::CompareAndDelete { key: 1, old: 0 }),
            Ret::Bool(false)
        );
        assert_eq!(m.apply(&Op::LoadAndDelete { key: 1 }), Ret::Value(None));
        assert_eq!(m.apply(&Op::Len), Ret::Len(0));
    }

    #[test]
    fn range_agreement_ignores_order_but_not_content() {
        let m = Model::new([(1, 10), (2, 20), (3, 30)].into());
        let full = Op::Range { limit: 0 };
        assert!(m.agrees(&full, &Ret::Entries(vec![(3, 30), (1, 10), (2, 20)])));
        assert!(!m.agrees(&full, &Ret::Entries(vec![(3, 30), (1, 10)])));
        assert!(!m.agrees(&full, &Ret::Entries(vec![(3, 30), (1, 10), (1, 10)])));
        assert!(!m.agrees(&full, &Ret::Entries(vec![(3, 31), (1, 10), (2, 20)])));
        assert!(m.agrees(
            &Op::Range { limit: 2 },
            &Ret::Entries(vec![(2, 20), (3, 30)])
        ));
        assert!(m.agrees(&Op::Len, &Ret::Unsupported));
    }
}
