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
//! `from to [status]`: 301 (the default), 302, 303, 307, 308, or 200 to serve
//! another file of the site; the splat and placeholders carry into `to`, which may
//! be an absolute URL. A rule applies only where no file answers the path (as on
//! Netlify), unless its status ends in `!` (forced).

use std::fmt;

mod headers;
mod pattern;
mod redirects;

pub use headers::{matching, parse_headers, rule_path, HeaderEdit, HeaderRule, PathRules};
pub use pattern::{Captures, Pattern};
pub use redirects::{parse_redirects, Redirect};

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
