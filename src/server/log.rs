//! The access log: one line per request on stdout, written when the response body
//! is done, so the duration covers sending it.
//!
//! `2026-11-22T23:10:27.123Z 127.0.0.1 GET /index.html 200 1234 0.052ms`
//! (time, client, method, path without query, status, body bytes sent, duration).

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{Method, Request, StatusCode};

pub struct AccessRecord {
    started: Instant,
    peer: IpAddr,
    method: Method,
    path: String,
    status: StatusCode,
    /// The body's length, set when the record is attached to it.
    pub body_len: u64,
}

impl AccessRecord {
    pub fn new<B>(
        started: Instant,
        peer: IpAddr,
        request: &Request<B>,
        status: StatusCode,
    ) -> Self {
        AccessRecord {
            started,
            peer,
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            status,
            body_len: 0,
        }
    }

    /// Writes the line; `unsent` is what the body still held when it was dropped
    /// (non-zero when the client went away mid-transfer).
    pub fn write(self, unsent: u64) {
        let mut line = String::with_capacity(96 + self.path.len());
        let _ = write!(
            line,
            "{} {} {} {} {} ",
            rfc3339_now(),
            self.peer,
            self.method,
            self.path,
            self.status.as_u16()
        );
        let _ = writeln!(
            line,
            "{} {:.3}ms",
            self.body_len.saturating_sub(unsent),
            self.started.elapsed().as_secs_f64() * 1000.0
        );
        // One write per line; a closed stdout must not take the server down.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

/// The current UTC time as `YYYY-MM-DDThh:mm:ss.mmmZ`.
pub fn rfc3339_now() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since_epoch.subsec_millis()
    )
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
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
    }
}
