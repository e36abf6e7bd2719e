//! unzip (Info-ZIP 6.0) names the entry on one line and gives
//! `strerror`'s text alone on the next, indented under the name:
//!
//! ```text
//! error:  cannot create /srv/app/b.txt
//!         Read-only file system
//! checkdir error:  cannot create /srv/app/sub
//!                  Read-only file system
//!                  unable to process sub/a.txt.
//! ```
//!
//! Neither line alone says what was not written: the first is read as a
//! lead ([`lead`]) that the next line of its container completes
//! ([`is_error`]) or drops.

use super::Op;

/// unzip's messages that name an entry on their first line, and what it
/// did to it (`fileio.c`, `extract.c`): it prints the name as it is, to
/// the end of the line.
const LEADS: [(&str, Op); 4] = [
    ("error:  cannot create ", Op::File),
    ("error:  cannot delete old ", Op::Remove),
    ("checkdir error:  cannot create ", Op::Mkdir),
    ("checkdir:  cannot create extraction directory: ", Op::Mkdir),
];

/// The name and operation a line of unzip's announces, if it starts one
/// of its two-line errors.
pub fn lead(line: &str) -> Option<(String, Op)> {
    LEADS.iter().find_map(|&(head, op)| {
        let name = line.strip_prefix(head)?;
        (!name.is_empty()).then(|| (name.to_string(), op))
    })
}

/// Whether a json-file record whose `log` is escaped without `\u` (one
/// [`super::json_file::quiet`] finds silent, so one line) may hold a line
/// [`lead`] reads. `log` is the record's `log` string as written
/// ([`super::json_file::raw_log`]); a lead starts the line, and no escape
/// stands for what its heads hold. Such a record is skipped undecoded
/// otherwise. It runs on most records of a json-file log: the line's start
/// only.
pub fn may_lead(log: &str) -> bool {
    LEADS.iter().any(|(head, _)| log.starts_with(head))
}

/// The line completes a lead: `strerror(EROFS)` alone, indented.
pub fn is_error(line: &str) -> bool {
    line.starts_with(' ') && line.trim() == "Read-only file system"
}
