//! Kubernetes resource quantities (`64Mi`, `1G`, `0.5`, `1e3`), as far as
//! the checks need them: whether text is one, whether it is above zero,
//! and how two compare by value.
//! A limit of zero is no limit: the runtime leaves a zero memory limit
//! unset, and the kubelet sizes a tmpfs with a zero `sizeLimit` like one
//! with none.

use std::cmp::Ordering;

/// The grammar of `resource.Quantity`: an optionally signed decimal number,
/// then a binary-SI suffix (`Ki` … `Ei`), a decimal-SI one (`n u m k M G T
/// P E`) or a decimal exponent (`e3`, `E-2`), or nothing.
pub fn is_quantity(text: &str) -> bool {
    split(text).is_some()
}

/// A valid quantity whose number is not zero and not negative.
pub fn is_positive(text: &str) -> bool {
    split(text).is_some_and(|(negative, digits, _)| {
        !negative && digits.bytes().any(|b| b.is_ascii_digit() && b != b'0')
    })
}

/// How two quantities compare by value: `1Gi` equals `1024Mi`, `500M`
/// (decimal) is less than `512Mi` (binary), `0.5` equals `500m`. Exact,
/// in decimal digits, not floats: a limit written in bytes has more digits
/// than an f64 keeps, and two such limits must not compare equal because
/// they round alike. None when either is not a quantity, or has an
/// exponent beyond a million (far past any size; bounded because the
/// digits are built out).
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    Some(Exact::of(a)?.cmp(&Exact::of(b)?))
}

/// A quantity's value as sign, decimal digits and exponent: DIGITS ×
/// 10^exponent, the digits without leading or trailing zeros (none for
/// zero), so that equal values have equal forms whatever their spelling.
#[derive(PartialEq, Eq)]
struct Exact {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Exact {
    fn of(text: &str) -> Option<Exact> {
        let (negative, number, suffix) = split(text)?;
        let (twos, tens) = scale(suffix)?;
        let fraction = number.split_once('.').map_or(0, |(_, f)| f.len());
        // Most significant digit first.
        let mut digits: Vec<u8> = number
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        for _ in 0..twos {
            double(&mut digits);
        }
        let mut exponent = tens - i64::try_from(fraction).ok()?;
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            // Zero: `-0` is `0`.
            return Some(Exact {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Exact {
            negative,
            digits,
            exponent,
        })
    }

    /// The power of ten of the leading digit, plus one.
    fn magnitude(&self) -> i64 {
        self.digits.len() as i64 + self.exponent
    }
}

impl Ord for Exact {
    fn cmp(&self, other: &Exact) -> Ordering {
        let sign = |e: &Exact| match (e.negative, e.digits.is_empty()) {
            (_, true) => 0,
            (true, _) => -1,
            (false, _) => 1,
        };
        let by_sign = sign(self).cmp(&sign(other));
        if by_sign != Ordering::Equal || sign(self) == 0 {
            return by_sign;
        }
        // Same sign, both non-zero: the larger magnitude, then the digits
        // (without trailing zeros, a prefix is the smaller) decide.
        let by_size = self
            .magnitude()
            .cmp(&other.magnitude())
            .then_with(|| self.digits.cmp(&other.digits));
        if self.negative {
            by_size.reverse()
        } else {
            by_size
        }
    }
}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Exact) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A valid suffix as a power of two and a power of ten.
fn scale(suffix: &str) -> Option<(u32, i64)> {
    let binary = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if let Some(i) = binary.iter().position(|s| *s == suffix) {
        return Some((10 * (i as u32 + 1), 0));
    }
    let tens = match suffix {
        "" => 0,
        "n" => -9,
        "u" => -6,
        "m" => -3,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let (minus, digits) = match exp.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, exp.strip_prefix('+').unwrap_or(exp)),
            };
            let n: i64 = digits.parse().ok().filter(|n| *n <= 1_000_000)?;
            if minus { -n } else { n }
        }
    };
    Some((0, tens))
}

/// Doubles the decimal number `digits` (most significant first) in place.
fn double(digits: &mut Vec<u8>) {
    let mut carry = 0;
    for d in digits.iter_mut().rev() {
        let v = *d * 2 + carry;
        *d = v % 10;
        carry = v / 10;
    }
    if carry > 0 {
        digits.insert(0, carry);
    }
}

/// Why `size` cannot be an emptyDir `sizeLimit`, if it cannot: it must be
/// a quantity the API server accepts, and above zero (a zero `sizeLimit`
/// is no limit at all). One rule for `fix --writable`, plan files and the
/// webhook's configuration.
pub fn size_refusal(size: &str) -> Option<String> {
    if !is_quantity(size) {
        Some(format!("size {size:?} is not a quantity like 64Mi or 1Gi"))
    } else if !is_positive(size) {
        Some(format!(
            "size {size:?} is not a limit (zero means unlimited); give a positive size, or none"
        ))
    } else {
        None
    }
}

/// Sign, number part (digits and at most one `.`) and suffix of a valid
/// quantity.
fn split(text: &str) -> Option<(bool, &str, &str)> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(end);
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 || number.matches('.').count() > 1 {
        return None;
    }
    let suffix_ok = matches!(
        suffix,
        "" | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
            | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|exp| exp.strip_prefix(['+', '-']).unwrap_or(exp))
        .is_some_and(|exp| !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit()));
    suffix_ok.then_some((negative, number, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_grammar() {
        for ok in [
            "64Mi", "1", "0.5", ".5", "1.", "+1Gi", "-1", "100m", "1e3", "1E-2", "2k", "0",
        ] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in [
            "", "abc", "12XB", "1.2.3", "Mi", "1e", "1e+", "1 Mi", "1mi", "--1", "1KiB",
        ] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn values_compare_across_suffixes() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        for (a, b, want) in [
            ("1Gi", "1024Mi", Equal),
            ("64Mi", "67108864", Equal),
            ("1.5Gi", "1536Mi", Equal),
            ("0.5", "500m", Equal),
            ("1e3", "1k", Equal),
            ("1E-2", "10m", Equal),
            ("+2k", "2000", Equal),
            ("0", "-0Mi", Equal),
            ("500M", "512Mi", Less),
            ("1G", "1Gi", Less),
            ("1Ei", "1E", Greater),
            ("100m", "1", Less),
            ("-1", "0", Less),
            ("-2Ki", "-1Ki", Less),
            ("256Mi", "64Mi", Greater),
            // Equal as f64 (2^53 + 1 rounds to 2^53): told apart.
            ("9007199254740993", "9007199254740992", Greater),
            ("1.000000000000000001G", "1G", Greater),
        ] {
            assert_eq!(compare(a, b), Some(want), "{a} vs {b}");
            assert_eq!(compare(b, a), Some(want.reverse()), "{b} vs {a}");
        }
        assert_eq!(compare("64Mi", "lots"), None);
        assert_eq!(compare("1e99999999999999999999", "1"), None);
    }

    #[test]
    fn zero_and_negative_are_no_limit() {
        for bounded in ["64Mi", "1", "0.5", "100m", "1e3"] {
            assert!(is_positive(bounded), "{bounded}");
        }
        for unbounded in ["0", "0Mi", "0.0", "-1", "-64Mi", "+0", "abc"] {
            assert!(!is_positive(unbounded), "{unbounded}");
        }
    }
}
