//! Levels and versions, parsed exactly as Pod Security Admission parses its
//! namespace labels (`enforce: restricted`, `enforce-version: v1.30`).

use std::fmt;

/// The newest policy version the checks implement.
pub const MAX_MINOR: u32 = 37;

/// A policy level. `Immutable` is rootlock's: restricted plus the
/// read-only-root-filesystem family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
    Immutable,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Privileged,
        Level::Baseline,
        Level::Restricted,
        Level::Immutable,
    ];

    /// Exact, case-sensitive, as PSA does: `Restricted` is invalid.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            "immutable" => Some(Level::Immutable),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
            Level::Immutable => "immutable",
        }
    }

    /// The Pod Security Standards level this level contains.
    pub fn pss_level(self) -> Level {
        match self {
            Level::Immutable => Level::Restricted,
            other => other,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy version: `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Latest,
    /// `v1.N`, as written (may exceed [`MAX_MINOR`]; up to `i64::MAX`, the
    /// range of the Go `int` PSA parses it into).
    Minor(u64),
}

impl Version {
    /// `latest` or `^v1\.(0|[1-9][0-9]*)$`; everything else is invalid
    /// (`v1.01`, `1.25`, `v1.25.0`, `v2.0`, `Latest`).
    pub fn parse(s: &str) -> Option<Version> {
        if s == "latest" {
            return Some(Version::Latest);
        }
        let digits = s.strip_prefix("v1.")?;
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return None;
        }
        // PSA reads the number with Go's `strconv.Atoi` (a 64-bit int), so
        // `v1.4294967296` is a valid (far-future) version and only numbers
        // past `i64::MAX` are invalid; a narrower type here would reject
        // labels the API server accepts.
        digits
            .parse::<i64>()
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .map(Version::Minor)
    }

    /// The minor version whose checks apply: newer than the newest known
    /// version (and `latest`) use the newest checks.
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::Latest => MAX_MINOR,
            Version::Minor(m) => u32::try_from(m).map_or(MAX_MINOR, |m| m.min(MAX_MINOR)),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(m) => write!(f, "v1.{m}"),
        }
    }
}

/// A level at a version, printed `restricted:latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl LevelVersion {
    pub fn new(level: Level, version: Version) -> Self {
        LevelVersion { level, version }
    }

    /// `LEVEL[:VERSION]`, version defaulting to `latest`.
    pub fn parse(s: &str) -> Result<LevelVersion, String> {
        let (level, version) = match s.split_once(':') {
            Some((l, v)) => (l, Some(v)),
            None => (s, None),
        };
        let level = Level::parse(level).ok_or_else(|| {
            format!(
                "invalid level {level:?}: must be one of privileged, baseline, restricted, immutable"
            )
        })?;
        let version = match version {
            None => Version::Latest,
            Some(v) => Version::parse(v)
                .ok_or_else(|| format!("invalid version {v:?}: must be \"latest\" or \"v1.x\""))?,
        };
        Ok(LevelVersion { level, version })
    }

    /// The same version at the Pod Security Standards level this contains
    /// (`immutable:v1.30` → `restricted:v1.30`).
    pub fn pss(self) -> LevelVersion {
        LevelVersion::new(self.level.pss_level(), self.version)
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_psa_labels() {
        assert_eq!(Version::parse("latest"), Some(Version::Latest));
        assert_eq!(Version::parse("v1.0"), Some(Version::Minor(0)));
        assert_eq!(Version::parse("v1.37"), Some(Version::Minor(37)));
        assert_eq!(Version::parse("v1.99"), Some(Version::Minor(99)));
        // Go's Atoi range, not u32's.
        assert_eq!(
            Version::parse("v1.4294967296"),
            Some(Version::Minor(4_294_967_296))
        );
        assert_eq!(
            Version::parse("v1.9223372036854775807"),
            Some(Version::Minor(9_223_372_036_854_775_807))
        );
        assert_eq!(
            Version::parse("v1.4294967296").map(Version::effective_minor),
            Some(MAX_MINOR)
        );
        for bad in [
            "v1.01",
            "1.25",
            "v1.25.0",
            "v2.0",
            "Latest",
            "v1.",
            "v1.-1",
            "",
            "v1.+2",
            "v1.9223372036854775808",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn newer_versions_clamp_but_print_as_written() {
        let lv = LevelVersion::parse("restricted:v1.99").unwrap();
        assert_eq!(lv.version.effective_minor(), MAX_MINOR);
        assert_eq!(lv.to_string(), "restricted:v1.99");
        assert_eq!(
            LevelVersion::parse("baseline").unwrap().to_string(),
            "baseline:latest"
        );
    }

    #[test]
    fn level_parse_is_case_sensitive() {
        assert!(LevelVersion::parse("Restricted").is_err());
        assert!(LevelVersion::parse("restricted:").is_err());
        assert_eq!(
            LevelVersion::parse("immutable:v1.30")
                .unwrap()
                .pss()
                .to_string(),
            "restricted:v1.30"
        );
    }
}
