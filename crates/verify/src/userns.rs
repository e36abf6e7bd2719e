//! Which user namespace the inspected process is in, from
//! `/proc/PID/uid_map`. It decides what a writable `/proc/sys` means: the
//! kernel lets a process write a sysctl as the file's owner only when its
//! effective UID is root of the *initial* user namespace
//! (`kernel/sysctl.c`, `test_perm`), so in a nested one (Kubernetes
//! `hostUsers: false`) only the namespace's own sysctls are writable.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UserNamespace {
    /// The node's own: UIDs map one to one over the whole range.
    Initial,
    /// Any other mapping, an empty one included (a namespace whose map has
    /// not been written yet).
    Nested,
}

impl UserNamespace {
    pub fn as_str(self) -> &'static str {
        match self {
            UserNamespace::Initial => "initial",
            UserNamespace::Nested => "nested",
        }
    }
}

/// The identity map the kernel shows for its initial user namespace:
/// `0 0 4294967295`, one line.
pub fn parse(uid_map: &str) -> Result<UserNamespace, String> {
    let mut lines = Vec::new();
    for (i, line) in uid_map.lines().enumerate() {
        let fields: Vec<u64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| format!("line {}: {line:?} is not three numbers", i + 1))?;
        let [inside, outside, count] = fields[..] else {
            return Err(format!("line {}: {line:?} is not three numbers", i + 1));
        };
        lines.push((inside, outside, count));
    }
    Ok(if lines == [(0, 0, u64::from(u32::MAX))] {
        UserNamespace::Initial
    } else {
        UserNamespace::Nested
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_map_is_the_initial_namespace() {
        assert_eq!(
            parse("         0          0 4294967295\n"),
            Ok(UserNamespace::Initial)
        );
    }

    #[test]
    fn any_other_map_is_nested() {
        // Kubernetes hostUsers: false: 65,536 IDs from a per-pod offset.
        assert_eq!(
            parse("         0 1879048192      65536\n"),
            Ok(UserNamespace::Nested)
        );
        // Rootless: the user maps to root, subordinate IDs above.
        assert_eq!(
            parse("0 1000 1\n1 100000 65536\n"),
            Ok(UserNamespace::Nested)
        );
        // Identity over part of the range is still a nested namespace.
        assert_eq!(parse("0 0 65536\n"), Ok(UserNamespace::Nested));
        assert_eq!(parse(""), Ok(UserNamespace::Nested));
    }

    #[test]
    fn malformed_maps_are_errors_naming_the_line() {
        assert!(parse("0 0\n").unwrap_err().starts_with("line 1:"));
        assert!(parse("0 0 1\nx 0 1\n").unwrap_err().starts_with("line 2:"));
        assert!(parse("0 0 1 2\n").is_err());
    }
}
