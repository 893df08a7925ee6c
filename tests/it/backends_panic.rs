//! A user backend that panics leaves nothing poisoned: the crate's locks,
//! and the built-in backends that use them, keep working afterwards. (The
//! engine catches backend panics and records them as findings.)

use std::panic::{catch_unwind, AssertUnwindSafe};

use chaos::maps::gomap::GoMap;
use chaos::maps::{registry, ChaosMap, Key, OpResult, Value};
use chaos::sync::{Mutex, RwLock};

/// A user's wrapper with a bug that panics while holding both kinds of lock.
struct Panicky {
    m: Mutex<GoMap>,
    rw: RwLock<u64>,
}

impl ChaosMap for Panicky {
    fn load(&self, key: Key) -> OpResult<Option<Value>> {
        let _r = self.rw.read();
        self.m.lock().get(key)
    }
    fn store(&self, key: Key, value: Value) -> OpResult<()> {
        let mut w = self.rw.write();
        let m = self.m.lock();
        m.insert(key, value)?;
        *w += 1;
        if key == 13 {
            panic!("user backend bug: unlucky key");
        }
        Ok(())
    }
    fn delete(&self, key: Key) -> OpResult<()> {
        self.m.lock().remove(key)
    }
    fn load_or_store(&self, _: Key, _: Value) -> OpResult<(Value, bool)> {
        unimplemented!()
    }
    fn load_and_delete(&self, _: Key) -> OpResult<Option<Value>> {
        unimplemented!()
    }
    fn swap(&self, _: Key, _: Value) -> OpResult<Option<Value>> {
        unimplemented!()
    }
    fn compare_and_swap(&self, _: Key, _: Value, _: Value) -> OpResult<bool> {
        unimplemented!()
    }
    fn compare_and_delete(&self, _: Key, _: Value) -> OpResult<bool> {
        unimplemented!()
    }
    fn range(&self, f: &mut dyn FnMut(Key, Value) -> bool) -> OpResult<()> {
        let m = self.m.lock();
        for kv in m.iter() {
            let (k, v) = kv?;
            if !f(k, v) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&self) -> OpResult<()> {
        self.m.lock().clear()
    }
}

#[test]
fn a_panicking_user_backend_poisons_nothing() {
    let map = Panicky {
        m: Mutex::new(GoMap::new(1)),
        rw: RwLock::new(0),
    };
    map.store(1, 10).unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| map.store(13, 130)));
    assert!(caught.is_err(), "the store panicked");
    // Both locks were held by the panicking call; both work again, here
    // and from another thread.
    assert_eq!(map.load(1).unwrap(), Some(10));
    assert_eq!(map.load(13).unwrap(), Some(130));
    map.store(2, 20).unwrap();
    // The data is what the panicking call left (its increment included).
    assert_eq!(*map.rw.read(), 3);
    std::thread::scope(|s| {
        s.spawn(|| map.store(3, 30).unwrap());
    });
    assert_eq!(map.load(3).unwrap(), Some(30));
}

#[test]
fn a_panicking_range_callback_leaves_the_builtins_usable() {
    for name in ["rwmutex", "syncmap", "mutant-check-then-act"] {
        let map = registry::lookup(name).unwrap().build(2);
        map.store(1, 10).unwrap();
        map.store(2, 20).unwrap();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            map.range(&mut |_, _| panic!("callback bug"))
        }));
        assert!(caught.is_err(), "{name}");
        // The read lock (rwmutex) or the read view (syncmap) was released.
        map.store(3, 30).unwrap();
        assert_eq!(map.swap(1, 11).unwrap(), Some(10), "{name}");
        assert_eq!(map.load(3).unwrap(), Some(30), "{name}");
        assert_eq!(map.check_invariants(), vec![], "{name}");
    }
}
