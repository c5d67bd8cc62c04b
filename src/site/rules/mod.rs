//! The site's own per-path rules: `_headers` and `_redirects`, in the common
//! subset of the formats Netlify and Cloudflare Pages document, read once at
//! start. No configuration language of mote's own: a site that already deploys
//! to one of those hosts brings its rules along.
//!
//! Patterns are URL paths: `*` (a splat) matches anything, slashes included, and
//! `:name` one path segment. In `_headers`, indented `Name: value` lines under a
//! pattern apply to every response whose path it matches (all matching blocks,
//! values of one name joined with `, `); `! Name` removes a header; `Basic-Auth:
//! user:password [user2:password2]` protects the paths. In `_redirects`, a line is
//! `from to [status]`: 301 (the default), 302, 303, 307, 308, 200 to serve
//! another file of the site, or 404 or 410 to serve one with that status; the splat and placeholders carry into `to`, which may
//! be an absolute URL. A rule applies only where no file answers the path (as on
//! Netlify), unless its status ends in `!` (forced).

use std::fmt;

mod headers;
mod pattern;
mod redirects;

pub use headers::{
    first_guard, matching, parse_headers, refuse_framing, rule_path, HeaderEdit, HeaderRule,
    PathRules, FRAMING_FIELDS, MAX_HEADER_RULES,
};
pub use pattern::{Captures, Pattern, MAX_PARTS};
pub use redirects::{parse_redirects, serves, Redirect, MAX_HOPS, MAX_REDIRECTS};

/// The longest line a rule file may have (Cloudflare Pages allows 2,000
/// characters; a little more here).
pub const MAX_LINE: usize = 4096;

fn check_line_length(raw: &str) -> Result<(), String> {
    match raw.len() > MAX_LINE {
        true => Err(format!("the line is longer than {MAX_LINE} bytes")),
        false => Ok(()),
    }
}

/// The line without its comment: a `#` at the start or after white space begins
/// one (Netlify's parser); inside a word it is text (`/x#top`, `report-uri /csp#a`).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let start = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()));
    match start {
        Some(i) => &line[..i],
        None => line,
    }
}

/// A syntax error in one of the rule files: which file, which line, what.
#[derive(Debug)]
pub struct RuleError {
    /// The file's name as given.
    pub file: String,
    /// From 1.
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.why)
    }
}
