//! The site's `_headers` and `_redirects` rules (parsed by the loader,
//! [`crate::site::rules`]) applied to a request: Basic-Auth, redirects and
//! rewrites, and the headers of the response.

use http::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};

use crate::site::rules::{serves, HeaderEdit, HeaderRule, PathRules, Redirect};

/// What the redirect rules say about a path.
pub enum RedirectRule {
    /// No rule matched.
    None,
    /// Redirect with this status to this Location.
    Redirect(StatusCode, HeaderValue),
    /// Serve this path of the site instead, with this status (a 200, 404 or 410 rule).
    Rewrite(String, StatusCode),
}

/// The first rule matching `path` (forced rules only, or unforced only).
pub fn first_redirect(
    redirects: &[Redirect],
    path: &str,
    query: Option<&str>,
    forced: bool,
) -> RedirectRule {
    for rule in redirects.iter().filter(|rule| rule.force == forced) {
        let Some(captures) = rule.from.matches(path) else {
            continue;
        };
        if serves(rule.status) {
            let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::OK);
            return RedirectRule::Rewrite(captures.substitute(&rule.to), status);
        }
        let target = captures.substitute_location(&rule.to);
        let mut location = encode_location(&target);
        // The request's query goes along unless the target has its own.
        if let (Some(query), false) = (query, target.contains('?')) {
            location.push('?');
            location.push_str(query);
        }
        let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::MOVED_PERMANENTLY);
        match HeaderValue::try_from(location) {
            Ok(value) => return RedirectRule::Redirect(status, value),
            Err(_) => continue,
        }
    }
    RedirectRule::None
}

/// Whether the request may see a path that `rule` (its first matching Basic-Auth
/// rule) guards: its `Authorization: Basic` token is one of the rule's
/// credentials (compared in constant time).
pub fn authorized(rule: &HeaderRule, headers: &HeaderMap) -> bool {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(token.trim())
        });
    let Some(token) = token else { return false };
    // Every credential is compared, so the time does not say which one was close.
    rule.basic_auth.iter().fold(false, |ok, expected| {
        ok | constant_time_eq(expected.as_bytes(), token.as_bytes())
    })
}

/// The headers of a 401 for a Basic-Auth rule.
pub fn challenge(headers: &mut HeaderMap) {
    headers.insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"mote\", charset=\"UTF-8\""),
    );
}

/// Applies a path's `_headers` rules to a response's headers (worked out by
/// [`PathRules`]: a rule's header replaces one mote set and adds to one an
/// earlier matching rule set; `! Name` removes).
pub fn apply_headers(rules: &PathRules, headers: &mut HeaderMap) {
    for edit in &rules.edits {
        match edit {
            HeaderEdit::Set(name, value) => {
                headers.insert(name.clone(), value.clone());
            }
            HeaderEdit::Append(name, value) => {
                headers.append(name.clone(), value.clone());
            }
            HeaderEdit::Remove(name) => {
                headers.remove(name);
            }
        }
    }
}

/// A Location from a target with request text substituted in: bytes a header
/// or a URL cannot carry are percent-encoded.
fn encode_location(target: &str) -> String {
    let mut out = String::with_capacity(target.len());
    for &b in target.as_bytes() {
        if b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Compares without returning early, so the time taken does not tell an attacker
/// how much of a guessed credential was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison() {
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
