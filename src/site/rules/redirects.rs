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
}
