//! `_headers`: blocks of a path pattern and indented `Name: value`, `! Name` and
//! `Basic-Auth:` lines, and what they make of one path's responses.

use std::collections::HashSet;

use http::header::{HeaderName, HeaderValue};

use super::{Pattern, RuleError};

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
    /// The `Basic-Auth` rules a request must satisfy, every one (indices into
    /// the rules): the first matching the path, and for a directory the first
    /// matching its index file, so that protection follows the file whatever
    /// name reaches it.
    pub guards: Vec<usize>,
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
        guards: Vec::new(),
    };

    /// The rules for `path` (`/docs/a.html`, `/docs/`).
    pub fn for_path(rules: &[HeaderRule], path: &str) -> PathRules {
        PathRules::of(rules, &matching(rules, path))
    }

    /// The rules of these matching rules (indices in file order). Linear in the
    /// rules' lines: a name's first line sets it, later ones (by a later rule,
    /// or on a later line of the same one: Netlify's multi-value fields, `Link:`
    /// twice in a block sends both) add to it.
    pub fn of(rules: &[HeaderRule], matched: &[usize]) -> PathRules {
        let mut edits = Vec::new();
        let mut named: HashSet<&HeaderName> = HashSet::new();
        for &i in matched {
            for (name, value) in &rules[i].set {
                edits.push(match named.insert(name) {
                    true => HeaderEdit::Set(name.clone(), value.clone()),
                    false => HeaderEdit::Append(name.clone(), value.clone()),
                });
            }
            edits.extend(rules[i].remove.iter().cloned().map(HeaderEdit::Remove));
        }
        PathRules {
            edits,
            guards: first_guard(rules, matched).into_iter().collect(),
        }
    }

    /// Adds a guard the request must also satisfy (a directory's index file's).
    pub fn guard_also(&mut self, guard: Option<usize>) {
        if let Some(guard) = guard {
            if !self.guards.contains(&guard) {
                self.guards.push(guard);
            }
        }
    }
}

/// The first of the matching rules with `Basic-Auth`.
pub fn first_guard(rules: &[HeaderRule], matched: &[usize]) -> Option<usize> {
    matched
        .iter()
        .copied()
        .find(|&i| !rules[i].basic_auth.is_empty())
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

/// The most blocks (path patterns) a `_headers` file may have: a path without a
/// file of its own (a 404, a rewrite's source) is matched against each.
pub const MAX_HEADER_RULES: usize = 1_000;

/// Fields that say how the message is framed or the connection handled: the
/// server writes them from what it sends, and a rule or `-H` that set or removed
/// one would mis-frame responses (`Content-Length: 3` on a 21-byte file).
pub const FRAMING_FIELDS: [&str; 8] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
];

/// Why a field may not be set by configuration, if it may not.
pub fn refuse_framing(name: &HeaderName) -> Result<(), String> {
    match FRAMING_FIELDS.contains(&name.as_str()) {
        true => Err(format!(
            "{name} frames the message: the server sets it from what it sends"
        )),
        false => Ok(()),
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
        super::check_line_length(raw).map_err(error)?;
        let indented = raw.starts_with([' ', '\t']);
        if !indented {
            if rules.len() == MAX_HEADER_RULES {
                return Err(error(format!("more than {MAX_HEADER_RULES} path patterns")));
            }
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
            refuse_framing(&name).map_err(error)?;
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
        refuse_framing(&header).map_err(error)?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| error(format!("the value of {name} is not a valid header value")))?;
        rule.set.push((header, value));
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn base64_tokens() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
