//! Reading a file named on the command line up to a bound (a kubeconfig,
//! the webhook's config): `/dev/zero`, a FIFO that never ends, or a huge
//! file named by mistake would otherwise be held in memory whole (or until
//! memory runs out).

use std::io::{self, Read};
use std::path::Path;

/// The file's bytes, or `None` when it is longer than `max`.
pub fn read_at_most(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_up_to_the_bound_and_not_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"12345").unwrap();
        assert_eq!(read_at_most(&file, 5).unwrap(), Some(b"12345".to_vec()));
        assert_eq!(read_at_most(&file, 4).unwrap(), None);
        assert_eq!(read_at_most(Path::new("/dev/zero"), 1 << 20).unwrap(), None);
        assert!(read_at_most(&dir.path().join("missing"), 5).is_err());
    }
}
