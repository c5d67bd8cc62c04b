//! Range header + length -> what to send: never a panic, never out of bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mote::respond::range::{parse, Ranged};

fuzz_target!(|input: (u64, &[u8])| {
    let (len, header) = input;
    let len = len % (1 << 40);
    match parse(header, len) {
        Ranged::Partial { start, end } => assert!(start <= end && end < len),
        Ranged::Full | Ranged::Unsatisfiable => {}
    }
});
