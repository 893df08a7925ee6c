//! The bytes between `chaos` and a target (`go/PROTOCOL.md`): the request
//! it writes, and the events, range and final-state files it reads back.

use std::collections::BTreeMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::history::{Event, History};
use crate::op::{Op, Ret};
use crate::scenario::{Perturb, Scenario};
use crate::seed::{Seed, Stream};
use crate::workload::{prefill_value, Workload};

/// The request, as JSON.
#[derive(Serialize)]
pub(super) struct Request<'a> {
    protocol: u32,
    map: &'a str,
    gomaxprocs: u32,
    prefill: Vec<[u64; 2]>,
    threads: Vec<Vec<[u64; 4]>>,
    perturb: Vec<Vec<u32>>,
    events: String,
}

impl<'a> Request<'a> {
    /// The request that runs `workload` on the target's map `map`, with the
    /// scenario's prefill and a perturbation plan drawn from the seed.
    pub(super) fn new(
        map: &'a str,
        scenario: &Scenario,
        seed: Seed,
        workload: &Workload,
        events: &Path,
    ) -> Self {
        Request {
            perturb: plan(scenario.stress.perturb, seed, workload),
            events: events.display().to_string(),
            ..Request::bench(map, scenario, workload)
        }
    }
}

impl<'a> Request<'a> {
    /// The request `TARGET bench` runs: the same ops and prefill as
    /// [`Request::new`]'s, no perturbation, no events file.
    pub(super) fn bench(map: &'a str, scenario: &Scenario, workload: &Workload) -> Self {
        Request {
            protocol: super::PROTOCOL,
            map,
            gomaxprocs: 0,
            prefill: (0..scenario.prefill)
                .map(|k| [k, prefill_value(k)])
                .collect(),
            threads: workload
                .threads
                .iter()
                .map(|ops| ops.iter().map(encode).collect())
                .collect(),
            perturb: Vec::new(),
            events: String::new(),
        }
    }
}

/// An op as `[kind, key, a, b]`.
fn encode(op: &Op) -> [u64; 4] {
    match *op {
        Op::Load { key } => [0, key, 0, 0],
        Op::Store { key, value } => [1, key, value, 0],
        Op::Delete { key } => [2, key, 0, 0],
        Op::LoadOrStore { key, value } => [3, key, value, 0],
        Op::LoadAndDelete { key } => [4, key, 0, 0],
        Op::Swap { key, value } => [5, key, value, 0],
        Op::CompareAndSwap { key, old, new } => [6, key, old, new],
        Op::CompareAndDelete { key, old } => [7, key, old, 0],
        Op::Range { limit } => [8, 0, u64::from(limit), 0],
        Op::Clear => [9, 0, 0, 0],
        Op::Len => [10, 0, 0, 0],
    }
}

/// The perturbation plan: for each thread, one step per op, from the
/// thread's own perturbation stream, in the proportions stress mode uses
/// at its yield points: `spin`, one op in four after a spin of up to 512
/// adds; `yield`, one op in eight after `runtime.Gosched()`.
fn plan(perturb: Perturb, seed: Seed, workload: &Workload) -> Vec<Vec<u32>> {
    if perturb == Perturb::None {
        return Vec::new();
    }
    workload
        .threads
        .iter()
        .enumerate()
        .map(|(t, ops)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed.derive(Stream::Perturb(t as u32)));
            ops.iter()
                .map(|_| {
                    let r: u32 = rng.random();
                    match perturb {
                        Perturb::Spin if r & 3 == 0 => 2 + (r >> 23),
                        Perturb::Yield if r & 7 == 0 => 1,
                        _ => 0,
                    }
                })
                .collect()
        })
        .collect()
}

const MAGIC: &[u8; 8] = b"CHAOSEV1";
const HEADER: usize = 16;
const RECORD: usize = 32;
const FLAG_OK: u64 = 1;
const FLAG_UNSUPPORTED: u64 = 1 << 61;
const FLAG_PANICKED: u64 = 1 << 62;

/// One op's record as read back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Record {
    pub invoke: u64,
    pub ret: u64,
    pub a: u64,
    pub b: u64,
}

impl Record {
    /// Whether the op panicked (its message is on stderr).
    pub(super) fn panicked(&self) -> bool {
        self.ret != 0 && self.b & FLAG_PANICKED != 0
    }
}

/// Reads the events file: each thread's records (as many as the target
/// recorded, which is every op's slot; unstarted ones are zero).
pub(super) fn read_events(path: &Path, threads: usize) -> Result<Vec<Vec<Record>>, String> {
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let word = |at: usize| -> Result<u64, String> {
        b.get(at..at + 8)
            .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
            .ok_or_else(|| format!("{}: cut short at byte {at}", path.display()))
    };
    if b.len() < HEADER || &b[..8] != MAGIC {
        return Err(format!("{}: not an events file", path.display()));
    }
    let t = u32::from_le_bytes(b[12..16].try_into().expect("4 bytes")) as usize;
    if t != threads {
        return Err(format!(
            "{}: {t} threads recorded, {threads} asked for",
            path.display()
        ));
    }
    let mut at = HEADER + 8 * t;
    let mut out = Vec::with_capacity(t);
    for i in 0..t {
        let n = word(HEADER + 8 * i)? as usize;
        let mut recs = Vec::with_capacity(n);
        for _ in 0..n {
            recs.push(Record {
                invoke: word(at)?,
                ret: word(at + 8)?,
                a: word(at + 16)?,
                b: word(at + 24)?,
            });
            at += RECORD;
        }
        out.push(recs);
    }
    Ok(out)
}

/// Reads `count` (key, value) pairs from `at` in a thread's range file.
fn range_entries(file: &[u8], at: u64, count: u64) -> Option<Vec<(u64, u64)>> {
    let start = usize::try_from(at).ok()?.checked_mul(16)?;
    let end = start.checked_add(usize::try_from(count).ok()?.checked_mul(16)?)?;
    let bytes = file.get(start..end)?;
    Some(
        bytes
            .chunks_exact(16)
            .map(|c| {
                (
                    u64::from_le_bytes(c[..8].try_into().expect("8 bytes")),
                    u64::from_le_bytes(c[8..].try_into().expect("8 bytes")),
                )
            })
            .collect(),
    )
}

/// What the events say about one run.
pub(super) struct Recorded {
    /// The history (stamps in nanoseconds since the run began).
    pub history: History,
    /// Each op's record, by thread.
    pub records: Vec<Vec<Record>>,
}

/// The history of a run from its records and range files. An op whose
/// record has an invoke stamp and no return stamp was in flight when the
/// process ended: it is pending. `panics` gives a panicked op's message.
pub(super) fn history(
    events: &Path,
    workload: &Workload,
    has_len: bool,
    panics: &BTreeMap<(u32, u32), String>,
) -> Result<Recorded, String> {
    let records = read_events(events, workload.threads.len())?;
    for (t, (recs, ops)) in records.iter().zip(&workload.threads).enumerate() {
        if recs.len() != ops.len() {
            return Err(format!(
                "{}: thread {t} has {} records for {} ops",
                events.display(),
                recs.len(),
                ops.len()
            ));
        }
    }
    let mut stamped: Vec<(u64, u8, u32, u32, Event)> = Vec::new();
    for (t, (recs, ops)) in records.iter().zip(&workload.threads).enumerate() {
        let thread = t as u32;
        let ranges = std::fs::read(format!("{}.range{t}", events.display())).unwrap_or_default();
        // A thread's next op is stamped after its previous one returned;
        // at a clock's equal reading it is still after it.
        let mut floor = 0u64;
        for (i, (rec, op)) in recs.iter().zip(ops).enumerate() {
            if rec.invoke == 0 {
                break;
            }
            let index = i as u32;
            let invoke = (rec.invoke - 1).max(floor);
            stamped.push((
                invoke,
                0,
                thread,
                index,
                Event::Invoke {
                    thread,
                    index,
                    op: *op,
                    time: invoke,
                },
            ));
            if rec.ret == 0 {
                break;
            }
            let ret_time = (rec.ret - 1).max(invoke + 1);
            floor = ret_time + 1;
            let ret = if rec.panicked() && !unsupported(op, has_len) {
                Ret::Panic(
                    panics
                        .get(&(thread, index))
                        .cloned()
                        .unwrap_or_else(|| "panicked (no message on stderr)".into()),
                )
            } else {
                decode(op, rec, has_len, &ranges).ok_or_else(|| {
                    format!(
                        "{}: thread {t} op {i}: a range beyond its file",
                        events.display()
                    )
                })?
            };
            stamped.push((
                ret_time,
                1,
                thread,
                index,
                Event::Return {
                    thread,
                    index,
                    ret,
                    time: ret_time,
                },
            ));
        }
    }
    // At one reading of the clock an invoke goes first: two ops with equal
    // stamps are taken to overlap, which is what the stamps allow.
    stamped.sort_by_key(|s| (s.0, s.1, s.2, s.3));
    Ok(Recorded {
        history: History {
            events: stamped.into_iter().map(|s| s.4).collect(),
        },
        records,
    })
}

/// Whether `op` is one the map does not have: `Len` on a map without it,
/// which the target answers as unsupported (bit 61).
pub(super) fn unsupported(op: &Op, has_len: bool) -> bool {
    matches!(op, Op::Len) && !has_len
}

/// An op's result from its record.
fn decode(op: &Op, rec: &Record, has_len: bool, ranges: &[u8]) -> Option<Ret> {
    let found = rec.b & FLAG_OK != 0;
    Some(match op {
        Op::Load { .. } | Op::LoadAndDelete { .. } | Op::Swap { .. } => {
            Ret::Value(found.then_some(rec.a))
        }
        Op::LoadOrStore { .. } => Ret::LoadOrStore {
            actual: rec.a,
            loaded: found,
        },
        Op::CompareAndSwap { .. } | Op::CompareAndDelete { .. } => Ret::Bool(found),
        Op::Range { .. } => Ret::Entries(range_entries(ranges, rec.a, rec.b >> 1)?),
        Op::Len if has_len && rec.b & FLAG_UNSUPPORTED == 0 => {
            Ret::Len(usize::try_from(rec.a).ok()?)
        }
        Op::Len => Ret::Unsupported,
        Op::Store { .. } | Op::Delete { .. } | Op::Clear => Ret::Unit,
    })
}

/// The map at the end of a completed run (`EVENTS.final`): its `len`, if
/// it has one, and every key the run touched that was found.
pub(super) fn read_final(events: &Path) -> Result<(Option<usize>, BTreeMap<u64, u64>), String> {
    let path = format!("{}.final", events.display());
    let b = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let word = |at: usize| {
        b.get(at..at + 8)
            .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
            .ok_or_else(|| format!("{path}: cut short at byte {at}"))
    };
    let len = word(0)?;
    let n = word(8)? as usize;
    let mut contents = BTreeMap::new();
    for i in 0..n {
        contents.insert(word(16 + 16 * i)?, word(24 + 16 * i)?);
    }
    let len = (len != u64::MAX).then(|| usize::try_from(len).unwrap_or(usize::MAX));
    Ok((len, contents))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_events(path: &Path, threads: &[Vec<[u64; 4]>]) {
        let mut b = MAGIC.to_vec();
        b.extend(1u32.to_le_bytes());
        b.extend((threads.len() as u32).to_le_bytes());
        for t in threads {
            b.extend((t.len() as u64).to_le_bytes());
        }
        for t in threads {
            for r in t {
                for w in r {
                    b.extend(w.to_le_bytes());
                }
            }
        }
        std::fs::write(path, b).unwrap();
    }

    #[test]
    fn records_become_a_history_with_the_op_in_flight_pending() {
        let dir = tempfile::tempdir().unwrap();
        let events = dir.path().join("events");
        write_events(
            &events,
            &[
                vec![[1, 11, 0, 0], [21, 0, 0, 0]],
                vec![[5, 9, 0x77, FLAG_OK], [12, 0, 0, 0]],
            ],
        );
        let workload = Workload {
            threads: vec![
                vec![
                    Op::Store {
                        key: 1,
                        value: 0x77,
                    },
                    Op::Store { key: 2, value: 5 },
                ],
                vec![Op::Load { key: 1 }, Op::Load { key: 2 }],
            ],
        };
        let rec = history(&events, &workload, true, &BTreeMap::new()).unwrap();
        let ops = rec.history.operations();
        assert_eq!(ops.len(), 4);
        // Thread 0's store returned at 10; thread 1's load ran 4..8.
        assert_eq!(ops[0].invoke, 0);
        assert_eq!(ops[1].ret, Some((8, Ret::Value(Some(0x77)))));
        // Thread 1's second load and thread 0's second store never returned.
        assert!(ops.iter().filter(|o| o.ret.is_none()).count() == 2);
    }

    #[test]
    fn a_short_or_foreign_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let events = dir.path().join("events");
        std::fs::write(&events, b"CHAOSEV1\x01\0\0\0\x01\0\0\0\x05").unwrap();
        assert!(read_events(&events, 1).unwrap_err().contains("cut short"));
        std::fs::write(&events, b"hello").unwrap();
        assert!(read_events(&events, 1)
            .unwrap_err()
            .contains("not an events file"));
    }

    #[test]
    fn the_plan_is_seeded_and_empty_without_perturbation() {
        let w = Workload {
            threads: vec![vec![Op::Clear; 64]; 2],
        };
        assert!(plan(Perturb::None, Seed(1), &w).is_empty());
        let a = plan(Perturb::Spin, Seed(1), &w);
        assert_eq!(a, plan(Perturb::Spin, Seed(1), &w));
        assert_ne!(a, plan(Perturb::Spin, Seed(2), &w));
        let spun = a[0].iter().filter(|&&p| p > 1).count();
        assert!((4..40).contains(&spun), "{spun} of 64");
        let y = plan(Perturb::Yield, Seed(1), &w);
        assert!(y.iter().flatten().all(|&p| p <= 1));
    }
}
