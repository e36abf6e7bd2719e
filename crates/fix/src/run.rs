//! The command: arguments → settings, files in parallel, output in order.

use crate::args::FixArgs;
use crate::edits::Options;
use crate::fixer::{Outcome, Settings, fix_text};
use crate::inputs::{Encoding, Source, expand_in_order, read};
use rayon::prelude::*;
use rootlock_manifest::Limits;
use rootlock_policy::format::printable;
use rootlock_policy::{Level, LevelVersion};
use std::io::Write;

/// A file's original text and what fixing it gave, or why it was not read.
type FileResult = Result<(String, Encoding, Outcome), String>;

/// Builds the settings from the arguments, or says what is wrong.
pub fn settings(args: &FixArgs) -> Result<Settings, String> {
    let level =
        LevelVersion::parse(&args.level).map_err(|e| format!("--level {}: {e}", args.level))?;
    if !matches!(level.level, Level::Restricted | Level::Immutable) {
        return Err(format!(
            "--level {}: fix supports restricted and immutable, the levels that require fields it can add; what baseline forbids (privileged, host namespaces, hostPath volumes, …) must be removed by hand",
            args.level
        ));
    }
    // Writable paths are volumes for a read-only root filesystem, which
    // only `immutable` sets: at `restricted` they would be dropped unsaid.
    if level.level != Level::Immutable && (!args.writable.is_empty() || args.plan.is_some()) {
        return Err(format!(
            "--writable and --plan add volumes for a read-only root filesystem, which only --level immutable sets; at --level {} the root stays writable: drop them, or fix at immutable",
            args.level
        ));
    }
    let mut writable = Vec::new();
    for w in &args.writable {
        writable.push(crate::writable::parse_writable(w)?);
    }
    if let Some(plan) = &args.plan {
        writable.extend(crate::plan_input::read_plan(plan)?);
    }
    // A plan with no path (nothing written) is a plan too: no default /tmp.
    let writable = (!args.writable.is_empty() || args.plan.is_some()).then_some(writable);
    Ok(Settings {
        options: Options {
            level: level.level,
            minor: level.version.effective_minor(),
            force: args.force,
            writable,
        },
        level,
        limits: Limits {
            max_document_bytes: args.max_document_size,
            ..Limits::default()
        },
    })
}

/// Runs the command; returns the exit status: 0 done (or nothing to do),
/// 1 with `--check` when something would change, 2 on any error.
pub fn run(args: &FixArgs) -> i32 {
    let settings = match settings(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rootlock fix: {e}");
            return 2;
        }
    };
    // In the order the paths were given, a path that cannot be read where
    // it was named, so errors come out in that order too (as in `scan`).
    let results: Vec<Result<(Source, FileResult), String>> = expand_in_order(&args.paths)
        .into_par_iter()
        .map(|entry| {
            let s = entry.map_err(|e| format!("{}: {}", e.name, e.why))?;
            let r = read(&s).map(|(text, encoding)| {
                let name = s.name();
                let walked = matches!(s, Source::Found(_));
                let out = guarded(&name, || fix_text(&name, &text, walked, &settings));
                (text, encoding, out)
            });
            Ok((s, r))
        })
        .collect();
    let mut errors: Vec<String> = Vec::new();
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let mut changed = false;
    let mut patches: Vec<(String, String)> = Vec::new();
    // Every container name of every workload read, for the plan paths
    // meant for one container.
    let mut container_names: std::collections::HashSet<String> = Default::default();
    for entry in results {
        let (source, (original, encoding, outcome)) = match entry {
            Ok((source, Ok(r))) => (source, r),
            Ok((_, Err(e))) | Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let name = source.name();
        container_names.extend(
            outcome
                .workloads
                .iter()
                .flat_map(|w| w.containers.iter().map(|(_, _, n)| n.clone())),
        );
        // Notes and errors name containers and files from the input:
        // shown with their control characters escaped. A file's notes go
        // out in one write: a List of 6,000 Deployments has 18,000, one
        // `write` each before.
        let notes: String = outcome
            .notes
            .iter()
            .map(|n| format!("note: {}\n", printable(n)))
            .collect();
        let _ = std::io::stderr().lock().write_all(notes.as_bytes());
        if !outcome.errors.is_empty() {
            // Nothing on stdout, not even the input unchanged: in
            // `fix --write - | kubectl apply -f -` the unfixed workloads
            // would be applied as if they had been fixed.
            errors.extend(outcome.errors);
            continue;
        }
        if args.emit.is_some() {
            for w in &outcome.workloads {
                match crate::kustomize::patch(w) {
                    Some(Ok(p)) => patches.push((patch_file_name(w), p)),
                    Some(Err(e)) => errors.push(format!("{name}: {e}")),
                    None => {}
                }
            }
            continue;
        }
        let written = match (&outcome.fixed, args.write, &source) {
            (fixed, true, Source::Stdin) => {
                stdout.write_all(&encoding.encode(fixed.as_deref().unwrap_or(&original)))
            }
            (Some(fixed), true, Source::File(path) | Source::Found(path)) => {
                match rootlock_manifest::atomic_write::write_atomic(
                    path.as_path(),
                    &encoding.encode(fixed),
                ) {
                    // The name is the file's: shown escaped, an escape
                    // sequence in it is not run by the terminal.
                    Ok(0) => eprintln!("rootlock fix: fixed {}", printable(&name)),
                    Ok(links) => eprintln!(
                        "rootlock fix: fixed {} (a new file: its {links} other hard link(s) still hold the old text)",
                        printable(&name)
                    ),
                    Err(e) => errors.push(e),
                }
                Ok(())
            }
            (Some(fixed), false, _) => {
                stdout.write_all(crate::diff::unified(&name, &original, fixed).as_bytes())
            }
            (None, _, _) => Ok(()),
        };
        changed |= outcome.fixed.is_some();
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return 2;
            }
            errors.push(format!("cannot write output: {e}"));
        }
    }
    let planned = settings.options.writable.as_deref().unwrap_or_default();
    for n in crate::volumes::unmatched_plan_paths(planned, |c| container_names.contains(c)) {
        eprintln!("note: {}", printable(&n));
    }
    if let Err(e) = emit_patches(args, &patches, &mut stdout) {
        errors.push(e);
    }
    for e in &errors {
        eprintln!("rootlock fix: {}", printable(&e.to_string()));
    }
    if !errors.is_empty() {
        2
    } else if args.check && changed {
        eprintln!("rootlock fix: changes needed (run with --write to apply them)");
        1
    } else {
        0
    }
}

/// Runs one file's fix so that a bug that panics costs that file only: it
/// is reported as an error and left unchanged, and the other files of the
/// batch are still fixed. (The panic message is still printed, for the
/// bug report.)
fn guarded(name: &str, fix: impl FnOnce() -> Outcome) -> Outcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(fix)).unwrap_or_else(|_| Outcome {
        errors: vec![format!(
            "{name}: internal error while fixing (a bug: please report it); the file was not changed"
        )],
        ..Outcome::default()
    })
}

fn patch_file_name(w: &crate::fixer::WorkloadFix) -> String {
    let mut parts = vec![w.kind.to_ascii_lowercase()];
    if let Some(ns) = &w.namespace {
        parts.push(ns.clone());
    }
    parts.push(w.name.clone().unwrap_or_default());
    let stem: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.patch.yaml")
}

fn emit_patches(
    args: &FixArgs,
    patches: &[(String, String)],
    stdout: &mut impl Write,
) -> Result<(), String> {
    match &args.out_dir {
        None => {
            for (_, p) in patches {
                stdout
                    .write_all(format!("---\n{p}").as_bytes())
                    .map_err(|e| format!("cannot write output: {e}"))?;
            }
            Ok(())
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: cannot create: {e}"))?;
            let mut used: Vec<String> = Vec::new();
            for (file, p) in patches {
                let mut file = file.clone();
                let mut n = 2;
                while used.contains(&file) {
                    file = format!("{}-{n}.patch.yaml", file.trim_end_matches(".patch.yaml"));
                    n += 1;
                }
                used.push(file.clone());
                let path = std::path::Path::new(dir).join(&file);
                std::fs::write(&path, p)
                    .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
                eprintln!(
                    "rootlock fix: wrote {}",
                    printable(&path.display().to_string())
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_fixing_becomes_that_files_error() {
        let out = guarded("a.yaml", || panic!("boom"));
        assert!(out.fixed.is_none());
        assert_eq!(out.errors.len(), 1);
        assert!(
            out.errors[0].starts_with("a.yaml: internal error"),
            "{:?}",
            out.errors
        );
        let fine = guarded("b.yaml", || Outcome {
            fixed: Some("x".into()),
            ..Outcome::default()
        });
        assert_eq!(fine.fixed.as_deref(), Some("x"));
    }
}
