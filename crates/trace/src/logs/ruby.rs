//! Ruby: `Errno::EROFS: Read-only file system @ rb_sysopen - /app/tmp/pids/server.pid`,
//! `Read-only file system @ dir_s_mkdir - /rails/tmp (Errno::EROFS)`,
//! `Read-only file system @ rb_file_s_rename - (/a, /b) (Errno::EROFS)`.

use super::{Op, op_from_word, path_at, with_op};

pub fn find(line: &str) -> Vec<(String, Op)> {
    const MARK: &str = "Read-only file system @ ";
    let Some(i) = line.find(MARK) else {
        return Vec::new();
    };
    let rest = &line[i + MARK.len()..];
    let Some((func, args)) = rest.split_once(" - ") else {
        return Vec::new();
    };
    let op = op_from_word(func.trim()).unwrap_or(Op::File);
    let args = args.trim_start();
    if let Some(pair) = args.strip_prefix('(') {
        let inner = pair.split(')').next().unwrap_or("");
        let paths: Vec<&str> = inner.split(", ").map(str::trim).collect();
        return match op {
            Op::File => with_op(paths.into_iter().skip(1), op),
            _ => with_op(paths, op),
        };
    }
    if args.starts_with('/') {
        with_op([path_at(args)], op)
    } else {
        Vec::new()
    }
}
