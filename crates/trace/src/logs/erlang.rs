//! Erlang/OTP (RabbitMQ, CouchDB, ejabberd): file errors are atoms, so the
//! reason is `erofs`, not a sentence:
//! `Failed to create cookie file '/var/lib/rabbitmq/.erlang.cookie': erofs`,
//! `Error when reading /var/lib/rabbitmq/.erlang.cookie: erofs`, and, with
//! no path, `{error,erofs}`.
//!
//! The path is the one just before `: erofs`, quoted or bare. (Elixir
//! formats the atom as `read-only file system`, which the others read.)

use super::{Op, with_op};

/// The line holds `erofs` as an Erlang atom: after `: `, `,` or `{`, and not
/// inside a longer name (`erofs` is also a filesystem type, as in
/// `mount -t erofs`).
pub fn has_atom(line: &str) -> bool {
    atoms(line).next().is_some()
}

pub fn find(line: &str) -> Vec<(String, Op)> {
    let mut out = Vec::new();
    for at in atoms(line) {
        let Some(head) = line[..at].strip_suffix(": ") else {
            continue;
        };
        let path = match head.chars().next_back() {
            Some(q @ ('\'' | '"')) => {
                let inner = &head[..head.len() - 1];
                inner.rfind(q).map(|i| &inner[i + 1..])
            }
            _ => head.rsplit(char::is_whitespace).next(),
        };
        let lower = head.to_ascii_lowercase();
        let op = if ["directory", "make_dir", "mkdir"]
            .iter()
            .any(|w| lower.contains(w))
        {
            Op::Mkdir
        } else {
            Op::File
        };
        out.extend(with_op(path, op));
    }
    out
}

/// Byte offsets of each `erofs` atom.
fn atoms(line: &str) -> impl Iterator<Item = usize> + '_ {
    line.match_indices("erofs").filter_map(move |(i, _)| {
        let before = line[..i].trim_end_matches(' ');
        let opens = before.ends_with(':') || before.ends_with(',') || before.ends_with('{');
        let ends = line[i + "erofs".len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '@'));
        (opens && ends).then_some(i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_before_the_atom_quoted_or_bare() {
        assert_eq!(
            find("{\"Failed to create cookie file '/var/lib/rabbitmq/.erlang.cookie': erofs\","),
            [("/var/lib/rabbitmq/.erlang.cookie".to_string(), Op::File)]
        );
        assert_eq!(
            find("Failed to write file \"/opt/couchdb/data/_dbs.couch\": erofs"),
            [("/opt/couchdb/data/_dbs.couch".to_string(), Op::File)]
        );
        assert_eq!(
            find("Error when creating directory /var/lib/rabbitmq/mnesia/rabbit@web-0: erofs"),
            [(
                "/var/lib/rabbitmq/mnesia/rabbit@web-0".to_string(),
                Op::Mkdir
            )]
        );
    }

    #[test]
    fn the_atom_alone_names_no_path_and_the_fs_type_is_no_atom() {
        assert!(has_atom("{error,erofs}"));
        assert!(has_atom("reason: {error, erofs}"));
        assert!(find("{error,erofs}").is_empty());
        assert!(!has_atom("mount -t erofs /dev/loop0 /mnt"));
        assert!(!has_atom("squashfs: erofsx"));
        assert!(!has_atom("modprobe: erofs_fs loaded"));
        // A relative path is not a mount point.
        assert!(find("Failed to write file \"data.bin\": erofs").is_empty());
    }
}
