//! Accept-Encoding negotiation (RFC 9110 §12.5.3) over the precompressed siblings
//! a resource has.

use http::HeaderValue;

/// A content coding mote can serve, from a sibling file made at build time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Brotli,
    Zstd,
    Gzip,
}

impl Encoding {
    /// The codings with sibling files, in the server's order of preference when the
    /// client rates several equally (smallest output first).
    pub const ALL_CODED: [Encoding; 3] = [Encoding::Brotli, Encoding::Zstd, Encoding::Gzip];

    /// The sibling file's suffix: `app.js` -> `app.js.br`.
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Brotli => ".br",
            Encoding::Zstd => ".zst",
            Encoding::Gzip => ".gz",
        }
    }

    /// The Content-Encoding value, `None` for identity (no header is sent).
    pub fn header_value(self) -> Option<HeaderValue> {
        match self {
            Encoding::Identity => None,
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
            Encoding::Zstd => Some(HeaderValue::from_static("zstd")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
        }
    }

    fn token(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }
}

/// The index in `available` of the coding to send. `available[0]` must be identity
/// and the rest in preference order. Picks the highest q-value; equal q-values go to
/// the earlier (preferred) coding, identity last unless the client rates it higher.
/// When the client accepts nothing we have, identity is sent anyway (RFC 9110 allows
/// ignoring the header rather than answering 406, and every browser copes).
pub fn choose(accept_encoding: Option<&HeaderValue>, available: &[Encoding]) -> usize {
    let Some(header) = accept_encoding.and_then(|h| h.to_str().ok()) else {
        return 0;
    };
    let mut best = 0;
    // Identity not named is acceptable at a rank below every named coding.
    let mut best_q = q_for(header, Encoding::Identity).unwrap_or(0);
    for (i, &encoding) in available.iter().enumerate().skip(1) {
        let q = q_for(header, encoding).unwrap_or(0);
        if q > best_q
            || (q == best_q && q > 0 && best == 0 && q_named(header, Encoding::Identity).is_none())
        {
            best = i;
            best_q = q;
        }
    }
    best
}

/// The q-value (in thousandths) the header gives a coding, by name or through `*`;
/// `None` when neither is present. Identity is acceptable (q>0) unless excluded.
fn q_for(header: &str, encoding: Encoding) -> Option<u16> {
    match q_named(header, encoding) {
        Some(q) => Some(q),
        None => match q_named_token(header, "*") {
            Some(q) => Some(q),
            None if encoding == Encoding::Identity => Some(1),
            None => None,
        },
    }
}

fn q_named(header: &str, encoding: Encoding) -> Option<u16> {
    q_named_token(header, encoding.token()).or_else(|| match encoding {
        Encoding::Gzip => q_named_token(header, "x-gzip"),
        _ => None,
    })
}

/// The q-value of `token` in an Accept-Encoding list, in thousandths (1.0 = 1000).
fn q_named_token(header: &str, token: &str) -> Option<u16> {
    header.split(',').find_map(|item| {
        let mut parts = item.split(';');
        let name = parts.next()?.trim();
        if !name.eq_ignore_ascii_case(token) {
            return None;
        }
        let mut q = 1000;
        for param in parts {
            if let Some((key, value)) = param.split_once('=') {
                if key.trim().eq_ignore_ascii_case("q") {
                    q = parse_q(value.trim())?;
                }
            }
        }
        Some(q)
    })
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
/// A malformed q-value makes the item count as absent.
fn parse_q(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::*;

    const ALL: [Encoding; 4] = [Identity, Brotli, Zstd, Gzip];

    fn pick(header: Option<&str>, available: &[Encoding]) -> Encoding {
        let value = header.map(|h| HeaderValue::from_str(h).unwrap());
        available[choose(value.as_ref(), available)]
    }

    #[test]
    fn negotiation_table() {
        let cases: &[(Option<&str>, &[Encoding], Encoding)] = &[
            (None, &ALL, Identity),
            (Some(""), &ALL, Identity),
            (Some("gzip"), &ALL, Gzip),
            (Some("x-gzip"), &ALL, Gzip),
            (Some("gzip, deflate, br, zstd"), &ALL, Brotli),
            (Some("gzip, deflate, br"), &[Identity, Gzip], Gzip),
            (Some("zstd, gzip"), &ALL, Zstd),
            (Some("br;q=0.5, gzip;q=0.8"), &ALL, Gzip),
            (Some("br;q=0, gzip"), &ALL, Gzip),
            (Some("br;q=0"), &ALL, Identity),
            (Some("*"), &ALL, Brotli),
            (Some("*;q=0.5, br;q=0"), &ALL, Zstd),
            (Some("gzip;q=0.5, identity"), &ALL, Identity),
            (Some("gzip, identity;q=0"), &ALL, Gzip),
            (Some("identity;q=0, *;q=0"), &ALL, Identity),
            (Some("deflate"), &ALL, Identity),
            (Some("GZIP;Q=1.0"), &ALL, Gzip),
            (Some("br;q=2"), &ALL, Identity),
            (Some("br;q=0.0001"), &ALL, Identity),
            (Some("gzip;q=0.001"), &ALL, Gzip),
            (Some("br"), &[Identity], Identity),
        ];
        for (header, available, expected) in cases {
            assert_eq!(
                pick(*header, available),
                *expected,
                "{header:?} of {available:?}"
            );
        }
    }

    #[test]
    fn q_values() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.05"), Some(50));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("x"), None);
    }
}
