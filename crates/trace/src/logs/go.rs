//! Go (`*fs.PathError`, `*os.LinkError`): `open /tmp/x: read-only file system`,
//! `mkdir /var/cache/app: read-only file system`, `rename /a /b: read-only file system`.

use super::{Op, op_from_word, path_at, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    const MARK: &str = ": read-only file system";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find(MARK) {
        let head = &line[..from + i];
        from += i + MARK.len();
        // The error text is the last `op path [path]` before the mark.
        let seg = head.rsplit(": ").next().unwrap_or(head);
        let seg = seg.rsplit(['"', '=']).next().unwrap_or(seg).trim_start();
        let mut words = seg.splitn(2, ' ');
        let (Some(word), Some(args)) = (words.next(), words.next()) else {
            continue;
        };
        let Some(op) = op_from_word(word) else {
            continue;
        };
        let mut paths = Vec::new();
        let mut rest = args;
        while let Some(p) = rest.find('/') {
            let path = path_at(&rest[p..]);
            paths.push(path);
            rest = &rest[p + path.len()..];
        }
        out.extend(match op {
            // link/symlink old new: new is the path written.
            Op::File if paths.len() == 2 => with_op(paths.into_iter().skip(1), op),
            _ => with_op(paths, op),
        });
    }
    out
}
