//! Bad usage as the one line every bad input gets (exit code 2): the flag
//! or argument, the value, and what is allowed, with clap's suggestion on
//! the same line, then where the help is. clap's own rendering is several
//! lines (usage, tips), and its first line alone loses the key part
//! (which argument is missing, which values are possible). A negative
//! number given to an option is that option's value
//! ([`negatives_as_values`]), so it meets the option's own check.

use std::error::Error as _;
use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command};

/// `args` (program name first) with every value that starts with a minus
/// and a digit or a dot joined to the option before it that takes a value:
/// `--resize-rate -0.1`, `--threads -1`, `--time-budget -5s` and `--shard
/// -1/4` become `--resize-rate=-0.1`, ..., so clap passes the value on to
/// the option's parser and the range check, which say what is allowed,
/// instead of taking it for an unknown flag `-0`.
pub fn negatives_as_values(cmd: &Command, args: Vec<OsString>) -> Vec<OsString> {
    let sub = args
        .get(1)
        .and_then(|a| cmd.find_subcommand(a))
        .unwrap_or(cmd);
    let takes_value = |token: &OsString| {
        token
            .to_str()
            .and_then(|t| t.strip_prefix("--"))
            .is_some_and(|long| {
                sub.get_arguments()
                    .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
            })
    };
    let looks_negative = |token: &OsString| {
        token
            .to_str()
            .and_then(|t| t.strip_prefix('-'))
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
    };
    let mut out = Vec::with_capacity(args.len());
    let mut rest = args.into_iter().peekable();
    while let Some(token) = rest.next() {
        if token == "--" {
            out.push(token);
            out.extend(rest);
            break;
        }
        if takes_value(&token) {
            if let Some(value) = rest.next_if(looks_negative) {
                let mut joined = token;
                joined.push("=");
                joined.push(value);
                out.push(joined);
                continue;
            }
        }
        out.push(token);
    }
    out
}

/// A context string of `e`.
fn text(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    }
}

/// `--threads <THREADS>` as a user types it: `--threads`.
fn flag(arg: &str) -> &str {
    match arg.split_once(' ') {
        Some((f, _)) if f.starts_with('-') => f,
        _ => arg,
    }
}

/// The subcommand an error is about, as a path (`["chaos", "run"]`): the
/// first word of `args` (the command line, program name first), when it
/// names one.
fn command_path(cmd: &Command, args: &[OsString]) -> Vec<String> {
    let mut path = vec![cmd.get_name().to_string()];
    if let Some(sub) = args.get(1).and_then(|a| cmd.find_subcommand(a)) {
        path.push(sub.get_name().to_string());
    }
    path
}

/// `'run'` or `'run', 'hunt'`.
fn quoted(v: &ContextValue) -> Option<(String, usize)> {
    match v {
        ContextValue::String(s) => Some((format!("'{s}'"), 1)),
        ContextValue::Strings(v) if !v.is_empty() => Some((
            v.iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", "),
            v.len(),
        )),
        _ => None,
    }
}

/// The argument `arg` (`--threads <THREADS>`, `<FILE>...`) of the command
/// at `path`.
fn find_arg<'a>(cmd: &'a Command, path: &[String], arg: &str) -> Option<&'a Arg> {
    let cmd = path
        .iter()
        .skip(1)
        .try_fold(cmd, |c, name| c.find_subcommand(name))?;
    let f = flag(arg);
    cmd.get_arguments().find(|a| match f.strip_prefix("--") {
        Some(long) => a.get_long() == Some(long),
        None => a
            .get_value_names()
            .is_some_and(|n| n.iter().any(|n| f.contains(n.as_str()))),
    })
}

/// The first line of an argument's help: what it takes.
fn help_of(cmd: &Command, path: &[String], arg: &str) -> Option<String> {
    let help = find_arg(cmd, path, arg)?.get_help()?.to_string();
    let first = help.lines().next().unwrap_or(&help);
    Some(first.trim().trim_end_matches('.').to_string())
}

/// `e` as one line, without the `chaos: ` prefix. `cmd` is the grammar
/// that raised it (`Cli::command()`) and `args` the command line it parsed
/// (program name first), for the help of the argument at fault and the
/// list of subcommands.
pub fn one_line(e: &clap::Error, cmd: &Command, args: &[OsString]) -> String {
    let path = command_path(cmd, args);
    let arg = text(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = text(e, ContextKind::InvalidValue).unwrap_or_default();
    let help = || help_of(cmd, &path, &arg);
    let mut line = match e.kind() {
        ErrorKind::InvalidValue if value.is_empty() => {
            let takes = match text(e, ContextKind::ValidValue).filter(|v| !v.is_empty()) {
                Some(v) => format!("possible values: {v}"),
                None => help().unwrap_or_else(|| "see its help".into()),
            };
            format!("{} needs a value: {takes}", flag(&arg))
        }
        ErrorKind::InvalidValue => {
            let valid = text(e, ContextKind::ValidValue).unwrap_or_default();
            format!(
                "{} {value}: invalid value; possible values: {valid}",
                flag(&arg)
            )
        }
        ErrorKind::ValueValidation => {
            let why = e
                .source()
                .map_or_else(|| "invalid value".to_string(), |s| s.to_string());
            // A plain number's parse error says nothing of what is allowed.
            let why = match why.as_str() {
                "invalid digit found in string" | "cannot parse integer from empty string" => {
                    match help() {
                        Some(h) => format!("expected a whole number ({h})"),
                        None => "expected a whole number".into(),
                    }
                }
                _ => why,
            };
            format!("{} {value}: {why}", flag(&arg))
        }
        ErrorKind::MissingRequiredArgument => {
            // A missing positional is told what it is; a missing flag
            // (one another requires) needs no more than its name.
            let what = match help() {
                Some(h) if arg.starts_with('<') && !arg.contains(", ") => format!(" ({h})"),
                _ => String::new(),
            };
            format!("missing required argument: {arg}{what}")
        }
        ErrorKind::UnknownArgument => format!("unexpected argument '{arg}' found"),
        ErrorKind::InvalidSubcommand => {
            let sub = text(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("unrecognized subcommand '{sub}'")
        }
        ErrorKind::TooManyValues => {
            format!("{} takes no value, got '{value}'", flag(&arg))
        }
        _ => {
            // The rest (conflicts, ...) are one line in clap's words, with
            // any list it puts on the lines below.
            let rendered = e.render().to_string();
            let mut lines = rendered.lines().map(str::trim);
            let first = lines.next().unwrap_or("bad usage");
            let first = first.strip_prefix("error: ").unwrap_or(first).to_string();
            let list: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
            match list.is_empty() {
                true => first,
                false => format!("{first} {}", list.join(", ")),
            }
        }
    };
    // clap's suggestions, on the same line.
    for (kind, what) in [
        (ContextKind::SuggestedSubcommand, "subcommand"),
        (ContextKind::SuggestedArg, "argument"),
        (ContextKind::SuggestedValue, "value"),
    ] {
        match e.get(kind).and_then(quoted) {
            Some((s, 1)) => line.push_str(&format!("; a similar {what} exists: {s}")),
            Some((s, _)) => line.push_str(&format!("; similar {what}s exist: {s}")),
            None => {}
        }
    }
    if let Some(tip) = text(e, ContextKind::Suggested).filter(|t| !t.trim().is_empty()) {
        line.push_str(&format!("; tip: {tip}"));
    }
    if e.kind() == ErrorKind::InvalidSubcommand {
        let subs: Vec<&str> = cmd.get_subcommands().map(Command::get_name).collect();
        line.push_str(&format!("; the subcommands are {}", subs.join(", ")));
    }
    // A value error says what is allowed; the others point at the help.
    match e.kind() {
        ErrorKind::ValueValidation => line,
        ErrorKind::InvalidValue if !value.is_empty() => line,
        _ => format!("{line} (see `{} --help`)", path.join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::args::Cli;

    fn command() -> Command {
        Cli::command()
    }

    fn line(args: &[&str]) -> String {
        let cmd = command();
        let argv: Vec<OsString> = std::iter::once("chaos")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        let e = cmd
            .clone()
            .try_get_matches_from(negatives_as_values(&cmd, argv.clone()))
            .unwrap_err();
        one_line(&e, &cmd, &argv)
    }

    #[test]
    fn each_kind_of_bad_usage_is_one_line_with_its_key_part() {
        let cases: [(&[&str], &[&str]); 8] = [
            (&["replay"], &["<FILE>", "chaos replay --help"]),
            (
                &["run", "--mode", "fast"],
                &["--mode fast", "stress, sched"],
            ),
            (&["run", "--thread", "2"], &["'--thread'", "'--threads'"]),
            (
                &["run", "--threads"],
                &["--threads needs a value", "1 to 1024"],
            ),
            (&["hun"], &["'hun'", "'hunt'", "replay"]),
            (&["run", "--json=3"], &["--json takes no value"]),
            (
                &["hunt", "--jobs", "x"],
                &["--jobs x", "whole number", "256"],
            ),
            (
                &["run", "--seed", "1", "--seed", "2"],
                &["--seed", "multiple times"],
            ),
        ];
        for (args, says) in cases {
            let l = line(args);
            assert!(!l.contains('\n'), "{args:?}: {l}");
            for s in says {
                assert!(l.contains(s), "{args:?}: {l:?} lacks {s:?}");
            }
        }
    }

    #[test]
    fn a_value_that_starts_with_a_minus_and_a_digit_is_a_value() {
        let cmd = command();
        let argv = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        let joined = negatives_as_values(
            &cmd,
            argv(&[
                "chaos",
                "hunt",
                "--resize-rate",
                "-0.1",
                "--shard",
                "-1/4",
                "--json",
                "--seeds",
                "-.5",
                "--",
                "--threads",
                "-1",
            ]),
        );
        assert_eq!(
            joined,
            argv(&[
                "chaos",
                "hunt",
                "--resize-rate=-0.1",
                "--shard=-1/4",
                "--json",
                "--seeds=-.5",
                "--",
                "--threads",
                "-1"
            ])
        );
        // A flag that takes no value, and a value that is a flag, stay.
        let kept = argv(&["chaos", "run", "--json", "-1", "--backend", "--threads"]);
        assert_eq!(negatives_as_values(&cmd, kept.clone()), kept);
        let m = cmd
            .try_get_matches_from(negatives_as_values(
                &command(),
                argv(&["chaos", "run", "--resize-rate", "-1e-3"]),
            ))
            .unwrap();
        let (_, sub) = m.subcommand().unwrap();
        assert_eq!(sub.get_one::<f64>("resize_rate"), Some(&-1e-3));
    }
}
