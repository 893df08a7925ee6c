//! `GoMap` as the unsynchronised backend `gomap` (`maps::plain`: the
//! composite operations as a Go programmer writes them over a plain map).

use super::GoMap;

crate::maps::plain::plain_go_map!(GoMap, crate::sync::GOMAP_CLASSES);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::{ChaosMap, RangeSemantics};
    use crate::sync::Fault;

    #[test]
    fn composite_ops_behave_like_the_go_idioms() {
        let m = GoMap::new(1);
        let c: &dyn ChaosMap = &m;
        assert_eq!(c.load_or_store(1, 10), Ok((10, false)));
        assert_eq!(c.load_or_store(1, 11), Ok((10, true)));
        assert_eq!(c.swap(1, 12), Ok(Some(10)));
        assert_eq!(c.swap(2, 20), Ok(None));
        assert_eq!(c.compare_and_swap(1, 99, 13), Ok(false));
        assert_eq!(c.compare_and_swap(1, 12, 13), Ok(true));
        assert_eq!(c.compare_and_swap(3, 0, 1), Ok(false));
        assert_eq!(c.load(1), Ok(Some(13)));
        assert_eq!(c.compare_and_delete(1, 12), Ok(false));
        assert_eq!(c.compare_and_delete(1, 13), Ok(true));
        assert_eq!(c.load_and_delete(2), Ok(Some(20)));
        assert_eq!(c.load_and_delete(2), Ok(None));
        assert_eq!(c.len(), Some(Ok(0)));
        assert_eq!(c.range_semantics(), RangeSemantics::Snapshot);
    }

    #[test]
    fn range_stops_early_and_resize_kinds_map_to_go_operations() {
        let m = GoMap::new(2);
        for k in 0..100 {
            m.insert(k, k).unwrap();
        }
        let c: &dyn ChaosMap = &m;
        let mut seen = 0;
        c.range(&mut |_, _| {
            seen += 1;
            seen < 10
        })
        .unwrap();
        assert_eq!(seen, 10);
        assert_eq!(c.force_resize(Fault::Promote), Ok(false));
        assert_eq!(c.force_resize(Fault::Evacuate), Ok(false));
        assert_eq!(c.force_resize(Fault::SameSizeGrow), Ok(true));
        assert_eq!(c.force_resize(Fault::Grow), Ok(false)); // already growing
        assert_eq!(c.force_resize(Fault::Evacuate), Ok(true));
        assert!(c.check_invariants().is_empty());
    }
}
