//! The site's `_headers` and `_redirects` rules (parsed by the loader,
//! [`crate::site::rules`]) applied to a request: Basic-Auth, redirects and
//! rewrites, and the headers of the response.

use http::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};

use crate::site::rules::{constant_time_eq, HeaderRule, Redirect};

/// What the redirect rules say about a path.
pub enum Routed {
    /// No rule matched.
    None,
    /// Redirect with this status to this Location.
    Redirect(StatusCode, HeaderValue),
    /// Serve this path of the site instead (a 200 rule).
    Rewrite(String),
}

/// The first rule matching `path` (forced rules only, or unforced only).
pub fn route(redirects: &[Redirect], path: &str, query: Option<&str>, forced: bool) -> Routed {
    for rule in redirects.iter().filter(|rule| rule.force == forced) {
        let Some(captures) = rule.from.matches(path) else {
            continue;
        };
        let target = captures.substitute(&rule.to);
        if rule.status == 200 {
            return Routed::Rewrite(target);
        }
        let mut location = encode_location(&target);
        // The request's query goes along unless the target has its own.
        if let (Some(query), false) = (query, target.contains('?')) {
            location.push('?');
            location.push_str(query);
        }
        let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::MOVED_PERMANENTLY);
        match HeaderValue::try_from(location) {
            Ok(value) => return Routed::Redirect(status, value),
            Err(_) => continue,
        }
    }
    Routed::None
}

/// Whether the request may see `path`: no Basic-Auth rule matches it, or its
/// `Authorization: Basic` token is one of the matching rule's credentials
/// (compared in constant time).
pub fn authorized(rules: &[HeaderRule], path: &str, headers: &HeaderMap) -> bool {
    let Some(rule) = rules
        .iter()
        .find(|rule| !rule.basic_auth.is_empty() && rule.applies_to(path))
    else {
        return true;
    };
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

/// Applies every rule matching `path` to a response's headers, in file order: a
/// rule's header replaces one mote set, and adds to one an earlier matching rule
/// set (several field lines, which HTTP reads as one list); `! Name` removes. No
/// allocation for sites with up to 128 rules.
pub fn apply_headers(rules: &[HeaderRule], path: &str, headers: &mut HeaderMap) {
    let mut matched = Matched::new(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        if !rule.applies_to(path) {
            continue;
        }
        for (name, value) in &rule.set {
            let set_before = (0..i).any(|j| {
                matched.contains(j) && rules[j].set.iter().any(|(other, _)| other == name)
            });
            if set_before {
                headers.append(name.clone(), value.clone());
            } else {
                headers.insert(name.clone(), value.clone());
            }
        }
        for name in &rule.remove {
            headers.remove(name);
        }
        matched.insert(i);
    }
}

/// The rules that matched so far: bits for the usual handful, a vector beyond.
enum Matched {
    Bits(u128),
    Many(Vec<bool>),
}

impl Matched {
    fn new(rules: usize) -> Self {
        match rules {
            0..=128 => Matched::Bits(0),
            n => Matched::Many(vec![false; n]),
        }
    }

    fn insert(&mut self, i: usize) {
        match self {
            Matched::Bits(bits) => *bits |= 1 << i,
            Matched::Many(flags) => flags[i] = true,
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            Matched::Bits(bits) => *bits & (1 << i) != 0,
            Matched::Many(flags) => flags[i],
        }
    }
}

impl HeaderRule {
    fn applies_to(&self, path: &str) -> bool {
        self.pattern.matches(path).is_some()
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
