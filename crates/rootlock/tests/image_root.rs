//! The webhook as its image runs it, on a real kernel: the promise of the
//! `Dockerfile` ("nothing in the image needs a writable path") and of
//! `deploy/deployment.yaml` (`readOnlyRootFilesystem: true`, user 65532,
//! every capability dropped, no privilege escalation, no writable volume).
//!
//! There is no container engine on the build machine, so the image is
//! built the way the Dockerfile lays it out: a root holding only the
//! binary at `/usr/local/bin/rootlock`, the libraries it links (distroless'
//! `cc` image carries glibc and libgcc), distroless' `/etc/passwd` and an
//! empty `/tmp` and `/home/nonroot`. It is bind-mounted read-only in a mount
//! and PID namespace of its own, with the kernel interfaces laid out as
//! runc lays them out, the TLS pair and the config (the one in
//! `deploy/config.yaml`) mounted read-only where the Deployment mounts
//! them, and the webhook started in it with the Deployment's arguments as
//! 65532 with no capabilities and `no_new_privs`.
//!
//! Then, against that process: `/healthz` and `/readyz` answer over TLS, a
//! recorded review is judged, `rootlock verify` run in the same root passes
//! (the root really is read-only, with nothing writable left), and SIGTERM
//! ends it with status 0, with no write refused along the way.
//!
//! Needs root and util-linux `unshare`/`setpriv` with coreutils `chroot`
//! (CI runs as root). Elsewhere the test says why it skipped, unless
//! `ROOTLOCK_REQUIRE_NAMESPACES=1`, which makes a skip a failure.

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// distroless' `nonroot` user, as in the Dockerfile and the Deployment.
const NONROOT: &str = "65532";

/// Run by `unshare --mount --pid --fork sh -c`: `$1` the image root, `$2`
/// the binary, `$3` the TLS directory, `$4` the config directory; the rest
/// is the command to run as the container's process. Lays the mounts out
/// as runc does for an unprivileged container with the Deployment's two
/// read-only volumes, makes the root read-only, then enters it.
const CONTAINER_SCRIPT: &str = r#"set -eu
R=$1 B=$2 TLS=$3 CFG=$4
shift 4
mount --make-rprivate /
mount --bind "$R" "$R"
mount --bind "$B" "$R/usr/local/bin/rootlock"
mount -o remount,bind,ro "$R/usr/local/bin/rootlock"
mount --bind "$TLS" "$R/etc/rootlock/tls"
mount -o remount,bind,ro "$R/etc/rootlock/tls"
mount --bind "$CFG" "$R/etc/rootlock/config"
mount -o remount,bind,ro "$R/etc/rootlock/config"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"
mount -o remount,bind,ro "$R/proc/sys"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t cgroup2 -o ro,nosuid,nodev,noexec cgroup "$R/sys/fs/cgroup"
mount -t tmpfs -o nosuid,mode=755,size=65536k tmpfs "$R/dev"
mkdir "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
mount -t devpts -o newinstance,nosuid,noexec,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm "$R/dev/shm"
mount -t mqueue -o nosuid,nodev,noexec mqueue "$R/dev/mqueue"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/zero" c 1 5
mknod -m 666 "$R/dev/full" c 1 7
mknod -m 666 "$R/dev/random" c 1 8
mknod -m 666 "$R/dev/urandom" c 1 9
mknod -m 666 "$R/dev/tty" c 5 0
mount -o remount,bind,ro "$R"
exec "$@"
"#;

#[test]
fn webhook_runs_as_its_image_does_with_a_read_only_root() {
    if let Some(why) = skip_reason() {
        assert!(
            std::env::var("ROOTLOCK_REQUIRE_NAMESPACES").as_deref() != Ok("1"),
            "ROOTLOCK_REQUIRE_NAMESPACES=1 but: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let image = Image::build(work.path());

    let mut webhook = image.start(&[
        "/usr/local/bin/rootlock",
        "webhook",
        "--offline",
        "--listen=127.0.0.1:0",
        "--tls-cert=/etc/rootlock/tls/tls.crt",
        "--tls-key=/etc/rootlock/tls/tls.key",
        "--config=/etc/rootlock/config/config.yaml",
        "--shutdown-delay=0",
    ]);
    let addr = webhook.wait_for_address();
    let client = Client::new(&image.ca_pem());

    assert_eq!(client.status(&format!("https://{addr}/healthz")), 200);
    assert_eq!(client.status(&format!("https://{addr}/readyz")), 200);
    // The recorded `kubectl run` review: deploy/config.yaml's defaults
    // enforce `privileged` and warn `immutable`, so the pod is admitted
    // with warnings that name the writable root.
    let review = recorded_review();
    let answer = client.post_json(&format!("https://{addr}/validate?timeout=10s"), &review);
    assert_eq!(answer["response"]["uid"], review["request"]["uid"]);
    assert_eq!(answer["response"]["allowed"], true, "{answer}");
    let warnings = answer["response"]["warnings"].to_string();
    assert!(
        warnings.contains("would violate PodSecurity \\\"immutable:latest\\\"")
            && warnings.contains("readOnlyRootFilesystem"),
        "{answer}"
    );

    // The container's own check of itself, as `kubectl exec` would run it.
    let verify = image.run(&[
        "/usr/local/bin/rootlock",
        "verify",
        "--format",
        "json",
        "--probe-write",
    ]);
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap_or_else(|e| {
        panic!(
            "verify printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&verify.stdout),
            String::from_utf8_lossy(&verify.stderr)
        )
    });
    assert_eq!(verify.status.code(), Some(0), "{report:#}");
    assert_eq!(report["verdict"], "pass", "{report:#}");
    assert_eq!(report["rootReadOnly"], true, "{report:#}");
    assert_eq!(report["noNewPrivs"], true, "{report:#}");
    for set in ["effective", "permitted"] {
        assert_eq!(
            report["capabilities"][set],
            serde_json::json!([]),
            "{report:#}"
        );
    }
    // Every write tried in the root and /etc was refused by the kernel.
    let probes = report["probes"].as_array().unwrap();
    assert!(!probes.is_empty(), "{report:#}");
    assert!(
        probes.iter().all(|p| p["outcome"] == "readOnly"),
        "{report:#}"
    );
    // Nothing is writable but the runtime's own kernel interfaces and its
    // /dev/shm: the image needs no volume to write to.
    let writable: Vec<&Value> = report["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["readOnly"] == false)
        .filter(|m| m["kernelInterface"].is_null() && m["mountPoint"] != "/dev/shm")
        .collect();
    assert!(writable.is_empty(), "writable mounts: {writable:#?}");

    // The client's connection closed first, as the API server's idle one
    // would be: a kept-alive HTTP/2 connection whose client runs no more
    // (this runtime is driven only inside `block_on`) never answers
    // GOAWAY, and the webhook would wait out its drain for it.
    drop(client);
    let status = webhook.terminate();
    let log = webhook.stderr_text();
    assert_eq!(status, Some(0), "{log}");
    for refused in [
        "Read-only file system",
        "Permission denied",
        "\"level\":\"ERROR\"",
    ] {
        assert!(!log.contains(refused), "{refused:?} in the log:\n{log}");
    }
}

/// Why this test cannot run here, if it cannot.
fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Some(format!(
            "needs root to build mount namespaces (euid {euid})"
        ));
    }
    let probe = Command::new("unshare")
        .args(["--mount", "--pid", "--fork", "setpriv", "--no-new-privs"])
        .args(["chroot", "--userspec=65532:65532", "/", "true"])
        .output();
    match probe {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`unshare --mount --pid`, `setpriv` or `chroot --userspec` failed here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run util-linux `unshare`: {e}")),
    }
}

/// The image's root, and the two volumes the Deployment mounts into it.
struct Image {
    root: PathBuf,
    tls: PathBuf,
    config: PathBuf,
}

impl Image {
    fn build(work: &Path) -> Image {
        let root = work.join("root");
        for dir in [
            "usr/local/bin",
            "etc/rootlock/tls",
            "etc/rootlock/config",
            "proc",
            "sys",
            "dev",
            "home/nonroot",
        ] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        // Mount points for the binary (bound, not copied: a debug build
        // weighs hundreds of MB) and distroless' world-writable /tmp,
        // which the read-only root makes unwritable.
        std::fs::write(root.join("usr/local/bin/rootlock"), b"").unwrap();
        std::fs::create_dir(root.join("tmp")).unwrap();
        set_mode(&root.join("tmp"), 0o1777);
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
        )
        .unwrap();
        std::fs::write(root.join("etc/group"), "root:x:0:\nnonroot:x:65532:\n").unwrap();
        for lib in linked_libraries(Path::new(common::bin())) {
            let inside = root.join(lib.strip_prefix("/").unwrap());
            std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
            std::fs::copy(&lib, &inside).unwrap();
        }

        let tls = work.join("tls");
        let out = common::run(&[
            "webhook",
            "certs",
            "--out-dir",
            tls.to_str().unwrap(),
            "--ip",
            "127.0.0.1",
            "--dns",
            "localhost",
        ]);
        assert!(out.status.success(), "{out:?}");
        let config = work.join("config");
        std::fs::create_dir(&config).unwrap();
        std::fs::write(config.join("config.yaml"), deployed_config()).unwrap();
        // A Secret and a ConfigMap are mounted readable by the pod's user.
        for dir in [&tls, &config] {
            set_mode(dir, 0o755);
            for entry in std::fs::read_dir(dir).unwrap() {
                set_mode(&entry.unwrap().path(), 0o644);
            }
        }
        Image { root, tls, config }
    }

    fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.tls.join("ca.crt")).unwrap()
    }

    /// The container's process: `command` run in the image's root as
    /// 65532 with no capabilities (`drop: [ALL]`) and `no_new_privs`
    /// (`allowPrivilegeEscalation: false`). The bounding set keeps the
    /// three capabilities `chroot --userspec` needs to enter the root and
    /// change user; the change of user empties every other set, and with
    /// `no_new_privs` nothing can be gained back from the bounding set.
    fn command(&self, command: &[&str]) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--pid", "--fork", "--kill-child"])
            .args(["sh", "-c", CONTAINER_SCRIPT, "sh"])
            .arg(&self.root)
            .arg(common::bin())
            .arg(&self.tls)
            .arg(&self.config)
            .args(["setpriv", "--no-new-privs", "--inh-caps=-all"])
            .args(["--bounding-set=-all,+sys_chroot,+setuid,+setgid"])
            .args(["chroot", &format!("--userspec={NONROOT}:{NONROOT}")])
            .arg(&self.root)
            .args(command)
            .env_clear()
            // distroless' PATH; the mounts before the chroot use the host's
            // programs through it.
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("ROOTLOCK_LOG", "info");
        cmd
    }

    fn run(&self, command: &[&str]) -> std::process::Output {
        self.command(command).output().unwrap()
    }

    fn start(&self, command: &[&str]) -> Running {
        let mut child = self
            .command(command)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The log is read as it comes (a full pipe would stall the
        // webhook's log thread) and kept for the asserts.
        let stderr = child.stderr.take().unwrap();
        let (lines_tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            log: Vec::new(),
            reader: Some(reader),
        }
    }
}

/// The webhook running in its namespace. `unshare` stands in front of it
/// and does not forward signals, so SIGTERM goes to the webhook's own
/// process, found below it; `--kill-child` ends the namespace's processes
/// if the test dies first.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// The address the webhook logged it listens on.
    fn wait_for_address(&mut self) -> String {
        loop {
            let line = match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => line,
                Err(e) => panic!("no `listening` line ({e}); log:\n{}", self.log.join("\n")),
            };
            self.log.push(line.clone());
            let Ok(record) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if let Some(addr) = record["fields"]["addr"]
                .as_str()
                .or_else(|| record["addr"].as_str())
            {
                return addr.to_string();
            }
        }
    }

    /// The webhook's own process: pid 1 of the namespace, below `unshare`
    /// (which re-parents it to the host's init when it dies first, so it
    /// is found by its command line, as the binary re-executes itself).
    fn webhook_pid(&self) -> Option<i32> {
        descendant_running(self.child.id(), "/usr/local/bin/rootlock")
    }

    /// SIGTERM to the webhook, then its exit status as `unshare` reports it.
    fn terminate(&mut self) -> Option<i32> {
        let webhook = self
            .webhook_pid()
            .unwrap_or_else(|| panic!("no webhook process under {}", self.child.id()));
        // SAFETY: kill has no memory preconditions; the pid is a live child's.
        let sent = unsafe { libc::kill(webhook, libc::SIGTERM) };
        assert_eq!(sent, 0, "kill({webhook}, SIGTERM)");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(60));
            let _ = tx.send(());
            // SAFETY: as above; the process may be gone, which kill reports.
            unsafe { libc::kill(webhook, libc::SIGKILL) };
        });
        let status = self.child.wait().unwrap();
        assert!(
            rx.try_recv().is_err(),
            "the webhook did not stop within 60 s of SIGTERM"
        );
        status.code()
    }

    fn stderr_text(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.log.extend(self.lines.try_iter());
        self.log.join("\n")
    }
}

impl Drop for Running {
    /// A failed assert must not leave the webhook running: killing
    /// `unshare` does not end it (the kernel clears `--kill-child`'s
    /// parent-death signal when `chroot` changes the user).
    fn drop(&mut self) {
        if let Some(webhook) = self.webhook_pid() {
            // SAFETY: kill has no memory preconditions.
            unsafe { libc::kill(webhook, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first process below `pid` (depth-first) whose `argv[0]` is `argv0`.
fn descendant_running(pid: u32, argv0: &str) -> Option<i32> {
    let mut queue = vec![pid];
    while let Some(p) = queue.pop() {
        let children =
            std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        for child in children
            .split_whitespace()
            .filter_map(|c| c.parse::<u32>().ok())
        {
            let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
            if cmdline.split(|&b| b == 0).next() == Some(argv0.as_bytes()) {
                return i32::try_from(child).ok();
            }
            queue.push(child);
        }
    }
    None
}

/// The shared libraries `ldd` lists for `binary`, the loader included.
fn linked_libraries(binary: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(binary).output().unwrap();
    assert!(out.status.success(), "ldd: {out:?}");
    let libs: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, target)) => target.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect();
    assert!(
        libs.iter().any(|l| l.to_string_lossy().contains("libc.so")),
        "{libs:?}"
    );
    libs
}

/// `config.yaml` of the ConfigMap in `deploy/config.yaml`: the block
/// scalar under `config.yaml: |`, unindented.
fn deployed_config() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/config.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text
        .lines()
        .skip_while(|l| l.trim() != "config.yaml: |")
        .skip(1);
    let first = lines.next().expect("config.yaml: | has a body");
    let indent = first.len() - first.trim_start().len();
    let mut config = format!("{}\n", &first[indent..]);
    for line in lines.take_while(|l| l.trim().is_empty() || l.starts_with(&first[..indent])) {
        config.push_str(line.get(indent..).unwrap_or(""));
        config.push('\n');
    }
    assert!(config.contains("defaults:"), "{config}");
    config
}

/// The recorded `kubectl run` review (a pod without a securityContext).
fn recorded_review() -> Value {
    let path = common::testdata().join("apiserver/admission/05-pod-create.json");
    let recorded: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    recorded["body"].clone()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// An HTTPS client trusting only the generated CA.
struct Client {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Client {
    fn new(ca_pem: &str) -> Client {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
            .https_only(true)
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Client { runtime, http }
    }

    fn status(&self, url: &str) -> u16 {
        // The request is made inside the runtime: reqwest starts its
        // timeout's timer when `send` is called.
        self.runtime
            .block_on(async { self.http.get(url).send().await })
            .unwrap()
            .status()
            .as_u16()
    }

    fn post_json(&self, url: &str, body: &Value) -> Value {
        self.runtime.block_on(async {
            let response = self.http.post(url).json(body).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.json().await.unwrap()
        })
    }
}
