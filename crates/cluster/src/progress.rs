//! A progress bar for long listings, drawn on stderr only when stderr is a
//! terminal (never in pipes, CI logs or tests).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar drawn on `target` (stderr, hidden unless it is a terminal).
    /// `steady`: redrawn every 200 ms, so a spinner turns while a request
    /// waits; otherwise drawn only when the listing moves on. Not where a
    /// credential plugin may take the terminal in the middle of a request
    /// (to renew its token): each redraw clears the line its prompt is on.
    pub fn to(target: ProgressDrawTarget, steady: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, target);
        if steady {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Progress { bar: Some(bar) }
    }

    pub fn disabled() -> Self {
        Progress { bar: None }
    }

    /// A phase with no known length (namespaces, controllers).
    pub fn stage(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(message.to_string());
        }
    }

    /// Pods so far and how many the server says remain.
    pub fn pods(&self, seen: u64, remaining: Option<u64>) {
        if let Some(bar) = &self.bar {
            if let Some(rest) = remaining {
                if bar.length().is_none() {
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{bar:40} {pos}/{len} pods ({per_sec}, {eta} left)",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                }
                bar.set_length(seen.saturating_add(rest));
            }
            bar.set_position(seen);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
