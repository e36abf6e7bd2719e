//! `--write` on a read-only filesystem and on a full disk fails with a clear
//! error and leaves the original intact. Needs root (to mount); skipped
//! with the reason printed otherwise. (As root, permission bits do not stop
//! writes, so a read-only bind mount stands in for a read-only file.)

use rootlock_manifest::atomic_write::write_atomic;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn mount(args: &[&str], target: &Path) -> Option<Mount> {
    let ok = Command::new("mount")
        .args(args)
        .arg(target)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: cannot mount {args:?} (not root, or no mount permission here)");
    }
    ok.then(|| Mount(target.to_path_buf()))
}

const ORIGINAL: &str =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}]\n";

#[test]
fn read_only_filesystem_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("ro");
    std::fs::create_dir(&d).unwrap();
    let file = d.join("p.yaml");
    std::fs::write(&file, ORIGINAL).unwrap();
    let Some(_bind) = mount(&["--bind", d.to_str().unwrap()], &d) else {
        return;
    };
    let Some(_ro) = mount(&["-o", "remount,ro,bind"], &d) else {
        return;
    };
    let e = write_atomic(&file, b"new text").unwrap_err();
    assert!(e.contains("p.yaml"), "{e}");
    assert!(e.contains("Read-only file system"), "{e}");
    assert!(e.contains("original is unchanged"), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), ORIGINAL);
}

#[test]
fn full_disk_fails_cleanly_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("small");
    std::fs::create_dir(&d).unwrap();
    let Some(_tmpfs) = mount(&["-t", "tmpfs", "-o", "size=64k", "tmpfs"], &d) else {
        return;
    };
    let file = d.join("p.yaml");
    std::fs::write(&file, ORIGINAL).unwrap();
    // Fill the filesystem: write until it refuses.
    let filler = vec![b'x'; 4096];
    let mut f = std::fs::File::create(d.join("filler")).unwrap();
    while std::io::Write::write_all(&mut f, &filler).is_ok() {}
    drop(f);
    let big = vec![b'y'; 256 * 1024];
    let e = write_atomic(&file, &big).unwrap_err();
    assert!(e.contains("No space left on device"), "{e}");
    assert!(e.contains("original is unchanged"), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), ORIGINAL);
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".rootlock-fix-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}
