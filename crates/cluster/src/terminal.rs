//! The terminal's settings from before an interactive credential plugin
//! ran, put back when rootlock stops the plugin. A plugin that prompts for
//! a password turns the terminal's echo off (`read -s`, Python's
//! `getpass`) and turns it on again only when it ends by itself: stopped
//! in the middle (SIGTERM ends a shell's `read` and Python without their
//! cleanup, SIGKILL anything), it left the terminal without echo after
//! rootlock exited, and a shell that saw rootlock exit normally (bash
//! keeps a command's terminal settings then) kept it so.

use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;

use rustix::process::getpgrp;
use rustix::termios::{OptionalActions, Termios, tcgetattr, tcgetpgrp, tcsetattr};

/// A terminal and its settings when they were read.
#[derive(Debug)]
pub struct Saved {
    tty: OwnedFd,
    settings: Termios,
}

impl Saved {
    /// The settings of this process's controlling terminal (`/dev/tty`,
    /// which a plugin's prompt reads whether or not it is stdin); `None`
    /// without one.
    pub fn of_controlling_terminal() -> Option<Saved> {
        let tty = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open("/dev/tty")
            .ok()?;
        Saved::of(tty.into())
    }

    /// The settings of terminal `tty` now; `None` when it is no terminal.
    fn of(tty: OwnedFd) -> Option<Saved> {
        let settings = tcgetattr(&tty).ok()?;
        Some(Saved { tty, settings })
    }

    /// Puts the settings back (nothing to report if that fails: rootlock
    /// is about to report why it stopped). Not from the background (`&`)
    /// of its controlling terminal: there the kernel stops a process that
    /// sets its terminal (SIGTTOU), and rootlock would hang.
    pub fn restore(&self) {
        let background = tcgetpgrp(&self.tty).is_ok_and(|fg| fg != getpgrp());
        if !background {
            let _ = tcsetattr(&self.tty, OptionalActions::Now, &self.settings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use rustix::termios::LocalModes;

    /// A pseudo-terminal's far end, as a plugin's prompt would see it.
    fn terminal() -> Option<(OwnedFd, OwnedFd)> {
        let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).ok()?;
        grantpt(&controller).ok()?;
        unlockpt(&controller).ok()?;
        let name = ptsname(&controller, Vec::new()).ok()?;
        let far = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open(name.to_str().ok()?)
            .ok()?;
        Some((controller, far.into()))
    }

    /// A prompt turned echo off and was stopped before turning it on
    /// again: restoring gives the terminal its echo back.
    #[test]
    fn echo_turned_off_by_a_stopped_prompt_is_turned_on_again() {
        let Some((_controller, far)) = terminal() else {
            eprintln!("skipped: no pseudo-terminal");
            return;
        };
        let saved = Saved::of(far.try_clone().unwrap()).expect("a terminal");
        assert!(saved.settings.local_modes.contains(LocalModes::ECHO));
        let mut prompting = tcgetattr(&far).unwrap();
        prompting.local_modes.remove(LocalModes::ECHO);
        tcsetattr(&far, OptionalActions::Now, &prompting).unwrap();
        saved.restore();
        let now = tcgetattr(&far).unwrap();
        assert!(now.local_modes.contains(LocalModes::ECHO));
    }

    #[test]
    fn a_file_is_no_terminal() {
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        assert!(Saved::of(file.into()).is_none());
    }
}
