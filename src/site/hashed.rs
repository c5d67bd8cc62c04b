//! Which file names carry a content hash, so that they may be cached for a year.

/// Whether a file name carries a content hash that bundlers add (`app.3f9a1c2e.js`,
/// `chunk-5d41402abc4b2a76.css`): such a file never changes under its name, so it
/// may be cached for a year. The name before its extension is split at `.`, `-`,
/// `_` and `~`; a token after the first qualifies when it is 8 or more ASCII
/// letters and digits with at least one of each (plain words never qualify).
pub fn has_content_hash(file_name: &str) -> bool {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    stem.split(['.', '-', '_', '~']).skip(1).any(|token| {
        token.len() >= 8
            && token.bytes().all(|b| b.is_ascii_alphanumeric())
            && token.bytes().any(|b| b.is_ascii_digit())
            && token.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_names() {
        for yes in [
            "app.3f9a1c2e.js",
            "chunk-5d41402abc4b2a76.css",
            "main.a1b2c3d4e5.mjs",
            "x_0123abcd.woff2",
        ] {
            assert!(has_content_hash(yes), "{yes}");
        }
        for no in [
            "app.js",
            "jquery-compatible.js",
            "index.html",
            "20240101.txt",
            "deadbeefcafe",
            "v1.2.3.js",
        ] {
            assert!(!has_content_hash(no), "{no}");
        }
    }
}
