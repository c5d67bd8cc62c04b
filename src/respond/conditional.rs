//! Preconditions (RFC 9110 §13): If-Match, If-Unmodified-Since, If-None-Match,
//! If-Modified-Since, evaluated in the order §13.2.2 gives, and If-Range.

use std::time::SystemTime;

use http::header::{
    GetAll, HeaderValue, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
    RANGE,
};
use http::HeaderMap;

/// What the preconditions say about a GET or HEAD.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Serve the representation (ranges may still apply).
    Proceed,
    /// 304: the client's copy is current.
    NotModified,
    /// 412: a precondition the client set does not hold.
    Failed,
}

/// Which precondition and range fields a request carries, found in one pass over
/// its field names. Most requests carry none of them, and comparing a few names
/// costs less than the hash each of the five lookups would compute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    /// If-Match, If-None-Match, If-Modified-Since or If-Unmodified-Since.
    pub preconditions: bool,
    /// Range (If-Range only counts with it).
    pub range: bool,
}

impl Asked {
    /// Reads the field names of `headers`.
    pub fn scan(headers: &HeaderMap) -> Asked {
        let mut asked = Asked::default();
        for name in headers.keys() {
            if name == IF_MATCH
                || name == IF_NONE_MATCH
                || name == IF_MODIFIED_SINCE
                || name == IF_UNMODIFIED_SINCE
            {
                asked.preconditions = true;
            } else if name == RANGE {
                asked.range = true;
            }
        }
        asked
    }
}

/// `etag` is the selected representation's quoted strong ETag; `modified` its
/// Last-Modified, when it has a real one.
pub fn evaluate(headers: &HeaderMap, etag: &[u8], modified: Option<SystemTime>) -> Outcome {
    // 1. If-Match (strong comparison), else 2. If-Unmodified-Since.
    if headers.contains_key(IF_MATCH) {
        if !list_matches(headers.get_all(IF_MATCH), etag, true) {
            return Outcome::Failed;
        }
    } else if let (Some(value), Some(modified)) = (headers.get(IF_UNMODIFIED_SINCE), modified) {
        if let Some(since) = http_date(value.as_bytes()) {
            if modified > since {
                return Outcome::Failed;
            }
        }
    }
    // 3. If-None-Match (weak comparison), else 4. If-Modified-Since.
    if headers.contains_key(IF_NONE_MATCH) {
        if list_matches(headers.get_all(IF_NONE_MATCH), etag, false) {
            return Outcome::NotModified;
        }
    } else if let (Some(value), Some(modified)) = (headers.get(IF_MODIFIED_SINCE), modified) {
        if let Some(since) = http_date(value.as_bytes()) {
            if modified <= since {
                return Outcome::NotModified;
            }
        }
    }
    Outcome::Proceed
}

/// Whether a Range request may be honoured: no If-Range, or one that names the
/// current representation (a strong ETag match, or exactly its Last-Modified).
pub fn if_range_allows(headers: &HeaderMap, etag: &[u8], modified: Option<SystemTime>) -> bool {
    let Some(value) = headers.get(IF_RANGE) else {
        return true;
    };
    let value = trim(value.as_bytes());
    if value.starts_with(b"\"") || value.starts_with(b"W/") {
        return strong_eq(value, etag);
    }
    match (http_date(value), modified) {
        (Some(date), Some(modified)) => date == modified,
        _ => false,
    }
}

/// Whether an entity-tag list (`"a", W/"b"` or `*`) names `etag`. Repeated fields
/// are one list (RFC 9110 §5.3).
fn list_matches(fields: GetAll<'_, HeaderValue>, etag: &[u8], strong: bool) -> bool {
    let mut tags = fields.iter().flat_map(|field| EntityTags(field.as_bytes()));
    tags.any(|candidate| {
        if candidate == b"*" {
            return true;
        }
        if strong {
            strong_eq(candidate, etag)
        } else {
            opaque(candidate) == opaque(etag)
        }
    })
}

/// Strong comparison: both tags strong and byte-identical.
fn strong_eq(candidate: &[u8], etag: &[u8]) -> bool {
    !candidate.starts_with(b"W/") && candidate == etag
}

/// The quoted part of a tag, without any `W/` prefix.
fn opaque(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

/// Splits an entity-tag list at commas outside quotes (a quoted tag may hold commas).
struct EntityTags<'a>(&'a [u8]);

impl<'a> Iterator for EntityTags<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let rest = trim(self.0);
            if rest.is_empty() {
                return None;
            }
            let mut in_quotes = false;
            let end = rest
                .iter()
                .position(|&b| {
                    if b == b'"' {
                        in_quotes = !in_quotes;
                    }
                    b == b',' && !in_quotes
                })
                .unwrap_or(rest.len());
            self.0 = rest.get(end + 1..).unwrap_or(&[]);
            let tag = trim(&rest[..end]);
            if !tag.is_empty() {
                return Some(tag);
            }
        }
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn http_date(value: &[u8]) -> Option<SystemTime> {
    httpdate::parse_http_date(std::str::from_utf8(value).ok()?.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const TAG: &[u8] = b"\"abc\"";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn asked_finds_the_fields_among_others() {
        let asked = |pairs: &[(&'static str, &str)]| Asked::scan(&headers(pairs));
        let none = Asked::default();
        assert_eq!(asked(&[]), none);
        assert_eq!(
            asked(&[("host", "a"), ("accept", "*/*"), ("x-if-match", "1")]),
            none
        );
        for name in [
            "if-match",
            "if-none-match",
            "if-modified-since",
            "if-unmodified-since",
        ] {
            let found = asked(&[("host", "a"), (name, "\"x\""), ("accept", "*/*")]);
            assert_eq!(
                found,
                Asked {
                    preconditions: true,
                    range: false
                },
                "{name}"
            );
        }
        let both = asked(&[
            ("range", "bytes=0-1"),
            ("if-range", "\"x\""),
            ("If-None-Match", "*"),
        ]);
        assert_eq!(
            both,
            Asked {
                preconditions: true,
                range: true
            }
        );
        // If-Range alone asks for nothing: it only qualifies a Range.
        assert_eq!(asked(&[("if-range", "\"x\"")]), none);
    }

    fn at(secs: u64) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn if_none_match() {
        use Outcome::*;
        let cases = [
            ("\"abc\"", NotModified),
            ("W/\"abc\"", NotModified),
            ("\"x\", \"abc\"", NotModified),
            ("\"x,y\", \"abc\"", NotModified),
            ("*", NotModified),
            ("\"abcd\"", Proceed),
            ("\"x\"", Proceed),
            ("abc", Proceed),
            ("", Proceed),
        ];
        for (value, expected) in cases {
            assert_eq!(
                evaluate(&headers(&[("if-none-match", value)]), TAG, None),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn repeated_fields_are_one_list() {
        let h = headers(&[("if-none-match", "\"x\""), ("if-none-match", "\"abc\"")]);
        assert_eq!(evaluate(&h, TAG, None), Outcome::NotModified);
        let h = headers(&[("if-match", "\"x\""), ("if-match", "\"abc\"")]);
        assert_eq!(evaluate(&h, TAG, None), Outcome::Proceed);
        let h = headers(&[("if-match", "\"x\""), ("if-match", "\"y\"")]);
        assert_eq!(evaluate(&h, TAG, None), Outcome::Failed);
    }

    #[test]
    fn if_match_is_strong() {
        assert_eq!(
            evaluate(&headers(&[("if-match", "\"abc\"")]), TAG, None),
            Outcome::Proceed
        );
        assert_eq!(
            evaluate(&headers(&[("if-match", "*")]), TAG, None),
            Outcome::Proceed
        );
        assert_eq!(
            evaluate(&headers(&[("if-match", "W/\"abc\"")]), TAG, None),
            Outcome::Failed
        );
        assert_eq!(
            evaluate(&headers(&[("if-match", "\"no\"")]), TAG, None),
            Outcome::Failed
        );
    }

    #[test]
    fn dates_only_with_a_real_last_modified() {
        let ims = "Tue, 14 Nov 2023 22:13:20 GMT"; // 1_700_000_000
        let h = headers(&[("if-modified-since", ims)]);
        assert_eq!(evaluate(&h, TAG, at(1_700_000_000)), Outcome::NotModified);
        assert_eq!(evaluate(&h, TAG, at(1_700_000_001)), Outcome::Proceed);
        assert_eq!(evaluate(&h, TAG, None), Outcome::Proceed);
        // If-None-Match takes precedence over If-Modified-Since.
        let h = headers(&[("if-modified-since", ims), ("if-none-match", "\"other\"")]);
        assert_eq!(evaluate(&h, TAG, at(1_700_000_000)), Outcome::Proceed);
        let h = headers(&[("if-unmodified-since", ims)]);
        assert_eq!(evaluate(&h, TAG, at(1_700_000_001)), Outcome::Failed);
        assert_eq!(evaluate(&h, TAG, at(1_700_000_000)), Outcome::Proceed);
        let h = headers(&[("if-modified-since", "garbage")]);
        assert_eq!(evaluate(&h, TAG, at(1)), Outcome::Proceed);
    }

    #[test]
    fn if_range() {
        let date = "Tue, 14 Nov 2023 22:13:20 GMT";
        assert!(if_range_allows(&headers(&[]), TAG, None));
        assert!(if_range_allows(
            &headers(&[("if-range", "\"abc\"")]),
            TAG,
            None
        ));
        assert!(!if_range_allows(
            &headers(&[("if-range", "W/\"abc\"")]),
            TAG,
            None
        ));
        assert!(!if_range_allows(
            &headers(&[("if-range", "\"old\"")]),
            TAG,
            None
        ));
        assert!(if_range_allows(
            &headers(&[("if-range", date)]),
            TAG,
            at(1_700_000_000)
        ));
        assert!(!if_range_allows(
            &headers(&[("if-range", date)]),
            TAG,
            at(1_700_000_001)
        ));
        assert!(!if_range_allows(&headers(&[("if-range", date)]), TAG, None));
    }
}
