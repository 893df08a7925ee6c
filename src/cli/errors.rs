//! Bad usage as the one line every bad input gets (exit code 2): the flag
//! or argument, the value, and what is allowed, with clap's suggestion on
//! the same line, then where the help is. clap's own rendering is several
//! lines (usage, tips), and its first line alone loses the key part
//! (which argument is missing, which values are possible).

use std::error::Error as _;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command, CommandFactory};

use super::args::Cli;

/// The command line's grammar: [`Cli`], with every option that takes a
/// value taking a negative number as that value (`--resize-rate -0.1`,
/// `--threads -1`), so that it reaches the range check and is reported as
/// out of range, not as an unknown flag `-0`.
pub fn command() -> Command {
    fn negatives(cmd: Command) -> Command {
        cmd.mut_args(|a| {
            if a.get_action().takes_values() {
                a.allow_negative_numbers(true)
            } else {
                a
            }
        })
        .mut_subcommands(negatives)
    }
    negatives(Cli::command())
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
fn command_path(cmd: &Command, args: &[String]) -> Vec<String> {
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

/// The first sentence of an argument's help: what it takes.
fn help_of(cmd: &Command, path: &[String], arg: &str) -> Option<String> {
    let help = find_arg(cmd, path, arg)?.get_help()?.to_string();
    let first = help.split(". ").next().unwrap_or(&help);
    Some(first.trim().trim_end_matches('.').to_string())
}

/// `e` as one line, without the `chaos: ` prefix. `cmd` is the grammar
/// that raised it ([`command`]) and `args` the command line it parsed
/// (program name first), for the help of the argument at fault and the
/// list of subcommands.
pub fn one_line(e: &clap::Error, cmd: &Command, args: &[String]) -> String {
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
            let what = match help() {
                Some(h) if !arg.contains(", ") => format!(" ({h})"),
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
    use super::*;

    fn line(args: &[&str]) -> String {
        let cmd = command();
        let argv: Vec<String> = std::iter::once("chaos")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        let e = cmd.clone().try_get_matches_from(&argv).unwrap_err();
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
    fn a_negative_number_is_a_value() {
        let m = command().try_get_matches_from([
            "chaos",
            "run",
            "--resize-rate",
            "-0.1",
            "--seed",
            "-3",
        ]);
        assert!(
            m.is_err_and(|e| e.kind() == ErrorKind::ValueValidation),
            "the seed parser, not the flag parser, rejects -3"
        );
        let m = command()
            .try_get_matches_from(["chaos", "run", "--resize-rate", "-0.1"])
            .unwrap();
        let (_, sub) = m.subcommand().unwrap();
        assert_eq!(sub.get_one::<f64>("resize_rate"), Some(&-0.1));
    }
}
