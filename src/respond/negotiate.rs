//! Accept-Encoding negotiation (RFC 9110 §12.5.3) over the precompressed siblings
//! a resource has.

use http::header::{GetAll, ACCEPT_ENCODING};
use http::{HeaderMap, HeaderValue};

use crate::content_coding::ContentCoding;

/// The index in `available` of the coding to send. `available[0]` must be identity
/// and the rest in preference order. Picks the highest q-value; equal q-values go to
/// the earlier (preferred) coding, identity last unless the client rates it higher.
/// When the client accepts nothing we have, identity is sent anyway (RFC 9110 allows
/// ignoring the header rather than answering 406, and every browser copes).
/// Repeated `Accept-Encoding` fields are one list, as RFC 9110 §5.3 combines them.
pub fn choose(headers: &HeaderMap, available: &[ContentCoding]) -> usize {
    if available.len() == 1 {
        return 0;
    }
    let header = AcceptEncoding(headers.get_all(ACCEPT_ENCODING));
    if header.items().next().is_none() {
        return 0;
    }
    let mut best = 0;
    // Identity not named is acceptable at a rank below every named coding.
    let mut best_q = header.q_for(ContentCoding::Identity).unwrap_or(0);
    let identity_named = header.q_named(ContentCoding::Identity).is_some();
    for (i, &coding) in available.iter().enumerate().skip(1) {
        let q = header.q_for(coding).unwrap_or(0);
        if q > best_q || (q == best_q && q > 0 && best == 0 && !identity_named) {
            best = i;
            best_q = q;
        }
    }
    best
}

/// Every `Accept-Encoding` field of a request, read as one comma-separated list.
struct AcceptEncoding<'a>(GetAll<'a, HeaderValue>);

impl AcceptEncoding<'_> {
    /// The list's items (`br;q=0.5`), across all fields; fields that are not
    /// visible ASCII are ignored.
    fn items(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter(|item| !item.trim().is_empty())
    }

    /// The q-value (in thousandths) the header gives a coding, by name or through `*`;
    /// `None` when neither is present. Identity is acceptable (q>0) unless excluded.
    fn q_for(&self, coding: ContentCoding) -> Option<u16> {
        match self.q_named(coding) {
            Some(q) => Some(q),
            None => match self.q_token("*") {
                Some(q) => Some(q),
                None if coding == ContentCoding::Identity => Some(1),
                None => None,
            },
        }
    }

    fn q_named(&self, coding: ContentCoding) -> Option<u16> {
        self.q_token(coding.token()).or_else(|| match coding {
            ContentCoding::Gzip => self.q_token("x-gzip"),
            _ => None,
        })
    }

    /// The q-value of `token` in the list, in thousandths (1.0 = 1000).
    fn q_token(&self, token: &str) -> Option<u16> {
        self.items().find_map(|item| {
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
    use ContentCoding::*;

    const ALL: [ContentCoding; 4] = [Identity, Brotli, Zstd, Gzip];

    fn pick_all(fields: &[&str], available: &[ContentCoding]) -> ContentCoding {
        let mut headers = HeaderMap::new();
        for field in fields {
            headers.append(ACCEPT_ENCODING, HeaderValue::from_str(field).unwrap());
        }
        available[choose(&headers, available)]
    }

    fn pick(header: Option<&str>, available: &[ContentCoding]) -> ContentCoding {
        pick_all(header.as_slice(), available)
    }

    #[test]
    fn repeated_fields_are_one_list() {
        assert_eq!(pick_all(&["gzip", "br"], &ALL), Brotli);
        assert_eq!(pick_all(&["br;q=0.1", "gzip"], &ALL), Gzip);
        assert_eq!(pick_all(&["identity;q=0", "gzip;q=0.5"], &ALL), Gzip);
        assert_eq!(pick_all(&["", "zstd"], &ALL), Zstd);
    }

    #[test]
    fn negotiation_table() {
        let cases: &[(Option<&str>, &[ContentCoding], ContentCoding)] = &[
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
