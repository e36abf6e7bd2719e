//! Helpers shared by the CLI integration tests: run the real binary.

#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rootlock")
}

/// The repository's `testdata/` folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run rootlock")
}

pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    run_program(std::path::Path::new(bin()), args, input)
}

/// Runs `program` (the binary, or a copy of it under another name) with
/// `input` on its standard input.
pub fn run_program(program: &std::path::Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rootlock");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

/// Runs `scan --format json` and parses the document.
pub fn scan_json(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(&all);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn scan_stdin_json(args: &[&str], input: &str) -> (i32, Value, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    all.push("-");
    let out = run_stdin(&all, input.as_bytes());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The findings of one rule in an object.
pub fn findings<'a>(object: &'a Value, rule: &str) -> Vec<&'a Value> {
    object["findings"]
        .as_array()
        .map(|f| f.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

/// A pod restricted in every way, with the read-only root left to the
/// caller: `READONLY` stands for its `readOnlyRootFilesystem` (see [`pod`]).
const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: nginx
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
      readOnlyRootFilesystem: READONLY
";

pub fn pod(read_only: &str) -> String {
    POD.replace("READONLY", read_only)
}
