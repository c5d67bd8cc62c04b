//! `_redirects`: `from to [status]` lines, checked at start.

use http::header::HeaderValue;

use super::{Pattern, RuleError};

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

/// Whether a rule of this status serves a file of the site (200, or 404 and 410
/// with that status: Netlify's custom not-found pages) rather than redirecting.
pub fn serves(status: u16) -> bool {
    matches!(status, 200 | 404 | 410)
}

/// The most rules a `_redirects` file may have: a path no file answers is
/// matched against each of them, and the loop check at start against all.
pub const MAX_REDIRECTS: usize = 4_000;
/// Redirects a client is sent through before a loop is assumed: browsers give
/// up after 20 (Chromium, Firefox), so a longer chain is broken anyway.
pub const MAX_HOPS: usize = 20;

/// Parses `_redirects`. `file` names it in errors; `answers` says whether the
/// site itself answers a path (a file, or a directory) before an unforced rule
/// would: a chain of redirects that comes back to where it started is refused
/// unless one of them lands on such a path.
pub fn parse_redirects(
    text: &str,
    file: &str,
    answers: impl Fn(&str) -> bool,
) -> Result<Vec<Redirect>, RuleError> {
    let error = |line: usize, why: String| RuleError {
        file: file.to_string(),
        line,
        why,
    };
    let mut rules = Vec::new();
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = super::strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        super::check_line_length(raw).map_err(|why| error(index + 1, why))?;
        if rules.len() == MAX_REDIRECTS {
            return Err(error(
                index + 1,
                format!("more than {MAX_REDIRECTS} rules (use placeholders and splats to say more with fewer)"),
            ));
        }
        let rule = parse_rule(line, &answers).map_err(|why| error(index + 1, why))?;
        rules.push(rule);
        lines.push(index + 1);
    }
    for (i, &line) in lines.iter().enumerate() {
        if let Some(chain) = redirect_loop(&rules, i, &answers) {
            let why = format!("redirects round in a circle: {}", chain.join(" -> "));
            return Err(error(line, why));
        }
    }
    Ok(rules)
}

/// One rule: `from to [status]`, checked.
fn parse_rule(line: &str, answers: &impl Fn(&str) -> bool) -> Result<Redirect, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (from, to, status) = match fields[..] {
        [from, to] => (from, to, "301"),
        [from, to, status] => (from, to, status),
        _ => {
            return Err(format!(
                "expected 'from to [status]', got {} fields (query and country conditions are not supported)",
                fields.len()
            ))
        }
    };
    let (status, force) = match status.strip_suffix('!') {
        Some(status) => (status, true),
        None => (status, false),
    };
    let status: u16 = match status.parse() {
        Ok(code @ (200 | 301 | 302 | 303 | 307 | 308 | 404 | 410)) => code,
        _ => {
            return Err(format!(
                "status '{status}': use 301, 302, 303, 307, 308, 200 to serve another file, \
                 or 404 or 410 to serve one with that status"
            ))
        }
    };
    let from = Pattern::parse(from)?;
    check_target(&from, to, status, force, answers)?;
    Ok(Redirect {
        from,
        to: to.to_string(),
        status,
        force,
    })
}

/// A target is a path or an http(s) URL (a path for a 200), a valid Location,
/// and not matched by its own rule's pattern (a loop) unless the site answers it.
fn check_target(
    from: &Pattern,
    to: &str,
    status: u16,
    force: bool,
    answers: &impl Fn(&str) -> bool,
) -> Result<(), String> {
    let absolute = is_absolute(to);
    if !absolute && !to.starts_with('/') {
        return Err(format!(
            "target '{to}' must be a path (/...) or an http(s) URL"
        ));
    }
    if serves(status) && absolute {
        return Err(format!(
            "a {status} rule serves a file of the site: its target must be a path"
        ));
    }
    if HeaderValue::from_str(to).is_err() {
        return Err(format!("target '{to}' is not a valid Location"));
    }
    if !serves(status) && !absolute {
        let target_path = to.split('?').next().unwrap_or(to);
        if from.matches(target_path).is_some() && (force || !answers(target_path)) {
            return Err(format!(
                "the rule redirects to itself: '{to}' matches its own pattern"
            ));
        }
    }
    Ok(())
}

/// Follows the redirects from a path `rules[start]` applies to, as a client
/// would: the first forced rule that matches, else (where the site does not
/// answer the path) the first unforced one. The chain it went round, if it
/// came back to a path it had been at (or went on past [`MAX_HOPS`]).
fn redirect_loop(
    rules: &[Redirect],
    start: usize,
    answers: &impl Fn(&str) -> bool,
) -> Option<Vec<String>> {
    let rule = &rules[start];
    if serves(rule.status) || is_absolute(&rule.to) {
        return None;
    }
    let mut path = rule.from.example();
    let mut seen = vec![path.clone()];
    for _ in 0..MAX_HOPS {
        let next = rules
            .iter()
            .filter(|r| r.force)
            .chain(rules.iter().filter(|r| !r.force && !answers(&path)))
            .find_map(|r| r.from.matches(&path).map(|captures| (r, captures)));
        let (rule, captures) = next?;
        if serves(rule.status) || is_absolute(&rule.to) {
            return None;
        }
        let target = captures.substitute(&rule.to);
        let target = target.split('?').next().unwrap_or("").to_string();
        let came_back = seen.contains(&target);
        seen.push(target.clone());
        if came_back {
            return Some(seen);
        }
        path = target;
    }
    seen.push("...".into());
    Some(seen)
}

fn is_absolute(to: &str) -> bool {
    to.starts_with("http://") || to.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ("/a /b 451\n", "use 301"),
            ("/a https://x/ 410\n", "must be a path"),
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
}
