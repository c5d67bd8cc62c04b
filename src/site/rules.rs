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

use http::header::{HeaderName, HeaderValue};

/// A path pattern: literal text, `*` and `:name` segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `:name`: one segment (no `/`).
    Placeholder(String),
    /// `*`: anything, `/` included.
    Splat,
}

/// What a pattern captured: placeholders by name and the splat.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Captures<'a> {
    named: Vec<(&'a str, &'a str)>,
    splat: Option<&'a str>,
}

impl Pattern {
    /// Parses `/blog/:year/*`. Must start with `/`.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if !text.starts_with('/') {
            return Err(format!(
                "'{text}' is not a path pattern (it must start with '/'; host-specific rules are not supported)"
            ));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let at_segment_start = i == 0 || text[..i].ends_with('/');
            match c {
                '*' => {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Splat);
                }
                ':' if at_segment_start => {
                    let mut name = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if c.is_ascii_alphanumeric() || c == '_' {
                            name.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    if name.is_empty() {
                        return Err(format!("'{text}': ':' must start a placeholder name"));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Placeholder(name));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        // One splat, followed by nothing or by literal text (`/*.css`): then a
        // match costs one pass over the path whatever a client sends, as the
        // hosts' own formats allow.
        if let Some(splat) = parts.iter().position(|p| *p == Part::Splat) {
            let after = &parts[splat + 1..];
            if !matches!(after, [] | [Part::Literal(_)]) {
                return Err(format!(
                    "'{text}': one '*' per pattern, with only plain text after it"
                ));
            }
        }
        Ok(Pattern { parts })
    }

    /// Matches a whole decoded path (`/docs/a.html`).
    pub fn matches<'a>(&'a self, path: &'a str) -> Option<Captures<'a>> {
        let mut captures = Captures::default();
        match_parts(&self.parts, path, &mut captures).then_some(captures)
    }
}

fn match_parts<'a>(parts: &'a [Part], path: &'a str, captures: &mut Captures<'a>) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return path.is_empty();
    };
    match first {
        Part::Literal(text) => path
            .strip_prefix(text.as_str())
            .is_some_and(|tail| match_parts(rest, tail, captures)),
        Part::Placeholder(name) => {
            let end = path.find('/').unwrap_or(path.len());
            // A placeholder takes a whole, non-empty segment.
            (end > 0) && {
                captures.named.push((name, &path[..end]));
                match_parts(rest, &path[end..], captures) || {
                    captures.named.pop();
                    false
                }
            }
        }
        // Parse guarantees what follows a splat: nothing, or one literal suffix.
        Part::Splat => {
            let suffix = match rest {
                [Part::Literal(text)] => text.as_str(),
                _ => "",
            };
            match path.strip_suffix(suffix) {
                Some(splat) => {
                    captures.splat = Some(splat);
                    true
                }
                None => false,
            }
        }
    }
}

impl Captures<'_> {
    /// `to` with `:splat` and `:name` replaced by what was captured.
    pub fn substitute(&self, to: &str) -> String {
        let mut out = String::with_capacity(to.len() + 16);
        let mut rest = to;
        while let Some(i) = rest.find(':') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..name_len];
            let value = if name == "splat" {
                self.splat
            } else {
                self.named.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
            };
            match value {
                Some(value) if !name.is_empty() => out.push_str(value),
                _ => {
                    out.push(':');
                    out.push_str(name);
                }
            }
            rest = &after[name_len..];
        }
        out.push_str(rest);
        out
    }
}

/// One block of `_headers`.
#[derive(Debug)]
pub struct HeaderRule {
    /// The paths it applies to.
    pub pattern: Pattern,
    /// Headers to set (joined with those of earlier matching blocks).
    pub set: Vec<(HeaderName, HeaderValue)>,
    /// Headers to remove (`! Name`).
    pub remove: Vec<HeaderName>,
    /// `Basic-Auth` credentials, each `user:password` base64-encoded as the
    /// `Authorization: Basic` token a client sends.
    pub basic_auth: Vec<String>,
}

/// What `_headers` does to the responses of one path, worked out once: the site
/// is immutable, so each file's and directory's own path is matched against the
/// rules at load, and a request for it applies the result without matching.
#[derive(Debug, Default, Clone)]
pub struct PathRules {
    /// The header changes, in file order.
    pub edits: Vec<HeaderEdit>,
    /// The first matching rule with `Basic-Auth` (an index into the rules).
    pub basic_auth: Option<usize>,
}

/// One change a `_headers` rule makes to a response's headers.
#[derive(Debug, Clone)]
pub enum HeaderEdit {
    /// Replace what the response has of this name (mote's own, or `-H`).
    Set(HeaderName, HeaderValue),
    /// Add a field line: an earlier matching rule set this name (HTTP reads the
    /// lines as one list).
    Append(HeaderName, HeaderValue),
    /// `! Name`.
    Remove(HeaderName),
}

impl PathRules {
    /// No rules: what most paths of most sites have.
    pub const NONE: PathRules = PathRules {
        edits: Vec::new(),
        basic_auth: None,
    };

    /// The rules for `path` (`/docs/a.html`, `/docs/`).
    pub fn for_path(rules: &[HeaderRule], path: &str) -> PathRules {
        PathRules::of(rules, &matching(rules, path))
    }

    /// The rules of these matching rules (indices in file order).
    pub fn of(rules: &[HeaderRule], matched: &[usize]) -> PathRules {
        let mut edits = Vec::new();
        for (n, &i) in matched.iter().enumerate() {
            let set = &rules[i].set;
            for (k, (name, value)) in set.iter().enumerate() {
                // By an earlier rule, or on an earlier line of this one (Netlify's
                // multi-value fields: `Link:` twice in a block sends both).
                let set_before = set[..k].iter().any(|(other, _)| other == name)
                    || matched[..n]
                        .iter()
                        .any(|&j| rules[j].set.iter().any(|(other, _)| other == name));
                edits.push(match set_before {
                    true => HeaderEdit::Append(name.clone(), value.clone()),
                    false => HeaderEdit::Set(name.clone(), value.clone()),
                });
            }
            edits.extend(rules[i].remove.iter().cloned().map(HeaderEdit::Remove));
        }
        PathRules {
            edits,
            basic_auth: matched
                .iter()
                .copied()
                .find(|&i| !rules[i].basic_auth.is_empty()),
        }
    }
}

/// The path rules match for a site key: `/docs/a.html` for a file, `/docs/` for
/// a directory (asked for with its trailing slash), `/` for the root.
pub fn rule_path(key: &str, directory: bool) -> String {
    let mut path = String::with_capacity(key.len() + 2);
    path.push('/');
    path.push_str(key);
    if directory && !key.is_empty() {
        path.push('/');
    }
    path
}

/// The indices of the rules whose pattern matches `path`, in file order.
pub fn matching(rules: &[HeaderRule], path: &str) -> Vec<usize> {
    (0..rules.len())
        .filter(|&i| rules[i].pattern.matches(path).is_some())
        .collect()
}

/// One line of `_redirects`.
#[derive(Debug)]
pub struct Redirect {
    /// The paths it applies to.
    pub from: Pattern,
    /// The target, with `:splat` and `:name` to fill in.
    pub to: String,
    /// 301, 302, 303, 307, 308, or 200 (serve `to` from the site).
    pub status: u16,
    /// Applies even where a file answers the path (`301!`).
    pub force: bool,
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

/// Parses `_headers`. `file` names it in errors.
pub fn parse_headers(text: &str, file: &str) -> Result<Vec<HeaderRule>, RuleError> {
    let mut rules: Vec<HeaderRule> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let error = |why: String| RuleError {
            file: file.to_string(),
            line: index + 1,
            why,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if !indented {
            let pattern = Pattern::parse(line).map_err(error)?;
            rules.push(HeaderRule {
                pattern,
                set: Vec::new(),
                remove: Vec::new(),
                basic_auth: Vec::new(),
            });
            continue;
        }
        let Some(rule) = rules.last_mut() else {
            return Err(error("a header line before any path pattern".into()));
        };
        if let Some(name) = line.strip_prefix('!') {
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| error(format!("'{}' is not a header name", name.trim())))?;
            rule.remove.push(name);
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(error(format!(
                "expected 'Name: value' or '! Name', got '{line}'"
            )));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("basic-auth") {
            for pair in value.split_whitespace() {
                if !pair.contains(':') {
                    return Err(error(format!(
                        "Basic-Auth wants user:password pairs, got '{pair}'"
                    )));
                }
                rule.basic_auth.push(base64(pair.as_bytes()));
            }
            if rule.basic_auth.is_empty() {
                return Err(error("Basic-Auth without a user:password".into()));
            }
            continue;
        }
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| error(format!("'{name}' is not a header name")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| error(format!("the value of {name} is not a valid header value")))?;
        rule.set.push((header, value));
    }
    Ok(rules)
}

/// Parses `_redirects`. `file` names it in errors; `is_file` says whether a path
/// is a file of the site (a redirect onto its own pattern loops unless a file
/// answers the target).
pub fn parse_redirects(
    text: &str,
    file: &str,
    is_file: impl Fn(&str) -> bool,
) -> Result<Vec<Redirect>, RuleError> {
    let mut rules = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let error = |why: String| RuleError {
            file: file.to_string(),
            line: index + 1,
            why,
        };
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (from, to, status) = match fields[..] {
            [from, to] => (from, to, "301"),
            [from, to, status] => (from, to, status),
            _ => {
                return Err(error(format!(
                    "expected 'from to [status]', got {} fields (query and country conditions are not supported)",
                    fields.len()
                )))
            }
        };
        let (status, force) = match status.strip_suffix('!') {
            Some(status) => (status, true),
            None => (status, false),
        };
        let status: u16 = match status.parse() {
            Ok(code @ (200 | 301 | 302 | 303 | 307 | 308)) => code,
            _ => {
                return Err(error(format!(
                    "status '{status}': use 301, 302, 303, 307, 308, or 200 to serve another file"
                )))
            }
        };
        let from = Pattern::parse(from).map_err(error)?;
        let absolute = to.starts_with("http://") || to.starts_with("https://");
        if !absolute && !to.starts_with('/') {
            return Err(error(format!(
                "target '{to}' must be a path (/...) or an http(s) URL"
            )));
        }
        if status == 200 && absolute {
            return Err(error(
                "a 200 rule serves a file of the site: its target must be a path".into(),
            ));
        }
        if HeaderValue::from_str(to).is_err() {
            return Err(error(format!("target '{to}' is not a valid Location")));
        }
        // A redirect whose target its own pattern matches sends the client round
        // in a circle (unless a file answers the target first).
        if status != 200 && !absolute {
            let target_path = to.split('?').next().unwrap_or(to);
            if from.matches(target_path).is_some() && (force || !is_file(target_path)) {
                return Err(error(format!(
                    "the rule redirects to itself: '{to}' matches its own pattern"
                )));
            }
        }
        rules.push(Redirect {
            from,
            to: to.to_string(),
            status,
            force,
        });
    }
    Ok(rules)
}

/// Standard base64 with padding, for the Basic-Auth tokens (`user:pass` ->
/// `dXNlcjpwYXNz`).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Compares without returning early, so the time taken does not tell an attacker
/// how much of a guessed credential was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Pattern::parse(pattern).unwrap().matches(path).is_some()
    }

    #[test]
    fn patterns() {
        assert!(m("/", "/"));
        assert!(m("/a.html", "/a.html") && !m("/a.html", "/a.htm"));
        assert!(m("/*", "/") && m("/*", "/x/y/z.js"));
        assert!(m("/blog/*", "/blog/") && m("/blog/*", "/blog/2024/x") && !m("/blog/*", "/blog"));
        assert!(m("/u/:id", "/u/jane.doe") && !m("/u/:id", "/u/") && !m("/u/:id", "/u/a/b"));
        assert!(m("/*.css", "/a/b.css") && !m("/*.css", "/a/b.js"));
        let p = Pattern::parse("/news/:year/*").unwrap();
        let c = p.matches("/news/2024/a/b").unwrap();
        assert_eq!(c.substitute("/blog/:year/:splat"), "/blog/2024/a/b");
        assert_eq!(c.substitute("/x/:unknown"), "/x/:unknown");
        assert!(Pattern::parse("news").is_err() && Pattern::parse("/a/:").is_err());
        // Patterns whose matching could cost more than one pass are refused.
        assert!(Pattern::parse("/*/*").is_err() && Pattern::parse("/*/:id").is_err());
        assert!(m("/a/*/b", "/a/x/y/b") && !m("/a/*/b", "/a/x/y/c"));
    }

    #[test]
    fn headers_file() {
        let rules = parse_headers(
            "# comment\n/*\n  X-Frame-Options: DENY\n  ! X-Powered-By\n/admin/*\n  Basic-Auth: user:pass other:secret\n",
            "_headers",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].set[0].1, "DENY");
        assert_eq!(rules[0].remove[0], "x-powered-by");
        assert_eq!(rules[1].basic_auth, ["dXNlcjpwYXNz", "b3RoZXI6c2VjcmV0"]);
        for (text, line, why) in [
            ("  X-A: 1\n", 1, "before any path pattern"),
            ("/a\n  no colon here\n", 2, "expected 'Name: value'"),
            ("/a\n  Bad Name: 1\n", 2, "not a header name"),
            ("nope\n", 1, "must start with '/'"),
            ("/a\n  Basic-Auth: justuser\n", 2, "user:password"),
        ] {
            let e = parse_headers(text, "_headers").unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(e.why.contains(why), "{text:?}: {e}");
        }
    }

    #[test]
    fn redirects_file() {
        let no_files = |_: &str| false;
        let rules = parse_redirects(
            "/old /new\n/news/* /blog/:splat 302 # moved\n/app/* /index.html 200\n/x https://example.com/y 308!\n",
            "_redirects",
            no_files,
        )
        .unwrap();
        assert_eq!(
            rules
                .iter()
                .map(|r| (r.status, r.force))
                .collect::<Vec<_>>(),
            [(301, false), (302, false), (200, false), (308, true)]
        );
        for (text, why) in [
            ("/a /a\n", "redirects to itself"),
            ("/a/* /a/:splat 302\n", "redirects to itself"),
            ("/a /b 404\n", "use 301"),
            ("/a\n", "expected 'from to [status]'"),
            ("/a /b 301 Country=nz\n", "not supported"),
            ("/a b\n", "must be a path"),
            ("/a https://x/ 200\n", "must be a path"),
        ] {
            let e = parse_redirects(text, "_redirects", no_files).unwrap_err();
            assert!(e.why.contains(why), "{text:?}: {e}");
            assert_eq!(e.to_string().split(':').next(), Some("_redirects line 1"));
        }
        // A file answering the target breaks the circle.
        assert!(parse_redirects("/* /index.html 301\n", "r", |p| p == "/index.html").is_ok());
    }

    #[test]
    fn a_field_twice_in_one_block_sends_both() {
        let rules = parse_headers(
            "/*\n  Link: </a.css>\n  Link: </b.js>\n  X-One: 1\n/*.html\n  X-One: 2\n  Link: </c>\n",
            "_headers",
        )
        .unwrap();
        let edits = PathRules::for_path(&rules, "/index.html").edits;
        let shown: Vec<String> = edits
            .iter()
            .map(|edit| match edit {
                HeaderEdit::Set(name, value) => format!("set {name}: {}", value.to_str().unwrap()),
                HeaderEdit::Append(name, value) => {
                    format!("append {name}: {}", value.to_str().unwrap())
                }
                HeaderEdit::Remove(name) => format!("remove {name}"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "set link: </a.css>",
                "append link: </b.js>",
                "set x-one: 1",
                "append x-one: 2",
                "append link: </c>",
            ]
        );
    }

    #[test]
    fn base64_and_comparison() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
