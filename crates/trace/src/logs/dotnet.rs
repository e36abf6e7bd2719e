//! .NET on Linux: `System.IO.IOException: Read-only file system : '/app/logs/app.log'`.
//!
//! dotnet/runtime's `Interop.GetExceptionForIoErrno`
//! (`src/libraries/Common/src/Interop/Unix/Interop.IOErrors.cs`) gives the
//! errnos it has no exception of its own for, EROFS among them, to
//! `GetIOException`, which writes the message as `$"{msg} : '{path}'"`:
//! strerror's text, ` : `, and the full path in single quotes, unescaped
//! (spaces, brackets and quotes as they are). Without a path (`File.Move`
//! when its `link` fails, `File.Replace`) the message is strerror's alone
//! and names nothing. Before it may come `Unhandled exception. `, a
//! logger's indent, or ` ---> ` (an inner exception).
//!
//! The message names the path alone, whatever the call was: the stack
//! trace's frames, on the lines below it and innermost first, say which
//! (see [`frame`]): `FileSystem.CreateDirectory` a mkdir,
//! `FileSystem.DeleteFile` a removal, `FileStatus.SetUnixFileMode` a
//! chmod. Without a frame that says one, it is a file's write, as Java's
//! `FileSystemException` is.
//!
//! `File.Move(a, b, overwrite: true)` names the destination only
//! (`FileSystem.MoveFile` passes `destFullPath`): it is a rename of that
//! end, whose directory is planned. The source's directory is not named;
//! if it is read-only as well, the rename across the two mounts then fails
//! with EXDEV, .NET falls back to copying and deleting the source, and that
//! `DeleteFile` names it in the next run's log.

use super::{Frame, Op};

const MARK: &str = "Read-only file system : '";

/// At most this many frames below an error are read. The one that says
/// the operation is the first (`FileSystem.CreateDirectory`,
/// `SafeFileHandle.Open`), or the third, below
/// `Interop.ThrowExceptionForIoErrno` and `Interop.CheckIo`
/// (`FileStatus.SetUnixFileMode`); a few more are read, no further.
pub const MAX_FRAMES: usize = 8;

/// Every path the line's messages name, each once. An exception that
/// wraps others repeats their messages in its own: an
/// `AggregateException`'s is `One or more errors occurred.` and each inner
/// exception's in parentheses (`(Read-only file system : '/app/keys')`),
/// and when the exception's lines were joined into one (see
/// [`frames_on_the_line`]) the inner exceptions follow with their frames
/// (` ---> System.IO.IOException: Read-only file system : '/app/keys'    at
/// System.IO.FileSystem.CreateDirectory(…)`). A path's operation is the
/// one its frames say wherever it is named; a file's write only where no
/// mention of it has frames that say one.
pub fn find(line: &str) -> Vec<(String, Op)> {
    let starts: Vec<usize> = line.match_indices(MARK).map(|(i, _)| i).collect();
    let mut found: Vec<(&str, Option<Op>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (k, &start) in starts.iter().enumerate() {
        // A mention's path and frames end where the next mention starts:
        // each part of the line is read once, however many there are.
        let end_of_mention = starts.get(k + 1).copied().unwrap_or(line.len());
        let rest = &line[start + MARK.len()..end_of_mention];
        let Some(end) = closing_quote(rest) else {
            continue;
        };
        let path = &rest[..end];
        if path.is_empty() {
            continue;
        }
        let op = frames_on_the_line(&rest[end + 1..]);
        match index.get(path).and_then(|&i| found.get_mut(i)) {
            Some((_, known)) => *known = known.or(op),
            None => {
                index.insert(path, found.len());
                found.push((path, op));
            }
        }
    }
    found
        .into_iter()
        .map(|(path, op)| (path.to_string(), op.unwrap_or(Op::File)))
        .collect()
}

/// Where the quote that ends the path is: the first `'` at the end of
/// the text or before white space, or before the `.`, `,`, `;`, `)` or `"`
/// of a sentence or record around the message. .NET does not escape the
/// path: a quote inside a name (`/srv/it's`) is part of it unless one of
/// those follows.
fn closing_quote(rest: &str) -> Option<usize> {
    rest.match_indices('\'').map(|(i, _)| i).find(|&i| {
        rest[i + 1..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '.' | ',' | ';' | ')' | '"'))
    })
}

/// The operation the frames after the path say, when the exception's
/// lines were joined into one: the simple console formatter with
/// `SingleLine` writes `exception.ToString()` with each newline replaced
/// by a space (`…: '/app/keys'    at System.IO.FileSystem.CreateDirectory(…)    at …`).
/// Only frames right after the path count: words before the first (an
/// inner exception's message) mean they are another exception's.
fn frames_on_the_line(after: &str) -> Option<Op> {
    let mut pieces = after.split("   at ");
    if !pieces.next().is_some_and(|before| before.trim().is_empty()) {
        return None;
    }
    for (n, piece) in pieces.enumerate() {
        if n >= MAX_FRAMES {
            return None;
        }
        // The trace ends inside the piece of its last frame: the frames
        // after the end of an inner exception, or after the next inner
        // exception, are not this one's.
        let end = [" ---> ", "--- End of inner"]
            .iter()
            .filter_map(|m| piece.find(m))
            .min();
        if let Some(op) = method_op(&piece[..end.unwrap_or(piece.len())]) {
            return Some(op);
        }
        if end.is_some() {
            return None;
        }
    }
    None
}

/// What one line below an error says, if it is a line of a stack trace:
/// `   at System.IO.FileSystem.CreateDirectory(String fullPath, UnixFileMode unixCreateMode)`
/// (`Exception.ToString`'s `   at ` and the method; ` in /src/x.cs:line 3`
/// after it with debug symbols), or the `--- End of stack trace from
/// previous location ---` that an `await` puts between the frames of one
/// trace. `--- End of inner exception stack trace ---`, and the outer
/// exception's frames after it, are not this error's: that line is none.
pub fn frame(line: &str) -> Option<Frame> {
    let t = line.trim();
    if t.starts_with("--- End of stack trace from previous location") {
        return Some(Frame::Other);
    }
    let at = t.strip_prefix("at ")?;
    Some(method_op(at).map_or(Frame::Other, Frame::Op))
}

/// The operation a frame's method (`System.IO.FileSystem.CreateDirectory(…)`)
/// does, if it is one of .NET's own that says one.
fn method_op(frame: &str) -> Option<Op> {
    let (name, _) = frame.split_once('(')?;
    let (type_path, method) = match name.strip_suffix("..ctor") {
        Some(type_path) => (type_path, ".ctor"),
        None => name.rsplit_once('.')?,
    };
    if !(type_path.starts_with("System.IO.")
        || type_path.starts_with("Microsoft.Win32.SafeHandles."))
    {
        return None;
    }
    let type_name = type_path.rsplit('.').next().unwrap_or(type_path);
    let attr = method
        .strip_prefix("Set")
        .or_else(|| method.strip_prefix("set_"))
        .is_some_and(|what| ATTRIBUTES.iter().any(|a| what.starts_with(a)));
    Some(match (type_name, method) {
        ("FileSystem", "CreateDirectory" | "CreateParentsAndDirectory")
        | ("Directory", "CreateDirectory")
        | ("DirectoryInfo", "Create" | "CreateSubdirectory") => Op::Mkdir,
        ("FileSystem", "DeleteFile") | ("File" | "FileInfo", "Delete") => Op::Remove,
        ("FileSystem", "MoveFile") | ("File", "Move") | ("FileInfo", "MoveTo") => Op::Rename,
        _ if attr => Op::Attr,
        ("SafeFileHandle", "Open")
        | ("FileStream" | "StreamWriter", ".ctor")
        | ("FileSystem", "CopyFile" | "CreateSymbolicLink")
        | ("File", "Create" | "CreateText" | "Open" | "OpenWrite" | "OpenHandle" | "Copy")
        | ("File", "CreateSymbolicLink")
        | ("FileInfo", "Create" | "CreateText" | "Open" | "OpenWrite" | "CopyTo") => Op::File,
        ("File", m) if m.starts_with("WriteAll") || m.starts_with("AppendAll") => Op::File,
        _ => return None,
    })
}

/// What the setters of a file's attributes set, after `Set` or `set_`
/// (`FileStatus.SetUnixFileMode`, `FileStatus.SetAccessOrWriteTimeCore`,
/// `FileSystemInfo.set_LastWriteTimeCore`, `File.SetLastWriteTimeUtc`,
/// `FileInfo.set_IsReadOnly`): chmod and utimensat.
const ATTRIBUTES: [&str; 7] = [
    "UnixFileMode",
    "Attributes",
    "AccessOrWriteTime",
    "LastWriteTime",
    "LastAccessTime",
    "CreationTime",
    "IsReadOnly",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_of_dotnets_own_methods_say_their_operation() {
        for (line, want) in [
            (
                "   at System.IO.FileSystem.CreateDirectory(String fullPath)",
                Some(Frame::Op(Op::Mkdir)),
            ),
            (
                "   at System.IO.FileStream..ctor(String path, FileMode mode)",
                Some(Frame::Op(Op::File)),
            ),
            (
                "   at System.IO.File.AppendAllText(String path, String contents)",
                Some(Frame::Op(Op::File)),
            ),
            (
                "   at System.IO.FileSystemInfo.set_LastWriteTimeCore(DateTimeOffset value)",
                Some(Frame::Op(Op::Attr)),
            ),
            (
                "   at Interop.CheckIo(Int64 result, String path, Boolean isDirError)",
                Some(Frame::Other),
            ),
            // An application's method of the same name is not .NET's.
            (
                "   at MyApp.Storage.File.Delete(String path) in /src/Storage.cs:line 9",
                Some(Frame::Other),
            ),
            (
                "   --- End of stack trace from previous location ---",
                Some(Frame::Other),
            ),
            ("   --- End of inner exception stack trace ---", None),
            (" ---> System.Exception: x", None),
            ("info: Microsoft.Hosting.Lifetime[0]", None),
        ] {
            assert_eq!(frame(line), want, "{line}");
        }
    }
}
