//! Acceptance tests on a real kernel: mount namespaces are built with
//! util-linux `unshare`, `mount` and `setpriv`, and verify runs inside them.
//!
//! This test binary is its own helper: invoked as `namespaces --verify-helper
//! ARGS…` it parses ARGS as `rootlock verify` would and exits with
//! `rootlock_verify::run`'s status. So no product binary is needed and the
//! tests work on a fresh clone with `cargo test`.
//!
//! Needs root (creating mount namespaces). When not root, or when the
//! environment forbids `unshare --mount` (an unprivileged container), every
//! test is skipped with the reason printed — unless
//! `ROOTLOCK_REQUIRE_NAMESPACES=1`, which turns a skip into a failure (for
//! CI, where a silent skip would hide a regression).
//!
//! The host's own root is writable and the tests run with CAP_SYS_ADMIN, so
//! the helper is started under `setpriv --bounding-set
//! -sys_admin,-dac_read_search,-sys_module,-sys_ptrace --inh-caps …` (the
//! same): after exec it has every capability but CAP_SYS_ADMIN,
//! CAP_DAC_READ_SEARCH, CAP_SYS_MODULE and CAP_SYS_PTRACE, none of which a
//! runtime grants by default: the situation of a container that can
//! neither remount `/`, nor open files by handle, nor load kernel code,
//! nor open the roots of the node's processes (the namespaces share the
//! host's PID namespace and /proc, as a `hostPID` pod does).

use clap::Parser;
use serde_json::Value;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const HELPER_FLAG: &str = "--verify-helper";

#[derive(Parser)]
#[command(name = "verify")]
struct Helper {
    #[command(flatten)]
    args: rootlock_verify::VerifyArgs,
}

/// Shell run by `unshare --mount sh -c`: `$1` is this test binary, `$2` the
/// mount setup, the rest the command to exec.
/// The binary is opened as fd 3 *before* the setup, so a tmpfs mounted on
/// /tmp cannot hide it (cargo's target dir may live under /tmp); it is then
/// executed as /proc/self/fd/3.
const NAMESPACE_SCRIPT: &str = r#"set -eu
exec 3<"$1"
eval "$2"
shift 2
exec "$@"
"#;

/// Prefix that drops CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH, CAP_SYS_MODULE
/// and CAP_SYS_PTRACE from the bounding and inheritable sets, so the
/// exec'd program (root) gets every capability but those four.
const CONTAINER_CAPS: &[&str] = &[
    "setpriv",
    "--bounding-set",
    "-sys_admin,-dac_read_search,-sys_module,-sys_ptrace",
    "--inh-caps",
    "-sys_admin,-dac_read_search,-sys_module,-sys_ptrace",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Caps {
    /// [`CONTAINER_CAPS`].
    Container,
    Keep,
}

/// Run first in every namespace: the kernel interfaces laid out as runc and
/// containerd lay them out for an unprivileged container, instead of the
/// host's (writable /sys, cgroup hierarchies and devtmpfs /dev, which fail
/// the verdict). A fresh read-only sysfs with a read-only cgroup2 on
/// /sys/fs/cgroup, /proc/sys bound read-only, and a tmpfs on /dev (covering
/// the host's devtmpfs) with a new devpts instance, shm, mqueue and a null
/// device.
const RUNTIME_KERNEL_MOUNTS: &str = "umount -R /sys \
     && mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys \
     && mount -t cgroup2 -o ro,nosuid,nodev,noexec cgroup /sys/fs/cgroup \
     && mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys \
     && mount -t tmpfs -o nosuid,mode=755,size=65536k tmpfs /dev \
     && mkdir /dev/pts /dev/shm /dev/mqueue \
     && mount -t devpts -o newinstance,nosuid,noexec,ptmxmode=0666,mode=0620 devpts /dev/pts \
     && mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm /dev/shm \
     && mount -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue \
     && mknod -m 666 /dev/null c 1 3";

/// Read-only root, tmpfs on /tmp: what a well-configured pod looks like.
const RO_ROOT_TMPFS: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp";
/// Writable root (the namespace's copy of the host root, untouched).
const RW_ROOT: &str = "mount -t tmpfs tmpfs /tmp";
/// Read-only root but /etc bind-mounted writable (bound before `/` is made
/// read-only, because a bind copies the read-only flag of its source).
const RO_ROOT_RW_ETC: &str =
    "mount --bind /etc /etc && mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp";

/// Read-only root, but a writable tmpfs at /usr/local/lib: a system path
/// (where an attacker would drop a library) that only the policy's full
/// list names.
const RO_ROOT_RW_LOCAL_LIB: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /usr/local/lib && mount -t tmpfs tmpfs /tmp";
/// Read-only root, but a writable tmpfs inside /usr/lib (at
/// /usr/lib/python3, which the CI's python3 package holds): below a system
/// path, where a volume at /etc/nginx/conf.d would be the application's
/// business, but in a directory of libraries, where a write adds code.
const RO_ROOT_RW_INSIDE_USR_LIB: &str = "test -d /usr/lib/python3 \
     && mount -o remount,bind,ro / && mount -t tmpfs tmpfs /usr/lib/python3 \
     && mount -t tmpfs tmpfs /tmp";
/// Read-only root; a writable tmpfs at /etc with a read-only tmpfs mounted
/// on top of it. The writable one is listed in mountinfo but cannot be
/// reached: nothing can be written at /etc.
const RO_ROOT_COVERED_RW_ETC: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /etc \
     && mount -t tmpfs -o ro tmpfs /etc && mount -t tmpfs tmpfs /tmp";
/// Read-only root; a writable tmpfs at /usr/local/lib, then a read-only
/// tmpfs at /usr/local above it. Both sit in the root mount, but a lookup
/// of /usr/local/lib now ends in the read-only /usr/local: the writable
/// one cannot be reached (the setup checks that by access(2)).
const RO_ROOT_RW_LIB_UNDER_LATER_RO_DIR: &str = "mount -o remount,bind,ro / \
     && mount -t tmpfs tmpfs /usr/local/lib && mount -t tmpfs -o ro tmpfs /usr/local \
     && ! test -e /usr/local/lib && mount -t tmpfs tmpfs /tmp";
/// Read-only root, but the node's devtmpfs mounted writable at an odd place
/// (what a hostPath volume of /dev gives a pod).
const RO_ROOT_RW_DEVTMPFS: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && mkdir /tmp/host-dev && mount -t devtmpfs devtmpfs /tmp/host-dev";
/// The same devtmpfs mounted read-only, and a write through its null device
/// that must succeed (`set -e`): a read-only mount does not stop writes
/// through device nodes.
const RO_ROOT_RO_DEVTMPFS: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && mkdir /tmp/host-dev && mount -t devtmpfs -o ro devtmpfs /tmp/host-dev \
     && echo written > /tmp/host-dev/null";
/// Read-only root, with the device nodes laid out as runc lays them out in
/// a user namespace (Kubernetes `hostUsers: false`), where it cannot mknod:
/// each one bound, writable and without nodev, from the node's devtmpfs
/// (mounted at /mnt for the binds, then unmounted), and a hostPath of the
/// node's disk device bound the same way at /tmp/disk.
const RO_ROOT_USERNS_DEVICE_BINDS: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && mount -t devtmpfs -o nosuid devtmpfs /mnt \
     && for n in null zero full random urandom tty; do \
        touch /dev/$n && mount --bind /mnt/$n /dev/$n; done \
     && disk=$(findmnt -no SOURCE /) && touch /tmp/disk \
     && mount --bind \"/mnt/${disk#/dev/}\" /tmp/disk && umount /mnt";
/// Read-only root, but /sys writable: what a privileged container gets.
const RO_ROOT_RW_SYS: &str =
    "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp && mount -o remount,bind,rw /sys";

/// Read-only root, but without the runtime's read-only bind of /proc/sys:
/// what a privileged container, `procMount: Unmasked` or Docker's
/// `systempaths=unconfined` gives. The sysctl tree is the writable /proc's.
const RO_ROOT_UNBOUND_PROC_SYS: &str =
    "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp && umount /proc/sys";

/// Read-only root, the runtime's read-only /proc/sys, but its `kernel`
/// directory bound again and made writable on top: core_pattern is
/// written through that bind.
const RO_ROOT_RW_PROC_SYS_KERNEL: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && mount --bind /proc/sys/kernel /proc/sys/kernel \
     && mount -o remount,bind,rw /proc/sys/kernel";

/// Read-only root, the runtime's read-only /proc/sys, but proc's `sys`
/// bound again writable at /proc/fs, and /proc/sys/kernel masked by an
/// empty tmpfs: core_pattern is missing where it usually is (as under
/// gVisor), yet written through /proc/fs/kernel/core_pattern.
const RO_ROOT_RW_PROC_SYS_ELSEWHERE: &str = "mount -o remount,bind,ro / \
     && mount -t tmpfs tmpfs /tmp \
     && mount --bind /proc/sys /proc/fs && mount -o remount,bind,rw /proc/fs \
     && mount -t tmpfs -o ro tmpfs /proc/sys/kernel \
     && ! test -e /proc/sys/kernel/core_pattern";

/// Read-only root, tmpfs /tmp holding a copy of this binary (fd 3, see
/// NAMESPACE_SCRIPT) with the file capability `cap_sys_admin+p`: permitted,
/// no effective bit. Run as root under `SECBIT_NOROOT` and NoNewPrivs, the
/// copy starts with CAP_SYS_ADMIN permitted but not effective, which a
/// capability-aware program (or a process that lowered its effective set)
/// has.
const RO_ROOT_PERMITTED_SYS_ADMIN: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && cp /proc/self/fd/3 /tmp/verify && setcap cap_sys_admin+p /tmp/verify";

/// A node's disk as the kubelet lays it out (a fresh tmpfs at /tmp/node),
/// with this pod's /etc/hosts bound from its directory there and an
/// emptyDir of the pod bound at /tmp/cache, on a read-only root. The disk
/// itself stays mounted writable at /tmp/node, as a hostPath of the
/// node's `/` would be.
const RO_ROOT_NODE_DISK: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && mkdir /tmp/node /tmp/cache && mount -t tmpfs node /tmp/node \
     && mkdir -p /tmp/node/var/lib/kubelet/pods/u1/volumes/cache \
     && echo '127.0.0.1 localhost' > /tmp/node/var/lib/kubelet/pods/u1/etc-hosts \
     && mount --bind /tmp/node/var/lib/kubelet/pods/u1/etc-hosts /etc/hosts \
     && mount --bind /tmp/node/var/lib/kubelet/pods/u1/volumes/cache /tmp/cache";

/// Read-only root, but the same filesystem bound writable at
/// /tmp/host-root (bound before `/` is made read-only): every file of the
/// root is writable there. The setup checks that by access(2), which writes
/// nothing (this is the host's own root filesystem): write access through
/// the alias, none through `/`.
const RO_ROOT_RW_ROOT_ALIAS: &str = "mount -t tmpfs tmpfs /tmp && mkdir /tmp/host-root \
     && mount --bind / /tmp/host-root && mount -o remount,bind,ro / \
     && test -w /tmp/host-root/etc && ! test -w /etc";

/// Read-only root, then a writable tmpfs stacked on `/` above it. The
/// process's root stays the read-only mount at the bottom, but `..` at the
/// root crosses into the top of the stack (the setup writes there through
/// `/..`), and a process that joins the mount namespace (`kubectl exec`,
/// `nsenter`) gets that top as its root.
const RO_ROOT_RW_STACKED_ON_ROOT: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && mount -t tmpfs stacked / && touch /../written && ! test -w /etc";

/// As RO_ROOT_RW_ROOT_ALIAS, but the writable alias of the root is bound
/// under /sys (on the fresh sysfs's /sys/firmware), where a non-pseudo
/// filesystem is otherwise taken for a runtime's mask.
const RO_ROOT_RW_ROOT_ALIAS_UNDER_SYS: &str = "mount -t tmpfs tmpfs /tmp \
     && mount --bind / /sys/firmware && mount -o remount,bind,ro / \
     && test -w /sys/firmware/etc && ! test -w /etc";

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some(HELPER_FLAG) {
        let helper = Helper::parse_from(
            std::iter::once("verify").chain(argv[2..].iter().map(String::as_str)),
        );
        std::process::exit(rootlock_verify::run(&helper.args));
    }
    let filters: Vec<&String> = argv
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tests: &[(&str, fn())] = &[
        (
            "ro_root_with_tmpfs_tmp_passes",
            ro_root_with_tmpfs_tmp_passes,
        ),
        (
            "ro_root_text_output_names_tmp",
            ro_root_text_output_names_tmp,
        ),
        (
            "ro_root_noexec_tmp_is_shown_noexec",
            ro_root_noexec_tmp_is_shown_noexec,
        ),
        ("writable_root_fails", writable_root_fails),
        (
            "disk_device_node_in_dev_fails",
            disk_device_node_in_dev_fails,
        ),
        (
            "writable_alias_of_a_directory_inside_a_system_path_fails",
            writable_alias_of_a_directory_inside_a_system_path_fails,
        ),
        (
            "pid_without_ptrace_access_does_not_pass_unlooked",
            pid_without_ptrace_access_does_not_pass_unlooked,
        ),
        (
            "writable_node_etc_on_the_pod_state_disk_fails",
            writable_node_etc_on_the_pod_state_disk_fails,
        ),
        (
            "pid_with_working_directory_outside_its_root_fails",
            pid_with_working_directory_outside_its_root_fails,
        ),
        (
            "pid_whose_name_is_not_utf8_is_judged",
            pid_whose_name_is_not_utf8_is_judged,
        ),
        (
            "pid_with_working_directory_in_a_covered_writable_alias_fails",
            pid_with_working_directory_in_a_covered_writable_alias_fails,
        ),
        (
            "writable_etc_bind_fails_naming_etc",
            writable_etc_bind_fails_naming_etc,
        ),
        ("sys_admin_alone_fails", sys_admin_alone_fails),
        (
            "ptrace_with_the_nodes_processes_in_view_fails",
            ptrace_with_the_nodes_processes_in_view_fails,
        ),
        (
            "sys_module_fails_where_modules_load",
            sys_module_fails_where_modules_load,
        ),
        (
            "runtime_socket_read_only_fails",
            runtime_socket_read_only_fails,
        ),
        (
            "runtime_socket_a_mount_shows_elsewhere_fails",
            runtime_socket_a_mount_shows_elsewhere_fails,
        ),
        (
            "dac_read_search_with_a_writable_disk_mount_fails",
            dac_read_search_with_a_writable_disk_mount_fails,
        ),
        (
            "writable_alias_of_the_root_under_sys_fails",
            writable_alias_of_the_root_under_sys_fails,
        ),
        (
            "writable_alias_of_the_root_filesystem_fails",
            writable_alias_of_the_root_filesystem_fails,
        ),
        (
            "permitted_sys_admin_fails_despite_no_new_privs",
            permitted_sys_admin_fails_despite_no_new_privs,
        ),
        ("writable_usr_local_lib_fails", writable_usr_local_lib_fails),
        (
            "writable_mount_inside_usr_lib_fails",
            writable_mount_inside_usr_lib_fails,
        ),
        ("covered_writable_etc_passes", covered_writable_etc_passes),
        (
            "writable_mount_stacked_on_the_root_fails",
            writable_mount_stacked_on_the_root_fails,
        ),
        (
            "writable_mount_under_a_later_mount_above_it_passes",
            writable_mount_under_a_later_mount_above_it_passes,
        ),
        ("pid_in_ro_namespace_passes", pid_in_ro_namespace_passes),
        (
            "pid_with_inheritable_sys_admin_fails",
            pid_with_inheritable_sys_admin_fails,
        ),
        (
            "pid_in_rw_etc_namespace_fails",
            pid_in_rw_etc_namespace_fails,
        ),
        (
            "whole_disk_of_a_mounted_partition_fails",
            whole_disk_of_a_mounted_partition_fails,
        ),
        (
            "btrfs_partition_behind_its_anonymous_device_fails",
            btrfs_partition_behind_its_anonymous_device_fails,
        ),
        (
            "writable_devtmpfs_at_odd_path_fails",
            writable_devtmpfs_at_odd_path_fails,
        ),
        (
            "read_only_devtmpfs_without_nodev_fails",
            read_only_devtmpfs_without_nodev_fails,
        ),
        (
            "runtime_device_binds_from_devtmpfs_pass_a_disk_device_fails",
            runtime_device_binds_from_devtmpfs_pass_a_disk_device_fails,
        ),
        (
            "pid_with_etc_magic_linked_into_a_writable_mount_fails",
            pid_with_etc_magic_linked_into_a_writable_mount_fails,
        ),
        ("writable_sys_fails", writable_sys_fails),
        (
            "unbound_proc_sys_fails_and_is_writable",
            unbound_proc_sys_fails_and_is_writable,
        ),
        (
            "writable_proc_sys_kernel_bind_fails",
            writable_proc_sys_kernel_bind_fails,
        ),
        (
            "writable_proc_sys_elsewhere_with_core_pattern_masked_fails",
            writable_proc_sys_elsewhere_with_core_pattern_masked_fails,
        ),
        (
            "writable_node_disk_holding_pod_state_fails",
            writable_node_disk_holding_pod_state_fails,
        ),
        (
            "pod_binds_from_the_node_disk_pass",
            pod_binds_from_the_node_disk_pass,
        ),
        (
            "pid_with_writable_devtmpfs_fails_in_text",
            pid_with_writable_devtmpfs_fails_in_text,
        ),
        (
            "user_namespace_is_read_from_uid_map",
            user_namespace_is_read_from_uid_map,
        ),
        (
            "zombie_pid_is_an_error_saying_it_exited",
            zombie_pid_is_an_error_saying_it_exited,
        ),
        (
            "missing_pid_is_error_naming_file",
            missing_pid_is_error_naming_file,
        ),
        (
            "pid_probe_resolves_symlinks_in_the_targets_root",
            pid_probe_resolves_symlinks_in_the_targets_root,
        ),
        (
            "pid_with_etc_symlinked_into_a_writable_mount_fails",
            pid_with_etc_symlinked_into_a_writable_mount_fails,
        ),
        (
            "pid_chrooted_into_a_directory_is_judged_by_statfs",
            pid_chrooted_into_a_directory_is_judged_by_statfs,
        ),
        (
            "pid_probe_without_ptrace_access_is_an_error",
            pid_probe_without_ptrace_access_is_an_error,
        ),
    ];
    let skip = skip_reason();
    let mut failed = 0;
    let mut ran = 0;
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        if let Some(reason) = &skip
            && *name != "missing_pid_is_error_naming_file"
        {
            println!("test {name} ... skipped: {reason}");
            continue;
        }
        ran += 1;
        match std::panic::catch_unwind(test) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    println!("\nnamespaces: {ran} run, {failed} failed");
    let required = std::env::var("ROOTLOCK_REQUIRE_NAMESPACES").is_ok_and(|v| v == "1");
    if failed > 0 || (required && skip.is_some()) {
        std::process::exit(1);
    }
}

/// Why namespace tests cannot run here, if they cannot.
fn skip_reason() -> Option<String> {
    let euid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| rootlock_verify::status::parse(&text).ok())
        .and_then(|status| status.euid);
    if euid != Some(0) {
        return Some(format!(
            "needs root to create mount namespaces (euid {euid:?})"
        ));
    }
    let probe = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(format!("{RUNTIME_KERNEL_MOUNTS} && exec \"$@\""))
        .arg("sh")
        .args(CONTAINER_CAPS)
        .arg("true")
        .output();
    match probe {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`unshare --mount`, the runtime's kernel mounts or `setpriv` failed here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run util-linux `unshare`: {e}")),
    }
}

fn namespace_command(setup: &str, caps: Caps, command: &[&str]) -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        NAMESPACE_SCRIPT,
        "sh",
    ])
    .arg(exe)
    .arg(format!("{RUNTIME_KERNEL_MOUNTS} && {setup}"));
    if caps == Caps::Container {
        cmd.args(CONTAINER_CAPS);
    }
    cmd.args(command);
    cmd
}

/// Runs verify (this binary as helper) inside a namespace built by `setup`.
fn verify_in_namespace(setup: &str, args: &[&str]) -> Output {
    let mut command = vec!["/proc/self/fd/3", HELPER_FLAG];
    command.extend_from_slice(args);
    logged(
        &format!("verify {args:?} in [{setup}]"),
        namespace_command(setup, Caps::Container, &command),
    )
}

/// Runs verify in this (host) namespace, with full root capabilities.
fn verify_here(args: &[&str]) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("test binary path"));
    command.arg(HELPER_FLAG).args(args);
    logged(&format!("verify {args:?}"), command)
}

/// Runs `command`, echoing its status and output to stderr (shown for a
/// failing test).
fn logged(what: &str, mut command: Command) -> Output {
    let out = command.output().expect("run verify");
    eprintln!(
        "--- {what}: {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("verify printed one JSON document")
}

fn reasons(report: &Value) -> Vec<String> {
    report["reasons"]
        .as_array()
        .expect("reasons array")
        .iter()
        .map(|r| r.as_str().expect("reason string").to_string())
        .collect()
}

fn mount<'a>(report: &'a Value, mount_point: &str) -> Vec<&'a Value> {
    report["mounts"]
        .as_array()
        .expect("mounts array")
        .iter()
        .filter(|m| m["mountPoint"] == mount_point)
        .collect()
}

fn has_cap(report: &Value, set: &str, cap: &str) -> bool {
    report["capabilities"][set]
        .as_array()
        .expect("capability list")
        .iter()
        .any(|c| c == cap)
}

fn assert_tmp_is_writable_memory(report: &Value) {
    let tmp = mount(report, "/tmp");
    let top = tmp.last().expect("a mount at /tmp is listed");
    assert_eq!(top["fsType"], "tmpfs");
    assert_eq!(top["backing"], "memory");
    assert_eq!(top["readOnly"], false);
    assert_eq!(top["systemPath"], false);
}

fn assert_root_read_only_and_no_sys_admin(report: &Value) {
    assert_eq!(report["rootReadOnly"], true);
    let root = mount(report, "/");
    assert!(root.iter().all(|m| m["readOnly"] == true), "{root:?}");
    assert!(!has_cap(report, "effective", "CAP_SYS_ADMIN"));
    assert!(!has_cap(report, "bounding", "CAP_SYS_ADMIN"));
    // Everything else root has is still there.
    assert!(has_cap(report, "effective", "CAP_DAC_OVERRIDE"));
}

fn assert_probes_all_erofs(report: &Value) {
    let probes = report["probes"].as_array().expect("probes array");
    let dirs: Vec<&Value> = probes.iter().map(|p| &p["directory"]).collect();
    assert_eq!(dirs.first().copied(), Some(&Value::from("/")));
    assert_eq!(probes.len(), 2, "/ and a system directory: {probes:?}");
    for p in probes {
        assert_eq!(p["errno"], "EROFS", "{p}");
        assert_eq!(p["outcome"], "readOnly", "{p}");
    }
}

fn ro_root_with_tmpfs_tmp_passes() {
    let out = verify_in_namespace(RO_ROOT_TMPFS, &["--format", "json", "--probe-write"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(reasons(&report), Vec::<String>::new());
    assert_root_read_only_and_no_sys_admin(&report);
    assert_tmp_is_writable_memory(&report);
    assert_probes_all_erofs(&report);
    assert_runtime_kernel_interfaces_ignored(&report, None);
}

/// The runtime's kernel-interface mounts are listed, classified pseudo, and
/// ignored; the host's devtmpfs (and all in it) is covered by the tmpfs /dev.
/// Mounts at `except` are left to the caller.
fn assert_runtime_kernel_interfaces_ignored(report: &Value, except: Option<&str>) {
    let pseudo: Vec<&Value> = report["mounts"]
        .as_array()
        .expect("mounts array")
        .iter()
        .filter(|m| m["backing"] == "pseudo" && except.is_none_or(|e| m["mountPoint"] != e))
        .collect();
    for (at, fs_type) in [
        ("/proc", "proc"),
        ("/proc/sys", "proc"),
        ("/sys", "sysfs"),
        ("/sys/fs/cgroup", "cgroup2"),
        ("/dev", "tmpfs"),
        ("/dev/pts", "devpts"),
        ("/dev/mqueue", "mqueue"),
    ] {
        assert!(
            pseudo
                .iter()
                .any(|m| m["mountPoint"] == at && m["fsType"] == fs_type && m["covered"] == false),
            "{fs_type} at {at}: {pseudo:?}"
        );
    }
    for m in &pseudo {
        assert_eq!(m["kernelInterface"], "ignored", "{m}");
    }
    let host_dev = pseudo
        .iter()
        .find(|m| m["fsType"] == "devtmpfs")
        .expect("the host's devtmpfs is listed");
    assert_eq!(host_dev["covered"], true, "{host_dev}");
}

/// A tmpfs mounted `noexec` (as a runtime mounts /dev/shm) is shown so,
/// in the text and the JSON, and leaves no note that a dropped program
/// could run; the verdict does not change.
fn ro_root_noexec_tmp_is_shown_noexec() {
    let setup = "mount -o remount,bind,ro / && mount -t tmpfs -o noexec tmpfs /tmp";
    let out = verify_in_namespace(setup, &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("/tmp ") && l.contains("(memory, noexec)")),
        "{text}"
    );
    let out = verify_in_namespace(setup, &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tmp = json["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPoint"] == "/tmp" && m["covered"] == false)
        .unwrap();
    assert_eq!(
        (tmp["readOnly"].clone(), tmp["executable"].clone()),
        (false.into(), false.into())
    );
}

fn ro_root_text_output_names_tmp() {
    let out = verify_in_namespace(RO_ROOT_TMPFS, &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("root filesystem: read-only"), "{text}");
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("/tmp ")
            && l.contains("tmpfs")
            && l.contains("(memory, exec)")),
        "{text}"
    );
    assert!(
        text.contains("(exec: a program written there can be run from there;"),
        "{text}"
    );
    assert!(text.contains("CAP_SYS_ADMIN: not effective"), "{text}");
    assert!(text.contains("verdict: PASS"), "{text}");
    assert!(
        !text.contains("write probes"),
        "no probe without --probe-write"
    );
}

/// Runs verify with `args` (JSON output) in a namespace built by `setup`
/// and checks that it fails (exit 1) for exactly one reason, which starts
/// with `reason`; returns the report.
fn fails_for_one_reason(setup: &str, args: &[&str], reason: &str) -> Value {
    let mut with_json = vec!["--format", "json"];
    with_json.extend_from_slice(args);
    let out = verify_in_namespace(setup, &with_json);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["verdict"], "fail");
    let reasons = reasons(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].starts_with(reason), "{reasons:?}");
    report
}

fn writable_root_fails() {
    let report = fails_for_one_reason(RW_ROOT, &[], "root filesystem / is writable");
    assert_eq!(report["rootReadOnly"], false);
    assert_eq!(report["probes"], Value::Array(vec![]), "nothing written");
}

fn writable_etc_bind_fails_naming_etc() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_ETC,
        &[],
        "writable mount at /etc is at or above a system path",
    );
    assert_eq!(report["rootReadOnly"], true);
    let etc = mount(&report, "/etc");
    let etc = etc.last().expect("/etc listed");
    assert_eq!(etc["readOnly"], false);
    assert_eq!(etc["systemPath"], true);
    // Same backing as the host root it was bound from.
    assert_eq!(etc["fsType"], mount(&report, "/")[0]["fsType"]);
}

fn writable_usr_local_lib_fails() {
    let out = verify_in_namespace(RO_ROOT_RW_LOCAL_LIB, &["--format", "json", "--probe-write"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let reasons = reasons(&report);
    assert!(
        reasons.iter().any(|r| r
            .starts_with("writable mount at /usr/local/lib is at or above a system path")),
        "{reasons:?}"
    );
    assert_eq!(mount(&report, "/usr/local/lib")[0]["systemPath"], true);
}

fn writable_mount_inside_usr_lib_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_INSIDE_USR_LIB,
        &[],
        "writable mount at /usr/lib/python3 is inside a directory of programs or libraries",
    );
    assert_eq!(mount(&report, "/usr/lib/python3")[0]["systemPath"], true);
}

fn covered_writable_etc_passes() {
    let out = verify_in_namespace(
        RO_ROOT_COVERED_RW_ETC,
        &["--format", "json", "--probe-write"],
    );
    let report = json(&out);
    assert_eq!(reasons(&report), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));
    // Bottom first, as mounted: the writable one is covered, the top one
    // is what a write reaches.
    assert_eq!(
        read_only_and_covered(&report, "/etc"),
        [(false, true), (true, false)]
    );
    assert_probes_all_erofs(&report);
}

fn writable_mount_stacked_on_the_root_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_STACKED_ON_ROOT,
        &["--probe-write"],
        "writable mount stacked on / above the root (tmpfs from stacked, memory)",
    );
    // `/` itself, the process's root, is read-only and refuses the probes.
    assert_eq!(report["rootReadOnly"], true);
    assert_probes_all_erofs(&report);
    // Bottom first: the read-only root, then the writable stack on it,
    // which `..` reaches.
    assert_eq!(
        read_only_and_covered(&report, "/"),
        [(true, false), (false, false)]
    );
}

/// `(readOnly, covered)` of each mount at `mount_point`, bottom first.
fn read_only_and_covered(report: &Value, mount_point: &str) -> Vec<(bool, bool)> {
    mount(report, mount_point)
        .iter()
        .map(|m| (m["readOnly"] == true, m["covered"] == true))
        .collect()
}

fn writable_mount_under_a_later_mount_above_it_passes() {
    let out = verify_in_namespace(
        RO_ROOT_RW_LIB_UNDER_LATER_RO_DIR,
        &["--format", "json", "--probe-write"],
    );
    let report = json(&out);
    assert_eq!(reasons(&report), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));
    let lib = mount(&report, "/usr/local/lib");
    assert_eq!(lib.len(), 1, "{lib:?}");
    assert_eq!(lib[0]["readOnly"], false);
    assert_eq!(lib[0]["covered"], true);
    assert_eq!(mount(&report, "/usr/local")[0]["covered"], false);
}

fn writable_alias_of_the_root_under_sys_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_ROOT_ALIAS_UNDER_SYS,
        &[],
        "writable mount at /sys/firmware shows / of the root filesystem",
    );
    let alias = mount(&report, "/sys/firmware");
    assert_eq!(alias[0]["backing"], "disk", "{alias:?}");
    assert_eq!(alias[0]["kernelInterface"], Value::Null, "{alias:?}");
    assert_eq!(alias[0]["rootFilesystemPath"], "/", "{alias:?}");
}

fn dac_read_search_with_a_writable_disk_mount_fails() {
    // The host's disk bound writable at /mnt (an emptyDir on the node's
    // disk), verify keeping CAP_DAC_READ_SEARCH: open_by_handle_at through
    // that mount reaches every file of the disk (Shocker).
    let setup = "mount --bind /var/tmp /mnt && mount -o remount,bind,ro / \
         && mount -t tmpfs tmpfs /tmp";
    let command = [
        "setpriv",
        "--bounding-set",
        "-sys_admin,-sys_module,-sys_ptrace",
        "--inh-caps",
        "-sys_admin,-sys_module,-sys_ptrace",
        "/proc/self/fd/3",
        HELPER_FLAG,
        "--format",
        "json",
    ];
    let out = logged(
        "verify keeping CAP_DAC_READ_SEARCH",
        namespace_command(setup, Caps::Keep, &command),
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(mount(&report, "/mnt")[0]["backing"], "disk");
    assert!(has_cap(&report, "effective", "CAP_DAC_READ_SEARCH"));
    assert_only_reason(
        &report,
        "CAP_DAC_READ_SEARCH is in the effective capability set, and /mnt is writable on the node's disk",
    );
}

/// The report has one reason, which starts with `start`.
fn assert_only_reason(report: &Value, start: &str) {
    let reasons = reasons(report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].starts_with(start), "{reasons:?}");
}

fn ptrace_with_the_nodes_processes_in_view_fails() {
    // These namespaces share the host's PID namespace and its /proc (what
    // `hostPID: true` gives a pod): the node's processes, kernel threads
    // included, are in view. With CAP_SYS_PTRACE, /proc/PID/root of a
    // node process (here a `sleep` of the host, with every capability)
    // is the node's own root, writable: checked by access(2) before
    // verify runs, with CAP_SYS_PTRACE and, refused, without it. Nothing
    // is written.
    let mut node_process = Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("start sleep");
    let node_root_etc = format!("/proc/{}/root/etc", node_process.id());
    const KEEP_PTRACE: &str = "-sys_admin,-dac_read_search,-sys_module";
    const DROP_PTRACE: &str = "-sys_admin,-dac_read_search,-sys_module,-sys_ptrace";
    let container_caps = |drop: &str| format!("setpriv --bounding-set {drop} --inh-caps {drop}");
    let script = format!(
        "{} test -w {node_root_etc} && {} sh -c '! test -w {node_root_etc}' \
         && exec {} /proc/self/fd/3 \"$@\"",
        container_caps(KEEP_PTRACE),
        container_caps(DROP_PTRACE),
        container_caps(KEEP_PTRACE),
    );
    let command = ["sh", "-c", &script, "sh", HELPER_FLAG, "--format", "json"];
    let out = logged(
        "verify keeping CAP_SYS_PTRACE",
        namespace_command(RO_ROOT_TMPFS, Caps::Keep, &command),
    );
    node_process.kill().expect("stop sleep");
    node_process.wait().expect("reap sleep");
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert!(has_cap(&report, "effective", "CAP_SYS_PTRACE"));
    assert_eq!(report["nodeProcesses"], "/proc");
    assert_only_reason(
        &report,
        "CAP_SYS_PTRACE is in the effective capability set, and /proc shows the node's processes",
    );
}

/// A container runtime's socket, bound read-only at its usual place (a
/// tmpfs at /run, private to the namespace, holds it), on a read-only
/// root with a tmpfs /tmp.
fn runtime_socket_setup() -> String {
    "mount -t tmpfs tmpfs /run && mkdir /run/containerd \
         && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"/run/sock\")' \
         && touch /run/containerd/containerd.sock \
         && mount --bind /run/sock /run/containerd/containerd.sock \
         && mount -o remount,bind,ro /run/containerd/containerd.sock && {RO_ROOT_TMPFS}"
        .replace("{RO_ROOT_TMPFS}", RO_ROOT_TMPFS)
}

fn runtime_socket_read_only_fails() {
    fails_for_one_reason(
        &runtime_socket_setup(),
        &[],
        "container runtime socket at /run/containerd/containerd.sock: whoever connects to it",
    );
}

fn pid_without_ptrace_access_does_not_pass_unlooked() {
    // The socket of runtime_socket_read_only_fails, in a target whose root
    // a prober of another UID without CAP_SYS_PTRACE cannot open: the
    // socket cannot be looked for, so the verdict cannot be a pass.
    let sleeper = Sleeper::start(&runtime_socket_setup());
    let pid = sleeper.pid();
    let out = verify_as_nobody(&["--pid", &pid, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_only_reason(
        &json(&out),
        &format!(
            "cannot look inside the root of the process (cannot open /proc/{pid}/root: \
             Permission denied"
        ),
    );
}

fn runtime_socket_a_mount_shows_elsewhere_fails() {
    // The node's /run as a security agent mounts it, at /mnt (a tmpfs of
    // the namespace's own, holding containerd's socket where /run would):
    // not a place a runtime uses, but what the mount shows is one.
    // python3 runs before /tmp is covered: a clone under /tmp is its
    // working directory, which pyenv's shim changes into first.
    let setup = "mount -t tmpfs tmpfs /mnt && mkdir /mnt/containerd \
         && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"/mnt/containerd/containerd.sock\")' \
         && {RO_ROOT_TMPFS}"
        .replace("{RO_ROOT_TMPFS}", RO_ROOT_TMPFS);
    fails_for_one_reason(
        &setup,
        &[],
        "container runtime socket at /mnt/containerd/containerd.sock: whoever connects to it",
    );
}

fn sys_admin_alone_fails() {
    // Read-only root, but verify keeps CAP_SYS_ADMIN: it could remount /
    // read-write, so the verdict must fail for exactly that.
    let command = [
        "setpriv",
        "--bounding-set",
        "-sys_module,-sys_ptrace",
        "--inh-caps",
        "-sys_module,-sys_ptrace",
        "/proc/self/fd/3",
        HELPER_FLAG,
        "--format",
        "json",
    ];
    let out = logged(
        "verify keeping CAP_SYS_ADMIN",
        namespace_command(RO_ROOT_TMPFS, Caps::Keep, &command),
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["rootReadOnly"], true);
    assert!(has_cap(&report, "effective", "CAP_SYS_ADMIN"));
    let reasons = reasons(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].starts_with("CAP_SYS_ADMIN is in the effective capability set"));
}

/// Whether this machine's kernel still loads modules (the sysctl says 0;
/// a kernel built without modules has none), read here independently of
/// verify's own reading.
fn kernel_loads_modules() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/modules_disabled").is_ok_and(|t| t.trim() == "0")
}

fn sys_module_fails_where_modules_load() {
    // Read-only root, verify keeping CAP_SYS_MODULE alone of the three:
    // where the kernel loads modules, a module written to /tmp runs in the
    // node's kernel, so the verdict fails for exactly that; where it loads
    // none (modules disabled, or built without them), it passes.
    let command = [
        "setpriv",
        "--bounding-set",
        "-sys_admin,-dac_read_search,-sys_ptrace",
        "--inh-caps",
        "-sys_admin,-dac_read_search,-sys_ptrace",
        "/proc/self/fd/3",
        HELPER_FLAG,
        "--format",
        "json",
    ];
    let out = logged(
        "verify keeping CAP_SYS_MODULE",
        namespace_command(RO_ROOT_TMPFS, Caps::Keep, &command),
    );
    let report = json(&out);
    assert!(has_cap(&report, "effective", "CAP_SYS_MODULE"));
    let reasons = reasons(&report);
    if kernel_loads_modules() {
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with("CAP_SYS_MODULE is in the effective capability set"),
            "{reasons:?}"
        );
    } else {
        assert_eq!(reasons, Vec::<String>::new());
        assert_eq!(out.status.code(), Some(0));
    }
}

/// Read-only root, but the root filesystem's /usr/share (inside the
/// system path /usr) bound writable at /tmp/share before `/` is made
/// read-only: the image's own files under /usr change through it
/// (checked by access(2), nothing is written).
const RO_ROOT_RW_USR_SHARE_ALIAS: &str = "mount -t tmpfs tmpfs /tmp && mkdir /tmp/share \
     && mount --bind /usr/share /tmp/share && mount -o remount,bind,ro / \
     && test -w /tmp/share && ! test -w /usr/share";

fn writable_alias_of_a_directory_inside_a_system_path_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_USR_SHARE_ALIAS,
        &[],
        "writable mount at /tmp/share shows /usr/share of the root filesystem",
    );
    assert_eq!(
        mount(&report, "/tmp/share")[0]["rootFilesystemPath"],
        "/usr/share"
    );
}

fn writable_alias_of_the_root_filesystem_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_ROOT_ALIAS,
        &["--probe-write"],
        "writable mount at /tmp/host-root shows / of the root filesystem",
    );
    // The mount table and the probes both say read-only for `/` itself.
    assert_root_read_only_and_no_sys_admin(&report);
    assert_probes_all_erofs(&report);
    let alias = mount(&report, "/tmp/host-root");
    assert_eq!(alias.len(), 1, "{alias:?}");
    assert_eq!(alias[0]["readOnly"], false);
    assert_eq!(alias[0]["systemPath"], false);
    assert_eq!(alias[0]["rootFilesystemPath"], "/");
    assert_eq!(mount(&report, "/")[0]["rootFilesystemPath"], Value::Null);
    assert_tmp_is_writable_memory(&report);
}

fn writable_node_disk_holding_pod_state_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_NODE_DISK,
        &["--probe-write"],
        "writable mount at /tmp/node shows /var/lib/kubelet/pods of the node's filesystem",
    );
    assert_root_read_only_and_no_sys_admin(&report);
    assert_probes_all_erofs(&report);
    assert_eq!(
        mount(&report, "/tmp/node")[0]["nodeStatePath"],
        "/var/lib/kubelet/pods"
    );
    for own in ["/etc/hosts", "/tmp/cache"] {
        assert_eq!(
            mount(&report, own)[0]["nodeStatePath"],
            Value::Null,
            "{own}"
        );
    }
}

fn writable_node_etc_on_the_pod_state_disk_fails() {
    // The node's disk of RO_ROOT_NODE_DISK, with its own /etc (a hostPath
    // of the node's /etc) bound writable at /tmp/host-etc; the disk's own
    // mount is gone, as in pod_binds_from_the_node_disk_pass. The kubelet's
    // files lie at /var/lib/kubelet/… of that disk: it is the node's `/`.
    let setup = format!(
        "{RO_ROOT_NODE_DISK} && mkdir /tmp/node/etc /tmp/host-etc \
         && mount --bind /tmp/node/etc /tmp/host-etc && umount /tmp/node"
    );
    let report = fails_for_one_reason(
        &setup,
        &[],
        "writable mount at /tmp/host-etc shows /etc of the node's root filesystem",
    );
    assert_eq!(mount(&report, "/tmp/host-etc")[0]["nodeSystemPath"], "/etc");
    assert_eq!(
        mount(&report, "/etc/hosts")[0]["nodeSystemPath"],
        Value::Null
    );
}

fn pod_binds_from_the_node_disk_pass() {
    // Without the disk's own mount, only the pod's binds of it remain.
    let setup = format!("{RO_ROOT_NODE_DISK} && umount /tmp/node");
    let out = verify_in_namespace(&setup, &["--format", "json"]);
    let report = json(&out);
    assert_eq!(reasons(&report), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));
    // The pod's own binds of that disk are there, and writable.
    assert_eq!(mount(&report, "/tmp/cache")[0]["readOnly"], false);
    assert_eq!(mount(&report, "/etc/hosts")[0]["readOnly"], false);
    assert!(mount(&report, "/tmp/node").is_empty());
}

fn permitted_sys_admin_fails_despite_no_new_privs() {
    // NoNewPrivs stops exec from gaining capabilities; it does not stop
    // capset(2) from raising a permitted one into the effective set.
    let command = [
        "setpriv",
        "--securebits",
        "+noroot",
        "--no-new-privs",
        "/tmp/verify",
        HELPER_FLAG,
        "--format",
        "json",
    ];
    let out = logged(
        "verify with CAP_SYS_ADMIN permitted only",
        namespace_command(RO_ROOT_PERMITTED_SYS_ADMIN, Caps::Keep, &command),
    );
    let report = json(&out);
    assert_eq!(report["noNewPrivs"], true);
    assert_eq!(report["rootReadOnly"], true);
    assert!(!has_cap(&report, "effective", "CAP_SYS_ADMIN"));
    assert_eq!(
        report["capabilities"]["permitted"],
        Value::from(vec!["CAP_SYS_ADMIN"])
    );
    let reasons = reasons(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].starts_with("CAP_SYS_ADMIN is in the permitted capability set"),
        "{reasons:?}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// The one reason a devtmpfs at /tmp/host-dev fails the verdict for.
const HOST_DEV_WRITABLE: &str =
    "devtmpfs at /tmp/host-dev (from devtmpfs, writable) is the node's device tree";

/// Read-only root, and a block device node of the root's own disk made in
/// the runtime's tmpfs /dev, as a runtime does for `docker run --device`
/// (the device cgroup then lets it be opened): a read-only mount does not
/// stop writes to the disk under it.
const RO_ROOT_DISK_NODE_IN_DEV: &str = "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
     && mknod /dev/node-disk b $(mountpoint -d /| tr : ' ')";

fn disk_device_node_in_dev_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_DISK_NODE_IN_DEV,
        &[],
        "block device /dev/node-disk (",
    );
    let reasons = reasons(&report);
    assert!(
        reasons[0].contains(") is the disk of the mount at / ("),
        "{reasons:?}"
    );
}

/// A loop device over a 24 MiB image with one MBR partition holding a
/// filesystem (ext4, btrfs): a whole disk and its partition, as a node's
/// disk is. Detached on drop.
struct PartitionedDisk {
    loop_device: String,
    /// The partition's kernel name (`loop3p1`).
    partition_name: String,
    /// `major:minor` of the whole disk and of its partition.
    disk: String,
    partition: String,
    _dir: tempfile::TempDir,
}

impl PartitionedDisk {
    /// The partition made with `mkfs` (its program and options; the
    /// partition's node is the last argument). `Err` says why none can be
    /// made here (no loop devices, no partition scanning, no such mkfs).
    fn new(mkfs: &[&str]) -> Result<PartitionedDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let image = dir.path().join("disk.img");
        // btrfs wants at least 109 MiB (with its default mixed-block
        // groups off); ext4 does with 24.
        let mib: u32 = if mkfs[0] == "mkfs.btrfs" { 128 } else { 24 };
        let mut bytes = vec![0u8; (mib as usize) << 20];
        // One partition entry (type 0x83) from sector 2048 to the end.
        let (start, sectors) = (2048u32, (mib << 20) / 512 - 2048);
        bytes[446 + 4] = 0x83;
        bytes[446 + 8..446 + 12].copy_from_slice(&start.to_le_bytes());
        bytes[446 + 12..446 + 16].copy_from_slice(&sectors.to_le_bytes());
        bytes[510] = 0x55;
        bytes[511] = 0xaa;
        std::fs::write(&image, bytes).map_err(|e| e.to_string())?;
        let run = |program: &str, args: &[&str]| -> Result<String, String> {
            let out = Command::new(program)
                .args(args)
                .output()
                .map_err(|e| format!("{program}: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "{program} {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        };
        let image = image.to_string_lossy().into_owned();
        let loop_device = run("losetup", &["--find", "--show", &image])?;
        // Made now, so the device is detached whatever fails below.
        let mut disk = PartitionedDisk {
            loop_device: loop_device.clone(),
            partition_name: String::new(),
            disk: String::new(),
            partition: String::new(),
            _dir: dir,
        };
        // `losetup --partscan` alone left no partition here; partx asks
        // the kernel for it directly (`--update`: a partition a detached
        // user of the same loop device left behind is replaced).
        run("partx", &["--update", &loop_device])?;
        let name = loop_device.trim_start_matches("/dev/");
        let sys = |path: String| {
            std::fs::read_to_string(&path)
                .map(|s| s.trim().to_string())
                .map_err(|e| format!("{path}: {e}"))
        };
        disk.disk = sys(format!("/sys/class/block/{name}/dev"))?;
        disk.partition = sys(format!("/sys/class/block/{name}p1/dev"))?;
        disk.partition_name = format!("{name}p1");
        let node = format!("{loop_device}p1");
        let args: Vec<&str> = mkfs[1..].iter().copied().chain([node.as_str()]).collect();
        run(mkfs[0], &args)?;
        Ok(disk)
    }
}

impl Drop for PartitionedDisk {
    fn drop(&mut self) {
        // Detaching leaves a partition partx added in place.
        let _ = Command::new("partx")
            .args(["--delete", &self.loop_device])
            .status();
        let _ = Command::new("losetup")
            .args(["--detach", &self.loop_device])
            .status();
    }
}

/// The node's disk is a partition (as on most nodes: `/dev/nvme0n1p1`),
/// the kubelet's /etc/hosts is bound from it, and the runtime put a node
/// for the *whole* disk in /dev: written raw, the whole disk changes the
/// partition's files as surely as the partition's own node would.
fn whole_disk_of_a_mounted_partition_fails() {
    let disk = match PartitionedDisk::new(&["mkfs.ext4", "-q"]) {
        Ok(disk) => disk,
        Err(why) => {
            println!("skipped whole_disk_of_a_mounted_partition_fails: {why}");
            return;
        }
    };
    let node = |d: &str| d.replace(':', " ");
    let setup = format!(
        "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
         && mknod /tmp/part b {partition} && mkdir /tmp/node && mount /tmp/part /tmp/node \
         && mkdir -p /tmp/node/var/lib/kubelet/pods/u1 \
         && echo '127.0.0.1 localhost' > /tmp/node/var/lib/kubelet/pods/u1/etc-hosts \
         && mount --bind /tmp/node/var/lib/kubelet/pods/u1/etc-hosts /etc/hosts \
         && umount /tmp/node && rm /tmp/part && mknod /dev/whole-disk b {whole}",
        partition = node(&disk.partition),
        whole = node(&disk.disk),
    );
    let report = fails_for_one_reason(&setup, &[], "block device /dev/whole-disk (");
    let reasons = reasons(&report);
    let expected = format!(
        "block device /dev/whole-disk ({}, which holds {}) is the disk of the mount at /etc/hosts (ext4 from /tmp/part)",
        disk.disk, disk.partition
    );
    assert!(reasons[0].starts_with(&expected), "{reasons:?}");
}

/// The node's disk holds btrfs (openSUSE's and SLE Micro's default):
/// mountinfo gives its mounts an anonymous device (`0:N`) that no node
/// has, so the kubelet's /etc/hosts from it named no disk, and a node of
/// the partition in /dev passed. The partition is found by the mount's
/// source, and so is the whole disk under it.
fn btrfs_partition_behind_its_anonymous_device_fails() {
    let disk = match PartitionedDisk::new(&["mkfs.btrfs", "-q", "-f"]) {
        Ok(disk) => disk,
        Err(why) => {
            println!("skipped btrfs_partition_behind_its_anonymous_device_fails: {why}");
            return;
        }
    };
    let node = |d: &str| d.replace(':', " ");
    // The partition's node is made under its kernel name (in /tmp, as
    // /dev/nvme0n1p2 is outside the container): the mount's source.
    let setup = format!(
        "mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp \
         && mknod /tmp/{name} b {partition} && mkdir /tmp/node && mount -t btrfs /tmp/{name} /tmp/node \
         && mkdir -p /tmp/node/var/lib/kubelet/pods/u1 \
         && echo '127.0.0.1 localhost' > /tmp/node/var/lib/kubelet/pods/u1/etc-hosts \
         && mount --bind /tmp/node/var/lib/kubelet/pods/u1/etc-hosts /etc/hosts \
         && umount /tmp/node && rm /tmp/{name} \
         && mknod /dev/node-partition b {partition} && mknod /dev/node-disk b {whole}",
        name = disk.partition_name,
        partition = node(&disk.partition),
        whole = node(&disk.disk),
    );
    let out = verify_in_namespace(&setup, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let reasons = reasons(&report);
    let of_hosts = |n: &str, d: &str| format!("block device /dev/{n} ({d}, which holds ");
    let mount = format!(
        ") is the disk of the mount at /etc/hosts (btrfs from /tmp/{})",
        disk.partition_name
    );
    for (n, d) in [
        ("node-partition", &disk.partition),
        ("node-disk", &disk.disk),
    ] {
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with(&of_hosts(n, d)) && r.contains(&mount)),
            "/dev/{n}: {reasons:?}"
        );
    }
    assert_eq!(reasons.len(), 2, "{reasons:?}");
}

fn writable_devtmpfs_at_odd_path_fails() {
    let report = fails_for_one_reason(RO_ROOT_RW_DEVTMPFS, &["--probe-write"], HOST_DEV_WRITABLE);
    assert_root_read_only_and_no_sys_admin(&report);
    assert_probes_all_erofs(&report);
    assert!(reasons(&report)[0].contains("open its disks"), "{report}");
    let host_dev = mount(&report, "/tmp/host-dev");
    let host_dev = host_dev.last().expect("/tmp/host-dev listed");
    assert_eq!(host_dev["fsType"], "devtmpfs");
    assert_eq!(host_dev["readOnly"], false);
    assert_eq!(host_dev["backing"], "pseudo");
    assert_eq!(host_dev["kernelInterface"], "fails");
    // Everything else is the runtime's layout, as in the passing case.
    assert_runtime_kernel_interfaces_ignored(&report, Some("/tmp/host-dev"));
}

fn read_only_devtmpfs_without_nodev_fails() {
    // The setup itself wrote through the read-only mount's null device.
    let report = fails_for_one_reason(
        RO_ROOT_RO_DEVTMPFS,
        &[],
        "devtmpfs at /tmp/host-dev (from devtmpfs, read-only but not nodev) is the node's \
         device tree",
    );
    let host_dev = mount(&report, "/tmp/host-dev");
    assert_eq!(host_dev[0]["readOnly"], true);
    assert_eq!(host_dev[0]["kernelInterface"], "fails");
}

fn runtime_device_binds_from_devtmpfs_pass_a_disk_device_fails() {
    // Each bind reaches one device node of the node's devtmpfs, not its
    // tree: the runtime's null, zero, full, random, urandom and tty are
    // harmless; the node's disk is not.
    let report = fails_for_one_reason(
        RO_ROOT_USERNS_DEVICE_BINDS,
        &[],
        "devtmpfs at /tmp/disk (from devtmpfs, writable)",
    );
    for n in ["null", "zero", "full", "random", "urandom", "tty"] {
        let at = format!("/dev/{n}");
        let bind = mount(&report, &at);
        let bind = bind.last().unwrap_or_else(|| panic!("{at} listed"));
        assert_eq!(bind["fsType"], "devtmpfs", "{bind}");
        assert_eq!(bind["kernelInterface"], "ignored", "{bind}");
    }
    assert_eq!(mount(&report, "/tmp/disk")[0]["kernelInterface"], "fails");
}

fn writable_sys_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_SYS,
        &[],
        "writable sysfs at /sys (from sysfs): runtimes mount sysfs read-only unless the \
         container is privileged",
    );
    assert_eq!(report["rootReadOnly"], true);
    let sys = mount(&report, "/sys");
    let sys = sys.last().expect("/sys listed");
    assert_eq!(sys["readOnly"], false);
    assert_eq!(sys["kernelInterface"], "fails");
    // The read-only cgroup2 below it is still the runtime's.
    assert_eq!(
        mount(&report, "/sys/fs/cgroup")[0]["kernelInterface"],
        "ignored"
    );
}

fn unbound_proc_sys_fails_and_is_writable() {
    let report = fails_for_one_reason(
        RO_ROOT_UNBOUND_PROC_SYS,
        &[],
        "/proc/sys is writable (proc at /proc, not bound read-only)",
    );
    assert_eq!(report["procSysWritable"], true);
    assert_eq!(report["userNamespace"], "initial");
    assert_root_read_only_and_no_sys_admin(&report);
    // The verdict is not theory: in the same namespace, root without
    // CAP_SYS_ADMIN may open the node's core_pattern for writing. access(2)
    // runs the same checks as an open for writing (the sysctl's owner bits
    // for the node's root, the mount's read-only flag) and changes nothing.
    let writable = ["sh", "-c", "test -w /proc/sys/kernel/core_pattern"];
    let out = logged(
        "core_pattern writable without the runtime's bind",
        namespace_command(RO_ROOT_UNBOUND_PROC_SYS, Caps::Container, &writable),
    );
    assert_eq!(out.status.code(), Some(0));
    let out = logged(
        "core_pattern under the runtime's read-only /proc/sys",
        namespace_command(RO_ROOT_TMPFS, Caps::Container, &writable),
    );
    assert_eq!(out.status.code(), Some(1));
}

fn writable_proc_sys_kernel_bind_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_PROC_SYS_KERNEL,
        &[],
        "/proc/sys is writable (proc at /proc/sys/kernel, mounted writable)",
    );
    assert_eq!(report["procSysWritable"], true);
    assert_root_read_only_and_no_sys_admin(&report);
    // As in unbound_proc_sys_fails_and_is_writable: access(2) shows root
    // without CAP_SYS_ADMIN may open core_pattern for writing.
    let writable = ["sh", "-c", "test -w /proc/sys/kernel/core_pattern"];
    let out = logged(
        "core_pattern through the writable kernel bind",
        namespace_command(RO_ROOT_RW_PROC_SYS_KERNEL, Caps::Container, &writable),
    );
    assert_eq!(out.status.code(), Some(0));
}

fn writable_proc_sys_elsewhere_with_core_pattern_masked_fails() {
    let report = fails_for_one_reason(
        RO_ROOT_RW_PROC_SYS_ELSEWHERE,
        &[],
        "/proc/sys is writable (proc at /proc/fs, mounted writable)",
    );
    assert_eq!(report["procSysWritable"], true);
    let writable = ["sh", "-c", "test -w /proc/fs/kernel/core_pattern"];
    let out = logged(
        "core_pattern through the writable bind at /proc/fs",
        namespace_command(RO_ROOT_RW_PROC_SYS_ELSEWHERE, Caps::Container, &writable),
    );
    assert_eq!(out.status.code(), Some(0));
}

fn pid_with_writable_devtmpfs_fails_in_text() {
    let sleeper = Sleeper::start(RO_ROOT_RW_DEVTMPFS);
    let out = verify_here(&["--pid", &sleeper.pid()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("  - {HOST_DEV_WRITABLE}")), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("/tmp/host-dev ")
                && l.ends_with("devtmpfs from devtmpfs (pseudo)  NODE KERNEL INTERFACE")),
        "{text}"
    );
    // The runtime's own kernel interfaces are not listed as writable.
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("/dev/pts ")),
        "{text}"
    );
}

/// A `sleep` inside a namespace built by `setup`; killed on drop.
struct Sleeper(Child);

impl Sleeper {
    fn start(setup: &str) -> Sleeper {
        Sleeper::start_command(setup, &["sleep", "60"])
    }

    /// Runs `command`, which must exec `sleep` in place (`chroot DIR sleep`).
    fn start_command(setup: &str, command: &[&str]) -> Sleeper {
        let child = namespace_command(setup, Caps::Container, command)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn unshare");
        Sleeper::wait_for(child)
    }

    /// Waits until `child` has exec'd `sleep` in place.
    fn wait_for(child: Child) -> Sleeper {
        let sleeper = Sleeper(child);
        // unshare, sh and setpriv all exec in place: same pid, which is
        // ready once it has become `sleep`.
        let comm = format!("/proc/{}/comm", sleeper.0.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&comm)
            .map(|c| c.trim() != "sleep")
            .unwrap_or(true)
        {
            assert!(
                Instant::now() < deadline,
                "namespace setup did not reach sleep"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        sleeper
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// As UID 65534, CAP_SYS_ADMIN out of the bounding set but still
/// inheritable, NoNewPrivs off: `setpriv` raises it in the inheritable set
/// while it is in the bounding set, then a second `setpriv` drops it from
/// the bounding set and changes the UID (which clears the permitted and
/// effective sets, not the inheritable one).
const INHERITABLE_SYS_ADMIN: &[&str] = &[
    "setpriv",
    "--inh-caps",
    "+sys_admin",
    "setpriv",
    "--bounding-set",
    "-sys_admin",
    "--reuid",
    "65534",
    "--regid",
    "65534",
    "--clear-groups",
];

fn pid_with_inheritable_sys_admin_fails() {
    let setup =
        format!("{RO_ROOT_TMPFS} && cp /bin/cat /tmp/cat && setcap cap_sys_admin+ei /tmp/cat");
    let mut command = INHERITABLE_SYS_ADMIN.to_vec();
    command.extend(["sleep", "60"]);
    let child = namespace_command(&setup, Caps::Keep, &command)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn unshare");
    let sleeper = Sleeper::wait_for(child);
    let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json"]);
    drop(sleeper);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(
        reasons(&report)
            .iter()
            .filter(|r| r.starts_with("CAP_SYS_ADMIN"))
            .map(|r| r.split(':').next().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["CAP_SYS_ADMIN is in the inheritable set and NoNewPrivs is off"]
    );
    assert!(has_cap(&report, "inheritable", "CAP_SYS_ADMIN"));
    assert!(!has_cap(&report, "bounding", "CAP_SYS_ADMIN"));
    assert!(!has_cap(&report, "permitted", "CAP_SYS_ADMIN"));
    // Not theory: the same process executing the file-capability copy of
    // cat has CAP_SYS_ADMIN effective (bit 21 of CapEff).
    let mut command = INHERITABLE_SYS_ADMIN.to_vec();
    command.extend(["/tmp/cat", "/proc/self/status"]);
    let out = logged(
        "cat with cap_sys_admin+ei from an inheritable CAP_SYS_ADMIN",
        namespace_command(&setup, Caps::Keep, &command),
    );
    let status = rootlock_verify::status::parse(&String::from_utf8_lossy(&out.stdout))
        .expect("cat printed its status");
    assert!(status.effective.has(rootlock_verify::status::CAP_SYS_ADMIN));
    assert!(!status.bounding.has(rootlock_verify::status::CAP_SYS_ADMIN));
}

fn pid_in_ro_namespace_passes() {
    let sleeper = Sleeper::start(RO_ROOT_TMPFS);
    // This process is in the host namespace with a writable root and full
    // capabilities: only the target's view may decide the verdict.
    let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json", "--probe-write"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["verdict"], "pass");
    assert_root_read_only_and_no_sys_admin(&report);
    assert_tmp_is_writable_memory(&report);
    // Probes go through /proc/PID/root, i.e. the target's mounts.
    assert_probes_all_erofs(&report);
}

/// Read-only root; the root bound writable at /tmp/alias, the shell's
/// working directory moved into that alias, then a read-only tmpfs
/// mounted over /tmp/alias: path lookups no longer reach the alias, but
/// the working directory (inherited by the `sleep` exec'd next) still is
/// in it, and the root's files are writable from there (checked by
/// access(2); nothing is written).
const RO_ROOT_CWD_IN_COVERED_ALIAS: &str = "mount -t tmpfs tmpfs /tmp && mkdir /tmp/alias \
     && mount --bind / /tmp/alias && cd /tmp/alias && mount -t tmpfs -o ro tmpfs /tmp/alias \
     && mount -o remount,bind,ro / && test -w etc && ! test -w /etc && ! test -w /tmp/alias";

fn pid_with_working_directory_in_a_covered_writable_alias_fails() {
    let sleeper = Sleeper::start(RO_ROOT_CWD_IN_COVERED_ALIAS);
    let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_only_reason(
        &report,
        "writable mount at /tmp/alias shows / of the root filesystem",
    );
    assert!(
        reasons(&report)[0].ends_with(
            "(a later mount covers it, but the process holds its working directory in it)"
        ),
        "{:?}",
        reasons(&report)
    );
    // Bottom first: the alias, then the read-only cover on it.
    assert_eq!(
        read_only_and_covered(&report, "/tmp/alias"),
        [(false, true), (true, false)]
    );
    assert_eq!(
        mount(&report, "/tmp/alias")[0]["heldBy"],
        "its working directory"
    );
}

fn pid_in_rw_etc_namespace_fails() {
    let sleeper = Sleeper::start(RO_ROOT_RW_ETC);
    let out = verify_here(&["--pid", &sleeper.pid()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  - writable mount at /etc is at or above a system path"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("/etc") && l.ends_with("SYSTEM PATH")),
        "{text}"
    );
}

fn pid_whose_name_is_not_utf8_is_judged() {
    // A process names itself (prctl PR_SET_NAME) with a byte that is not
    // UTF-8; /proc/PID/status shows its Name as it is. The process is
    // judged all the same (here the host's own writable root fails it),
    // not an error anybody in the container can provoke.
    let child = Command::new("python3")
        .args([
            "-c",
            "import ctypes, sys, time\n\
             ctypes.CDLL(None).prctl(15, b'ev\\xffil', 0, 0, 0)\n\
             print('named', flush=True)\n\
             time.sleep(60)",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start python3");
    let mut child = Sleeper(child);
    let mut ready = [0u8; 6];
    std::io::Read::read_exact(child.0.stdout.as_mut().expect("stdout"), &mut ready)
        .expect("python3 named itself");
    let status = std::fs::read(format!("/proc/{}/status", child.pid())).expect("status");
    assert!(status.starts_with(b"Name:\tev\xffil\n"), "{status:?}");
    let out = verify_here(&["--pid", &child.pid(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let reasons = reasons(&json(&out));
    assert!(
        reasons[0].starts_with("root filesystem / is writable ("),
        "{reasons:?}"
    );
}

fn missing_pid_is_error_naming_file() {
    // Above the kernel's PID_MAX_LIMIT (2^22): never a live process.
    let out = verify_here(&["--pid", "4294967295"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open /proc/4294967295: ") && err.contains("(no process 4294967295)"),
        "{err}"
    );
}

fn zombie_pid_is_an_error_saying_it_exited() {
    // A child that has exited but is not reaped yet: its /proc entry is
    // still there, its mount namespace is gone (mountinfo: EINVAL).
    let mut child = Command::new("true").spawn().expect("spawn true");
    let stat = format!("/proc/{}/stat", child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&stat).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.starts_with(" Z"))
    }) {
        assert!(Instant::now() < deadline, "child did not become a zombie");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    let out = verify_here(&["--pid", &pid, "--format", "json"]);
    child.wait().expect("reap the zombie");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot read /proc/{pid}/mountinfo: "))
            && err.contains(&format!("process {pid} has exited and is a zombie")),
        "{err}"
    );
}

fn user_namespace_is_read_from_uid_map() {
    let host = json(&verify_here(&["--format", "json"]));
    assert_eq!(host["userNamespace"], "initial");
    // The host's proc has no read-only /proc/sys: a reason here...
    assert!(
        reasons(&host)
            .iter()
            .any(|r| r.starts_with("/proc/sys is writable (proc at /proc")),
        "{host}"
    );
    // ...and none in a user namespace (root mapped to this one UID), where
    // the same mounts reach the same writable /proc/sys.
    let exe = std::env::current_exe().expect("test binary path");
    let mut command = Command::new("unshare");
    command
        .args(["--user", "--map-root-user"])
        .arg(exe)
        .args([HELPER_FLAG, "--format", "json"]);
    let nested = json(&logged("verify in a user namespace", command));
    assert_eq!(nested["userNamespace"], "nested");
    assert_eq!(nested["procSysWritable"], true);
    assert!(
        !reasons(&nested).iter().any(|r| r.starts_with("/proc/sys")),
        "{nested}"
    );
}

/// A directory of this (host) namespace that a target's symlink points at,
/// with its mtime set far in the past: creating and removing a file in it
/// sets the mtime to now, so a probe that escaped the target shows even
/// though it removed its file at once. Removed on drop.
struct EscapeDir(std::path::PathBuf);

impl EscapeDir {
    const MTIME: Duration = Duration::from_secs(1_000_000_000);

    fn create(name: &str) -> EscapeDir {
        let path = std::path::Path::new("/var/tmp").join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).expect("create the escape directory");
        let dir = EscapeDir(path);
        std::fs::File::open(&dir.0)
            .and_then(|f| f.set_modified(std::time::UNIX_EPOCH + EscapeDir::MTIME))
            .expect("set the escape directory's mtime");
        dir
    }

    /// Nothing was created (or created and removed) in it.
    fn assert_untouched(&self) {
        let meta = std::fs::metadata(&self.0).expect("escape directory still there");
        assert_eq!(
            meta.modified().ok(),
            Some(std::time::UNIX_EPOCH + EscapeDir::MTIME),
            "a file was created in {} outside the target",
            self.0.display()
        );
        let left: Vec<_> = std::fs::read_dir(&self.0)
            .expect("read the escape directory")
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

impl Drop for EscapeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A chroot for `sleep`: a tmpfs on /mnt (of the namespace only) with the
/// host's /usr bound read-only and its /bin, /lib… links or binds, a proc,
/// an empty `/var/tmp/NAME`, `/etc` a symlink to `etc_target`; then made
/// read-only.
fn chroot_with_etc_symlink(name: &str, etc_target: &str) -> String {
    format!(
        "mount -t tmpfs tmpfs /mnt && mkdir -p /mnt/usr /mnt/proc /mnt/var/tmp/{name} \\
         && mount --bind /usr /mnt/usr && mount -o remount,bind,ro /mnt/usr \\
         && for d in bin sbin lib lib32 lib64 libx32; do \\
              if [ -L /$d ]; then ln -s \"$(readlink /$d)\" /mnt/$d; \\
              elif [ -d /$d ]; then mkdir /mnt/$d && mount --bind /$d /mnt/$d \\
                && mount -o remount,bind,ro /mnt/$d; fi; \\
            done \\
         && mount -t proc proc /mnt/proc \\
         && ln -s '{etc_target}' /mnt/etc && mount -o remount,ro /mnt"
    )
}

fn pid_probe_resolves_symlinks_in_the_targets_root() {
    // The target's /etc points at /var/tmp/NAME: by an absolute symlink, by
    // a relative one whose `..` climb above the target's root, and through
    // the magic link /proc/self/root of the target's proc (no PID
    // namespace: `self` is whoever looks, verify, whose root is the host's).
    // The first two must resolve inside the target (its own read-only
    // /var/tmp/NAME), the third not at all; never in verify's root or the
    // target's namespace outside its chroot, where /var/tmp/NAME is this
    // writable host directory.
    let name = format!("rootlock-verify-escape-{}", std::process::id());
    let cases = [
        (format!("/var/tmp/{name}"), "readOnly", "EROFS"),
        (format!("../../var/tmp/{name}"), "readOnly", "EROFS"),
        // ELOOP is RESOLVE_NO_MAGICLINKS' errno; RESOLVE_IN_ROOT alone
        // refuses the jump with EXDEV, "for now" (openat2(2)).
        (format!("/proc/self/root/var/tmp/{name}"), "error", "ELOOP"),
    ];
    for (etc_target, outcome, errno) in cases {
        let escape = EscapeDir::create(&name);
        let sleeper = Sleeper::start_command(
            &chroot_with_etc_symlink(&name, &etc_target),
            &["chroot", "/mnt", "sleep", "60"],
        );
        let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json", "--probe-write"]);
        drop(sleeper);
        escape.assert_untouched();
        let report = json(&out);
        let probes = report["probes"].as_array().expect("probes array");
        let seen: Vec<(&Value, &Value, &Value)> = probes
            .iter()
            .map(|p| (&p["directory"], &p["outcome"], &p["errno"]))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    &Value::from("/"),
                    &Value::from("readOnly"),
                    &Value::from("EROFS")
                ),
                (
                    &Value::from("/etc"),
                    &Value::from(outcome),
                    &Value::from(errno)
                ),
            ],
            "etc -> {etc_target}"
        );
        let probe_reasons: Vec<String> = reasons(&report)
            .into_iter()
            .filter(|r| r.contains("write probe"))
            .collect();
        let expected: &[&str] = match outcome {
            "readOnly" => &[],
            _ => &["write probe in /etc was inconclusive"],
        };
        assert_eq!(probe_reasons.len(), expected.len(), "{probe_reasons:?}");
        for (reason, start) in probe_reasons.iter().zip(expected) {
            assert!(reason.starts_with(start), "{reason}");
        }
    }
}

fn pid_with_etc_symlinked_into_a_writable_mount_fails() {
    // The target's read-only root has /etc -> /var/tmp/NAME, where a
    // writable tmpfs is mounted: no mount is at or above /etc, yet every
    // file of the target's /etc can be written. No probe needed to see it.
    // Likewise /etc -> /var/tmp/NAME/etc, not there yet: the process can
    // create it.
    let name = format!("rootlock-verify-etc-link-{}", std::process::id());
    for etc_target in [format!("/var/tmp/{name}"), format!("/var/tmp/{name}/etc")] {
        let setup = format!(
            "{} && mount -t tmpfs writable-etc /mnt/var/tmp/{name}",
            chroot_with_etc_symlink(&name, &etc_target)
        );
        let sleeper = Sleeper::start_command(&setup, &["chroot", "/mnt", "sleep", "60"]);
        let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json"]);
        drop(sleeper);
        assert_eq!(out.status.code(), Some(1));
        let report = json(&out);
        assert_eq!(report["rootReadOnly"], true);
        let expected = format!(
            "system path /etc leads, through a symlink, into writable mount at /var/tmp/{name} \
             (tmpfs from writable-etc, memory): its files can be written there"
        );
        let reasons = reasons(&report);
        assert!(
            reasons.contains(&expected),
            "etc -> {etc_target}: {reasons:?}"
        );
        // /usr, /bin… are the read-only binds: nothing else leads anywhere.
        assert_eq!(
            reasons
                .iter()
                .filter(|r| r.starts_with("system path"))
                .count(),
            1,
            "{reasons:?}"
        );
    }
}

fn pid_with_etc_magic_linked_into_a_writable_mount_fails() {
    // /etc -> /proc/self/root/var/tmp/NAME: for the target, whose proc is
    // its own, that is its own /var/tmp/NAME, a writable tmpfs. verify,
    // looking from outside, cannot follow the magic link (it would resolve
    // to verify's root) and must not take the unresolved path for safe.
    let name = format!("rootlock-verify-etc-magic-{}", std::process::id());
    let setup = format!(
        "{} && mount -t tmpfs writable-etc /mnt/var/tmp/{name}",
        chroot_with_etc_symlink(&name, &format!("/proc/self/root/var/tmp/{name}"))
    );
    let sleeper = Sleeper::start_command(&setup, &["chroot", "/mnt", "sleep", "60"]);
    // A process in the target's root (its proc and its /etc) reaches the
    // writable tmpfs through the link.
    let seen = logged("the filesystem type of /etc in the target's root", {
        let mut c = Command::new("nsenter");
        c.args([
            "-t",
            &sleeper.pid(),
            "-m",
            "-r",
            "stat",
            "-f",
            "-c",
            "%T",
            "/etc/",
        ]);
        c
    });
    assert_eq!(String::from_utf8_lossy(&seen.stdout).trim(), "tmpfs");
    let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json"]);
    drop(sleeper);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["rootReadOnly"], true);
    let reasons = reasons(&report);
    let magic: Vec<&String> = reasons
        .iter()
        .filter(|r| r.starts_with("system path /etc leads through a magic link of /proc"))
        .collect();
    assert_eq!(magic.len(), 1, "{reasons:?}");
}

/// A chroot for `sleep` whose root is no mount point: a tmpfs on /mnt
/// (of the namespace only), `/mnt/c` the root, with the host's /usr bound
/// read-only and its /bin, /lib… links or binds, and a proc; the tmpfs
/// then made read-only or left writable. The kernel leaves the tmpfs out
/// of the target's mountinfo: its mount point, /mnt, is outside the root.
fn chroot_in_a_subdirectory(read_only: bool) -> String {
    let ro = if read_only {
        " && mount -o remount,ro /mnt"
    } else {
        ""
    };
    format!(
        "mount -t tmpfs tmpfs /mnt && mkdir -p /mnt/c/usr /mnt/c/proc \
         && mount --bind /usr /mnt/c/usr && mount -o remount,bind,ro /mnt/c/usr \
         && for d in bin sbin lib lib32 lib64 libx32; do \
              if [ -L /$d ]; then ln -s \"$(readlink /$d)\" /mnt/c/$d; \
              elif [ -d /$d ]; then mkdir /mnt/c/$d && mount --bind /$d /mnt/c/$d \
                && mount -o remount,bind,ro /mnt/c/$d; fi; \
            done \
         && mount -t proc proc /mnt/c/proc{ro}"
    )
}

fn pid_chrooted_into_a_directory_is_judged_by_statfs() {
    for read_only in [true, false] {
        let sleeper = Sleeper::start_command(
            &chroot_in_a_subdirectory(read_only),
            &["chroot", "/mnt/c", "sleep", "60"],
        );
        let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json"]);
        drop(sleeper);
        let report = json(&out);
        assert!(mount(&report, "/").is_empty(), "no / line: {report}");
        assert_eq!(report["rootReadOnly"], read_only);
        let root_reasons: Vec<String> = reasons(&report)
            .into_iter()
            .filter(|r| r.starts_with("root filesystem") || r.starts_with("no mount for /"))
            .collect();
        let expected: &[&str] = if read_only {
            &[]
        } else {
            &[
                "root filesystem / is writable (a directory inside a mount that mountinfo does \
               not show, as in a chroot: statfs(2) on the root reports it writable)",
            ]
        };
        assert_eq!(root_reasons, expected, "read-only: {read_only}");
        // chroot(1) moves into the new root: nothing is held outside it.
        let outside: Vec<String> = reasons(&report)
            .into_iter()
            .filter(|r| r.contains("outside its root"))
            .collect();
        assert_eq!(outside, Vec::<String>::new());
    }
}

/// The process chroots into the read-only jail of
/// [`chroot_in_a_subdirectory`] without moving into it (chroot(2) alone,
/// no chdir): its working directory stays in the namespace's writable
/// root, outside its own, and `..` from there reaches everything around.
const CHROOT_WITHOUT_CHDIR: &str =
    "import os; os.chroot('/mnt/c'); os.execvp('sleep', ['sleep', '60'])";

fn pid_with_working_directory_outside_its_root_fails() {
    let sleeper = Sleeper::start_command(
        &chroot_in_a_subdirectory(true),
        &["python3", "-c", CHROOT_WITHOUT_CHDIR],
    );
    let out = verify_here(&["--pid", &sleeper.pid(), "--format", "json"]);
    drop(sleeper);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["rootReadOnly"], true);
    let outside: Vec<String> = reasons(&report)
        .into_iter()
        .filter(|r| r.contains("outside its root"))
        .collect();
    assert_eq!(outside.len(), 1, "{report}");
    assert!(
        outside[0].starts_with("the process holds its working directory outside its root"),
        "{outside:?}"
    );
}

/// Runs verify in this (host) namespace as UID/GID 65534 with no
/// capabilities at all (no CAP_SYS_PTRACE). The binary is opened as fd 3
/// while still root, so the target directory's modes do not matter.
fn verify_as_nobody(args: &[&str]) -> Output {
    let mut command = Command::new("sh");
    command
        .args(["-c", "exec 3<\"$1\"; shift; exec \"$@\"", "sh"])
        .arg(std::env::current_exe().expect("test binary path"))
        .args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "/proc/self/fd/3",
            HELPER_FLAG,
        ])
        .args(args);
    logged(&format!("verify {args:?} as 65534"), command)
}

fn pid_probe_without_ptrace_access_is_an_error() {
    // A root target and a prober of another UID without CAP_SYS_PTRACE:
    // the kernel refuses it /proc/PID/root (ptrace read access), while
    // mountinfo and status stay readable.
    let sleeper = Sleeper::start(RO_ROOT_TMPFS);
    let pid = sleeper.pid();
    // Without --probe-write the report is made, but what only a look
    // inside the root finds was not looked for: no pass.
    let out = verify_as_nobody(&["--pid", &pid, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_only_reason(&json(&out), "cannot look inside the root of the process");
    // The probes never reach the target: not `denied` evidence, an error.
    let out = verify_as_nobody(&["--pid", &pid, "--format", "json", "--probe-write"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no report");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("/proc/{pid}/root")), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
}
