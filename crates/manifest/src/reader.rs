//! Streams the documents of one input and hands each, parsed, to a callback.

use crate::chunk::{ChunkError, Chunker};
use crate::error::{ErrorKind, InputError};
use crate::limits::Limits;
use crate::tree::{Document, TreeErrorKind, parse_documents};
use crate::workload::interesting_kind;
use std::io::BufRead;

/// A parsed document with the text it came from (for source snippets).
pub struct ParsedDocument<'a> {
    pub document: Document,
    /// The text of the chunk holding the document.
    pub text: &'a str,
    /// 1-based line of the chunk's first line.
    pub first_line: usize,
}

fn looks_like_template(text: &str) -> bool {
    text.contains("{{") && text.contains("}}")
}

const TEMPLATE_HINT: &str = "this looks like a Helm template ({{ … }}), not a manifest: render it first, e.g. `helm template RELEASE CHART | rootlock scan -`";

/// Reads every document of `reader` (named `file` in errors), calling
/// `each` for each one, and returns every input error met. A document that
/// cannot be read is reported, never skipped silently; reading goes on with
/// the next document, except after an I/O error, a limit (hostile input
/// should cost nothing more) or a template (one message says it all).
pub fn read_stream<R: BufRead>(
    reader: R,
    file: &str,
    limits: &Limits,
    mut each: impl FnMut(ParsedDocument<'_>) -> Result<(), InputError>,
) -> Vec<InputError> {
    let mut errors = Vec::new();
    let fatal = |e: &InputError| {
        matches!(
            e.kind,
            ErrorKind::Io | ErrorKind::Limit | ErrorKind::Template
        )
    };
    let error = |kind, line, column, message: String| InputError {
        kind,
        file: file.to_string(),
        line,
        column,
        field: None,
        message,
    };
    let reader = match crate::utf16::decode(reader) {
        Ok(r) => r,
        Err(e) => return vec![error(ErrorKind::Io, 0, 0, format!("cannot read: {e}"))],
    };
    for chunk in Chunker::new(reader, limits.max_document_bytes) {
        let chunk = match chunk.map_err(|e| match e {
            ChunkError::Io(e) => error(ErrorKind::Io, 0, 0, format!("cannot read: {e}")),
            ChunkError::NotUtf8 { line } => error(ErrorKind::Syntax, line, 0, "not valid UTF-8".into()),
            ChunkError::TooLarge { first_line, limit } => error(
                ErrorKind::Limit,
                first_line,
                0,
                format!(
                    "document is larger than {} bytes (the API server accepts at most 3 MiB); raise --max-document-size if it is genuine",
                    limit
                ),
            ),
        }) {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                break;
            }
        };
        let parsed = parse_documents(&chunk.text, chunk.first_line - 1, limits, &interesting_kind)
            .map_err(|e| {
                let template = looks_like_template(&chunk.text)
                    && matches!(e.kind, TreeErrorKind::Syntax | TreeErrorKind::ComplexKey);
                let (kind, message) = if template {
                    (
                        ErrorKind::Template,
                        format!("{TEMPLATE_HINT} ({})", e.message),
                    )
                } else {
                    let kind = match e.kind {
                        TreeErrorKind::Limit => ErrorKind::Limit,
                        _ => ErrorKind::Syntax,
                    };
                    let what = match e.kind {
                        TreeErrorKind::Limit => "input limit exceeded",
                        _ => "invalid YAML/JSON",
                    };
                    (kind, format!("{what}: {}", e.message))
                };
                error(kind, e.line, e.column, message)
            });
        let docs = match parsed {
            Ok(docs) => docs,
            Err(e) => {
                let stop = fatal(&e);
                errors.push(e);
                if stop {
                    break;
                }
                continue;
            }
        };
        for document in docs {
            if let Err(e) = each(ParsedDocument {
                document,
                text: &chunk.text,
                first_line: chunk.first_line,
            }) {
                errors.push(e);
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Result<Vec<(usize, Option<String>)>, InputError> {
        let mut out = Vec::new();
        let mut errors = read_stream(text.as_bytes(), "f.yaml", &Limits::default(), |d| {
            out.push((d.document.line, d.document.kind.clone()));
            Ok(())
        });
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors.remove(0))
        }
    }

    #[test]
    fn streams_documents_with_their_lines() {
        let got = kinds("kind: A\n---\n# c\n---\nkind: Pod\nspec: {}\n").unwrap();
        assert_eq!(got[0], (1, Some("A".into())));
        assert_eq!(got.last().unwrap(), &(4, Some("Pod".into())));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e = kinds("kind: A\n---\nkind: Pod\nspec: [\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert_eq!(e.file, "f.yaml");
        assert!(e.line >= 4, "{e}");
    }

    #[test]
    fn helm_templates_are_recognised() {
        let e = kinds("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Template, "{e}");
        assert!(e.to_string().contains("helm template"));
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn reading_goes_on_after_a_bad_document() {
        let mut seen = 0;
        let errors = read_stream(
            "kind: Pod\nspec: [\n---\nkind: Pod\nspec: {}\n".as_bytes(),
            "f",
            &Limits::default(),
            |_| {
                seen += 1;
                Ok(())
            },
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(seen, 1);
    }
}
