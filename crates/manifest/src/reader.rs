//! Streams the documents of one input and hands each, parsed, to a callback.
//!
//! A stream is read as kubectl reads it: YAML, or, when it starts with `{`,
//! a sequence of JSON values that may turn to YAML (see
//! [`crate::json_stream`]). Either way every document is built by one tree
//! builder, from the YAML parser's events or, for a value checked as JSON,
//! from [`crate::json_events`]'s, so its nodes have their lines and the
//! limits apply.

use crate::chunk::{Chunk, ChunkError, Chunker};
use crate::error::{ErrorKind, InputError};
use crate::flow_indent;
use crate::json_error::JsonError;
use crate::json_stream::{Piece, Pieces, is_one_json_collection, sniffs_as_json};
use crate::limits::Limits;
use crate::offsets::Offsets;
use crate::tree::{Document, Origin, TreeError, TreeErrorKind, parse_documents_at, parse_json_at};
use crate::workload::interesting_kind;
use std::io::BufRead;
use std::ops::Range;

/// A parsed document with the text it came from (for source snippets).
pub struct ParsedDocument<'a> {
    pub document: Document,
    /// The text of the chunk holding the document.
    pub text: &'a str,
    /// 1-based line of the chunk's first line.
    pub first_line: usize,
    /// Where (file line and column) the first multi-line flow collection
    /// starts whose lines were not indented past its block, as YAML 1.2
    /// wants and kubectl does not check: the document was read as kubectl
    /// reads it, from a copy of the chunk with those lines indented (see
    /// [`crate::flow_indent::reindent_flow_collections`]), and `text` is that
    /// copy. Its lines are the file's, but columns and byte offsets on and
    /// after them are not, so `fix`, which edits the file's bytes, refuses
    /// such a document.
    pub reindented: Option<(usize, usize)>,
}

/// Where the first Go template action (`{{ … }}`) of `text` starts.
fn first_action(text: &str) -> Option<usize> {
    let open = text.find("{{")?;
    text[open + 2..].contains("}}").then_some(open)
}

/// `text` with every `{{ … }}` action made a run of `x` (its white space
/// kept), so that everything else stays at its line and column. Not
/// spaces: in a block scalar a line of spaces is not text but indentation
/// (the parser refuses a first line of more spaces than the next), so an
/// alert template in one would change what the text means.
fn without_actions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        let (before, from_open) = rest.split_at(open);
        let (action, after) = from_open.split_at(close + 4);
        out.push_str(before);
        out.extend(
            action
                .chars()
                .map(|c| if c.is_whitespace() { c } else { 'x' }),
        );
        rest = after;
    }
    out.push_str(rest);
    out
}

pub(crate) const TEMPLATE_HINT: &str = "this looks like an unrendered Helm template ({{ … }} here), not a manifest: render it first, e.g. `helm template RELEASE CHART | rootlock scan -`";

/// How the next chunk of a stream is read.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// JSON values, `decoded` of them so far.
    Json {
        decoded: usize,
    },
    Yaml,
}

/// Reads every document of `reader` (named `file` in errors), calling
/// `each` for each one, and returns every input error met. A document that
/// cannot be read is reported, never skipped silently; reading goes on with
/// the next document, except after an I/O error, a limit (hostile input
/// should cost nothing more), a template (one message says it all) or a
/// broken JSON stream (kubectl stops there too, and nothing after the error
/// can be located).
pub fn read_stream<R: BufRead>(
    reader: R,
    file: &str,
    limits: &Limits,
    each: impl FnMut(ParsedDocument<'_>) -> Result<(), InputError>,
) -> Vec<InputError> {
    let mut stream = Stream {
        file,
        limits,
        each,
        errors: Vec::new(),
    };
    let reader = match crate::utf16::decode(reader) {
        Ok(r) => r,
        Err(e) => {
            let e = stream.error(ErrorKind::Io, 0, 0, format!("cannot read: {e}"));
            return vec![e];
        }
    };
    let mut mode = None;
    for chunk in Chunker::new(reader, limits.max_document_bytes) {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let e = stream.chunk_error(e);
                stream.errors.push(e);
                break;
            }
        };
        let current = *mode.get_or_insert_with(|| {
            // kubectl decides once, from the stream's start. The first chunk
            // is that start when it begins at line 1: before it, the chunker
            // drops only chunks of comments and markers, which make the
            // stream YAML to kubectl as well.
            if chunk.first_line == 1 && sniffs_as_json(&chunk.text) {
                Mode::Json { decoded: 0 }
            } else {
                Mode::Yaml
            }
        });
        let next = match current {
            Mode::Json { decoded } => stream.json_chunk(&chunk, decoded),
            Mode::Yaml => stream.yaml_chunk(&chunk),
        };
        match next {
            Some(m) => mode = Some(m),
            None => break,
        }
    }
    stream.errors
}

/// [`parse_documents_at`] or [`parse_json_at`].
type Parse = fn(&str, Origin, &Limits, &dyn Fn(&str) -> bool) -> Result<Vec<Document>, TreeError>;

struct Stream<'a, F> {
    file: &'a str,
    limits: &'a Limits,
    each: F,
    errors: Vec<InputError>,
}

impl<F: FnMut(ParsedDocument<'_>) -> Result<(), InputError>> Stream<'_, F> {
    fn error(&self, kind: ErrorKind, line: usize, column: usize, message: String) -> InputError {
        InputError {
            kind,
            file: self.file.to_string(),
            line,
            column,
            field: None,
            message,
        }
    }

    fn chunk_error(&self, e: ChunkError) -> InputError {
        match e {
            ChunkError::Io(e) => self.error(ErrorKind::Io, 0, 0, format!("cannot read: {e}")),
            ChunkError::NotUtf8 { line } => {
                self.error(ErrorKind::Syntax, line, 0, "not valid UTF-8".into())
            }
            ChunkError::TooLarge {
                first_line,
                limit,
                json_stream: false,
            } => self.error(
                ErrorKind::Limit,
                first_line,
                0,
                format!(
                    "document is larger than {limit} bytes (the API server accepts at most 3 MiB); raise --max-document-size if it is genuine"
                ),
            ),
            // The chunker cuts a JSON stream at line ends between values:
            // the limit is on a value, or on the values of one line.
            ChunkError::TooLarge {
                first_line,
                limit,
                json_stream: true,
            } => self.error(
                ErrorKind::Limit,
                first_line,
                0,
                format!(
                    "a JSON value, or the values written on one line, is larger than {limit} bytes (the API server accepts at most 3 MiB); raise --max-document-size if it is genuine, or put one value per line"
                ),
            ),
        }
    }

    /// The error for `text` (at `origin` in the file) that `parse` could
    /// not read. A template is pointed at its first `{{`: the parser stops
    /// wherever the template's syntax stops making YAML sense, often far
    /// below it (a quoted `"{{ .Values.x }}"` is a fine string, the
    /// `{{- if …}}` twenty lines down is not). Where the parser stopped is
    /// still said.
    fn tree_error(&self, text: &str, origin: Origin, parse: Parse, e: TreeError) -> InputError {
        if let Some(at) = self.template_action(text, origin, parse, &e) {
            let (line, column) = origin.position_of(text, at);
            let message = format!(
                "{TEMPLATE_HINT} (the YAML parser stopped at {}:{}: {})",
                e.line, e.column, e.message
            );
            return self.error(ErrorKind::Template, line, column, message);
        }
        let (kind, message) = {
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
        // The parser reports a text that ends too soon one past its last
        // character, on a line the file may not have: point at the end of
        // what is there, and say so.
        let content = text.trim_end_matches(['\n', '\r']).len();
        let end = origin.position_of(text, content);
        if (e.line, e.column) > end {
            let message = format!("{message} (at the end of the input)");
            return self.error(kind, end.0, end.1, message);
        }
        self.error(kind, e.line, e.column, message)
    }

    /// Where the first template action of `text` is, when it is what the
    /// parser tripped on: the text with its actions blanked does not fail
    /// the same way. A manifest whose strings hold templates of their own
    /// (an alert's `{{ $labels.instance }}`) and a YAML mistake elsewhere is
    /// told about the mistake, where it is.
    fn template_action(
        &self,
        text: &str,
        origin: Origin,
        parse: Parse,
        e: &TreeError,
    ) -> Option<usize> {
        if !matches!(
            e.kind,
            TreeErrorKind::Syntax | TreeErrorKind::ComplexKey | TreeErrorKind::FlowIndentation
        ) {
            return None;
        }
        let at = first_action(text)?;
        match parse(
            &without_actions(text),
            origin,
            self.limits,
            &interesting_kind,
        ) {
            Err(again) if again == *e => None,
            _ => Some(at),
        }
    }

    fn json_error(&self, chunk: &Chunk, e: &JsonError) -> InputError {
        self.error(
            ErrorKind::Syntax,
            chunk.first_line + e.line.saturating_sub(1),
            e.column,
            format!("invalid JSON: {}", e.message),
        )
    }

    /// Records an error; true when reading must stop.
    fn push(&mut self, e: InputError) -> bool {
        let stop = matches!(
            e.kind,
            ErrorKind::Io | ErrorKind::Limit | ErrorKind::Template
        );
        self.errors.push(e);
        stop
    }

    /// Builds the documents of `chunk.text[range]`, which starts at `origin`
    /// in the file, with `parse` (the YAML reader, or the JSON one for a
    /// value already checked as JSON), and hands each on.
    fn documents(
        &mut self,
        chunk: &Chunk,
        range: Range<usize>,
        origin: Origin,
        parse: Parse,
    ) -> Result<(), InputError> {
        let start = range.start;
        let Some(text) = chunk.text.get(range) else {
            let message = "internal error: a document's text is out of range".to_string();
            return Err(self.error(ErrorKind::Syntax, origin.line_offset + 1, 0, message));
        };
        // A flow collection closed at its key's column (kubectl takes it):
        // read once more, from a copy with every such collection indented,
        // as kubectl reads it. A Helm template's `{{ }}`, which the parser
        // takes for a flow mapping, still fails in the copy, and is told as
        // a template.
        let mut copy: Option<String> = None;
        let mut reindented = None;
        let docs = match parse(text, origin, self.limits, &interesting_kind) {
            Ok(docs) => docs,
            Err(e) => {
                let again = (e.kind == TreeErrorKind::FlowIndentation)
                    .then(|| flow_indent::reindent_flow_collections(text))
                    .flatten();
                let Some((indented, bracket)) = again else {
                    return Err(self.tree_error(text, origin, parse, e));
                };
                reindented = Some(origin.position_of(text, bracket));
                let text = copy.insert(indented).as_str();
                parse(text, origin, self.limits, &interesting_kind)
                    .map_err(|e| self.tree_error(text, origin, parse, e))?
            }
        };
        // The whole chunk's text, as the documents' positions refer to it.
        let whole = copy.map(|t| format!("{}{t}", &chunk.text[..start]));
        for document in docs {
            if let Err(e) = (self.each)(ParsedDocument {
                document,
                text: whole.as_deref().unwrap_or(&chunk.text),
                first_line: chunk.first_line,
                reindented,
            }) {
                self.errors.push(e);
            }
        }
        Ok(())
    }

    /// Reads a YAML chunk; the next chunk's mode, or `None` to stop.
    fn yaml_chunk(&mut self, chunk: &Chunk) -> Option<Mode> {
        let origin = Origin {
            line_offset: chunk.first_line.saturating_sub(1),
            column_offset: 0,
        };
        let parse: Parse = if is_one_json_collection(&chunk.text) {
            parse_json_at
        } else {
            parse_documents_at
        };
        if let Err(e) = self.documents(chunk, 0..chunk.text.len(), origin, parse)
            && self.push(e)
        {
            return None;
        }
        Some(Mode::Yaml)
    }

    /// Reads a chunk of a JSON stream that has had `decoded` values; the
    /// next chunk's mode, or `None` to stop.
    fn json_chunk(&mut self, chunk: &Chunk, decoded: usize) -> Option<Mode> {
        let mut pieces = Pieces::new(&chunk.text, decoded);
        let mut offsets = Offsets::new(&chunk.text, chunk.first_line);
        for piece in pieces.by_ref() {
            match piece {
                Piece::Value(range) => {
                    let origin = offsets.origin(range.start);
                    if let Err(e) = self.documents(chunk, range, origin, parse_json_at)
                        && self.push(e)
                    {
                        return None;
                    }
                }
                Piece::Yaml { from, error } => {
                    let origin = offsets.origin(from);
                    let rest = from..chunk.text.len();
                    if let Err(e) = self.documents(chunk, rest, origin, parse_documents_at) {
                        let e = self.neither(chunk, e, &error);
                        if self.push(e) {
                            return None;
                        }
                    }
                    return Some(Mode::Yaml);
                }
                Piece::Broken(error) => {
                    let e = self.json_error(chunk, &error);
                    self.errors.push(e);
                    return None;
                }
            }
        }
        Some(Mode::Json {
            decoded: pieces.decoded(),
        })
    }

    /// The error for text that is neither JSON nor YAML. kubectl reports
    /// the JSON error; rootlock reports whichever reader got further, so a
    /// flow-style YAML file with a YAML mistake is not told that its first
    /// key lacks JSON's quotes. A template or a limit is said as such.
    fn neither(&self, chunk: &Chunk, yaml: InputError, json: &JsonError) -> InputError {
        let json = self.json_error(chunk, json);
        if yaml.kind == ErrorKind::Syntax && (yaml.line, yaml.column) <= (json.line, json.column) {
            json
        } else {
            yaml
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `each` makes of every document of `text`, or the first error.
    fn read_all<T>(
        text: &str,
        mut each: impl FnMut(ParsedDocument<'_>) -> T,
    ) -> Result<Vec<T>, InputError> {
        let mut out = Vec::new();
        let mut errors = read_stream(text.as_bytes(), "f.yaml", &Limits::default(), |d| {
            out.push(each(d));
            Ok(())
        });
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors.remove(0))
        }
    }

    fn kinds(text: &str) -> Result<Vec<(usize, Option<String>)>, InputError> {
        read_all(text, |d| (d.document.line, d.document.kind.clone()))
    }

    #[test]
    fn streams_documents_with_their_lines() {
        let got = kinds("kind: A\n---\n# c\n---\nkind: Pod\nspec: {}\n").unwrap();
        assert_eq!(got[0], (1, Some("A".into())));
        assert_eq!(got.last().unwrap(), &(4, Some("Pod".into())));
    }

    /// A lone `\r` is a line break to the YAML parser, so it is one to
    /// every line number: a document after one starts where the parser
    /// would put it, in YAML and in a JSON stream.
    #[test]
    fn lines_after_a_lone_carriage_return_are_the_parsers() {
        let got = kinds("kind: A\rx: 1\n---\nkind: Pod\n").unwrap();
        assert_eq!(got, [(1, Some("A".into())), (3, Some("Pod".into()))]);
        let got = kinds("kind: A\r---\rkind: Pod\r").unwrap();
        assert_eq!(got, [(1, Some("A".into())), (2, Some("Pod".into()))]);
        let e = kinds("kind: A\r\rx: 1\n---\nkind: Pod\nspec: a: b\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax, "{e}");
        assert_eq!((e.line, e.column), (6, 8), "{e}");
        // JSON allows `\r` as white space; a value after one is on the next line.
        let got = kinds("{\"kind\": \"A\"}\r{\"kind\": \"B\"}\r\r{\"kind\": \"Pod\"}").unwrap();
        assert_eq!(
            got,
            [
                (1, Some("A".into())),
                (2, Some("B".into())),
                (4, Some("Pod".into()))
            ]
        );
        let e = kinds("{}\r{}\r{\"a\": 1,}\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 9), "{e}");
    }

    /// A document and where it was re-indented (see
    /// [`ParsedDocument::reindented`]).
    type Reindented = (Document, Option<(usize, usize)>);

    /// Every document of `text` with its `reindented`, columns zeroed (they
    /// move on re-indented lines; lines must not).
    fn trees(text: &str) -> Result<Vec<Reindented>, InputError> {
        fn zero(n: &mut crate::tree::Node) {
            n.column = 0;
            match &mut n.value {
                crate::tree::Value::Seq(items) => items.iter_mut().for_each(zero),
                crate::tree::Value::Map(entries) => {
                    entries.iter_mut().for_each(|e| zero(&mut e.value))
                }
                crate::tree::Value::Scalar(_) => {}
            }
        }
        read_all(text, |mut d| {
            if let Some(root) = d.document.root.as_mut() {
                zero(root);
            }
            (d.document, d.reindented)
        })
    }

    /// Flow collections closed at their key's column, as kubectl takes
    /// them, read as kubectl reads them: the same documents, values and
    /// lines as the text indented by hand, documents after them included.
    #[test]
    fn flow_collections_closed_at_the_keys_column_are_read_as_kubectl_reads_them() {
        let lax = "kind: Pod\nspec:\n  containers:\n  - name: c\n    args: [\n      \"a b\",\n    \"c\n\n    d\",\n    ]\n    env: [{name: X,\n    value: y}]\n    image: nginx\n---\nkind: Pod\nspec:\n  containers: [\n  {name: d, image: e}\n  ]\n";
        let fixed = "kind: Pod\nspec:\n  containers:\n  - name: c\n    args: [\n           \"a b\",\n         \"c\n\n         d\",\n         ]\n    env: [{name: X,\n          value: y}]\n    image: nginx\n---\nkind: Pod\nspec:\n  containers: [\n               {name: d, image: e}\n               ]\n";
        let got = trees(lax).unwrap();
        let want = trees(fixed).unwrap();
        assert_eq!(
            want.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
            [None, None]
        );
        assert_eq!(
            got.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
            [Some((5, 11)), Some((17, 15))]
        );
        assert_eq!(
            got.iter().map(|(d, _)| d).collect::<Vec<_>>(),
            want.iter().map(|(d, _)| d).collect::<Vec<_>>()
        );
        let args = got[0]
            .0
            .root
            .as_ref()
            .unwrap()
            .get("spec")
            .unwrap()
            .get("containers")
            .unwrap()
            .as_seq()
            .unwrap()[0]
            .get("args")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.as_scalar().unwrap().text.as_str())
            .collect::<Vec<_>>();
        assert_eq!(args, ["a b", "c\nd"]);
    }

    /// What is wrong besides is still an error, at its own line; a
    /// template is still a template; and any number of collections is
    /// read, all moved in one copy (one more parse, not one per collection).
    #[test]
    fn re_indenting_stops_at_real_errors_and_templates_and_takes_any_number() {
        let e = kinds("kind: Pod\nargs: [\n1]\nspec: a: b\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax, "{e}");
        assert_eq!(e.line, 4, "{e}");
        let e = kinds("kind: Pod\nargs: [\n1]\nimage: {{ .Values.image }}\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Template, "{e}");
        let many = (0..500).fold("kind: Pod\n".to_string(), |t, i| {
            t + &format!("k{i}: [\n1]\n")
        });
        let got = trees(&many).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, Some((2, 5)));
        assert_eq!(got[0].0.root.as_ref().unwrap().as_map().unwrap().len(), 501);
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e = kinds("kind: A\n---\nkind: Pod\nspec: [\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert_eq!(e.file, "f.yaml");
        assert!(e.line >= 4, "{e}");
    }

    #[test]
    fn an_input_that_ends_too_soon_is_pointed_at_its_end() {
        for text in [
            "apiVersion: v1\nkind: Pod\nmetadata: {name: [x",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n\n",
        ] {
            let e = kinds(text).unwrap_err();
            assert_eq!((e.line, e.column), (3, 20), "{e}");
            assert!(e.message.ends_with("(at the end of the input)"), "{e}");
        }
        // An error inside the text keeps its own position.
        let e = kinds("a: 1\n b: 2\nc: 3\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(!e.message.contains("end of the input"), "{e}");
    }

    #[test]
    fn helm_templates_are_recognised() {
        let e = kinds("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Template, "{e}");
        assert!(e.to_string().contains("helm template"));
        assert_eq!((e.line, e.column), (4, 9), "{e}");
    }

    /// The parser stops where the template stops making YAML sense, which
    /// may be far below its first `{{` (a quoted action is a fine string):
    /// the error points at the `{{`, and says where the parser stopped.
    #[test]
    fn a_template_is_pointed_at_its_first_action() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    app: \"{{ .Values.name }}\"\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        {{- with .Values.sc }}\n        securityContext: {}\n        {{- end }}\n";
        let e = kinds(text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Template, "{e}");
        assert_eq!((e.line, e.column), (5, 11), "{e}");
        assert!(
            e.message.contains("the YAML parser stopped at 11:11: "),
            "{e}"
        );
        // In a later document, with CRLF or lone CR line ends and a
        // character of two bytes before it: the parser's count.
        for eol in ["\r\n", "\r"] {
            let text = "kind: A\n---\nkind: Pod\nmetadata:\n  labels: {a: \"é{{ .Values.x }}\"}\nspec:\n{{- if .Values.x }}\n  x: 1\n"
                .replace('\n', eol);
            let e = kinds(&text).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Template, "{e}");
            assert_eq!((e.line, e.column), (5, 17), "{e}");
        }
    }

    /// A manifest may hold templates of its own in its strings (alerting
    /// rules); a YAML mistake elsewhere in it is that mistake, where it is.
    #[test]
    fn templates_in_strings_do_not_hide_a_yaml_mistake() {
        let text = "kind: PrometheusRule\nspec:\n  groups:\n  - rules:\n    - annotations:\n        summary: \"{{ $labels.job }}\"\n        description: |\n          {{ $labels.instance }}\n          {{- if $value }} is down {{ end }}\n  bad: [\n";
        let e = kinds(text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax, "{e}");
        // The unclosed `[` on the last line: the end of the input.
        assert_eq!(e.line, 10, "{e}");
        assert!(e.message.starts_with("invalid YAML/JSON: "), "{e}");
    }

    #[test]
    fn blanking_actions_keeps_every_position() {
        let text = "a: {{ x\n  y }} b\r\nc: \"é{{ ü }}\" {{ unclosed";
        let blank = without_actions(text);
        assert_eq!(blank, "a: xx x\n  x xx b\r\nc: \"éxx x xx\" {{ unclosed");
        assert_eq!(blank.chars().count(), text.chars().count());
        assert_eq!(first_action("{{ no end"), None);
        assert_eq!(first_action("x }} {{ y }}"), Some(5));
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
