//! Reading a plan file back for `trace --verify --plan FILE`, with the
//! reader `fix --plan` uses ([`rootlock_manifest::plan_file`]): a plan
//! verified here is one `fix` applies, and means the same to both (a
//! YAML reader of its own read flow style, a missing `medium` or an
//! unknown one otherwise than `fix`).

use rootlock_policy::plan::VolumePlan;

pub fn read(file: &str) -> Result<VolumePlan, String> {
    rootlock_manifest::plan_file::read_plan(file).map_err(|e| format!("--plan {e}"))
}

/// Plan text as [`read`] reads it (for tests of what the writer writes).
#[cfg(test)]
pub fn parse(text: &str) -> Result<VolumePlan, String> {
    rootlock_manifest::plan_file::parse_plan(text, "plan")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_render::{to_json, to_yaml};
    use rootlock_policy::plan::{Medium, PlannedPath};

    /// A `#` inside a quoted path (the YAML writer quotes `a #b`) is part
    /// of the path; a comment starts only at a ` #` outside quotes.
    #[test]
    fn a_hash_in_a_quoted_path_is_not_a_comment() {
        let mut plan = VolumePlan::new("trace: x");
        for p in ["/var/cache/a #b", "/var/cache/it's #1", "/c\\ #\"d"] {
            plan.paths.push(PlannedPath {
                path: p.into(),
                medium: Medium::Disk,
                size_limit: None,
                container: None,
                seed: true,
                reason: "created".into(),
            });
        }
        let back = parse(&to_yaml(&plan)).unwrap();
        let got: Vec<(&str, bool)> = back
            .paths
            .iter()
            .map(|p| (p.path.as_str(), p.seed))
            .collect();
        assert_eq!(
            got,
            [
                ("/var/cache/a #b", true),
                ("/var/cache/it's #1", true),
                ("/c\\ #\"d", true)
            ]
        );
        let hand = "apiVersion: rootlock.dev/v1 # header\nkind: VolumePlan\npaths:\n  - path: '/x #y' # a comment\n    medium: disk\n    seed: true #also\n  - {path: /plain, medium: memory} # comment\n  - path: '/it''s #1' # c\n    medium: disk\n";
        let back = parse(hand).unwrap();
        let got: Vec<(&str, bool)> = back
            .paths
            .iter()
            .map(|p| (p.path.as_str(), p.seed))
            .collect();
        assert_eq!(
            got,
            [("/x #y", true), ("/plain", false), ("/it's #1", false)]
        );
    }

    /// `trace --format yaml > plan.yaml` that failed leaves an empty
    /// file; it, or any YAML that is not a plan, must not read as a plan
    /// with no paths (verify would then check a different plan).
    #[test]
    fn yaml_that_is_not_a_plan_is_refused() {
        for text in [
            "",
            "# nothing\n",
            "foo: bar\n",
            "- a\n",
            "kind: VolumePlan\npaths: []\n",
            "apiVersion: rootlock.dev/v1\npaths: []\n",
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths: {a: 1}\n",
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths: /run\n",
        ] {
            let read = parse(text).and_then(|p| p.validate());
            assert!(read.is_err(), "accepted as a plan: {text:?}");
        }
        let empty = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths: []\n";
        assert!(parse(empty).unwrap().paths.is_empty());
        parse(empty).unwrap().validate().unwrap();
    }

    /// A plan `fix --plan` refuses (a kernel, system or kubelet path) is
    /// refused by `trace --verify --plan` too, by the same rule, naming
    /// the file, the line and the path: verified, it would pass a plan
    /// that cannot be applied.
    #[test]
    fn system_kernel_and_kubelet_paths_are_refused_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        for (bad, why) in [
            ("/proc/x", "the kernel's"),
            ("/usr", "system path"),
            ("/var/../etc", "system path"),
            ("/etc/hosts", "kubelet mounts /etc/hosts"),
            (
                "/var/run/secrets/kubernetes.io/serviceaccount",
                "kubelet mounts",
            ),
        ] {
            let yaml = format!(
                "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /tmp\n  medium: memory\n- medium: disk\n  path: {bad}\n"
            );
            let json = format!(
                "{{\n\"apiVersion\": \"rootlock.dev/v1\",\n\"kind\": \"VolumePlan\",\n\"paths\": [\n{{\"path\": {bad:?}, \"medium\": \"disk\"}}\n]}}\n"
            );
            for (name, text, at) in [
                ("plan.yaml", yaml, "7: invalid plan: paths[1]"),
                ("plan.json", json, "5: invalid plan: paths[0]"),
            ] {
                let path = dir.path().join(name);
                std::fs::write(&path, text).unwrap();
                let file = path.to_str().unwrap();
                let e = read(file).unwrap_err();
                assert!(e.starts_with(&format!("--plan {file}:{at}.path: ")), "{e}");
                assert!(e.contains(why), "{e}");
            }
        }
        // Below a system path (outside its executable trees) is writable.
        let ok = dir.path().join("ok.yaml");
        std::fs::write(
            &ok,
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /etc/nginx/conf.d\n  medium: disk\n- path: /dev/shm\n  medium: memory\n",
        )
        .unwrap();
        assert_eq!(read(ok.to_str().unwrap()).unwrap().paths.len(), 2);
    }

    /// The reader is `fix --plan`'s: flow style reads as block style does,
    /// a UTF-16 file (PowerShell 5's `>`) as its text, and a path without
    /// a medium is refused rather than taken for a disk.
    #[test]
    fn plans_read_as_fix_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let flow = "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths: [{path: /var/cache/app, medium: memory, seed: true}]\n";
        let utf16: Vec<u8> = [0xFFFE_u16.to_be_bytes().to_vec()]
            .into_iter()
            .chain(flow.encode_utf16().map(|u| u.to_le_bytes().to_vec()))
            .flatten()
            .collect();
        let path = dir.path().join("plan.yaml");
        for bytes in [flow.as_bytes().to_vec(), utf16] {
            std::fs::write(&path, bytes).unwrap();
            let plan = read(path.to_str().unwrap()).unwrap();
            let got: Vec<(&str, Medium, bool)> = plan
                .paths
                .iter()
                .map(|p| (p.path.as_str(), p.medium, p.seed))
                .collect();
            assert_eq!(got, [("/var/cache/app", Medium::Memory, true)]);
        }
        std::fs::write(
            &path,
            "apiVersion: rootlock.dev/v1\nkind: VolumePlan\npaths:\n- path: /data\n",
        )
        .unwrap();
        let e = read(path.to_str().unwrap()).unwrap_err();
        assert!(e.contains("missing field `medium`"), "{e}");
    }

    #[test]
    fn reads_back_what_we_write() {
        let mut plan = VolumePlan::new("trace: x: 'y'");
        for (p, seed) in [
            ("/run", false),
            ("/var/log/nginx", true),
            ("/odd: path", false),
        ] {
            plan.paths.push(PlannedPath {
                path: p.into(),
                medium: Medium::Memory,
                size_limit: Some("16Mi".into()),
                container: None,
                seed,
                reason: "a \"b\" #c".into(),
            });
        }
        plan.warnings.push("w: x".into());
        for text in [to_yaml(&plan), to_json(&plan)] {
            let back = parse(&text).unwrap();
            let got: Vec<(&str, bool)> = back
                .paths
                .iter()
                .map(|p| (p.path.as_str(), p.seed))
                .collect();
            assert_eq!(
                got,
                [
                    ("/run", false),
                    ("/var/log/nginx", true),
                    ("/odd: path", false)
                ],
                "{text}"
            );
            assert_eq!(back.source, "trace: x: 'y'");
            back.validate().unwrap();
        }
    }
}
