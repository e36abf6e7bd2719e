//! The traced command runs with the caller's environment (`HOME` aside
//! under `--user`), a pod's with the image's and the pod's: a variable
//! that points a program at a directory (`TMPDIR`, `XDG_CACHE_HOME`,
//! `XDG_RUNTIME_DIR` of a desktop session, an application's own
//! `MYAPP_DATA`) moves its writes there when traced, and the plan then
//! mounts a volume where the pod never writes while the pod writes
//! where nothing is planned. The plan cannot know the pod's environment;
//! it names the planned paths under a directory the caller's names, which
//! may be why the program wrote there (or may not: a program writes to
//! `/etc/ssl/certs` whatever `SSL_CERT_DIR` says).

use crate::canonical::{normalized, strip_dir_prefix};
use rootlock_policy::format::join_some;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// Variables that name the caller's session, not a place the program was
/// sent to: the working directory (the trace's own, see `tracer`), the
/// previous one, the shell, the mail spool.
const NOT_DIRECTED: [&str; 5] = ["PWD", "OLDPWD", "SHELL", "MAIL", "_"];

/// Where programs write when the variable is unset, given the
/// command's `HOME`: a variable set to that sends nothing elsewhere.
fn unset_default(key: &str, home: &str) -> Option<String> {
    let under_home = |rest: &str| format!("{}/{rest}", home.trim_end_matches('/'));
    match key {
        "TMPDIR" | "TMP" | "TEMP" | "TEMPDIR" => Some("/tmp".to_string()),
        "XDG_CACHE_HOME" => Some(under_home(".cache")),
        "XDG_CONFIG_HOME" => Some(under_home(".config")),
        "XDG_DATA_HOME" => Some(under_home(".local/share")),
        "XDG_STATE_HOME" => Some(under_home(".local/state")),
        _ => None,
    }
}

/// A warning for each variable of the command's environment that names
/// a directory the command wrote in (`changed`: the traced changes'
/// paths), unless it is where programs write when it is unset
/// (`TMPDIR=/tmp`); it names the planned paths that hold those writes
/// (`planned`: at, below or above the directory). `vars`: the caller's
/// environment; `home`: the command's `HOME` when `--user` set it from
/// the root's `/etc/passwd`, as the pod's is. A caller's own `HOME` of
/// `/root` is what a pod running as root gets, so it is no warning either.
pub fn warnings(
    changed: &[&str],
    planned: &[&str],
    vars: impl Iterator<Item = (OsString, OsString)>,
    home: Option<&str>,
) -> Vec<String> {
    let vars: Vec<(String, String)> = vars
        .filter_map(|(k, v)| {
            let key = std::str::from_utf8(k.as_bytes()).ok()?;
            let value = std::str::from_utf8(v.as_bytes()).ok()?;
            Some((key.to_string(), value.to_string()))
        })
        .collect();
    let command_home = home
        .or_else(|| {
            vars.iter()
                .find(|(k, _)| k == "HOME")
                .map(|(_, v)| v.as_str())
        })
        .unwrap_or("/");
    let within = |path: &str, dir: &str| strip_dir_prefix(path, dir).is_some();
    let mut found: Vec<(&str, String, Vec<&str>)> = vars
        .iter()
        .filter_map(|(key, value)| {
            let key = key.as_str();
            let dir = normalized(value).filter(|d| d != "/")?;
            if NOT_DIRECTED.contains(&key) || (key == "HOME" && (home.is_some() || dir == "/root"))
            {
                return None;
            }
            if unset_default(key, command_home)
                .and_then(|d| normalized(&d))
                .as_ref()
                == Some(&dir)
            {
                return None;
            }
            if !changed.iter().any(|c| within(c, &dir)) {
                return None;
            }
            let holding: Vec<&str> = planned
                .iter()
                .copied()
                .filter(|p| within(p, &dir) || within(&dir, p))
                .collect();
            Some((key, dir, holding))
        })
        .collect();
    found.sort_by_key(|(key, _, _)| *key);
    found
        .into_iter()
        .map(|(key, dir, holding)| {
            let how = if key == "HOME" {
                "pass --user as the pod runs, which sets HOME from the image's /etc/passwd".to_string()
            } else {
                format!("set {key} in the pod alike, or trace without it (`env -u {key} rootlock trace …`) to see")
            };
            let planned = match holding.as_slice() {
                [] => String::new(),
                some => format!(" (planned: {})", join_some(some, 5)),
            };
            format!(
                "the command wrote under ${key} ({dir}){planned}, a directory your environment gave it: if that is why it wrote there, a pod, whose environment is the image's and the pod's, writes elsewhere unless it sets {key} alike; {how}"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// A desktop session's variables moved a program's writes: each
    /// variable whose directory the command wrote in is named, with the
    /// planned paths at, below or above it; a variable it wrote nothing
    /// under, a list of paths, `/`, the session's own and one set to where
    /// programs write without it are not.
    #[test]
    fn writes_under_the_callers_directories_are_named() {
        let changed = [
            "/home/alice/.cache/app/index",
            "/root/.config/app/x",
            "/run/user/1000/app.sock",
            "/srv/cache",
            "/tmp/x",
            "/var/tmp/a",
            "/var/tmpfoo/b",
            "/var/lib/app/db",
        ];
        let planned = [
            "/home/alice/.cache/app",
            "/root/.config/app",
            "/run/user/1000",
            "/srv",
            "/tmp",
            "/var/lib/app",
            "/var/tmp",
            "/var/tmpfoo",
        ];
        let w = warnings(
            &changed,
            &planned,
            env(&[
                ("XDG_RUNTIME_DIR", "/run/user/1000"),
                ("XDG_CACHE_HOME", "/home/alice/.cache/"),
                ("XDG_CONFIG_HOME", "/root/.config"),
                ("XDG_DATA_HOME", "/srv/cache"),
                ("HOME", "/root"),
                ("TMPDIR", "/var/tmp"),
                ("TMP", "/tmp"),
                ("PATH", "/usr/bin:/bin"),
                ("ROOT", "/"),
                ("PWD", "/var/lib/app"),
                ("EDITOR", "vim"),
                ("DATA", "/srv/data"),
            ]),
            None,
        );
        let want = [
            "the command wrote under $TMPDIR (/var/tmp) (planned: /var/tmp), a directory",
            "the command wrote under $XDG_CACHE_HOME (/home/alice/.cache) (planned: /home/alice/.cache/app), a directory",
            "the command wrote under $XDG_DATA_HOME (/srv/cache) (planned: /srv), a directory",
            "the command wrote under $XDG_RUNTIME_DIR (/run/user/1000) (planned: /run/user/1000), a directory",
        ];
        assert_eq!(w.len(), want.len(), "{w:?}");
        for (w, want) in w.iter().zip(want) {
            assert!(w.starts_with(want), "{w}");
        }
        assert!(
            w[0].contains("`env -u TMPDIR rootlock trace …`"),
            "{}",
            w[0]
        );
    }

    /// `HOME`: the caller's is named unless `--user` replaced it or it is
    /// root's, which a pod running as root has too.
    #[test]
    fn home_is_named_only_when_it_is_the_callers_own() {
        let changed = ["/home/alice/.npm/x", "/root/.npm/y"];
        let planned = ["/home/alice/.npm", "/root/.npm"];
        let w = warnings(&changed, &planned, env(&[("HOME", "/home/alice")]), None);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with(
                "the command wrote under $HOME (/home/alice) (planned: /home/alice/.npm)"
            ),
            "{}",
            w[0]
        );
        assert!(w[0].contains("pass --user"), "{}", w[0]);
        let by_user = warnings(
            &changed,
            &planned,
            env(&[("HOME", "/home/alice")]),
            Some("/home/app"),
        );
        assert!(by_user.is_empty(), "{by_user:?}");
        let root = warnings(&changed, &planned, env(&[("HOME", "/root/")]), None);
        assert!(root.is_empty(), "{root:?}");
    }
}
