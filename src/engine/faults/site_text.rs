//! [`Site`] as text in a repro file (`"GrowWork"`, `"User(name)"`).
//!
//! `Site`'s own `Deserialize` needs `'static` input because of
//! `Site::User(&'static str)`, so a file read at run time cannot use it. The
//! built-in sites are parsed back through `Site`'s own `Deserialize` (one
//! source of truth for their names); a user site's name is interned, leaked
//! once per distinct name for the life of the process.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::IntoDeserializer;
use serde::{Deserialize, Deserializer, Serializer};

use crate::sync::Site;

pub(super) fn serialize<S: Serializer>(site: &Site, s: S) -> Result<S::Ok, S::Error> {
    match site {
        Site::User(name) => s.collect_str(&format_args!("User({name})")),
        other => s.collect_str(&format_args!("{other:?}")),
    }
}

pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Site, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

pub(super) fn parse(text: &str) -> Result<Site, String> {
    if let Some(name) = text
        .strip_prefix("User(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return Ok(Site::User(intern(name)));
    }
    let de: StrDeserializer<'_, ValueError> = text.into_deserializer();
    Site::deserialize(de).map_err(|e| format!("unknown site {text:?}: {e}"))
}

fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use crate::engine::faults::{site_text, FiredFault};
    use crate::sync::{Fault, Site};

    #[test]
    fn fired_fault_round_trips_through_text() {
        for site in [Site::GrowWork, Site::User("my window"), Site::SyncMapLocked] {
            let f = FiredFault {
                at: 3,
                thread: 1,
                op: 0,
                in_op: 1,
                site,
                fault: Fault::Promote,
            };
            let text = match site {
                Site::User(n) => format!("User({n})"),
                s => format!("{s:?}"),
            };
            assert_eq!(site_text::parse(&text), Ok(f.site));
        }
        assert!(site_text::parse("NoSuchSite").is_err());
    }
}
