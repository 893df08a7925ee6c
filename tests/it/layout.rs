//! The crate's layering: no import cycle among the top-level modules of
//! `src/`. A module "uses" another when its files name `crate::other`; the
//! test reads the sources as text (no tool to install) and fails naming a
//! cycle it finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module → the top-level modules its files name as `crate::X`.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let module_of = |p: &Path| {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|p| module_of(p)).collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &files {
        let m = module_of(p);
        // The command line (the top, which may use every floor) and the
        // crate root are not layers.
        if ["lib", "main", "cli"].contains(&m.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(p).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name != m && modules.contains(&name) {
                    uses.entry(m.clone()).or_default().insert(name);
                }
            }
        }
        uses.entry(m).or_default();
    }
    uses
}

/// Edges not yet removed, each a known cycle with its reason (none today).
const KNOWN: &[(&str, &str)] = &[];

#[test]
fn no_import_cycle_among_the_top_level_modules() {
    let mut uses = uses();
    for (from, to) in KNOWN {
        assert!(
            uses.get_mut(*from).is_some_and(|u| u.remove(*to)),
            "{from} no longer uses {to}: drop it from KNOWN"
        );
    }
    assert!(uses.len() >= 10, "read too few modules: {uses:?}");
    // Depth-first search; a grey node reached again closes a cycle.
    fn visit<'a>(
        m: &'a str,
        uses: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, bool>,
        path: &mut Vec<&'a str>,
    ) {
        match state.get(m) {
            Some(true) => return,
            Some(false) => {
                let start = path.iter().position(|p| *p == m).unwrap();
                panic!("import cycle: {} -> {m}", path[start..].join(" -> "));
            }
            None => {}
        }
        state.insert(m, false);
        path.push(m);
        for n in uses.get(m).into_iter().flatten() {
            visit(n, uses, state, path);
        }
        path.pop();
        state.insert(m, true);
    }
    let mut state = BTreeMap::new();
    for m in uses.keys() {
        visit(m, &uses, &mut state, &mut Vec::new());
    }
}
