//! File extension -> Content-Type, for the types a web root holds.
//!
//! A short table of our own instead of `mime_guess` (whose full IANA table costs
//! tens of KiB in a binary whose budget is 1 MiB): a baked site is web content, and
//! anything not listed is served as `application/octet-stream`, which browsers
//! download rather than sniff (`nosniff` is always sent).

/// The Content-Type for a file name, by its extension (case-insensitive).
pub fn content_type(file_name: &str) -> &'static str {
    let Some((_, ext)) = file_name.rsplit_once('.') else {
        return DEFAULT;
    };
    if ext.len() > 12 {
        return DEFAULT;
    }
    let mut lower = [0u8; 12];
    for (dst, src) in lower.iter_mut().zip(ext.bytes()) {
        *dst = src.to_ascii_lowercase();
    }
    let ext = &lower[..ext.len()];
    TABLE
        .iter()
        .find(|(known, _)| known.as_bytes() == ext)
        .map_or(DEFAULT, |(_, mime)| mime)
}

/// Whether a Content-Type is HTML (which gets its own Cache-Control).
pub fn is_html(content_type: &str) -> bool {
    content_type.starts_with("text/html")
}

const DEFAULT: &str = "application/octet-stream";

/// Text types carry `charset=utf-8`: a baked modern site is UTF-8, and without it
/// browsers guess (windows-1252 for text/plain).
const TABLE: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("cjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("webmanifest", "application/manifest+json"),
    ("jsonld", "application/ld+json"),
    ("xml", "application/xml; charset=utf-8"),
    ("rss", "application/rss+xml; charset=utf-8"),
    ("atom", "application/atom+xml; charset=utf-8"),
    ("xhtml", "application/xhtml+xml; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("ics", "text/calendar; charset=utf-8"),
    ("vtt", "text/vtt; charset=utf-8"),
    ("wasm", "application/wasm"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("ico", "image/x-icon"),
    ("bmp", "image/bmp"),
    ("apng", "image/apng"),
    ("jxl", "image/jxl"),
    ("woff2", "font/woff2"),
    ("woff", "font/woff"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("ogv", "video/ogg"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("wav", "audio/wav"),
    ("flac", "audio/flac"),
    ("m4a", "audio/mp4"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tgz", "application/gzip"),
    ("br", "application/octet-stream"),
    ("zst", "application/zstd"),
    ("tar", "application/x-tar"),
    ("xz", "application/x-xz"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_types_browsers_are_strict_about() {
        for (name, expected) in [
            ("index.html", "text/html; charset=utf-8"),
            ("a/b/STYLE.CSS", "text/css; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("mod.mjs", "text/javascript; charset=utf-8"),
            ("data.json", "application/json"),
            ("logo.svg", "image/svg+xml"),
            ("add.wasm", "application/wasm"),
            ("f.woff2", "font/woff2"),
            ("p.avif", "image/avif"),
            ("p.webp", "image/webp"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("feed.xml", "application/xml; charset=utf-8"),
            ("app.js.map", "application/json"),
            ("favicon.ico", "image/x-icon"),
            ("Makefile", "application/octet-stream"),
            ("x.unknownextension", "application/octet-stream"),
        ] {
            assert_eq!(content_type(name), expected, "{name}");
        }
        assert!(is_html(content_type("x.htm")));
        assert!(!is_html(content_type("x.svg")));
    }
}
