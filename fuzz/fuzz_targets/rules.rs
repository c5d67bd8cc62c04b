//! `_headers` and `_redirects` text -> rules, and any request path against their
//! patterns: never a panic, and a match never takes more than a pass over the path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mote::site::rules::{parse_headers, parse_redirects, PathRules};

fuzz_target!(|input: (&str, &str, &str)| {
    let (headers, redirects, path) = input;
    if let Ok(rules) = parse_headers(headers, "_headers") {
        // What a request for `path` gets: the matching rules' header edits.
        let _ = PathRules::for_path(&rules, path);
    }
    if let Ok(rules) = parse_redirects(redirects, "_redirects", |p| p.len() % 2 == 0) {
        for rule in &rules {
            if let Some(captures) = rule.from.matches(path) {
                let _ = captures.substitute(&rule.to);
            }
        }
    }
});
