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
}
