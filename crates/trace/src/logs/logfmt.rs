//! logfmt records, as Go's loggers write them (logrus' TextFormatter,
//! go-kit's and go-logfmt's logger, slog's TextHandler):
//! `level=error msg="save failed" path=/var/lib/app/x.db err="read-only file system"`.
//! Each is read as the JSON object of its fields, so that the rules of
//! JSON records apply to it alike (`json_line`, `json_path`): its values
//! are its texts, and a path field beside its error names the path.
//!
//! A value is bare (no space, `=` or `"` in it: all three encoders quote a
//! value with one) or quoted as Go's `%q` / `strconv.Quote` (logrus,
//! slog) or go-logfmt (JSON's escapes) write it. Only a line that is
//! nothing but two or more such `key=value` fields is a record: prose with
//! an `=` in it (`retrying with size=2`) is read as it is.

use serde_json::{Map, Value};

/// `line` as the object of its fields, if it is a logfmt record. A key
/// given twice keeps its last value (as a JSON object does).
pub fn record(line: &str) -> Option<Map<String, Value>> {
    let mut fields = Map::new();
    let mut count = 0;
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        if key.is_empty() || key.contains([' ', '"']) {
            return None;
        }
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                let end = after.find(' ').unwrap_or(after.len());
                let bare = &after[..end];
                if bare.contains(['=', '"']) {
                    return None;
                }
                (bare.to_string(), &after[end..])
            }
        };
        // Fields are apart by white space, and nothing else.
        if !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        fields.insert(key.to_string(), Value::String(value));
        count += 1;
        rest = after.trim_start();
    }
    (count >= 2).then_some(fields)
}

/// The quoted value that starts `s` (its opening quote already read),
/// decoded, and what follows its closing quote; `None` when it does not
/// close or holds an escape Go would not have written.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                let simple = match e {
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{c}'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\u{b}'),
                    '\\' | '"' | '\'' | '/' => Some(e),
                    _ => None,
                };
                let c = match simple {
                    Some(c) => c,
                    None => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            'U' => 8,
                            _ => return None,
                        };
                        let mut code = 0u32;
                        for _ in 0..digits {
                            code = code * 16 + chars.next()?.1.to_digit(16)?;
                        }
                        // `\xNN` is a byte of a name that is not UTF-8
                        // when above 0x7F, and a lone surrogate has no
                        // `char`: read as U+FFFD, as the reader reads
                        // bytes that are not UTF-8 (the plan then warns).
                        match (e, char::from_u32(code)) {
                            ('x', Some(c)) if c.is_ascii() => c,
                            ('u' | 'U', Some(c)) => c,
                            _ => char::REPLACEMENT_CHARACTER,
                        }
                    }
                };
                out.push(c);
            }
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields as (key, value) pairs, in key order.
    fn pairs(line: &str) -> Option<Vec<(String, String)>> {
        let fields = record(line)?;
        Some(
            fields
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_record_is_its_fields_decoded() {
        let got = pairs(
            r#"time="2024-05-14T09:21:07Z" level=error msg="it said \"no\"\tthen\\ \u00e9 \xff" path=/srv/a  n=1"#,
        );
        let want = [
            ("level", "error"),
            ("msg", "it said \"no\"\tthen\\ \u{e9} \u{fffd}"),
            ("n", "1"),
            ("path", "/srv/a"),
            ("time", "2024-05-14T09:21:07Z"),
        ];
        assert_eq!(
            got,
            Some(
                want.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            )
        );
        assert_eq!(
            pairs(r#"a= b="""#),
            Some(vec![("a".into(), "".into()), ("b".into(), "".into())])
        );
    }

    #[test]
    fn anything_else_is_no_record() {
        for line in [
            "",
            "level=error",
            "retrying with size=2 and n=3",
            "level=error err=mkdir /srv/cache: read-only file system",
            r#"level=error msg="never closed"#,
            r#"level=error msg="a"b"#,
            r#"level=error msg="bad \q escape""#,
            r#"level=error msg="short \u00e""#,
            "level=error path=/srv/k=v",
            "level=error =x",
            "level=error ms\"g=x",
            r#"{"level":"error","msg":"x"}"#,
        ] {
            assert_eq!(pairs(line), None, "{line}");
        }
    }
}
