//! Reading a file named on the command line up to a bound: `/dev/zero`, a
//! FIFO that never ends, or a huge file named by mistake would otherwise be
//! held in memory whole (or until memory runs out).

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
