//! The inspected process's `/proc/PID` directory, opened once.
//!
//! Every file verify reads about the process (`mountinfo`, `status`,
//! `uid_map`, `stat`, `root`) is opened relative to this descriptor, not by
//! path. A `/proc/PID` descriptor stays bound to the process it was opened
//! for: once that process is gone, lookups in it fail (`ENOENT`), even when
//! the PID has meanwhile been given to a new process. Opening
//! `/proc/PID/…` by path for each read would, in that case, mix the mounts
//! of one process with the capabilities of another and judge neither.

use rustix::fs::{Mode, OFlags};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct ProcDir {
    fd: OwnedFd,
    /// What was opened (`/proc/PID`, `/proc/self`), for messages.
    path: PathBuf,
}

impl ProcDir {
    /// Opens `path` (`/proc/PID`, or a directory standing in for one).
    pub fn open(path: &Path) -> io::Result<ProcDir> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(ProcDir {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// Whether the opened directory is on a proc filesystem. Anything else
    /// at `/proc` (a directory in the image, a volume) would let the
    /// container write the very files verify judges it by.
    pub fn on_procfs(&self) -> io::Result<bool> {
        Ok(rustix::fs::fstatfs(&self.fd)?.f_type == rustix::fs::PROC_SUPER_MAGIC)
    }

    /// Opens entry `name` with `flags`.
    fn open_entry(&self, name: &str, flags: OFlags) -> rustix::io::Result<OwnedFd> {
        rustix::fs::openat(&self.fd, name, flags, Mode::empty())
    }

    /// Where entry `name` is, for messages.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The whole text of entry `name`.
    pub fn read(&self, name: &str) -> io::Result<String> {
        let fd = self.open_entry(name, OFlags::RDONLY | OFlags::CLOEXEC)?;
        let mut text = String::new();
        std::fs::File::from(fd).read_to_string(&mut text)?;
        Ok(text)
    }

    /// The whole content of entry `name`, as bytes: for files that show
    /// names the process chose (its `Name:` in `status`, mount paths in
    /// `mountinfo`), which need not be UTF-8.
    pub fn read_bytes(&self, name: &str) -> io::Result<Vec<u8>> {
        let fd = self.open_entry(name, OFlags::RDONLY | OFlags::CLOEXEC)?;
        let mut bytes = Vec::new();
        std::fs::File::from(fd).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Opens directory entry `name` (`root`) as an `O_PATH` descriptor.
    pub fn open_dir(&self, name: &str) -> io::Result<OwnedFd> {
        self.open_entry(name, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC)
            .map_err(io::Error::from)
    }

    /// The names in directory entry `name` (`fd`), in the order read.
    pub fn entries(&self, name: &str) -> io::Result<Vec<String>> {
        let fd = self.open_entry(name, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC)?;
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::new(fd)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy();
            if name != "." && name != ".." {
                names.push(name.into_owned());
            }
        }
        Ok(names)
    }

    /// The mount ID (mountinfo field 1) of the directory entry `name`
    /// (`cwd`, `fd/3`: a magic link) leads to; `ENOTDIR` when it is no
    /// directory.
    pub fn dir_mount_id(&self, name: &str) -> io::Result<u64> {
        let fd = self.open_entry(name, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC)?;
        crate::root::mount_id_of(&fd)
    }

    /// Whether the process is gone: every `/proc/PID` has a `stat`, and the
    /// kernel stops giving it once the process has been reaped.
    pub fn gone(&self) -> bool {
        rustix::fs::statat(&self.fd, "stat", rustix::fs::AtFlags::empty())
            .is_err_and(|e| gone_error(&e.into()))
    }
}

/// Whether `error`, from an entry of an opened `/proc/PID`, means the
/// process is gone: `ENOENT` from a lookup, `ESRCH` from opening an entry
/// the kernel had already looked up.
pub fn gone_error(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotFound
        || error.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::Scratch;
    use std::process::Command;

    #[test]
    fn reads_stay_with_the_directory_that_was_opened() {
        // The stand-in for a PID given to a new process: another directory
        // now at the same path. Reads through the opened one must not see
        // it.
        let dir = Scratch::new("proc-dir");
        let pid = dir.join("7");
        std::fs::create_dir(&pid).unwrap();
        std::fs::write(pid.join("status"), "Name:\tfirst\n").unwrap();
        std::fs::write(pid.join("stat"), "7 (first) S\n").unwrap();
        let opened = ProcDir::open(&pid).unwrap();
        std::fs::rename(&pid, dir.join("old")).unwrap();
        std::fs::create_dir(&pid).unwrap();
        std::fs::write(pid.join("status"), "Name:\tnewcomer\n").unwrap();
        assert_eq!(opened.read("status").unwrap(), "Name:\tfirst\n");
        assert_eq!(opened.path_of("status"), pid.join("status"));
        assert!(!opened.gone());
        std::fs::remove_file(dir.join("old/stat")).unwrap();
        assert!(opened.gone());
        assert!(!opened.on_procfs().unwrap());
    }

    #[test]
    fn a_reaped_process_reads_as_gone() {
        let mut child = Command::new("true").spawn().unwrap();
        let opened = ProcDir::open(Path::new(&format!("/proc/{}", child.id()))).unwrap();
        assert!(opened.read("status").unwrap().starts_with("Name:"));
        assert!(opened.on_procfs().unwrap());
        child.wait().unwrap();
        let err = opened.read("status").unwrap_err();
        assert!(gone_error(&err), "{err}");
        assert!(opened.gone());
        assert!(opened.open_dir("root").is_err());
    }
}
