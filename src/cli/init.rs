//! `chaos init`: gives a library author's crate its own `chaos` (the
//! harness `examples/chaos.rs`), a scenario, and the nightly job; what it
//! writes is [`crate::init`]'s, this is the command around it.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use crate::init::{self, Flavor};

use super::{BadInput, Exit};

/// `chaos init`.
#[derive(Debug, Args)]
#[command(after_help = "\
Writes examples/chaos.rs (the harness: a placeholder backend NAME-map to
replace with your map), chaos/NAME.toml (a scenario for it), and the nightly
job: .github/workflows/chaos-nightly.yml with its script
.github/scripts/chaos-nightly.py. Adds chaos to [dev-dependencies] with cargo
add unless it is a dependency already. Refuses, writing nothing, when any of
those files exists (--force overwrites them).

Examples:
  chaos init                                     # in your crate's root
  chaos init --dir ../my-map --chaos-git https://example.com/you/chaos.git
  chaos init --force --go                        # rewrite the files; the nightly job sets up Go too")]
pub struct InitArgs {
    /// The crate's root directory: its Cargo.toml, and the repository root
    /// the nightly job runs in.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite the files chaos init writes.
    #[arg(long)]
    pub force: bool,
    /// Add chaos as a dev-dependency from this git repository, which a
    /// GitHub runner can fetch (cargo add --git).
    #[arg(long, value_name = "URL", conflicts_with = "chaos_path")]
    pub chaos_git: Option<String>,
    /// Add chaos as a dev-dependency from this directory (cargo add
    /// --path). Default, when chaos is not a dependency yet: the chaos
    /// source this binary was built from.
    #[arg(long, value_name = "PATH")]
    pub chaos_path: Option<PathBuf>,
    /// Set up Go in the nightly job, for go: scenarios (your own Go map).
    #[arg(long)]
    pub go: bool,
}

/// Where the chaos dev-dependency comes from.
enum Source {
    Git(String),
    Path(PathBuf),
}

/// `chaos init`.
pub fn init(args: &InitArgs) -> Result<Exit, BadInput> {
    let dir = &args.dir;
    let package = init::read_package(dir)?;
    let locked = dir.join("Cargo.lock").is_file() && !git_ignores(dir, "Cargo.lock");
    let flavor = Flavor::User {
        go: args.go,
        locked,
    };
    let files = init::files(&package.name, flavor);
    let existing: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| dir.join(p).symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(BadInput(format!(
            "{} already {} in {}: --force overwrites {}; nothing was written",
            existing.join(", "),
            if existing.len() == 1 {
                "exists"
            } else {
                "exist"
            },
            dir.display(),
            if existing.len() == 1 { "it" } else { "them" },
        )));
    }
    let source = match (&args.chaos_git, &args.chaos_path) {
        (Some(url), _) if url.trim().is_empty() => {
            return Err(BadInput(
                "--chaos-git: empty URL; give the git URL of a chaos repository".into(),
            ))
        }
        (Some(url), _) => Some(Source::Git(url.clone())),
        (None, Some(path)) => Some(Source::Path(chaos_source(path, "--chaos-path")?)),
        (None, None) if package.has_chaos => None,
        (None, None) => {
            let built_from = Path::new(env!("CARGO_MANIFEST_DIR"));
            if !built_from.join("Cargo.toml").is_file() {
                return Err(BadInput(format!(
                    "the chaos source this binary was built from ({}) is gone: give --chaos-git URL \
                     or --chaos-path PATH to add chaos to [dev-dependencies]",
                    built_from.display()
                )));
            }
            Some(Source::Path(chaos_source(built_from, "chaos source")?))
        }
    };
    if let Some(source) = &source {
        cargo_add(dir, source)?;
    }
    for (path, text) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| BadInput(format!("cannot create {}: {e}", parent.display())))?;
        }
        crate::files::write_atomic(&target, text)
            .map_err(|e| BadInput(format!("cannot write {}: {e}", target.display())))?;
    }
    if let Some(Source::Path(chaos)) = &source {
        let root = repo_root(dir);
        if !chaos.starts_with(&root) {
            eprintln!(
                "chaos init: note: chaos is a path dependency ({}) outside this repository, which a \
                 GitHub runner cannot build: before pushing, `cargo add --dev chaos --git URL` with \
                 the URL of a chaos repository",
                chaos.display()
            );
        }
    }
    report(args, &package.name, &files, source.as_ref(), locked);
    Ok(Exit::Met)
}

/// `path`, absolute, if it is the chaos crate's directory.
fn chaos_source(path: &Path, what: &str) -> Result<PathBuf, BadInput> {
    let is_chaos = init::read_package(path).is_ok_and(|p| p.name == "chaos");
    let abs = path.canonicalize().ok().filter(|_| is_chaos);
    abs.ok_or_else(|| {
        BadInput(format!(
            "{what} {}: not the chaos crate's directory (no Cargo.toml of package chaos there)",
            path.display()
        ))
    })
}

/// Runs `cargo add --dev chaos` from `source` on `dir`'s Cargo.toml.
fn cargo_add(dir: &Path, source: &Source) -> Result<(), BadInput> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = dir.join("Cargo.toml");
    let mut cmd = Command::new(&cargo);
    cmd.args(["add", "--quiet", "--dev", "chaos", "--manifest-path"])
        .arg(&manifest);
    let shown = match source {
        Source::Git(url) => {
            cmd.args(["--git", url]);
            format!("--git {url}")
        }
        Source::Path(path) => {
            cmd.arg("--path").arg(path);
            format!("--path {}", path.display())
        }
    };
    let out = cmd.output().map_err(|e| {
        BadInput(format!(
            "cannot run {} to add chaos to [dev-dependencies]: {e}",
            Path::new(&cargo).display()
        ))
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no message");
    Err(BadInput(format!(
        "cargo add --dev chaos {shown} failed ({why}); nothing was written"
    )))
}

/// Whether git ignores `file` in `dir` (false when there is no git or no
/// repository).
fn git_ignores(dir: &Path, file: &str) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["check-ignore", "-q", file])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The root of the git repository `dir` is in, or `dir` itself.
fn repo_root(dir: &Path) -> PathBuf {
    let top = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    top.or_else(|| dir.canonicalize().ok())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// What was written, and what to run next.
fn report(
    args: &InitArgs,
    name: &str,
    files: &[(String, String)],
    source: Option<&Source>,
    locked: bool,
) {
    let about = |path: &str| match path {
        init::HARNESS => format!(
            "the harness: {} (a placeholder: put your map there)",
            init::backend_name(name)
        ),
        init::USER_WORKFLOW => "the nightly hunt: every chaos/*.toml, sharded".to_string(),
        init::USER_SCRIPT => "its report: a summary, one issue per distinct signature".to_string(),
        _ => "a scenario for it (the nightly job hunts every chaos/*.toml)".to_string(),
    };
    println!("chaos init: wrote in {}:", args.dir.display());
    for (path, _) in files {
        println!("  {path:<38} {}", about(path));
    }
    match source {
        Some(Source::Git(url)) => println!(
            "  {:<38} chaos = {{ git = {url:?} }} under [dev-dependencies]",
            "Cargo.toml"
        ),
        Some(Source::Path(p)) => println!(
            "  {:<38} chaos = {{ path = {:?} }} under [dev-dependencies]",
            "Cargo.toml",
            p.display().to_string()
        ),
        None => println!(
            "  {:<38} unchanged: chaos is a dependency already",
            "Cargo.toml"
        ),
    }
    println!("Next:");
    if args.dir != Path::new(".") {
        println!("  cd {}", args.dir.display());
    }
    println!("  cargo run --example chaos -- backends");
    println!(
        "  cargo run --example chaos -- hunt --scenario {} --seeds 0..200",
        init::scenario_path(name)
    );
    println!(
        "  git add Cargo.toml{} examples/chaos.rs chaos .github && git commit -m \"chaos: nightly hunt\" && git push",
        if locked { " Cargo.lock" } else { "" }
    );
}
