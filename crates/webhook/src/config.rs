//! The configuration file: per-mode defaults for unlabelled namespaces,
//! exemptions (as PSA's PodSecurityConfiguration has them) and the webhook's
//! own options. Every value is validated at start: a bad config file is an
//! error, never a silently weaker policy.

use crate::admission_configuration;
use crate::labels::Policy;
use rootlock_policy::{FieldPath, Level, LevelVersion, Version};
use serde::Deserialize;
use std::collections::HashSet;
use std::time::Duration;

/// The `apiVersion` of a rootlock configuration file.
pub const API_VERSION: &str = "rootlock.dev/v1";

/// The `apiVersion`s of PSA's own `PodSecurityConfiguration`, whose
/// `defaults` and `exemptions` this file also reads.
pub const PSA_API_VERSIONS: [&str; 3] = [
    "pod-security.admission.config.k8s.io/v1",
    "pod-security.admission.config.k8s.io/v1beta1",
    "pod-security.admission.config.k8s.io/v1alpha1",
];

/// The parsed, validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub defaults: Policy,
    pub exemptions: Exemptions,
    /// Honour `exempt.rootlock.dev/*` annotations (off by default: whoever
    /// can deploy a workload can annotate it).
    pub annotation_exemptions: bool,
    pub mutate: MutateConfig,
    /// Bounds of the dry-run of existing pods when a namespace's enforce
    /// level becomes stricter.
    pub namespace_max_pods: usize,
    pub namespace_check_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Upper bound of one request's handling (the API server's `?timeout=`
    /// lowers it).
    pub request_timeout: Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exemptions {
    pub usernames: HashSet<String>,
    pub namespaces: HashSet<String>,
    pub runtime_classes: HashSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutateConfig {
    /// Mutate in namespaces without a `rootlock.dev/mutate` label.
    pub enabled: bool,
    /// `sizeLimit` of the memory-backed emptyDir added at `/tmp`.
    pub tmp_size_limit: String,
}

impl Default for Config {
    fn default() -> Self {
        let immutable = LevelVersion::new(Level::Immutable, Version::Latest);
        Config {
            defaults: Policy {
                enforce: immutable,
                warn: immutable,
                audit: immutable,
            },
            exemptions: Exemptions {
                namespaces: ["kube-system".to_string()].into_iter().collect(),
                ..Default::default()
            },
            annotation_exemptions: false,
            mutate: MutateConfig {
                enabled: false,
                tmp_size_limit: "64Mi".into(),
            },
            namespace_max_pods: 3000,
            namespace_check_timeout: Duration::from_secs(1),
            // An UPDATE's review carries the object and the oldObject, each
            // up to the API server's own 3 MiB request limit: a 3 MiB limit
            // refused (and, failing closed, denied) updates of pods past
            // about 1.5 MiB.
            max_body_bytes: 7 << 20,
            request_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct File {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    defaults: Option<DefaultsFile>,
    #[serde(default)]
    exemptions: Option<ExemptionsFile>,
    #[serde(default)]
    annotation_exemptions: Option<bool>,
    #[serde(default)]
    mutate: Option<MutateFile>,
    #[serde(default)]
    namespace_check: Option<NamespaceCheckFile>,
    #[serde(default)]
    max_request_bytes: Option<usize>,
    #[serde(default)]
    request_timeout_seconds: Option<u64>,
}

impl File {
    /// Whether this is PSA's own `PodSecurityConfiguration` (its kind, or
    /// without a kind its `apiVersion`), whose left-out fields mean what
    /// PSA makes of them.
    fn psa(&self) -> bool {
        match self.kind.as_deref() {
            Some(kind) => kind == "PodSecurityConfiguration",
            None => self
                .api_version
                .as_deref()
                .is_some_and(|v| PSA_API_VERSIONS.contains(&v)),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    enforce: Option<String>,
    #[serde(rename = "enforce-version")]
    enforce_version: Option<String>,
    warn: Option<String>,
    #[serde(rename = "warn-version")]
    warn_version: Option<String>,
    audit: Option<String>,
    #[serde(rename = "audit-version")]
    audit_version: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExemptionsFile {
    usernames: Option<Vec<YamlString>>,
    namespaces: Option<Vec<YamlString>>,
    runtime_classes: Option<Vec<YamlString>>,
}

/// A YAML string and nothing else. serde_norway hands any plain scalar to
/// a `String` as its text, so `[null]`, `[~]`, `[1]` or `[true]` would
/// become the names "null", "~", "1", "true": an exemption of a namespace
/// that anyone allowed to create namespaces can create. PSA's decoder
/// refuses them (a number or a bool is a type error; null is "", refused
/// as empty), and so does this: `deserialize_any` resolves the scalar's
/// YAML type, and only a string is accepted.
#[derive(Debug)]
struct YamlString(String);

impl<'de> Deserialize<'de> for YamlString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OnlyStr;
        impl serde::de::Visitor<'_> for OnlyStr {
            type Value = YamlString;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<YamlString, E> {
                Ok(YamlString(v.to_string()))
            }
        }
        d.deserialize_any(OnlyStr)
    }
}

fn strings(items: Vec<YamlString>) -> Vec<String> {
    items.into_iter().map(|s| s.0).collect()
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MutateFile {
    enabled: Option<bool>,
    tmp_size_limit: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NamespaceCheckFile {
    max_pods: Option<usize>,
    timeout_seconds: Option<f64>,
}

/// The largest config file read. Real ones are a few hundred bytes; the
/// bound only stops `--config /dev/zero`, or a huge file named by mistake,
/// from being held in memory whole (until memory runs out).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl Config {
    /// The configuration the webhook runs with when given none, for
    /// whoever models it without a config file (`rootlock cluster`).
    pub fn builtin() -> &'static Config {
        static BUILTIN: std::sync::LazyLock<Config> = std::sync::LazyLock::new(Config::default);
        &BUILTIN
    }

    /// What PSA's own `PodSecurityConfiguration` means by a field it
    /// leaves out: `privileged:latest` for every mode and no exemptions, as
    /// the API server's PSA reads that file. A PSA config handed over as it
    /// is must not turn into enforcing `immutable` on every namespace
    /// without labels. The webhook's own options keep their defaults.
    fn for_psa_file() -> Config {
        let privileged = LevelVersion::new(Level::Privileged, Version::Latest);
        Config {
            defaults: Policy {
                enforce: privileged,
                warn: privileged,
                audit: privileged,
            },
            exemptions: Exemptions::default(),
            ..Config::default()
        }
    }

    /// Whether pods of runtime class `rc` are exempt
    /// (`exemptions.runtimeClasses`); an empty name is no class.
    pub fn exempt_runtime_class(&self, rc: Option<&str>) -> bool {
        rc.is_some_and(|rc| !rc.is_empty() && self.exemptions.runtime_classes.contains(rc))
    }

    /// Reads and validates a config file. An invalid value is reported as
    /// `PATH:LINE: FIELD: why`, one line each.
    /// At most [`MAX_CONFIG_BYTES`] are read.
    pub fn load(path: &str) -> Result<Config, String> {
        let bytes = rootlock_manifest::bounded_read::read_at_most(
            std::path::Path::new(path),
            MAX_CONFIG_BYTES,
        )
        .map_err(|e| format!("{path}: {e}"))?
        .ok_or_else(|| {
            format!(
                "{path}: larger than {} MiB: not a webhook config",
                MAX_CONFIG_BYTES >> 20
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{path}: not valid UTF-8"))?;
        Config::parse_from(&text, path)
    }

    /// Parses YAML (or JSON). Fields left out keep [`Config::default`].
    pub fn parse(text: &str) -> Result<Config, String> {
        Config::parse_from(text, "config")
    }

    /// [`Config::parse`], naming the text `source` in errors.
    fn parse_from(text: &str, source: &str) -> Result<Config, String> {
        let errors = match Config::parse_fields(text) {
            Ok(c) => return Ok(c),
            Err(Invalid::Syntax(e)) => return Err(syntax_error(text, source, &e)),
            Err(Invalid::Values(errors)) => errors,
        };
        let tree = read_tree(text)
            .ok()
            .and_then(|docs| docs.into_iter().find_map(|d| d.root));
        Err(errors
            .iter()
            .map(|(field, why)| match &tree {
                Some(t) => format!(
                    "{source}:{}: {field}: {why}",
                    rootlock_manifest::line_of(t, field)
                ),
                None => format!("{source}: {field}: {why}"),
            })
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// The file's fields, and where they are in it: its top, or the
    /// PodSecurity plugin's `configuration` of an API server's
    /// `AdmissionConfiguration` (see [`admission_configuration`]).
    fn read_file(text: &str) -> Result<(FieldPath, File), Invalid> {
        if text.trim().is_empty() {
            return Ok((FieldPath::default(), File::default()));
        }
        let syntax = |e: serde_norway::Error| Invalid::Syntax(e.to_string());
        let doc: serde_norway::Value = serde_norway::from_str(text).map_err(syntax)?;
        // Read again from the text, not from `doc`: serde's errors then
        // keep their line and column.
        match admission_configuration::pod_security(&doc) {
            Ok(None) => Ok((
                FieldPath::default(),
                serde_norway::from_str(text).map_err(syntax)?,
            )),
            Ok(Some(i)) => {
                let at = FieldPath::keys(&["plugins"]).index(i).key("configuration");
                let file: File = admission_configuration::configuration(text, i).map_err(syntax)?;
                if file.psa() {
                    Ok((at, file))
                } else {
                    Err(Invalid::Values(vec![(
                        at.key("kind"),
                        "must be PodSecurityConfiguration, the PodSecurity plugin's own".into(),
                    )]))
                }
            }
            Err(refusal) => Err(Invalid::Values(vec![refusal])),
        }
    }

    fn parse_fields(text: &str) -> Result<Config, Invalid> {
        let (at, file) = Config::read_file(text)?;
        Config::from_fields(file).map_err(|errors| {
            // Each field's path in the whole file, for its line.
            let in_file =
                |field: FieldPath| FieldPath(at.0.iter().cloned().chain(field.0).collect());
            Invalid::Values(
                errors
                    .into_iter()
                    .map(|(f, why)| (in_file(f), why))
                    .collect(),
            )
        })
    }

    /// The config `file` sets, or what is wrong with its values.
    fn from_fields(file: File) -> Result<Config, Vec<(FieldPath, String)>> {
        let mut errors: Vec<(FieldPath, String)> = Vec::new();
        if let Some(kind) = &file.kind
            && kind != "RootlockWebhookConfiguration"
            && kind != "PodSecurityConfiguration"
        {
            errors.push((
                FieldPath::keys(&["kind"]),
                format!("unexpected kind {kind:?}: must be RootlockWebhookConfiguration or PodSecurityConfiguration"),
            ));
        }
        // Optional, but not ignored when given: a typo or another tool's
        // configuration is an error, not a file half read.
        if let Some(v) = &file.api_version {
            let known = match file.kind.as_deref() {
                Some("PodSecurityConfiguration") => PSA_API_VERSIONS.contains(&v.as_str()),
                Some("RootlockWebhookConfiguration") => v == API_VERSION,
                _ => v == API_VERSION || PSA_API_VERSIONS.contains(&v.as_str()),
            };
            if !known {
                errors.push((
                    FieldPath::keys(&["apiVersion"]),
                    format!(
                        "unexpected apiVersion {v:?}: {API_VERSION} (kind RootlockWebhookConfiguration), or {} (kind PodSecurityConfiguration)",
                        PSA_API_VERSIONS.join(", ")
                    ),
                ));
            }
        }
        let mut c = if file.psa() {
            Config::for_psa_file()
        } else {
            Config::default()
        };
        if let Some(d) = file.defaults {
            let mut set = |mode: &str,
                           level: Option<String>,
                           version: Option<String>,
                           target: &mut LevelVersion| {
                if let Some(l) = level {
                    match Level::parse(&l) {
                        Some(l) => target.level = l,
                        None => errors.push((
                            FieldPath::keys(&["defaults", mode]),
                            format!("invalid value {l:?}: must be one of privileged, baseline, restricted, immutable"),
                        )),
                    }
                }
                if let Some(v) = version {
                    match Version::parse(&v) {
                        Some(v) => target.version = v,
                        None => errors.push((
                            FieldPath::keys(&["defaults", &format!("{mode}-version")]),
                            format!("invalid value {v:?}: must be \"latest\" or \"v1.x\""),
                        )),
                    }
                }
            };
            set(
                "enforce",
                d.enforce,
                d.enforce_version,
                &mut c.defaults.enforce,
            );
            set("warn", d.warn, d.warn_version, &mut c.defaults.warn);
            set("audit", d.audit, d.audit_version, &mut c.defaults.audit);
        }
        if let Some(e) = file.exemptions {
            if let Some(users) = e.usernames {
                c.exemptions.usernames = unique(
                    FieldPath::keys(&["exemptions", "usernames"]),
                    strings(users),
                    &mut errors,
                    |u| (!u.is_empty()).then_some(()).ok_or("must not be empty"),
                );
            }
            if let Some(ns) = e.namespaces {
                c.exemptions.namespaces = unique(
                    FieldPath::keys(&["exemptions", "namespaces"]),
                    strings(ns),
                    &mut errors,
                    |n| {
                        is_dns1123_label(n)
                            .then_some(())
                            .ok_or("must be a valid namespace name")
                    },
                );
            }
            if let Some(rc) = e.runtime_classes {
                c.exemptions.runtime_classes = unique(
                    FieldPath::keys(&["exemptions", "runtimeClasses"]),
                    strings(rc),
                    &mut errors,
                    |n| {
                        is_dns1123_subdomain(n)
                            .then_some(())
                            .ok_or("must be a valid DNS subdomain")
                    },
                );
            }
        }
        if let Some(a) = file.annotation_exemptions {
            c.annotation_exemptions = a;
        }
        if let Some(m) = file.mutate {
            if let Some(e) = m.enabled {
                c.mutate.enabled = e;
            }
            if let Some(s) = m.tmp_size_limit {
                use rootlock_policy::quantity::{is_positive, is_quantity};
                let refused = if !is_quantity(&s) {
                    Some("must be a quantity such as 64Mi")
                } else if !is_positive(&s) {
                    // The kubelet reads a zero sizeLimit as none: the tmpfs
                    // would be as large as the pod's (or the node's) memory.
                    Some("must be more than zero (a zero sizeLimit is no limit)")
                } else {
                    None
                };
                match refused {
                    Some(why) => errors.push((
                        FieldPath::keys(&["mutate", "tmpSizeLimit"]),
                        format!("invalid value {s:?}: {why}"),
                    )),
                    None => c.mutate.tmp_size_limit = s,
                }
            }
        }
        if let Some(n) = file.namespace_check {
            // Zero would check no pod and still warn "checked against the
            // first 0 of N" on every stricter enforce label.
            match n.max_pods {
                Some(0) => errors.push((
                    FieldPath::keys(&["namespaceCheck", "maxPods"]),
                    "must be at least 1".into(),
                )),
                Some(m) => c.namespace_max_pods = m,
                None => {}
            }
            if let Some(t) = n.timeout_seconds {
                if t.is_finite() && t > 0.0 && t <= 60.0 {
                    c.namespace_check_timeout = Duration::from_secs_f64(t);
                } else {
                    errors.push((
                        FieldPath::keys(&["namespaceCheck", "timeoutSeconds"]),
                        "must be in (0, 60]".into(),
                    ));
                }
            }
        }
        if let Some(b) = file.max_request_bytes {
            // Above the bytes all bodies share, a body that large could only
            // ever be refused (503), after waiting for room.
            let most = crate::server::BODY_BUDGET;
            if (1024..=most).contains(&b) {
                c.max_body_bytes = b;
            } else {
                errors.push((
                    FieldPath::keys(&["maxRequestBytes"]),
                    format!("must be at least 1024 and at most {most} (the bytes all bodies in flight share)"),
                ));
            }
        }
        if let Some(t) = file.request_timeout_seconds {
            if (1..=30).contains(&t) {
                c.request_timeout = Duration::from_secs(t);
            } else {
                errors.push((
                    FieldPath::keys(&["requestTimeoutSeconds"]),
                    "must be between 1 and 30".into(),
                ));
            }
        }
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }
}

/// The file as the YAML reader the rest of rootlock uses reads it.
fn read_tree(
    text: &str,
) -> Result<Vec<rootlock_manifest::tree::Document>, rootlock_manifest::tree::TreeError> {
    rootlock_manifest::tree::parse_documents(
        text,
        0,
        &rootlock_manifest::limits::Limits::default(),
        &|_| true,
    )
}

/// A file serde could not read. serde's errors carry their line, but not
/// all: a repeated key is only "duplicate field `defaults`". The YAML
/// reader names the line of what it refuses, so its error comes first.
fn syntax_error(text: &str, source: &str, serde_error: &str) -> String {
    match read_tree(text) {
        Err(e) if e.line > 0 => format!("{source}:{}: {}", e.line, e.message),
        _ => format!("{source}: {serde_error}"),
    }
}

/// Why a config was refused.
enum Invalid {
    /// Not YAML, or a field of the wrong type or unknown (serde's message,
    /// with its line).
    Syntax(String),
    /// Values out of range: (field, why).
    Values(Vec<(FieldPath, String)>),
}

fn unique(
    field: FieldPath,
    items: Vec<String>,
    errors: &mut Vec<(FieldPath, String)>,
    valid: impl Fn(&str) -> Result<(), &'static str>,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for (i, item) in items.into_iter().enumerate() {
        if let Err(why) = valid(&item) {
            errors.push((
                field.clone().index(i),
                format!("invalid value {item:?}: {why}"),
            ));
        } else if out.contains(&item) {
            errors.push((field.clone().index(i), format!("duplicate value {item:?}")));
        } else {
            out.insert(item);
        }
    }
    out
}

/// RFC 1123 label: namespace names.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1123 subdomain: runtime class names.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--config /dev/zero` (or a huge file named by mistake) grew the
    /// webhook's memory until it was killed; it is refused at a bound.
    #[test]
    fn an_endless_config_file_is_refused_at_a_bound() {
        let e = Config::load("/dev/zero").unwrap_err();
        assert_eq!(e, "/dev/zero: larger than 1 MiB: not a webhook config");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.yaml");
        let at_bound = format!("{}\n", "#".repeat(MAX_CONFIG_BYTES as usize - 1));
        std::fs::write(&file, &at_bound).unwrap();
        assert!(Config::load(file.to_str().unwrap()).is_ok());
    }

    #[test]
    fn design_example_parses_to_the_defaults() {
        let c = Config::parse(
            "defaults:\n  enforce: immutable\n  enforce-version: latest\n  warn: immutable\n  warn-version: latest\n  audit: immutable\n  audit-version: latest\nexemptions:\n  usernames: []\n  namespaces: [kube-system]\n  runtimeClasses: []\n",
        )
        .unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn values_are_validated() {
        let e =
            Config::parse("defaults:\n  enforce: Restricted\n  warn-version: v1.01\n").unwrap_err();
        assert!(
            e.contains("must be one of privileged, baseline, restricted, immutable"),
            "{e}"
        );
        assert!(
            e.contains("must be \\\"latest\\\" or \\\"v1.x\\\"")
                || e.contains("must be \"latest\" or \"v1.x\""),
            "{e}"
        );
        let e = Config::parse("exemptions:\n  namespaces: [Bad_NS, ok, ok]\n  usernames: ['']\n")
            .unwrap_err();
        assert!(
            e.contains("Bad_NS") && e.contains("duplicate") && e.contains("usernames[0]"),
            "{e}"
        );
        assert!(Config::parse("bogus: 1\n").is_err());
        let c = Config::parse("defaults:\n  enforce: baseline\n  enforce-version: v1.30\nannotationExemptions: true\nmutate:\n  enabled: true\n  tmpSizeLimit: 32Mi\n").unwrap();
        assert_eq!(c.defaults.enforce.to_string(), "baseline:v1.30");
        assert_eq!(c.defaults.warn.to_string(), "immutable:latest");
        assert!(c.annotation_exemptions && c.mutate.enabled);
        assert_eq!(c.mutate.tmp_size_limit, "32Mi");
    }

    #[test]
    fn invalid_values_name_their_line_and_field() {
        let text = "defaults:\n  enforce: Restricted\n  warn: baseline\n  warn-version: v1.01\nexemptions:\n  namespaces:\n    - ok\n    - Bad_NS\nmutate:\n  tmpSizeLimit: 64MB\n";
        let e = Config::parse_from(text, "cfg.yaml").unwrap_err();
        assert_eq!(
            e.lines().collect::<Vec<_>>(),
            [
                "cfg.yaml:2: defaults.enforce: invalid value \"Restricted\": must be one of privileged, baseline, restricted, immutable",
                "cfg.yaml:4: defaults.warn-version: invalid value \"v1.01\": must be \"latest\" or \"v1.x\"",
                "cfg.yaml:8: exemptions.namespaces[1]: invalid value \"Bad_NS\": must be a valid namespace name",
                "cfg.yaml:10: mutate.tmpSizeLimit: invalid value \"64MB\": must be a quantity such as 64Mi",
            ]
        );
        // The same in JSON, whose flow style puts items on their own lines too.
        let e = Config::parse_from(
            "{\n  \"maxRequestBytes\": 10,\n  \"kind\": \"Other\"\n}\n",
            "cfg.json",
        )
        .unwrap_err();
        assert_eq!(
            e.lines().collect::<Vec<_>>(),
            [
                "cfg.json:3: kind: unexpected kind \"Other\": must be RootlockWebhookConfiguration or PodSecurityConfiguration",
                "cfg.json:2: maxRequestBytes: must be at least 1024 and at most 33554432 (the bytes all bodies in flight share)",
            ]
        );
        // Above the shared budget: refused, not accepted and then never met.
        let e = Config::parse_from(
            "maxRequestBytes: 33554433
",
            "cfg.yaml",
        )
        .unwrap_err();
        assert!(
            e.starts_with(
                "cfg.yaml:1: maxRequestBytes: must be at least 1024 and at most 33554432"
            ),
            "{e}"
        );
        assert_eq!(
            Config::parse(
                "maxRequestBytes: 33554432
"
            )
            .unwrap()
            .max_body_bytes,
            32 << 20
        );
        // The default holds an UPDATE of a pod at the API server's own limit:
        // object and oldObject of 3 MiB each.
        assert!(Config::default().max_body_bytes > 2 * (3 << 20));
        let e = Config::parse_from("namespaceCheck:\n  maxPods: 0\n", "cfg.yaml").unwrap_err();
        assert_eq!(e, "cfg.yaml:2: namespaceCheck.maxPods: must be at least 1");
        // A wrong type is serde's error, which has its own line.
        let e = Config::parse_from("defaults:\n  enforce: [x]\n", "cfg.yaml").unwrap_err();
        assert!(
            e.starts_with("cfg.yaml: defaults.enforce: invalid type"),
            "{e}"
        );
        assert!(e.contains("line 2"), "{e}");
    }

    /// serde says a key is repeated without saying where; the YAML reader
    /// does.
    #[test]
    fn a_repeated_key_names_its_line() {
        let e = Config::parse_from(
            "defaults:\n  enforce: baseline\nmutate:\n  enabled: true\ndefaults:\n  warn: baseline\n",
            "cfg.yaml",
        )
        .unwrap_err();
        assert_eq!(e, "cfg.yaml:5: duplicate key \"defaults\"");
        let e = Config::parse_from(
            "defaults:\n  enforce: baseline\n  enforce: restricted\n",
            "cfg.yaml",
        )
        .unwrap_err();
        assert_eq!(e, "cfg.yaml:3: duplicate key \"enforce\"");
    }

    /// YAML's `null`/`~`, numbers and booleans are not names: PSA's decoder
    /// refuses them in an exemption list (a number or bool is a type error,
    /// null decodes to "" and is refused as empty). Taken as their text
    /// they would exempt a namespace named "null" or "1", which anyone who
    /// may create namespaces can create.
    #[test]
    fn exemption_items_must_be_yaml_strings() {
        for (list, item) in [
            ("namespaces", "null"),
            ("namespaces", "~"),
            ("namespaces", "1"),
            ("namespaces", "true"),
            ("usernames", "~"),
            ("usernames", "null"),
            ("usernames", "0x1"),
            ("runtimeClasses", "null"),
            ("runtimeClasses", "1.5"),
        ] {
            let text = format!("exemptions:\n  {list}: [ok, {item}]\n");
            let e = Config::parse_from(&text, "cfg.yaml").unwrap_err();
            assert!(
                e.starts_with(&format!("cfg.yaml: exemptions.{list}")) && e.contains("line 2"),
                "{list}: [{item}]: {e}"
            );
        }
        // Quoted, they are the strings they spell.
        let c = Config::parse("exemptions:\n  namespaces: [\"null\", '1']\n  usernames: [\"~\"]\n")
            .unwrap();
        assert!(c.exemptions.namespaces.contains("null") && c.exemptions.namespaces.contains("1"));
        assert!(c.exemptions.usernames.contains("~"));
    }

    /// A zero `sizeLimit` on a memory-backed emptyDir is no limit: the
    /// kubelet then sizes the tmpfs by the pod's memory limit or the node's
    /// allocatable memory. `tmpSizeLimit: 0` would give every mutated pod
    /// an unbounded /tmp in RAM, the opposite of the option's name.
    #[test]
    fn the_api_version_is_checked_when_given() {
        for ok in [
            "apiVersion: rootlock.dev/v1\nkind: RootlockWebhookConfiguration\n",
            "apiVersion: rootlock.dev/v1\n",
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n",
            "kind: PodSecurityConfiguration\n",
        ] {
            assert!(Config::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "apiVersion: rootlock.dev/v2\n",
            "apiVersion: rootlock.dev/v1\nkind: PodSecurityConfiguration\n",
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: RootlockWebhookConfiguration\n",
            "apiVersion: apiserver.config.k8s.io/v1\n",
        ] {
            let e = Config::parse_from(bad, "cfg.yaml").unwrap_err();
            assert!(
                e.starts_with("cfg.yaml:1: apiVersion: unexpected apiVersion"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn psas_own_file_means_what_psa_makes_of_what_it_leaves_out() {
        let privileged = LevelVersion::new(Level::Privileged, Version::Latest);
        let restricted = LevelVersion::new(Level::Restricted, Version::Latest);
        let immutable = LevelVersion::new(Level::Immutable, Version::Latest);
        let psa =
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n";
        for bare in [
            psa.to_string(),
            "kind: PodSecurityConfiguration\n".to_string(),
            "apiVersion: pod-security.admission.config.k8s.io/v1beta1\n".to_string(),
        ] {
            let c = Config::parse(&bare).unwrap();
            let modes = [c.defaults.enforce, c.defaults.warn, c.defaults.audit];
            assert_eq!(modes, [privileged; 3], "{bare}");
            assert_eq!(c.exemptions, Exemptions::default(), "{bare}");
            assert_eq!(c.mutate, Config::default().mutate, "{bare}");
        }
        let c = Config::parse(&format!(
            "{psa}defaults:\n  enforce: restricted\nexemptions:\n  namespaces: [ops]\n"
        ))
        .unwrap();
        let modes = [c.defaults.enforce, c.defaults.warn, c.defaults.audit];
        assert_eq!(modes, [restricted, privileged, privileged]);
        assert_eq!(c.exemptions.namespaces, HashSet::from(["ops".to_string()]));
        // rootlock's own file, or one that does not say, keeps rootlock's.
        for own in [
            "",
            "apiVersion: rootlock.dev/v1\nkind: RootlockWebhookConfiguration\n",
            "annotationExemptions: false\n",
        ] {
            let c = Config::parse(own).unwrap();
            let modes = [c.defaults.enforce, c.defaults.warn, c.defaults.audit];
            assert_eq!(modes, [immutable; 3], "{own:?}");
            assert!(c.exemptions.namespaces.contains("kube-system"), "{own:?}");
        }
    }

    /// The API server's own admission config file, as PSA's docs write it:
    /// the webhook reads its PodSecurity plugin's configuration, and an
    /// invalid value there is named at its line in the whole file.
    #[test]
    fn an_admission_configuration_gives_its_pod_security_plugins() {
        let file = |enforce: &str| {
            format!(
                "apiVersion: apiserver.config.k8s.io/v1\n\
                 kind: AdmissionConfiguration\n\
                 plugins:\n\
                 - name: EventRateLimit\n\
                 \x20 path: eventconfig.yaml\n\
                 - name: PodSecurity\n\
                 \x20 configuration:\n\
                 \x20   apiVersion: pod-security.admission.config.k8s.io/v1\n\
                 \x20   kind: PodSecurityConfiguration\n\
                 \x20   defaults:\n\
                 \x20     enforce: {enforce}\n\
                 \x20   exemptions:\n\
                 \x20     namespaces: [ops]\n"
            )
        };
        let c = Config::parse(&file("baseline")).unwrap();
        let baseline = LevelVersion::new(Level::Baseline, Version::Latest);
        let privileged = LevelVersion::new(Level::Privileged, Version::Latest);
        let modes = [c.defaults.enforce, c.defaults.warn, c.defaults.audit];
        assert_eq!(modes, [baseline, privileged, privileged]);
        assert_eq!(c.exemptions.namespaces, HashSet::from(["ops".to_string()]));
        let e = Config::parse_from(&file("strict"), "admission.yaml").unwrap_err();
        assert!(
            e.starts_with("admission.yaml:11: plugins[1].configuration.defaults.enforce: invalid value \"strict\""),
            "{e}"
        );
        // Something else than PSA's configuration in PSA's place.
        let other = "kind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    kind: RootlockWebhookConfiguration\n";
        let e = Config::parse_from(other, "admission.yaml").unwrap_err();
        assert!(
            e.starts_with(
                "admission.yaml:5: plugins[0].configuration.kind: must be PodSecurityConfiguration"
            ),
            "{e}"
        );
        let e = Config::parse_from(
            "kind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: psa.yaml\n",
            "admission.yaml",
        )
        .unwrap_err();
        assert!(e.starts_with("admission.yaml:4: plugins[0].path: the PodSecurity configuration is in \"psa.yaml\""), "{e}");
    }

    /// serde's own errors inside the PodSecurity plugin's configuration (an
    /// unknown field, a wrong type) name their line and field in the whole
    /// file, as they do at the top of rootlock's own file: read from a tree
    /// without positions, they were all put at `configuration:`'s line.
    #[test]
    fn serde_errors_in_an_admission_configuration_name_their_line() {
        let head = "kind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: e.yaml\n- name: PodSecurity\n  configuration:\n    kind: PodSecurityConfiguration\n";
        let e = Config::parse_from(&format!("{head}    bogus: 1\n"), "a.yaml").unwrap_err();
        assert!(
            e.starts_with("a.yaml: plugins[1].configuration: unknown field `bogus`"),
            "{e}"
        );
        assert!(e.contains("line 8"), "{e}");
        let e = Config::parse_from(
            &format!("{head}    exemptions:\n      namespaces: ops\n"),
            "a.yaml",
        )
        .unwrap_err();
        assert!(
            e.starts_with("a.yaml: plugins[1].configuration.exemptions.namespaces: invalid type"),
            "{e}"
        );
        assert!(e.contains("line 9"), "{e}");
        // Flow style and CRLF line breaks count lines the same.
        let flow = "{kind: AdmissionConfiguration, plugins: [\r\n{name: PodSecurity,\r\n configuration: {kind: PodSecurityConfiguration,\r\n defaults: {enforce: [x]}}}]}\r\n";
        let e = Config::parse_from(flow, "a.yaml").unwrap_err();
        assert!(
            e.starts_with("a.yaml: plugins[0].configuration.defaults.enforce: invalid type"),
            "{e}"
        );
        assert!(e.contains("line 4"), "{e}");
    }

    /// `configuration: null` is no configuration, as the API server reads
    /// it (it then reads the plugin's `path`): it was refused as a
    /// configuration of the wrong kind, and the path went unnamed.
    #[test]
    fn a_null_configuration_is_none() {
        let e = Config::parse_from(
            "kind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration: null\n  path: /etc/psa.yaml\n",
            "a.yaml",
        )
        .unwrap_err();
        assert!(
            e.starts_with(
                "a.yaml:5: plugins[0].path: the PodSecurity configuration is in \"/etc/psa.yaml\""
            ),
            "{e}"
        );
        let e = Config::parse_from(
            "kind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n",
            "a.yaml",
        )
        .unwrap_err();
        assert!(
            e.starts_with("a.yaml:3: plugins[0]: the PodSecurity plugin has no configuration"),
            "{e}"
        );
    }

    #[test]
    fn a_zero_tmp_size_limit_is_refused() {
        for zero in ["0", "0Mi", "0.0Gi", "00", "0.000k", "-1Mi"] {
            let text = format!("mutate:\n  tmpSizeLimit: \"{zero}\"\n");
            let e = Config::parse_from(&text, "cfg.yaml").unwrap_err();
            assert!(
                e.starts_with("cfg.yaml:2: mutate.tmpSizeLimit: invalid value"),
                "{zero}: {e}"
            );
        }
        let c = Config::parse("mutate:\n  tmpSizeLimit: 0.5Gi\n").unwrap();
        assert_eq!(c.mutate.tmp_size_limit, "0.5Gi");
    }

    #[test]
    fn the_shipped_deploy_config_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/config.yaml");
        let cm: serde_norway::Value =
            serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let text = cm["data"]["config.yaml"].as_str().unwrap();
        let c = Config::parse(text).unwrap();
        assert_eq!(c.defaults.enforce.to_string(), "privileged:latest");
        assert!(c.exemptions.namespaces.contains("kube-system"));
        // The webhook's own namespace is left out by the namespaceSelector,
        // which follows a renamed install; a name here would not.
        assert!(!c.exemptions.namespaces.contains("rootlock-system"));
    }

    #[test]
    fn quantities_and_names() {
        assert!(
            is_dns1123_label("kube-system") && !is_dns1123_label("-x") && !is_dns1123_label("A")
        );
        assert!(is_dns1123_subdomain("gvisor.example.com") && !is_dns1123_subdomain("a..b"));
    }
}
