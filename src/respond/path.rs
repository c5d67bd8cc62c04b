//! Request-target path -> the key of a resource in the site map, or a rejection.
//!
//! The site map only holds what was found under ROOT, so no spelling of a path can
//! reach a file outside it; this module still refuses every traversal spelling
//! outright (400), so that probes are visible as such and no later change can make
//! them meaningful: `..` raw or percent-encoded (once or twice), backslashes, NUL
//! and other control bytes, and encoded slashes.

use std::borrow::Cow;

/// A request path made safe: decoded, no empty, `.` or `..` segments.
#[derive(Debug, PartialEq, Eq)]
pub struct SafePath<'a> {
    /// The site map key: segments joined by `/`, no leading or trailing slash.
    pub key: Cow<'a, str>,
    /// Whether the request path ended in `/` (a directory was asked for).
    pub trailing_slash: bool,
}

/// Why a request path was refused (400).
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Not an origin-form absolute path (e.g. `*`).
    NotAbsolute,
    /// A `%` not followed by two hex digits, or decoded bytes that are not UTF-8.
    BadEncoding,
    /// A traversal spelling or a byte no file name here may hold.
    Forbidden,
}

/// Decodes and checks `raw`, the path part of the request target.
pub fn resolve(raw: &str) -> Result<SafePath<'_>, Rejection> {
    match plain(raw) {
        Some(safe) => Ok(safe),
        None => resolve_any(raw),
    }
}

/// The bytes a plain path keeps as they are: letters, digits, `-._~` and `/`.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'/');
        b += 1;
    }
    table
};

/// Most request paths, in one pass and without a copy: only [`PLAIN`] bytes, no
/// empty segment but a trailing one, no `.` or `..` segment. The key is then the
/// path itself. Anything else is left to [`resolve_any`], which gives the same
/// answer for these (a test checks it).
#[inline]
fn plain(raw: &str) -> Option<SafePath<'_>> {
    let path = raw.strip_prefix('/')?;
    let bytes = path.as_bytes();
    let mut segment_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !PLAIN[usize::from(b)] {
            return None;
        }
        if b == b'/' {
            if matches!(&bytes[segment_start..i], b"" | b"." | b"..") {
                return None;
            }
            segment_start = i + 1;
        }
    }
    let last = &bytes[segment_start..];
    if matches!(last, b"." | b"..") {
        return None;
    }
    let trailing_slash = last.is_empty();
    let key = match trailing_slash && !path.is_empty() {
        true => &path[..path.len() - 1],
        false => path,
    };
    Some(SafePath {
        key: Cow::Borrowed(key),
        trailing_slash,
    })
}

/// [`resolve`] for any path: decoded, checked, empty segments folded.
fn resolve_any(raw: &str) -> Result<SafePath<'_>, Rejection> {
    let Some(path) = raw.strip_prefix('/') else {
        return Err(Rejection::NotAbsolute);
    };
    let trailing_slash = path.ends_with('/') || path.is_empty();
    let decoded: Cow<str> = if path.contains('%') {
        Cow::Owned(percent_decode(path)?)
    } else {
        Cow::Borrowed(path)
    };
    let mut clean = true;
    for segment in decoded.split('/') {
        if segment.is_empty() {
            clean = false; // `//`, or the trailing slash: folded below
            continue;
        }
        if segment == "." || segment == ".." {
            return Err(Rejection::Forbidden);
        }
        if segment.bytes().any(|b| b == b'\\' || b.is_ascii_control()) {
            return Err(Rejection::Forbidden);
        }
        // What is still percent-encoded after one decode was encoded twice: a
        // double-encoded `.`, `/`, `\` or NUL is a traversal probe, never a name.
        if contains_encoded_separator(segment) {
            return Err(Rejection::Forbidden);
        }
    }
    let key = if clean {
        decoded
    } else {
        // Fold empty segments: `/a//b/` is `a/b`, as nginx's merge_slashes does.
        let folded: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
        Cow::Owned(folded.join("/"))
    };
    Ok(SafePath {
        key,
        trailing_slash,
    })
}

/// Decodes `%XX` escapes. An encoded `/` is refused: it would let one segment
/// pose as two, and no file name holds a slash.
fn percent_decode(s: &str) -> Result<String, Rejection> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(Rejection::BadEncoding)?;
            let value = (hex_digit(hex[0])? << 4) | hex_digit(hex[1])?;
            if value == b'/' {
                return Err(Rejection::Forbidden);
            }
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Rejection::BadEncoding)
}

fn hex_digit(b: u8) -> Result<u8, Rejection> {
    match b {
        b'0'..=b'9' => Ok(b - b'0'),
        b'a'..=b'f' => Ok(b - b'a' + 10),
        b'A'..=b'F' => Ok(b - b'A' + 10),
        _ => Err(Rejection::BadEncoding),
    }
}

fn contains_encoded_separator(segment: &str) -> bool {
    segment.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                (w[1], w[2].to_ascii_lowercase()),
                (b'2', b'e') | (b'2', b'f') | (b'5', b'c') | (b'0', b'0')
            )
    })
}

/// Percent-encodes a site key for a Location header: the path segments of a
/// redirect are built from the checked key, never echoed from the request, so a
/// request for `//evil.example/x` cannot become a redirect off-site.
pub fn encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    for &b in key.as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (String, bool) {
        let safe = resolve(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        (safe.key.into_owned(), safe.trailing_slash)
    }

    #[test]
    fn the_plain_path_is_resolved_as_any_path() {
        let mut paths: Vec<String> = [
            "/",
            "/a",
            "/a/",
            "/a/b",
            "/a//b",
            "//",
            "/.",
            "/..",
            "/./",
            "/../",
            "/a/.",
            "/a/..",
            "/a/./b",
            "/a/../b",
            "/.a",
            "/..a",
            "/a..",
            "/a.b/c.d/",
            "/-_~.",
            "/a/b/c/d/e/f/",
            "",
            "a",
            "/A1-b_c~d.e",
            "/x//",
            "/x/.//",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every path of up to four bytes from the plain bytes' edge cases.
        let alphabet = ["/", ".", "a", "-", "~"];
        let mut level = vec![String::new()];
        for _ in 0..4 {
            level = level
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            paths.extend(level.iter().map(|p| format!("/{p}")));
        }
        for raw in &paths {
            if let Some(fast) = plain(raw) {
                assert_eq!(Ok(fast), resolve_any(raw), "{raw:?}");
            }
            assert_eq!(resolve(raw), resolve_any(raw), "{raw:?}");
        }
    }

    #[test]
    fn clean_paths() {
        assert_eq!(ok("/"), (String::new(), true));
        assert_eq!(ok("/index.html"), ("index.html".into(), false));
        assert_eq!(ok("/docs/"), ("docs".into(), true));
        assert_eq!(ok("/docs"), ("docs".into(), false));
        assert_eq!(ok("/a%20b.txt"), ("a b.txt".into(), false));
        assert_eq!(ok("/caf%C3%A9"), ("café".into(), false));
        assert_eq!(ok("//a//b/"), ("a/b".into(), true));
        assert_eq!(ok("/..a/b..c"), ("..a/b..c".into(), false));
        assert_eq!(ok("/%25"), ("%".into(), false));
    }

    #[test]
    fn traversal_spellings_are_refused() {
        for raw in [
            "/..",
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/./a",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/x",
            "/.%2e/x",
            "/%2e./x",
            "/%252e%252e/etc/passwd",
            "/a/%252e%252e%252fx",
            "/%252f",
            "/%255c",
            "/..%2fetc/passwd",
            "/a%2fb",
            "/a%2Fb",
            "/..\\etc\\passwd",
            "/a%5c..%5cb",
            "/%5c",
            "/a%00.html",
            "/%00",
            "/a%2500",
            "/a%0a",
            "/a%7f",
        ] {
            assert_eq!(resolve(raw), Err(Rejection::Forbidden), "{raw}");
        }
    }

    #[test]
    fn malformed() {
        assert_eq!(resolve("*"), Err(Rejection::NotAbsolute));
        assert_eq!(resolve("a/b"), Err(Rejection::NotAbsolute));
        assert_eq!(resolve("/%zz"), Err(Rejection::BadEncoding));
        assert_eq!(resolve("/%4"), Err(Rejection::BadEncoding));
        assert_eq!(resolve("/%ff"), Err(Rejection::BadEncoding));
    }

    /// The invariant behind "no traversal in any spelling": whatever the request
    /// path, a key that comes back names something below ROOT. 200,000 paths
    /// built from the characters traversal spellings are made of.
    #[test]
    fn property_no_key_escapes_root() {
        const PIECES: &[&str] = &[
            "/", "/", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%25", "%00", "%", "\\", "a",
            "b.txt", "é", "%c3%a9", "~", "%252e", "//", "./", "../", ";", "?", "#",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let mut raw = String::from("/");
            for _ in 0..(next() % 12) {
                raw.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            let Ok(safe) = resolve(&raw) else { continue };
            let key: &str = &safe.key;
            assert!(
                !key.starts_with('/') && !key.ends_with('/'),
                "{raw:?} -> {key:?}"
            );
            if key.is_empty() {
                continue;
            }
            for segment in key.split('/') {
                assert!(!segment.is_empty(), "{raw:?} -> {key:?}");
                assert!(segment != "." && segment != "..", "{raw:?} -> {key:?}");
                assert!(!segment.contains('\\'), "{raw:?} -> {key:?}");
                assert!(
                    !segment.bytes().any(|b| b.is_ascii_control()),
                    "{raw:?} -> {key:?}"
                );
            }
            // And the key joined under a root stays under it, as a path.
            let joined = std::path::Path::new("/root").join(key);
            assert!(
                joined
                    .components()
                    .all(|c| !matches!(c, std::path::Component::ParentDir)),
                "{raw:?} -> {key:?}"
            );
        }
    }

    #[test]
    fn location_encoding() {
        assert_eq!(encode("a b/ü?#"), "a%20b/%C3%BC%3F%23");
        assert_eq!(encode("docs/v1.2"), "docs/v1.2");
    }
}
