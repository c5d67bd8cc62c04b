//! Filling a redirect target with what a request path captured: whatever the
//! path, the Location keeps the target's scheme and host (a fixed host stays
//! that host; a filled-in one is only host characters), and a path-only target
//! never becomes `//host` or `/\host`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mote::site::rules::Pattern;

/// The authority of an absolute http(s) URL, if it is one.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    Some(&rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())])
}

fuzz_target!(|input: (&str, &str, &str)| {
    let (from, to, path) = input;
    let Ok(pattern) = Pattern::parse(from) else {
        return;
    };
    let Some(captures) = pattern.matches(path) else {
        return;
    };
    let location = captures.substitute_location(to);
    match authority(to) {
        Some(host) => {
            let filled = authority(&location).expect("an absolute target stays absolute");
            if !host.contains(':') {
                assert_eq!(filled, host, "{to:?} filled from {path:?}: {location:?}");
            }
            // Whatever was filled in adds no user info, second host or space.
            for c in ['@', '\\', ' '] {
                assert!(
                    filled.matches(c).count() <= host.matches(c).count(),
                    "{to:?} from {path:?}: {location:?}"
                );
            }
        }
        None if to.starts_with('/') && !to.starts_with("//") && !to.starts_with("/\\") => {
            assert!(location.starts_with('/'), "{location:?}");
            assert!(
                !location.starts_with("//") && !location.starts_with("/\\"),
                "{to:?} from {path:?}: {location:?}"
            );
        }
        None => {}
    }
});
