//! Path patterns: literal text, `*` (a splat: anything, slashes included) and
//! `:name` (one path segment), and filling what they captured into a target.

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

/// The most parts (literal runs, placeholders, the splat) a pattern may have: a
/// bound on what one match and one filled-in target cost.
pub const MAX_PARTS: usize = 64;

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
        if parts.len() > MAX_PARTS {
            return Err(format!(
                "'{}...': more than {MAX_PARTS} parts (text, :placeholders, *)",
                text.chars().take(40).collect::<String>()
            ));
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

    /// A path the pattern matches: each placeholder and the splat as `x`
    /// (`/blog/:year/*` -> `/blog/x/x`), for checks made at start.
    pub fn example(&self) -> String {
        let mut path = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => path.push_str(text),
                Part::Placeholder(_) | Part::Splat => path.push('x'),
            }
        }
        path
    }

    /// Matches a whole decoded path (`/docs/a.html`).
    pub fn matches<'a>(&'a self, path: &'a str) -> Option<Captures<'a>> {
        let mut captures = Captures::default();
        match_parts(&self.parts, path, &mut captures).then_some(captures)
    }
}

/// A loop, not recursion: a part's match never depends on what follows (a
/// placeholder takes its whole segment, a splat the rest but the suffix), so
/// there is nothing to backtrack and no path or pattern can exhaust the stack.
fn match_parts<'a>(parts: &'a [Part], mut path: &'a str, captures: &mut Captures<'a>) -> bool {
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Literal(text) => match path.strip_prefix(text.as_str()) {
                Some(tail) => path = tail,
                None => return false,
            },
            Part::Placeholder(name) => {
                // A placeholder takes a whole, non-empty segment.
                let end = path.find('/').unwrap_or(path.len());
                if end == 0 {
                    return false;
                }
                captures.named.push((name, &path[..end]));
                path = &path[end..];
            }
            // Parse guarantees what follows a splat: nothing, or one literal suffix.
            Part::Splat => {
                let suffix = match &parts[i + 1..] {
                    [Part::Literal(text)] => text.as_str(),
                    _ => "",
                };
                return match path.strip_suffix(suffix) {
                    Some(splat) => {
                        captures.splat = Some(splat);
                        true
                    }
                    None => false,
                };
            }
        }
    }
    path.is_empty()
}

impl Captures<'_> {
    /// `to` with `:splat` and `:name` replaced by what was captured, as they are:
    /// for a 200 rule, whose target is a path of the site.
    pub fn substitute(&self, to: &str) -> String {
        self.fill(to, |out, value, _| out.push_str(value))
    }

    /// `to` as a redirect's Location: what was captured is request text, so it
    /// may not change the target's scheme, host or authority, nor start a query
    /// or fragment of its own. In the authority of an absolute target, anything
    /// but letters, digits and `-._~` is percent-encoded; elsewhere `#`, `?`,
    /// `\` and `@`, and a `/` that would make a path-only target start with
    /// `//` (a reference to another host).
    pub fn substitute_location(&self, to: &str) -> String {
        let authority = authority_range(to);
        let mut location = self.fill(to, |out, value, at| {
            let in_authority = authority.as_ref().is_some_and(|r| r.contains(&at));
            for (i, b) in value.bytes().enumerate() {
                let encode = match in_authority {
                    true => !(b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
                    false => b"#?\\@".contains(&b) || (b == b'/' && i == 0 && out.as_str() == "/"),
                };
                if encode {
                    out.push_str(&format!("%{b:02X}"));
                } else {
                    out.push(b as char);
                }
            }
        });
        // An empty capture can leave the target's own next `/` or `\` second
        // (`/:splat/x` with nothing captured is `//x`, another host): a
        // path-only target stays a path on this host.
        let path_only = to.starts_with('/') && !to.starts_with("//") && !to.starts_with("/\\");
        if path_only && (location.starts_with("//") || location.starts_with("/\\")) {
            let second = location.as_bytes()[1];
            location.replace_range(1..2, &format!("%{second:02X}"));
        }
        location
    }

    /// `to` with each placeholder's value written by `put(out, value, offset
    /// of the placeholder in to)`.
    fn fill(&self, to: &str, mut put: impl FnMut(&mut String, &str, usize)) -> String {
        let mut out = String::with_capacity(to.len() + 16);
        let mut rest = to;
        while let Some(i) = rest.find(':') {
            out.push_str(&rest[..i]);
            let at = to.len() - rest.len() + i;
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
                Some(value) if !name.is_empty() => put(&mut out, value, at),
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

/// Where the authority of an absolute `http(s)://` target is (byte offsets).
fn authority_range(to: &str) -> Option<std::ops::Range<usize>> {
    let start = ["http://", "https://"]
        .iter()
        .find(|scheme| to.starts_with(*scheme))?
        .len();
    let end = to[start..]
        .find(['/', '?', '#'])
        .map_or(to.len(), |i| start + i);
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Pattern::parse(pattern).unwrap().matches(path).is_some()
    }

    #[test]
    fn filled_locations_keep_their_host() {
        let fill = |pattern: &str, path: &str, to: &str| {
            let p = Pattern::parse(pattern).unwrap();
            p.matches(path).unwrap().substitute_location(to)
        };
        // The two: a fragment into the host, a path into `//host`.
        assert_eq!(
            fill("/site/:l", "/site/evil.com#", "https://:l.example.com/"),
            "https://evil.com%23.example.com/"
        );
        assert_eq!(fill("/go*", "/go/evil.com", "/:splat"), "/%2Fevil.com");
        assert_eq!(fill("/go/*", "/go/a/b", "/:splat"), "/a/b");
        assert_eq!(
            fill("/u/:n", "/u/a@b", "https://x.example/:n"),
            "https://x.example/a%40b"
        );
        assert_eq!(fill("/h/:h", "/h/a:1", "https://:h/"), "https://a%3A1/");
        assert_eq!(fill("/q/*", "/q/a?b#c", "/new/:splat"), "/new/a%3Fb%23c");
        assert_eq!(fill("/b/*", "/b/\\evil", "/:splat"), "/%5Cevil");
        // An empty splat before the target's own `/`: still a path here.
        assert_eq!(fill("/go/*", "/go/", "/:splat/x"), "/%2Fx");
        assert_eq!(fill("/*", "/", "/:splat\\x"), "/%5Cx");
        assert_eq!(fill("/*", "/", "//cdn.example/:splat"), "//cdn.example/");
        // A 200 rule's path is the site's own: filled as it is.
        let p = Pattern::parse("/en/*").unwrap();
        assert_eq!(p.matches("/en/a/b").unwrap().substitute("/:splat"), "/a/b");
    }

    #[test]
    fn deep_patterns_and_paths_match_without_recursion() {
        let pattern = format!("/{}", vec![":p"; MAX_PARTS / 2].join("/"));
        let p = Pattern::parse(&pattern).unwrap();
        let path = format!("/{}", vec!["x"; MAX_PARTS / 2].join("/"));
        assert!(p.matches(&path).is_some());
        let long = format!("/{}", vec!["x"; 100_000].join("/"));
        assert!(p.matches(&long).is_none());
        assert!(Pattern::parse("/*").unwrap().matches(&long).is_some());
        let too_many = format!("/{}", vec![":p"; MAX_PARTS].join("/"));
        assert!(Pattern::parse(&too_many).unwrap_err().contains("more than"));
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
}
