//! Precondition headers (If-Match, If-None-Match, If-(Un)Modified-Since,
//! If-Range, repeated or not) -> an outcome: never a panic, and a request without
//! them always proceeds.
#![no_main]

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use mote::respond::conditional::{evaluate, if_range_allows, Outcome};
use std::time::{Duration, UNIX_EPOCH};

const NAMES: [&str; 5] = [
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "if-range",
];

fuzz_target!(|input: (u8, u32, Vec<(u8, &[u8])>)| {
    let (modified, secs, fields) = input;
    let mut headers = HeaderMap::new();
    for (name, value) in fields {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            let name = HeaderName::from_static(NAMES[name as usize % NAMES.len()]);
            headers.append(name, value);
        }
    }
    let modified = (modified % 2 == 0).then(|| UNIX_EPOCH + Duration::from_secs(secs.into()));
    let etag = b"\"0123456789abcdef0123456789abcdef\"";
    let outcome = evaluate(&headers, etag, modified);
    let _ = if_range_allows(&headers, etag, modified);
    if headers.is_empty() {
        assert_eq!(outcome, Outcome::Proceed);
    }
});
