//! Range requests (RFC 9110 §14): one byte range per response.

/// What a Range header asks of a representation of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Ranged {
    /// No usable Range: send it all with 200. Also for several ranges (RFC 9110
    /// lets a server ignore Range, and multipart/byteranges is rarely worth it) and
    /// for a header that does not parse.
    Full,
    /// 206 with these bytes, `start..=end`.
    Partial {
        /// First byte, from 0.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`, clamping to `len`.
pub fn parse(header: &[u8], len: u64) -> Ranged {
    let Ok(header) = std::str::from_utf8(header) else {
        return Ranged::Full;
    };
    let Some((unit, spec)) = header.trim().split_once('=') else {
        return Ranged::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Ranged::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // More digits than u64 holds is still a valid (huge) position.
        Some(s.parse().unwrap_or(u64::MAX))
    };
    match (first.is_empty(), last.is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => match number(last) {
            None => Ranged::Full,
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if len == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        },
        // bytes=a- : from a to the end.
        (false, true) => match number(first) {
            None => Ranged::Full,
            Some(start) if start >= len => Ranged::Unsatisfiable,
            Some(start) => Ranged::Partial {
                start,
                end: len - 1,
            },
        },
        // bytes=a-b
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= len {
                    Ranged::Unsatisfiable
                } else {
                    Ranged::Partial {
                        start,
                        end: end.min(len - 1),
                    }
                }
            }
            _ => Ranged::Full,
        },
        (true, true) => Ranged::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ranged::*;

    #[test]
    fn range_table() {
        let p = |start, end| Partial { start, end };
        let cases: &[(&str, u64, Ranged)] = &[
            ("bytes=0-0", 10, p(0, 0)),
            ("bytes=0-9", 10, p(0, 9)),
            ("bytes=2-5", 10, p(2, 5)),
            ("bytes=5-100", 10, p(5, 9)),
            ("bytes=5-", 10, p(5, 9)),
            ("bytes=-3", 10, p(7, 9)),
            ("bytes=-30", 10, p(0, 9)),
            ("Bytes = 1-2", 10, p(1, 2)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-1", 0, Unsatisfiable),
            ("bytes=99999999999999999999999-", 10, Unsatisfiable),
            ("bytes=5-2", 10, Full),
            ("bytes=0-1,3-4", 10, Full),
            ("bytes=a-b", 10, Full),
            ("bytes=-", 10, Full),
            ("bytes=+1-2", 10, Full),
            ("items=0-1", 10, Full),
            ("bytes 0-1", 10, Full),
            ("", 10, Full),
        ];
        for (header, len, expected) in cases {
            assert_eq!(
                parse(header.as_bytes(), *len),
                *expected,
                "{header} of {len}"
            );
        }
    }
}
