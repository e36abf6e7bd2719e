//! The source prefix `kubectl logs --prefix` puts before each line,
//! `[pod/web-7d9f-x2x/nginx] `, names the container that wrote it: with
//! `--all-containers`, the plan can give each container only the volumes
//! its own errors asked for (`container:` in the plan, which `fix` honours).

/// The container named by a kubectl source prefix, and the line after the
/// prefix; `None` and the whole line when it has no such prefix.
pub fn split(line: &str) -> (Option<&str>, &str) {
    let Some(rest) = line.strip_prefix('[') else {
        return (None, line);
    };
    let Some((source, text)) = rest.split_once("] ") else {
        return (None, line);
    };
    // `pod/NAME/CONTAINER` (kubectl's `--prefix` for pods; the kind is
    // `pod` whatever object the logs were asked of).
    let mut parts = source.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("pod"), Some(pod), Some(container), None) if is_name(pod) && is_name(container) => {
            (Some(container), text)
        }
        _ => (None, line),
    }
}

/// A Kubernetes object name: lower-case letters, digits, `-` and `.`, at
/// most 253 characters (a container name is a DNS label, a subset).
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::super::{plan_from_scan, scan, scan_reader};
    use super::split;

    #[test]
    fn each_container_gets_the_volumes_its_own_errors_asked_for() {
        // `kubectl logs deploy/web --all-containers --prefix`: nginx and the
        // app both fail under /run; only nginx writes its cache. Repeats of
        // a line by another container are that container's own need.
        let log = "[pod/web-1/nginx] 2024/05/14 09:21:07 [emerg] 1#1: mkdir() \"/var/cache/nginx/client_temp\" failed (30: Read-only file system)\n\
                   [pod/web-1/nginx] 2024/05/14 09:21:07 [emerg] 1#1: open() \"/run/nginx.pid\" failed (30: Read-only file system)\n\
                   [pod/web-1/app] sh: 1: cannot create /run/app.pid: Read-only file system\n\
                   [pod/web-1/app] sh: 1: cannot create /run/app.pid: Read-only file system\n";
        let plan = plan_from_scan(&scan(log), "test");
        let got: Vec<(&str, Option<&str>)> = plan
            .paths
            .iter()
            .map(|p| (p.path.as_str(), p.container.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("/run", Some("app")),
                ("/run", Some("nginx")),
                ("/var/cache/nginx/client_temp", Some("nginx")),
            ]
        );
        // Without prefixes, as before: one plan for every container.
        let bare: String = log.lines().map(|l| split(l).1.to_string() + "\n").collect();
        let plan = plan_from_scan(&scan(&bare), "test");
        assert!(plan.paths.iter().all(|p| p.container.is_none()), "{plan:?}");
        assert_eq!(plan.paths.len(), 2, "{plan:?}");
    }

    /// With `--all-containers --prefix`, a warning about a line says whose
    /// line it was, as the plan's paths do: an error naming no path, a
    /// relative or undecodable path, and the image content a volume may
    /// hide (judged per container: each has its own image).
    #[test]
    fn warnings_name_the_container_that_logged_the_line() {
        let log: &[u8] = b"[pod/web-1/app] fatal: read-only file system\n\
            [pod/web-1/app] mkdir: cannot create directory 'cache': Read-only file system\n\
            [pod/web-1/nginx] mkdir: cannot create directory '/srv/\xff': Read-only file system\n\
            [pod/web-1/nginx] fatal: read-only file system\n\
            [pod/web-1/app] open /app/x: read-only file system\n\
            [pod/web-1/nginx] open /srv/www/x: read-only file system\n";
        let plan = plan_from_scan(&scan_reader(log).unwrap_or_default(), "test");
        for want in [
            "container app: line 1: read-only file system error names no path: fatal: read-only file system",
            "container nginx: line 4: read-only file system error names no path: fatal: read-only file system",
            "container app: line 2: \"cache\" is relative",
            "container nginx: line 3: \"/srv/\u{fffd}\" is not valid UTF-8",
            "container app: /app: the image has this directory",
            "container nginx: /srv/www: the image has this directory",
        ] {
            assert!(
                plan.warnings.iter().any(|w| w.starts_with(want)),
                "{want}: {:#?}",
                plan.warnings
            );
        }
        // The same text from another container is that container's error,
        // and nothing else is warned about without its container.
        assert!(
            plan.warnings.iter().all(|w| w.starts_with("container ")),
            "{:#?}",
            plan.warnings
        );
    }

    #[test]
    fn kubectls_prefix_names_the_container() {
        assert_eq!(
            split("[pod/web-7d9f-x2x/nginx] 2024/05/14 [emerg] x"),
            (Some("nginx"), "2024/05/14 [emerg] x")
        );
        for line in [
            "[emerg] mkdir() \"/var/cache/nginx\" failed",
            "[pod/web/nginx]no space",
            "[deployment/web/nginx] x",
            "[pod/web/Nginx] x",
            "[pod/web] x",
            "[pod/a/b/c] x",
            "plain line",
        ] {
            assert_eq!(split(line), (None, line), "{line}");
        }
    }
}
