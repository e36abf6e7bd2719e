//! Property test over generated manifests: every indentation step, sequence
//! style, flow or block securityContext, null values, comments, LF, CRLF
//! or lone-CR line endings, a missing final newline, and block devices
//! (`volumeDevices`) where fix would mount /tmp. The fix must
//! verify, only insert, clear every targeted rule and be idempotent, and
//! end the lines it adds as the file's lines end.

mod common;

use common::*;
use proptest::prelude::*;
use rootlock_policy::LevelVersion;

#[derive(Debug, Clone)]
struct Shape {
    step: usize,
    seq_indented: bool,
    /// The line ending: `\n`, `\r\n` or a lone `\r` (an old Mac file).
    eol: &'static str,
    final_newline: bool,
    comments: bool,
    pod_sc: u8,
    volumes: u8,
    containers: Vec<(u8, u8)>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        2usize..=4,
        any::<bool>(),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        any::<bool>(),
        any::<bool>(),
        0u8..4,
        0u8..3,
        proptest::collection::vec((0u8..6, 0u8..5), 1..4),
    )
        .prop_map(
            |(step, seq_indented, eol, final_newline, comments, pod_sc, volumes, containers)| {
                Shape {
                    step,
                    seq_indented,
                    eol,
                    final_newline,
                    comments,
                    pod_sc,
                    volumes,
                    containers,
                }
            },
        )
}

fn render(s: &Shape) -> String {
    let mut l: Vec<String> = Vec::new();
    let pad = |n: usize| " ".repeat(n * s.step);
    let dash = |n: usize| {
        if s.seq_indented {
            format!("{}- ", pad(n + 1))
        } else {
            format!("{}- ", pad(n))
        }
    };
    let item = |n: usize| {
        if s.seq_indented {
            " ".repeat((n + 1) * s.step + 2)
        } else {
            " ".repeat(n * s.step + 2)
        }
    };
    l.push("apiVersion: apps/v1".into());
    l.push("kind: Deployment".into());
    l.push("metadata:".into());
    l.push(format!("{}name: gen", pad(1)));
    l.push("spec:".into());
    l.push(format!("{}template:", pad(1)));
    l.push(format!("{}spec:", pad(2)));
    match s.pod_sc {
        1 => l.push(format!("{}securityContext: {{}}", pad(3))),
        2 => l.push(format!("{}securityContext:", pad(3))),
        3 => {
            l.push(format!("{}securityContext:", pad(3)));
            l.push(format!("{}fsGroup: 1000", pad(4)));
        }
        _ => {}
    }
    l.push(format!("{}containers:", pad(3)));
    for (i, (sc, mounts)) in s.containers.iter().enumerate() {
        l.push(format!("{}name: c{i}", dash(3)));
        let inner = item(3);
        l.push(format!("{inner}image: img{i}"));
        match sc {
            1 => l.push(format!("{inner}securityContext: {{}}")),
            2 => l.push(format!("{inner}securityContext:")),
            3 => l.push(format!(
                "{inner}securityContext: {{capabilities: {{drop: [NET_RAW]}}}}"
            )),
            4 => {
                l.push(format!("{inner}securityContext:"));
                l.push(format!(
                    "{inner}{}readOnlyRootFilesystem: true",
                    " ".repeat(s.step)
                ));
                l.push(format!("{inner}{}capabilities:", " ".repeat(s.step)));
                l.push(format!(
                    "{inner}{}add: [NET_BIND_SERVICE]",
                    " ".repeat(2 * s.step)
                ));
            }
            5 => {
                l.push(format!("{inner}securityContext:"));
                l.push(format!("{inner}{}runAsUser: 1000", " ".repeat(s.step)));
            }
            _ => {}
        }
        if s.comments {
            l.push(format!("{inner}# about c{i}"));
        }
        match mounts {
            1 => {
                l.push(format!("{inner}volumeMounts:"));
                let d = if s.seq_indented {
                    " ".repeat(s.step)
                } else {
                    String::new()
                };
                l.push(format!("{inner}{d}- name: data"));
                l.push(format!("{inner}{d}  mountPath: /data"));
            }
            2 => l.push(format!(
                "{inner}volumeMounts: [{{name: data, mountPath: /tmp}}]"
            )),
            3 => l.push(format!("{inner}volumeMounts: []")),
            // A raw block device where fix would mount /tmp: the API
            // server refuses a mount at a devicePath.
            4 => l.push(format!(
                "{inner}volumeDevices: [{{name: blk, devicePath: /tmp}}]"
            )),
            _ => {}
        }
    }
    let uses_data = s.containers.iter().any(|(_, m)| matches!(m, 1 | 2));
    let uses_blk = s.containers.iter().any(|(_, m)| *m == 4);
    match s.volumes {
        _ if uses_data || uses_blk => {
            l.push(format!("{}volumes:", pad(3)));
            if uses_data {
                l.push(format!("{}name: data", dash(3)));
                l.push(format!("{}emptyDir: {{}}", item(3)));
            }
            if uses_blk {
                l.push(format!("{}name: blk", dash(3)));
                l.push(format!(
                    "{}persistentVolumeClaim: {{claimName: blk}}",
                    item(3)
                ));
            }
        }
        1 => l.push(format!("{}volumes: []", pad(3))),
        2 => l.push(format!("{}volumes:", pad(3))),
        _ => {}
    }
    if s.comments {
        l.push("# trailing comment".into());
    }
    let eol = s.eol;
    let mut text = l.join(eol);
    if s.final_newline {
        text.push_str(eol);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn generated_manifests_fix_cleanly(s in shape()) {
        let text = render(&s);
        let st = settings("immutable");
        let out = fix("gen.yaml", &text, &st);
        prop_assert!(out.errors.is_empty(), "{:?}\n{}", out.errors, text);
        let fixed = out.fixed.clone().expect("something to fix");
        assert_insert_only("gen.yaml", &text, &fixed);
        let left = unexplained_findings("gen.yaml", &fixed, &out.workloads, LevelVersion::parse("immutable").unwrap());
        prop_assert!(left.is_empty(), "{left:?}\n{fixed}");
        let again = fix("gen.yaml", &fixed, &st);
        prop_assert!(again.fixed.is_none() && again.errors.is_empty(), "not idempotent:\n{}", fixed);
        assert_only_additions("gen.yaml", &text, &fixed);
        assert_api_valid("gen.yaml", &text, &fixed);
        prop_assert_eq!(fixed.ends_with(s.eol), s.final_newline);
        // Every line ends as the file's lines do.
        let breaks = rootlock_manifest::line_breaks::split_inclusive(&fixed)
            .filter(|l| l.ends_with(['\n', '\r']));
        for line in breaks {
            let body = line.strip_suffix(s.eol);
            prop_assert!(body.is_some_and(|b| !b.ends_with('\r')), "{:?}", line);
        }
    }
}
