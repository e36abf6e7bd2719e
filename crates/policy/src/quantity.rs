//! Kubernetes resource quantities (`64Mi`, `1G`, `0.5`, `1e3`), as far as
//! the checks need them: whether text is one, and whether it is above zero.
//! A limit of zero is no limit: the runtime leaves a zero memory limit
//! unset, and the kubelet sizes a tmpfs with a zero `sizeLimit` like one
//! with none.

/// The grammar of `resource.Quantity`: an optionally signed decimal number,
/// then a binary-SI suffix (`Ki` … `Ei`), a decimal-SI one (`n u m k M G T
/// P E`) or a decimal exponent (`e3`, `E-2`), or nothing.
pub fn is_quantity(text: &str) -> bool {
    split(text).is_some()
}

/// A valid quantity whose number is not zero and not negative.
pub fn is_positive(text: &str) -> bool {
    split(text).is_some_and(|(negative, digits)| {
        !negative && digits.bytes().any(|b| b.is_ascii_digit() && b != b'0')
    })
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

/// Sign and number part (digits and at most one `.`) of a valid quantity.
fn split(text: &str) -> Option<(bool, &str)> {
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
    suffix_ok.then_some((negative, number))
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
    fn zero_and_negative_are_no_limit() {
        for bounded in ["64Mi", "1", "0.5", "100m", "1e3"] {
            assert!(is_positive(bounded), "{bounded}");
        }
        for unbounded in ["0", "0Mi", "0.0", "-1", "-64Mi", "+0", "abc"] {
            assert!(!is_positive(unbounded), "{unbounded}");
        }
    }
}
