//! What a target's stderr says: the goroutine each workload thread ran on,
//! the panics it recovered, and how the Go runtime ended it.

use std::collections::BTreeMap;

/// How the Go runtime ended a process, from its stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Death {
    /// `fatal error: MESSAGE`: a throw (`concurrent map writes`, ...).
    Fatal {
        /// The text after `fatal error: `.
        message: String,
        /// The goroutine whose traceback follows it.
        goroutine: Option<u64>,
    },
    /// `panic: MESSAGE` that nothing recovered.
    Panic {
        /// The text after `panic: `.
        message: String,
        /// The goroutine whose traceback follows it.
        goroutine: Option<u64>,
    },
}

/// Go's message when every goroutine is blocked.
pub(super) const DEADLOCK: &str = "all goroutines are asleep - deadlock!";

/// A target's stderr, read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Stderr {
    /// `chaos-target: thread T goroutine G`: goroutine → thread.
    pub goroutines: BTreeMap<u64, u32>,
    /// `chaos-target: panic: thread T op I: MESSAGE`.
    pub panics: BTreeMap<(u32, u32), String>,
    /// The runtime's fatal error or unrecovered panic, if it printed one.
    pub death: Option<Death>,
}

impl Stderr {
    /// Reads a target's stderr.
    pub(super) fn parse(text: &str) -> Stderr {
        let mut out = Stderr::default();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.strip_prefix("chaos-target: thread ") {
                let mut w = rest.split_whitespace();
                if let (Some(t), Some("goroutine"), Some(g)) = (w.next(), w.next(), w.next()) {
                    if let (Ok(t), Ok(g)) = (t.parse(), g.parse()) {
                        out.goroutines.insert(g, t);
                    }
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("chaos-target: panic: thread ") {
                // `T op I: MESSAGE`
                let parsed = rest.split_once(": ").and_then(|(at, msg)| {
                    let (t, i) = at.split_once(" op ")?;
                    Some(((t.parse().ok()?, i.parse().ok()?), msg.to_string()))
                });
                if let Some((at, msg)) = parsed {
                    out.panics.entry(at).or_insert(msg);
                }
                continue;
            }
            if out.death.is_some() {
                continue;
            }
            let (fatal, message) = if let Some(m) = line.strip_prefix("fatal error: ") {
                (true, m)
            } else if let Some(m) = line.strip_prefix("panic: ") {
                (false, m)
            } else {
                continue;
            };
            let message = message.trim().to_string();
            // The traceback of the goroutine that threw comes next:
            // `goroutine 7 [running]:` (after a blank line, and for a
            // signal after `[signal ...]` lines).
            let mut goroutine = None;
            while let Some(next) = lines.peek() {
                if let Some(rest) = next.strip_prefix("goroutine ") {
                    goroutine = rest.split_whitespace().next().and_then(|g| g.parse().ok());
                    break;
                }
                if next.starts_with("fatal error: ") || next.starts_with("panic: ") {
                    break;
                }
                lines.next();
            }
            out.death = Some(if fatal {
                Death::Fatal { message, goroutine }
            } else {
                Death::Panic { message, goroutine }
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_throw_names_its_goroutine_and_thread() {
        let text = "chaos-target: thread 0 goroutine 18\n\
            chaos-target: thread 1 goroutine 19\n\
            fatal error: concurrent map writes\n\
            \n\
            goroutine 19 [running]:\n\
            internal/runtime/maps.fatal({0x4c6b53?, 0x0?})\n\
            \t/usr/local/go/src/runtime/panic.go:1181 +0x18\n\
            \n\
            goroutine 1 [semacquire]:\n";
        let s = Stderr::parse(text);
        assert_eq!(s.goroutines.get(&19), Some(&1));
        assert_eq!(
            s.death,
            Some(Death::Fatal {
                message: "concurrent map writes".into(),
                goroutine: Some(19)
            })
        );
    }

    #[test]
    fn recovered_panics_and_an_unrecovered_one_are_told_apart() {
        let text = "chaos-target: panic: thread 2 op 7: boom: index 3\n\
            panic: oh no [recovered]\n\
            \n\
            goroutine 5 [running]:\n";
        let s = Stderr::parse(text);
        assert_eq!(
            s.panics.get(&(2, 7)).map(String::as_str),
            Some("boom: index 3")
        );
        assert_eq!(
            s.death,
            Some(Death::Panic {
                message: "oh no [recovered]".into(),
                goroutine: Some(5)
            })
        );
        assert_eq!(Stderr::parse("").death, None);
    }

    #[test]
    fn a_signal_throw_skips_the_signal_lines() {
        let text = "fatal error: unexpected signal during runtime execution\n\
            [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x0]\n\
            \n\
            goroutine 33 gp=0xc000 m=4 mp=0xc000 [running]:\n";
        assert_eq!(
            Stderr::parse(text).death,
            Some(Death::Fatal {
                message: "unexpected signal during runtime execution".into(),
                goroutine: Some(33)
            })
        );
    }
}
