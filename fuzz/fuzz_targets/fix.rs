//! The format-preserving fixer on arbitrary text. Nothing may panic, and
//! what it writes must hold: a fixed text fixes again to itself with no
//! error (idempotence), so `fix --write` never leaves a file that a second
//! run would refuse or change. The input's length picks the level and
//! whether explicit contrary values are overwritten (`--force`), so the
//! seeds stay plain manifests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootlock_fix::edits::Options;
use rootlock_fix::fixer::{Settings, fix_text};
use rootlock_manifest::Limits;
use rootlock_policy::{Level, LevelVersion, Version};

fuzz_target!(|data: &[u8]| {
    let knobs = data.len() % 4;
    let Ok(text) = std::str::from_utf8(data) else { return };
    let level = if knobs & 1 == 0 { Level::Immutable } else { Level::Restricted };
    let settings = Settings {
        options: Options { level, minor: Version::Latest.effective_minor(), force: knobs & 2 != 0, writable: None },
        level: LevelVersion::new(level, Version::Latest),
        limits: Limits { max_document_bytes: 64 * 1024, max_depth: 64, max_nodes: 20_000 },
    };
    let first = fix_text("fuzz", text, false, &settings);
    let Some(fixed) = first.fixed else { return };
    assert!(first.errors.is_empty(), "fixed text with errors: {:?}", first.errors);
    let again = fix_text("fuzz", &fixed, false, &settings);
    assert!(again.errors.is_empty(), "the fixed text is refused: {:?}\n--- input\n{text}\n--- fixed\n{fixed}", again.errors);
    assert!(again.fixed.is_none(), "not idempotent\n--- input\n{text}\n--- fixed\n{fixed}\n--- again\n{}", again.fixed.unwrap_or_default());
});
