//! Adversarial patterns and paths: compiling is bounded (a pattern of too many
//! parts is refused), matching never panics or recurses, whatever the depth of
//! either, and a pattern whose placeholders each end a segment matches the
//! path it gives as its example.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mote::site::rules::{Pattern, MAX_PARTS};

fuzz_target!(|input: (&str, &str, u16)| {
    let (text, path, repeat) = input;
    // Repeated, a short input becomes the deep pattern or path an attacker sends.
    let deep = |s: &str| s.repeat(usize::from(repeat % 2048).max(1));
    for pattern in [text.to_string(), deep(text)] {
        let Ok(compiled) = Pattern::parse(&pattern) else {
            continue;
        };
        let _ = compiled.matches(path);
        let _ = compiled.matches(&deep(path));
        let _ = compiled.matches(&compiled.example());
        // Placeholders that each end their segment: the example is matched.
        let closed = pattern.split('/').all(|segment| {
            !segment.starts_with(':')
                || segment[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if closed && !pattern.contains('*') {
            assert!(
                compiled.matches(&compiled.example()).is_some(),
                "{pattern:?}"
            );
        }
    }
    assert!(Pattern::parse(&"/:p".repeat(MAX_PARTS)).is_err());
});
