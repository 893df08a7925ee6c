//! Operation mixes: weights over every operation of the map trait.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::op::OP_NAMES;

/// Relative weights of the operations, indexed like [`OP_NAMES`].
/// At least one weight is positive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, u32>", into = "BTreeMap<String, u32>")]
pub struct Mix {
    weights: [u32; OP_NAMES.len()],
}

impl Default for Mix {
    /// `load=70,store=30`, the read:write ratio of the seed article's tests.
    fn default() -> Self {
        let mut weights = [0; OP_NAMES.len()];
        weights[0] = 70;
        weights[1] = 30;
        Mix { weights }
    }
}

impl Mix {
    /// From named weights. Errors name the unknown operation or say that the
    /// weights sum to nothing.
    pub fn from_weights(named: &BTreeMap<String, u32>) -> Result<Self, String> {
        let mut weights = [0u32; OP_NAMES.len()];
        for (name, &w) in named {
            let i = OP_NAMES.iter().position(|n| n == name).ok_or_else(|| {
                format!(
                    "unknown operation {name:?}; operations are: {}",
                    OP_NAMES.join(", ")
                )
            })?;
            weights[i] = w;
        }
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return Err(
                "the weights sum to zero; give at least one operation a positive weight".into(),
            );
        }
        if total > u64::from(u32::MAX) {
            return Err("the weights sum to more than 2^32-1".into());
        }
        Ok(Mix { weights })
    }

    /// Every operation, each with weight 1: swarm's default pool.
    pub fn every_op() -> Self {
        Mix {
            weights: [1; OP_NAMES.len()],
        }
    }

    /// From weights indexed like [`OP_NAMES`]; at least one is positive
    /// and their sum fits 32 bits (swarm's draws: at most 10 each).
    pub(crate) fn from_array(weights: [u32; OP_NAMES.len()]) -> Self {
        debug_assert!(weights.iter().any(|&w| w > 0));
        Mix { weights }
    }

    /// The weights, named (zero weights left out).
    pub fn to_weights(&self) -> BTreeMap<String, u32> {
        OP_NAMES
            .iter()
            .zip(self.weights)
            .filter(|(_, w)| *w > 0)
            .map(|(n, w)| (n.to_string(), w))
            .collect()
    }

    /// The weight of each operation, indexed like [`OP_NAMES`].
    pub fn weights(&self) -> &[u32; OP_NAMES.len()] {
        &self.weights
    }

    /// A copy with operation `index`'s weight set to zero, if any weight
    /// remains (the shrinker drops operations this way).
    pub fn without(&self, index: usize) -> Option<Mix> {
        let mut m = self.clone();
        m.weights[index] = 0;
        m.weights.iter().any(|&w| w > 0).then_some(m)
    }
}

impl TryFrom<BTreeMap<String, u32>> for Mix {
    type Error = String;
    fn try_from(m: BTreeMap<String, u32>) -> Result<Self, String> {
        Mix::from_weights(&m)
    }
}

impl From<Mix> for BTreeMap<String, u32> {
    fn from(m: Mix) -> Self {
        m.to_weights()
    }
}

impl fmt::Display for Mix {
    /// The `--mix` form: `load=70,store=30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .to_weights()
            .into_iter()
            .map(|(n, w)| format!("{n}={w}"))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for Mix {
    type Err = String;
    /// Parses `load=70,store=30` (whitespace allowed around items).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut named = BTreeMap::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, w) = item
                .split_once('=')
                .ok_or_else(|| format!("expected name=weight, got {item:?}"))?;
            let w: u32 = w
                .trim()
                .parse()
                .map_err(|_| format!("weight of {:?} is not a whole number: {w:?}", name.trim()))?;
            if named.insert(name.trim().to_string(), w).is_some() {
                return Err(format!("operation {:?} given twice", name.trim()));
            }
        }
        Mix::from_weights(&named)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_the_flag_form() {
        let m: Mix = "load=70, store=30".parse().unwrap();
        assert_eq!(m, Mix::default());
        assert_eq!(m.to_string(), "load=70,store=30");
        let all: Mix = OP_NAMES
            .iter()
            .map(|n| format!("{n}=1"))
            .collect::<Vec<_>>()
            .join(",")
            .parse()
            .unwrap();
        assert!(all.weights().iter().all(|&w| w == 1));
    }

    #[test]
    fn rejects_mixes_that_do_not_add_up() {
        assert!("load=0,store=0"
            .parse::<Mix>()
            .unwrap_err()
            .contains("sum to zero"));
        assert!("".parse::<Mix>().unwrap_err().contains("sum to zero"));
        assert!("lod=1"
            .parse::<Mix>()
            .unwrap_err()
            .contains("unknown operation"));
        assert!("load=x"
            .parse::<Mix>()
            .unwrap_err()
            .contains("whole number"));
        assert!("load".parse::<Mix>().unwrap_err().contains("name=weight"));
        assert!("load=1,load=2"
            .parse::<Mix>()
            .unwrap_err()
            .contains("twice"));
    }
}
