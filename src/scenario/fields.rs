//! A numeric field given a value its type cannot hold — a negative count, a
//! word, a fraction where a whole number goes — reported the way
//! [`Scenario::check`](super::Scenario::check) reports a value out of range:
//! a flag, a scenario file and the check all say `must be between 1 and
//! 1024, got -1`, and the range is written in one place, the check.

use crate::files::TomlError;

use super::{RawScenario, ScenarioError};

/// What a numeric field's type takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A whole number from 0 to this.
    Whole(u64),
    /// Any number (a probability).
    Number,
}

/// The numeric fields of a scenario and their types (as in [`RawScenario`]).
const NUMERIC: [(&str, Kind); 10] = [
    ("threads", Kind::Whole(u32::MAX as u64)),
    ("ops", Kind::Whole(u32::MAX as u64)),
    ("keys", Kind::Whole(u64::MAX)),
    ("prefill", Kind::Whole(u64::MAX)),
    ("depth", Kind::Whole(u32::MAX as u64)),
    ("resize_rate", Kind::Number),
    ("evacuate_rate", Kind::Number),
    ("promote_rate", Kind::Number),
    ("max_steps", Kind::Whole(u64::MAX)),
    ("timeout_ms", Kind::Whole(u64::MAX)),
];

/// What the check allows of `field`, in its words (`must be between 1 and
/// 1024`): the reason it rejects the first of `probes` it rejects, without
/// the `, got …` that names the probe.
fn allowed(field: &'static str, probes: &[serde_json::Value]) -> Option<String> {
    probes.iter().find_map(|probe| {
        let raw: RawScenario = serde_json::from_value(serde_json::json!({ field: probe })).ok()?;
        match raw.validate() {
            Err(ScenarioError::Field { field: f, reason }) if f == field => {
                let allowed = reason.split(", got ").next().unwrap_or(&reason);
                Some(allowed.to_string())
            }
            _ => None,
        }
    })
}

impl ScenarioError {
    /// The error for the numeric scenario field `field` given `got` (as the
    /// user wrote it: `-1`, `"two"`), a value its type cannot hold, or
    /// `None` when `field` is not a numeric field. A number out of the
    /// type's range gets the check's own message (`scenario field
    /// `threads`: must be between 1 and 1024, got -1`); anything else is
    /// told the type first (`expected a whole number: must be …`).
    pub fn bad_value(field: &str, got: &str) -> Option<ScenarioError> {
        let &(field, kind) = NUMERIC.iter().find(|(name, _)| *name == field)?;
        let whole = got.parse::<i128>().ok();
        let reason = match kind {
            Kind::Whole(max) => {
                // Ask the check about the type's bound on the side of `got`.
                let (probes, otherwise) = match whole {
                    Some(n) if n < 0 => (vec![0.into()], "must be at least 0".to_string()),
                    Some(_) => (vec![max.into()], format!("must be at most {max}")),
                    None => (
                        vec![0.into(), max.into()],
                        format!("must be between 0 and {max}"),
                    ),
                };
                let allowed = allowed(field, &probes).unwrap_or(otherwise);
                match whole {
                    Some(_) => format!("{allowed}, got {got}"),
                    None => format!("expected a whole number: {allowed}, got {got}"),
                }
            }
            Kind::Number => {
                let allowed = allowed(field, &[2.0.into(), (-1.0).into()])
                    .unwrap_or_else(|| "must be a number".to_string());
                format!("expected a number: {allowed}, got {got}")
            }
        };
        Some(ScenarioError::Field { field, reason })
    }
}

/// The error of a scenario file that does not parse: [`TomlError::at`],
/// with a numeric field's wrong value said as [`ScenarioError::bad_value`]
/// says it.
pub(super) fn toml_error(text: &str, path: &str, e: &toml::de::Error) -> TomlError {
    let mut error = TomlError::at(text, path, e);
    if let (Some(key), Some(value)) = (&error.key, &error.value) {
        if let Some(bad) = ScenarioError::bad_value(key, value) {
            error.reason = bad.to_string();
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_numeric_field_is_a_raw_scenario_field_the_check_bounds() {
        for (field, kind) in NUMERIC {
            let probes = match kind {
                Kind::Whole(max) => vec![0.into(), max.into()],
                Kind::Number => vec![2.0.into()],
            };
            assert!(
                allowed(field, &probes).is_some(),
                "{field}: the check rejects none of its probes"
            );
        }
    }

    #[test]
    fn a_value_out_of_the_type_gets_the_checks_own_words() {
        let check = RawScenario {
            threads: Some(0),
            ..RawScenario::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        let bad = ScenarioError::bad_value("threads", "-1")
            .unwrap()
            .to_string();
        assert_eq!(bad, check.replace("got 0", "got -1"));
        let word = ScenarioError::bad_value("threads", "\"two\"")
            .unwrap()
            .to_string();
        assert!(
            word.starts_with(
                "scenario field `threads`: expected a whole number: must be between 1 and"
            ),
            "{word}"
        );
        assert!(word.ends_with("got \"two\""), "{word}");
        let rate = ScenarioError::bad_value("resize_rate", "\"x\"")
            .unwrap()
            .to_string();
        assert!(rate.contains("expected a number"), "{rate}");
        assert!(rate.contains("between 0 and 1"), "{rate}");
        assert!(ScenarioError::bad_value("backend", "3").is_none());
    }

    #[test]
    fn a_scenario_file_with_a_word_for_a_number_names_the_field_value_and_type() {
        let e = RawScenario::from_toml("backend = \"gomap\"\nthreads = \"two\"\n", "s.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.toml:2:11: scenario field `threads`"),
            "{e}"
        );
        assert!(e.contains("expected a whole number"), "{e}");
        assert!(e.contains("got \"two\""), "{e}");
        let e = RawScenario::from_toml("threads = -1\n", "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("must be between 1 and"), "{e}");
        assert!(e.ends_with("got -1"), "{e}");
    }
}
