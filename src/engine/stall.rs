//! The scheduler's watchdog: never a silent hang.
//!
//! Under the scheduler every logical thread runs on the calling OS thread. A
//! backend that blocks that thread where the scheduler cannot see it — a
//! `std` lock another logical thread holds across a scheduling point, a
//! blocking call, a loop with no yield point — would hang the process with
//! no output. A monitor thread (one per process, started by the first sched
//! execution) reads every running execution's [`Heartbeat`] four times a
//! second; one that has not moved for [`QUIET_READS`] reads in a row (at
//! least [`STALL`]) makes the process print one line naming the likely cause
//! and exit with code 2. Counting reads, not wall time, keeps a process that
//! was stopped and resumed from being taken for a stall.
//!
//! Exiting is all that can be done: the blocked thread is the caller's own,
//! and nothing releases a `std` lock from outside. It is not a finding about
//! the map (under real threads such a lock only waits): the backend cannot
//! be explored by the scheduler as it is, so the line says how to fix that.
//! Watching costs one relaxed atomic add per yield point and a short lock to
//! enter and leave the watch list per execution; the execution itself stays
//! on the caller's thread.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::sched::{Heartbeat, STALL};

/// How often the monitor reads the heartbeats.
const READ_EVERY: Duration = Duration::from_millis(250);

/// Reads in a row without a beat that make a stall: [`STALL`] at
/// [`READ_EVERY`].
const QUIET_READS: u32 = (STALL.as_millis() / READ_EVERY.as_millis()) as u32;

/// The line a stalled execution ends the process with (after `chaos: `).
pub fn stalled_line(what: &str, thread: usize, op: u32) -> String {
    format!(
        "the backend blocked the scheduler's thread outside chaos::sync — a std lock? \
         ({what}: logical thread {thread}, op {op}, no scheduling point for {} s); take the \
         backend's locks and atomics from chaos::sync, or run it with --mode stress",
        STALL.as_secs()
    )
}

/// One execution being watched.
struct Entry {
    id: u64,
    heartbeat: Arc<Heartbeat>,
    /// Each logical thread's current op.
    ops: Arc<[AtomicU32]>,
    /// The backend and seed, for the line.
    what: String,
    /// The beats at the last read, and the reads since they last changed.
    seen: u64,
    quiet: u32,
}

#[derive(Default)]
struct Watched {
    next_id: u64,
    entries: Vec<Entry>,
}

fn watched() -> &'static Mutex<Watched> {
    static WATCHED: OnceLock<Mutex<Watched>> = OnceLock::new();
    static MONITOR: OnceLock<()> = OnceLock::new();
    let w = WATCHED.get_or_init(Mutex::default);
    MONITOR.get_or_init(|| {
        std::thread::Builder::new()
            .name("chaos-stall-watch".into())
            .spawn(|| loop {
                std::thread::sleep(READ_EVERY);
                read_all(watched());
            })
            .expect("spawning the scheduler's watchdog");
    });
    w
}

/// One read of every heartbeat; exits the process on a stall.
fn read_all(w: &Mutex<Watched>) {
    let mut w = w.lock().unwrap_or_else(|p| p.into_inner());
    for e in &mut w.entries {
        let beats = e.heartbeat.beats();
        if beats != e.seen {
            (e.seen, e.quiet) = (beats, 0);
            continue;
        }
        e.quiet += 1;
        if e.quiet >= QUIET_READS {
            let thread = e.heartbeat.running();
            let op = e.ops.get(thread).map_or(0, |o| o.load(Ordering::Relaxed));
            eprintln!("chaos: {}", stalled_line(&e.what, thread, op));
            std::process::exit(2);
        }
    }
}

/// Watches an execution until the guard drops.
#[must_use = "the execution is watched until the guard drops"]
pub struct Watch {
    id: u64,
}

/// Starts watching `heartbeat`; `ops` holds each logical thread's current
/// op, and `what` names the run (backend and seed) in the line.
pub fn watch(heartbeat: Arc<Heartbeat>, ops: Arc<[AtomicU32]>, what: String) -> Watch {
    let mut w = watched().lock().unwrap_or_else(|p| p.into_inner());
    w.next_id += 1;
    let id = w.next_id;
    let seen = heartbeat.beats();
    w.entries.push(Entry {
        id,
        heartbeat,
        ops,
        what,
        seen,
        quiet: 0,
    });
    Watch { id }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut w = watched().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = w.entries.iter().position(|e| e.id == self.id) {
            w.entries.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beating_execution_is_never_taken_for_a_stall() {
        // The monitor would exit this test process on a stall, so reading
        // (on this thread) while the heartbeat moves must leave it running.
        let hb = Arc::new(Heartbeat::default());
        let ops: Arc<[AtomicU32]> = Arc::from(vec![AtomicU32::new(0)]);
        let _w = watch(hb.clone(), ops, "test".into());
        for _ in 0..3 * QUIET_READS {
            hb.beat();
            read_all(watched());
        }
        assert_eq!(QUIET_READS, 4);
    }
}
