//! Accept-Encoding fields -> the index of a coding we have: never a panic, always
//! in range, and identity when the header says nothing.
#![no_main]

use http::header::{HeaderValue, ACCEPT_ENCODING};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use mote::content_coding::ContentCoding;
use mote::respond::negotiate::choose;

fuzz_target!(|input: (u8, Vec<&[u8]>)| {
    let (mask, fields) = input;
    let mut available = vec![ContentCoding::Identity];
    for (bit, coding) in ContentCoding::ALL_CODED.into_iter().enumerate() {
        if mask & (1 << bit) != 0 {
            available.push(coding);
        }
    }
    let mut headers = HeaderMap::new();
    for field in fields {
        if let Ok(value) = HeaderValue::from_bytes(field) {
            headers.append(ACCEPT_ENCODING, value);
        }
    }
    let chosen = choose(&headers, &available);
    assert!(chosen < available.len());
    if headers.is_empty() {
        assert_eq!(chosen, 0);
    }
});
