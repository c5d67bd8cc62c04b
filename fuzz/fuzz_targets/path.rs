//! Request path -> site key: never a panic, and a key never leaves ROOT.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mote::respond::path::resolve;

fuzz_target!(|raw: &str| {
    if let Ok(safe) = resolve(raw) {
        let key: &str = &safe.key;
        assert!(
            !key.starts_with('/') && !key.ends_with('/'),
            "{raw:?} -> {key:?}"
        );
        for segment in key.split('/').filter(|_| !key.is_empty()) {
            assert!(!segment.is_empty(), "{raw:?} -> {key:?}");
            assert!(segment != "." && segment != "..", "{raw:?} -> {key:?}");
            assert!(!segment.contains('\\'), "{raw:?} -> {key:?}");
            assert!(
                !segment.bytes().any(|b| b.is_ascii_control()),
                "{raw:?} -> {key:?}"
            );
        }
        // The Location of a redirect is built from the key: it must stay a path.
        let encoded = mote::respond::path::encode(key);
        assert!(
            !encoded.contains("//") && !encoded.contains('\\'),
            "{encoded:?}"
        );
    }
});
