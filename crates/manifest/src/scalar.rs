//! Scalar type resolution as Kubernetes' YAML reader does it (go-yaml v2,
//! YAML 1.1): `yes`/`on`/`y` are booleans when unquoted, `0x1F` and `017`
//! are integers, anything quoted is a string.

use crate::tree::Scalar;

#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer too large for i64, or a float.
    Number,
    Str(&'a str),
}

impl Resolved<'_> {
    /// What a user would call this value, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Resolved::Null => "null".into(),
            Resolved::Bool(b) => format!("boolean {b}"),
            Resolved::Int(i) => format!("integer {i}"),
            Resolved::Number => "a number".into(),
            Resolved::Str(s) => {
                let shown: String = s.chars().take(60).collect();
                format!("string {shown:?}")
            }
        }
    }
}

const TRUE: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const FALSE: &[&str] = &[
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];
const NULL: &[&str] = &["", "~", "null", "Null", "NULL"];

pub fn resolve(s: &Scalar) -> Resolved<'_> {
    let t = s.text.as_str();
    match s.tag.as_deref() {
        Some("str") => return Resolved::Str(t),
        Some("null") => return Resolved::Null,
        // An explicit core tag decides the type even on a quoted scalar
        // (`!!int "1000"` is the integer 1000 to go-yaml); text the tag
        // cannot read stays a string, so the field reports a type error.
        Some("bool") => {
            return match resolve_plain(t) {
                b @ Resolved::Bool(_) => b,
                _ => Resolved::Str(t),
            };
        }
        Some("int") => {
            return match resolve_plain(t) {
                i @ Resolved::Int(_) => i,
                _ => Resolved::Str(t),
            };
        }
        Some("float") => {
            return match resolve_plain(t) {
                Resolved::Int(_) | Resolved::Number => Resolved::Number,
                _ => Resolved::Str(t),
            };
        }
        _ => {}
    }
    if !s.plain {
        return Resolved::Str(t);
    }
    resolve_plain(t)
}

fn resolve_plain(t: &str) -> Resolved<'_> {
    if NULL.contains(&t) {
        return Resolved::Null;
    }
    if TRUE.contains(&t) {
        return Resolved::Bool(true);
    }
    if FALSE.contains(&t) {
        return Resolved::Bool(false);
    }
    let first = t.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Resolved::Str(t);
    }
    if let Some(i) = parse_int(t) {
        return i;
    }
    if is_float(t) {
        return Resolved::Number;
    }
    Resolved::Str(t)
}

fn parse_int(t: &str) -> Option<Resolved<'static>> {
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let body: String = body.chars().filter(|c| *c != '_').collect();
    if body.is_empty() {
        return None;
    }
    // Go's ParseInt(s, 0, 64), which go-yaml v2 calls, takes a base prefix
    // in either case, `0o` included.
    let prefixed = |p: &str| {
        let (head, rest) = body.split_at_checked(2)?;
        head.eq_ignore_ascii_case(p).then_some(rest)
    };
    let (digits, radix) = if let Some(h) = prefixed("0x") {
        (h, 16)
    } else if let Some(b) = prefixed("0b") {
        (b, 2)
    } else if let Some(o) = prefixed("0o") {
        (o, 8)
    } else if body.len() > 1 && body.starts_with('0') {
        (&body[1..], 8)
    } else {
        (body.as_str(), 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some(match i64::from_str_radix(digits, radix) {
        Ok(v) => Resolved::Int(if neg { -v } else { v }),
        Err(_) => Resolved::Number,
    })
}

fn is_float(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    if matches!(lower.trim_start_matches(['-', '+']), ".inf" | ".nan") {
        return true;
    }
    let body = t.trim_start_matches(['-', '+']);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.trim_start_matches(['-', '+']);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

/// The integer an integer field receives from a float scalar (`1000.0`,
/// `1e3`, `!!float 5`), as kubectl sends it: sigs.k8s.io/yaml reads the
/// float into a float64 and prints it as JSON, so a whole number in int64's
/// range goes out as integer digits (`1000`), which the API server reads
/// into the field. `None` for what it refuses: a fraction (`80.5`, `1e-3`),
/// a value outside int64 (`1e19`), `.inf`, `.nan`. A JSON manifest gets the
/// same answer: kubectl reads it into an unstructured object (a float64 for
/// `80.0`, sigs.k8s.io/json) and sends that back as `80`; only a raw `80.0`
/// posted past kubectl would be refused by the API server's typed decoder.
pub fn whole_number(text: &str) -> Option<i64> {
    // go-yaml drops `_` before parsing a number; Rust's parser rounds to
    // nearest like Go's ParseFloat, so both see the same float64.
    let f: f64 = text.replace('_', "").parse().ok()?;
    // 2^63 is exactly representable; int64 holds [-2^63, 2^63).
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let whole = f.is_finite() && f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f);
    // In range and whole, so the cast is exact.
    whole.then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(t: &str) -> Scalar {
        Scalar {
            text: t.into(),
            plain: true,
            tag: None,
        }
    }

    #[test]
    fn yaml_1_1_resolution() {
        assert_eq!(resolve(&plain("true")), Resolved::Bool(true));
        assert_eq!(resolve(&plain("yes")), Resolved::Bool(true));
        assert_eq!(resolve(&plain("Off")), Resolved::Bool(false));
        assert_eq!(resolve(&plain("~")), Resolved::Null);
        assert_eq!(resolve(&plain("")), Resolved::Null);
        assert_eq!(resolve(&plain("1000")), Resolved::Int(1000));
        assert_eq!(resolve(&plain("-5")), Resolved::Int(-5));
        assert_eq!(resolve(&plain("0x1F")), Resolved::Int(31));
        assert_eq!(resolve(&plain("010")), Resolved::Int(8));
        // go-yaml v2 reads integers with Go's ParseInt(s, 0, 64), which
        // takes the prefixes in either case and `0o` as well.
        assert_eq!(resolve(&plain("0X1F")), Resolved::Int(31));
        assert_eq!(resolve(&plain("0o17")), Resolved::Int(15));
        assert_eq!(resolve(&plain("0O17")), Resolved::Int(15));
        assert_eq!(resolve(&plain("-0B101")), Resolved::Int(-5));
        assert_eq!(resolve(&plain("0o")), Resolved::Str("0o"));
        assert_eq!(resolve(&plain("0o8")), Resolved::Str("0o8"));
        assert_eq!(resolve(&plain("1.5")), Resolved::Number);
        assert_eq!(resolve(&plain("1e3")), Resolved::Number);
        assert_eq!(resolve(&plain("99999999999999999999")), Resolved::Number);
        assert_eq!(resolve(&plain("128Mi")), Resolved::Str("128Mi"));
        assert_eq!(resolve(&plain("1.2.3")), Resolved::Str("1.2.3"));
        assert_eq!(resolve(&plain("-")), Resolved::Str("-"));
        assert_eq!(resolve(&plain(".")), Resolved::Str("."));
        let quoted = Scalar {
            text: "true".into(),
            plain: false,
            tag: None,
        };
        assert_eq!(resolve(&quoted), Resolved::Str("true"));
        let tagged = Scalar {
            text: "123".into(),
            plain: true,
            tag: Some("str".into()),
        };
        assert_eq!(resolve(&tagged), Resolved::Str("123"));
        let tag = |text: &str, tag: &str| Scalar {
            text: text.into(),
            plain: false,
            tag: Some(tag.into()),
        };
        assert_eq!(resolve(&tag("1000", "int")), Resolved::Int(1000));
        assert_eq!(resolve(&tag("abc", "int")), Resolved::Str("abc"));
        assert_eq!(resolve(&tag("1.5", "float")), Resolved::Number);
        assert_eq!(resolve(&tag("true", "bool")), Resolved::Bool(true));
    }
}
