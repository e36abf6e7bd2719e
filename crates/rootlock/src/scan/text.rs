//! `--format text`: for people. Grouped by object, pointing at file and
//! line with the source line, coloured on a terminal, with the concrete fix
//! for a writable root, and a one-line summary.

use super::emit::Emitter;
use super::report::{FindingReport, ObjectReport};
use rootlock_manifest::InputError;
use rootlock_manifest::files::STDIN_NAME;
use rootlock_policy::format::{pluralize, printable, shell_word};
use rootlock_policy::{LevelVersion, Severity};
use std::borrow::Cow;
use std::io::{IsTerminal, Write};

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }
}

fn use_color(mode: &str) -> bool {
    match mode {
        "always" => true,
        "never" => false,
        _ => auto_color(
            std::env::var_os("NO_COLOR").as_deref(),
            std::io::stdout().is_terminal(),
        ),
    }
}

/// `--color auto`: on a terminal, unless `NO_COLOR` is set to something.
/// An empty `NO_COLOR` is as unset (no-color.org: "present and not an
/// empty string"), as a shell's `NO_COLOR= cmd` means.
fn auto_color(no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Text output, written object by object with the summary at the end.
pub struct Text<W: Write> {
    out: W,
    style: Style,
    level: LevelVersion,
    counts: [usize; 3],
    failing: usize,
    objects: usize,
    /// `rootlock` or `kubectl rootlock`, for the commands the fix hints name.
    program: String,
}

impl<W: Write> Text<W> {
    pub fn new(out: W, level: LevelVersion, color: &str, program: &str) -> Self {
        Text {
            out,
            style: Style {
                on: use_color(color),
            },
            level,
            counts: [0; 3],
            failing: 0,
            objects: 0,
            program: program.to_string(),
        }
    }
}

impl<W: Write> Emitter for Text<W> {
    fn object(&mut self, o: &ObjectReport) -> std::io::Result<()> {
        self.objects += 1;
        if o.findings.is_empty() {
            return Ok(());
        }
        if o.findings.iter().any(|f| f.severity == Severity::Error) {
            self.failing += 1;
        }
        let style = &self.style;
        let out = &mut self.out;
        // Every string from the input is printed through `printable`: a
        // manifest's name, message or reason may hold escape sequences.
        let ns = o
            .namespace
            .as_deref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        let name = o.name.as_deref().unwrap_or("<unnamed>");
        let title = format!("{} {ns}{name}", o.kind);
        writeln!(
            out,
            "{} {}",
            style.paint("1", &printable(&title)),
            style.paint("2", &format!("({}:{})", printable(&o.file), o.line))
        )?;
        for f in &o.findings {
            self.counts[f.severity as usize] += 1;
            finding(out, style, &self.program, o, f)?;
        }
        writeln!(out)
    }

    fn finish(&mut self, errors: &[InputError]) -> std::io::Result<()> {
        let style = &self.style;
        for e in errors {
            let e = e.to_string();
            writeln!(
                self.out,
                "{}: {}",
                style.severity(Severity::Error),
                printable(&e)
            )?;
        }
        let [info, warnings, errs] = self.counts;
        let mut summary = format!(
            "{} {} scanned at {}: {} failing, {errs} {}, {warnings} {}, {info} exempted",
            self.objects,
            pluralize("object", "objects", self.objects),
            self.level,
            self.failing,
            pluralize("error", "errors", errs),
            pluralize("warning", "warnings", warnings),
        );
        if !errors.is_empty() {
            summary.push_str(&format!(
                "; {} input {} (exit 2)",
                errors.len(),
                if errors.len() == 1 { "error" } else { "errors" }
            ));
        }
        writeln!(self.out, "{}", style.paint("1", &summary))?;
        self.out.flush()
    }
}

fn finding(
    out: &mut impl Write,
    style: &Style,
    program: &str,
    o: &ObjectReport,
    f: &FindingReport,
) -> std::io::Result<()> {
    let subject = match (&f.container, f.container_type) {
        (Some(c), Some(t)) => format!(" {t} {c:?}"),
        _ => " pod".to_string(),
    };
    writeln!(
        out,
        "  {}[{}]{subject}: {}",
        style.severity(f.severity),
        style.paint("1", f.rule),
        printable(&f.message)
    )?;
    writeln!(
        out,
        "    {} {}:{}  {}",
        style.paint("34", "-->"),
        printable(&o.file),
        f.line,
        style.paint("2", &printable(&f.field))
    )?;
    let width = f
        .snippet
        .last()
        .map(|(n, _)| n.to_string().len())
        .unwrap_or(1);
    for (n, text) in &f.snippet {
        let marker = if *n == f.line { ">" } else { " " };
        writeln!(
            out,
            "    {} {} {}",
            style.paint("34", &format!("{n:>width$}")),
            style.paint("34", &format!("|{marker}")),
            printable(text)
        )?;
    }
    if let Some(reason) = &f.exemption {
        writeln!(
            out,
            "    {} exempted: {}",
            style.paint("36", "="),
            printable(reason)
        )?;
    }
    if f.rule == "readOnlyRootFilesystem" && f.container.is_some() && f.severity != Severity::Info {
        let fix = if f.container_type == Some("ephemeralContainer") {
            "set `securityContext: {readOnlyRootFilesystem: true}` on the ephemeral container (it cannot get volumes of its own: debug tools must write to volumes the pod already mounts)".to_string()
        } else {
            format!(
                "set `securityContext: {{readOnlyRootFilesystem: true}}` on this container, and mount an emptyDir at each path it writes (/tmp, caches, pid files); `{program} fix {}` adds both, and `{program} trace` finds the paths",
                printable(&fix_argument(&o.file))
            )
        };
        writeln!(out, "    {} {fix}", style.paint("32", "fix:"))?;
    }
    Ok(())
}

/// The input as `fix` takes it on a shell's command line: `-` for standard
/// input (`<stdin>` would be a redirection), else the path as one word, a
/// relative one starting with `-` behind `./` so it is not read as an option.
fn fix_argument(file: &str) -> Cow<'_, str> {
    if file == STDIN_NAME {
        "-".into()
    } else if file.starts_with('-') {
        shell_word(&format!("./{file}")).into_owned().into()
    } else {
        shell_word(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_no_color_is_as_unset() {
        use std::ffi::OsStr;
        assert!(auto_color(None, true));
        assert!(auto_color(Some(OsStr::new("")), true));
        assert!(!auto_color(Some(OsStr::new("1")), true));
        assert!(!auto_color(None, false));
    }
}
