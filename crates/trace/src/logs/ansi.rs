//! Terminal escape sequences in log lines. Loggers that colour their output
//! (logrus and zap on a terminal, colorlog, pino-pretty, Rails) keep doing
//! so when the container's stdout is a pty (`tty: true`), and some always
//! do. The codes land inside the messages the recognisers read:
//! `\x1b[31mopen /var/cache/app\x1b[0m/x: read-only file system` names
//! `/var/cache/app/x`, not `/var/cache/app\x1b`. They are removed before a
//! line is read, as a terminal would not show them.

use std::borrow::Cow;

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';

/// `line` without its ECMA-48 escape sequences: CSI (`ESC [` parameters,
/// intermediates, a final byte), OSC and the other string commands (`ESC ]`
/// `P` `X` `^` `_` up to BEL or `ESC \`), and the short `ESC` forms. An
/// unterminated sequence is dropped to the end of the line; it names no
/// path either way.
pub fn strip(line: &str) -> Cow<'_, str> {
    if !line.contains(ESC) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ESC {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameters and intermediates, then one final byte.
                while chars
                    .next_if(|c| matches!(c, '\u{20}'..='\u{3f}'))
                    .is_some()
                {}
                chars.next_if(|c| matches!(c, '\u{40}'..='\u{7e}'));
            }
            Some(']' | 'P' | 'X' | '^' | '_') => {
                // A string command, ended by BEL or ST (`ESC \`).
                while let Some(c) = chars.next() {
                    if c == BEL || (c == ESC && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            Some('\u{20}'..='\u{2f}') => {
                // `ESC ( B` and the like: more intermediates, one final.
                while chars
                    .next_if(|c| matches!(c, '\u{20}'..='\u{2f}'))
                    .is_some()
                {}
                chars.next_if(|c| matches!(c, '\u{30}'..='\u{7e}'));
            }
            // `ESC 7`, `ESC M`, …: two characters. Anything else after ESC
            // is text, kept.
            Some('\u{30}'..='\u{7e}') | None => {}
            Some(other) => out.push(other),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn colour_codes_are_removed_and_plain_lines_borrowed() {
        assert!(matches!(
            strip("open /x: read-only file system"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            strip("\u{1b}[31mopen /var/cache/app\u{1b}[0m/x: read-only file system"),
            "open /var/cache/app/x: read-only file system"
        );
        assert_eq!(
            strip("\u{1b}[1;38;5;196mERROR\u{1b}[m \u{1b}[2K\u{1b}[?25lrest"),
            "ERROR rest"
        );
    }

    #[test]
    fn string_commands_and_short_forms_are_removed() {
        // An OSC 8 hyperlink around a path, ended by ST, then by BEL.
        assert_eq!(
            strip("\u{1b}]8;;file:///tmp/x\u{1b}\\/tmp/x\u{1b}]8;;\u{7}: EROFS"),
            "/tmp/x: EROFS"
        );
        assert_eq!(strip("a\u{1b}(Bb\u{1b}7c\u{1b}Md"), "abcd");
    }

    #[test]
    fn unterminated_sequences_end_the_line_and_non_ascii_survives() {
        assert_eq!(strip("keep \u{1b}]0;title never ended"), "keep ");
        assert_eq!(strip("keep \u{1b}["), "keep ");
        assert_eq!(strip("x\u{1b}"), "x");
        assert_eq!(strip("é\u{1b}[0m日本"), "é日本");
        // ESC before a character that starts no sequence: the ESC goes.
        assert_eq!(strip("a\u{1b}\u{7f}b\u{1b}éc"), "a\u{7f}béc");
    }
}
