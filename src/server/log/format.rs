//! The bytes of a line, written by hand: digits, addresses, the RFC 3339 time and
//! escapes, each checked against what `Display` would write.

use std::cell::Cell;
use std::io::Write as _;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A longer field is cut, with [`CUT`] after it.
pub const MAX_FIELD: usize = 1024;
/// What follows a cut field.
pub const CUT: &str = "...[cut]";

/// What one access-log line says (borrowed from the request's record).
pub struct Entry<'a> {
    /// The peer's address.
    pub client: IpAddr,
    /// The request method.
    pub method: &'a str,
    /// The request path, without the query.
    pub path: &'a str,
    /// Whether the request had a query (its text is never logged).
    pub query: bool,
    /// The response status.
    pub status: u16,
    /// Body bytes sent.
    pub sent: u64,
    /// From the request to the end of its body.
    pub micros: u128,
    /// For the JSON format: the request's User-Agent, Referer and X-Forwarded-For.
    pub user_agent: Option<&'a [u8]>,
    /// See `user_agent`.
    pub referer: Option<&'a [u8]>,
    /// See `user_agent`.
    pub forwarded_for: Option<&'a [u8]>,
}

// Lines are written by hand, not with `write!`: core::fmt cost about 5,000
// instructions per line, a sixth of a 1 KB request (bench/instructions.py).
impl Entry<'_> {
    /// `time client method path status bytes duration`, space-separated.
    pub fn text(&self, line: &mut Vec<u8>, now: SystemTime) {
        push_rfc3339(line, now);
        line.push(b' ');
        push_ip(line, self.client);
        line.push(b' ');
        line.extend_from_slice(self.method.as_bytes());
        line.push(b' ');
        escaped_text(line, self.path.as_bytes());
        line.push(b' ');
        line.extend_from_slice(&three_digits(self.status));
        line.push(b' ');
        push_u64(line, self.sent, 1);
        line.push(b' ');
        push_millis(line, self.micros);
        line.extend_from_slice(b"ms\n");
    }

    /// One JSON object.
    pub fn json(&self, line: &mut Vec<u8>, now: SystemTime) {
        line.extend_from_slice(b"{\"time\":\"");
        push_rfc3339(line, now);
        line.extend_from_slice(b"\",\"client\":\"");
        push_ip(line, self.client);
        line.extend_from_slice(b"\",\"method\":");
        json_string(line, Some(self.method.as_bytes()));
        line.extend_from_slice(b",\"path\":");
        json_string(line, Some(self.path.as_bytes()));
        line.extend_from_slice(match self.query {
            true => b",\"query\":true,\"status\":",
            false => b",\"query\":false,\"status\":",
        });
        line.extend_from_slice(&three_digits(self.status));
        line.extend_from_slice(b",\"bytes\":");
        push_u64(line, self.sent, 1);
        line.extend_from_slice(b",\"duration_ms\":");
        push_millis(line, self.micros);
        line.extend_from_slice(b",\"user_agent\":");
        json_string(line, self.user_agent);
        line.extend_from_slice(b",\"referer\":");
        json_string(line, self.referer);
        line.extend_from_slice(b",\"x_forwarded_for\":");
        json_string(line, self.forwarded_for);
        line.extend_from_slice(b"}\n");
    }
}

/// `bytes` as text, control bytes, backslashes and non-ASCII as `\xNN`, cut at
/// [`MAX_FIELD`].
fn escaped_text(out: &mut Vec<u8>, bytes: &[u8]) {
    escape(
        out,
        bytes,
        |b| b.is_ascii_graphic() && b != b'\\',
        |out, b| {
            out.extend_from_slice(b"\\x");
            push_hex(out, b);
        },
    );
}

/// `bytes` as a JSON string (`null` for none): quotes, backslashes, control and
/// non-ASCII bytes escaped (`\u00XX`, byte by byte: header values need not be
/// UTF-8), cut at [`MAX_FIELD`].
fn json_string(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    let Some(bytes) = bytes else {
        out.extend_from_slice(b"null");
        return;
    };
    out.push(b'"');
    let plain = |b: u8| matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\';
    escape(out, bytes, plain, |out, b| match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        _ => {
            out.extend_from_slice(b"\\u00");
            push_hex(out, b);
        }
    });
    out.push(b'"');
}

/// Copies the first [`MAX_FIELD`] bytes, runs of `plain` ones at once and each
/// other one through `escaped`, then [`CUT`] if there was more.
fn escape(
    out: &mut Vec<u8>,
    bytes: &[u8],
    plain: impl Fn(u8) -> bool,
    escaped: impl Fn(&mut Vec<u8>, u8),
) {
    let mut rest = &bytes[..bytes.len().min(MAX_FIELD)];
    while let Some(i) = rest.iter().position(|&b| !plain(b)) {
        out.extend_from_slice(&rest[..i]);
        escaped(out, rest[i]);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    if bytes.len() > MAX_FIELD {
        out.extend_from_slice(CUT.as_bytes());
    }
}

/// Two lowercase hex digits.
fn push_hex(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
}

/// `n` in decimal, zero-padded to at least `width` digits.
fn push_u64(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while n > 0 || start == digits.len() {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits[start.min(digits.len() - width.min(20))..]);
}

/// `n` (below 1000) as three digits, zero-padded: a status code, milliseconds.
fn three_digits(n: u16) -> [u8; 3] {
    [
        b'0' + (n / 100 % 10) as u8,
        b'0' + (n / 10 % 10) as u8,
        b'0' + (n % 10) as u8,
    ]
}

/// A duration in microseconds as milliseconds with three decimals: `12.345`.
fn push_millis(out: &mut Vec<u8>, micros: u128) {
    push_u64(out, (micros / 1000) as u64, 1);
    let [a, b, c] = three_digits((micros % 1000) as u16);
    out.extend_from_slice(&[b'.', a, b, c]);
}

/// The client's address as `Display` writes it (IPv4 by hand, the common case).
fn push_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            // Assembled on the stack and copied once: one call per field, not per digit.
            let mut text = [0u8; 15];
            let mut len = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    text[len] = b'.';
                    len += 1;
                }
                if octet >= 100 {
                    text[len] = b'0' + octet / 100;
                    len += 1;
                }
                if octet >= 10 {
                    text[len] = b'0' + octet / 10 % 10;
                    len += 1;
                }
                text[len] = b'0' + octet % 10;
                len += 1;
            }
            out.extend_from_slice(&text[..len]);
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

/// A time as `YYYY-MM-DDThh:mm:ss.mmmZ` (UTC).
fn push_rfc3339(out: &mut Vec<u8>, time: SystemTime) {
    out.extend_from_slice(&rfc3339(time));
}

thread_local! {
    /// The last second a line was stamped with on this thread, and its text: lines
    /// come many to a second, and only the milliseconds change between them.
    static STAMPED: Cell<(u64, [u8; 24])> = const { Cell::new((u64::MAX, [0; 24])) };
}

/// `YYYY-MM-DDThh:mm:ss.mmmZ`; the calendar worked out once a second per thread.
fn rfc3339(time: SystemTime) -> [u8; 24] {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (second, mut text) = STAMPED.get();
    if second != secs {
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        let year = year.clamp(0, 9999) as u64;
        let fields = [
            (0, year / 100),
            (2, year % 100),
            (5, month.into()),
            (8, day.into()),
            (11, rem / 3600),
            (14, rem / 60 % 60),
            (17, rem % 60),
        ];
        for (at, value) in fields {
            text[at] = b'0' + (value / 10) as u8;
            text[at + 1] = b'0' + (value % 10) as u8;
        }
        for (at, separator) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
            text[at] = separator;
        }
        text[19] = b'.';
        text[23] = b'Z';
        STAMPED.set((secs, text));
    }
    text[20..23].copy_from_slice(&three_digits(since_epoch.subsec_millis() as u16));
    text
}

/// Days since 1970-01-01 -> (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut out = Vec::new();
        escaped_text(&mut out, b"/a b\n\\\xff");
        assert_eq!(out, b"/a\\x20b\\x0a\\x5c\\xff");
        let mut out = Vec::new();
        json_string(&mut out, Some(b"say \"hi\"\t\\ \xc3\xa9"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""say \"hi\"\u0009\\ \u00c3\u00a9""#
        );
        let mut out = Vec::new();
        json_string(&mut out, Some(&[b'a'; 2000]));
        assert_eq!(out.len(), 1 + MAX_FIELD + CUT.len() + 1);
        let mut out = Vec::new();
        json_string(&mut out, None);
        assert_eq!(out, b"null");
    }

    #[test]
    fn timestamps() {
        let formatted = |millis: u64| {
            let mut out = Vec::new();
            push_rfc3339(
                &mut out,
                UNIX_EPOCH + std::time::Duration::from_millis(millis),
            );
            String::from_utf8(out).unwrap()
        };
        assert_eq!(formatted(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(formatted(951_782_405_007), "2000-02-29T00:00:05.007Z");
        assert_eq!(formatted(0), "1970-01-01T00:00:00.000Z");
        // The calendar part is kept per second: the same second, then back and on.
        assert_eq!(formatted(4_000), "1970-01-01T00:00:04.000Z");
        assert_eq!(formatted(4_999), "1970-01-01T00:00:04.999Z");
        assert_eq!(formatted(3_500), "1970-01-01T00:00:03.500Z");
        assert_eq!(formatted(86_400_000 + 4_001), "1970-01-02T00:00:04.001Z");
        assert_eq!(formatted(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn numbers_and_addresses() {
        let text = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut out = Vec::new();
            f(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(&|o| push_u64(o, 0, 1)), "0");
        assert_eq!(text(&|o| push_u64(o, 7, 3)), "007");
        assert_eq!(text(&|o| push_u64(o, 1234, 3)), "1234");
        assert_eq!(text(&|o| push_u64(o, u64::MAX, 1)), u64::MAX.to_string());
        assert_eq!(text(&|o| push_millis(o, 12_045)), "12.045");
        assert_eq!(text(&|o| push_millis(o, 7)), "0.007");
        assert_eq!(text(&|o| push_millis(o, 3_600_999_999)), "3600999.999");
        assert_eq!(text(&|o| o.extend_from_slice(&three_digits(200))), "200");
        assert_eq!(text(&|o| o.extend_from_slice(&three_digits(304))), "304");
        for ip in ["127.0.0.1", "0.0.0.0", "255.10.0.200", "::1", "2001:db8::7"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(text(&|o| push_ip(o, ip)), ip.to_string());
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
    }
}
