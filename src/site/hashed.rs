//! Which files carry a content hash, so that they may be cached for a year.
//!
//! A wrong "yes" pins stale content in browsers for a year, a wrong "no" only costs
//! a revalidation: the rules below take the hashes bundlers write by default, in
//! the places they write them, and leave words, versions, dates and sizes alone.
//! They are checked against real build outputs (tests/corpus/run.py).

/// The directories a tool documents as immutable: SvelteKit's `_app/immutable/`,
/// Next.js's `_next/static/`, Astro's `_astro/` (also under a base path).
const IMMUTABLE_DIRS: [&str; 3] = ["_app/immutable/", "_next/static/", "_astro/"];

/// Which files of a site never change under their name: a name with a content
/// hash ([`has_content_hash`]), a file in one of the directories tools document
/// as immutable (SvelteKit's `_app/immutable/`, Next.js's `_next/static/`,
/// Astro's `_astro/`), or a name of a hash's shape whose hash happens to read like
/// words, but not only small letters (`downloader.BrkuwUyl.js`,
/// `pbrDebug-Dcenycev.js`, `line.CMDBLAJF.js`: one in fifty of Rollup's), in a
/// bundler's output directory (see [`DirTally`]).
pub struct Immutable {
    /// The keys of the bundlers' output directories, as the walk found them.
    bundler_dirs: Vec<String>,
}

impl Immutable {
    /// With the bundlers' output directories of the site.
    pub fn new(bundler_dirs: Vec<String>) -> Self {
        Immutable { bundler_dirs }
    }

    /// Whether the file at `rel` (a site-relative path) never changes under its name.
    pub fn contains(&self, rel: &str) -> bool {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        match hash_of(name) {
            Hash::Strong => true,
            Hash::WordLike => self.bundler_dirs.iter().any(|d| d == dir) || in_immutable_dir(rel),
            Hash::Word | Hash::None => in_immutable_dir(rel),
        }
    }
}

/// Whether a path is under one of [`IMMUTABLE_DIRS`], at any depth (a base path).
fn in_immutable_dir(rel: &str) -> bool {
    let mut rest = rel;
    loop {
        if IMMUTABLE_DIRS.iter().any(|dir| rest.starts_with(dir)) {
            return true;
        }
        match rest.split_once('/') {
            Some((_, deeper)) => rest = deeper,
            None => return false,
        }
    }
}

/// The names of one directory's files by kind of hash: the directory is a
/// bundler's output when eight or more have a hash and every other one has at
/// least a hash's shape.
#[derive(Default)]
pub struct DirTally {
    hashed: usize,
    unhashed: bool,
}

impl DirTally {
    /// Counts one file name.
    pub fn add(&mut self, name: &str) {
        match hash_of(name) {
            Hash::Strong => self.hashed += 1,
            Hash::WordLike | Hash::Word => {}
            Hash::None => self.unhashed = true,
        }
    }

    /// Whether the directory is a bundler's output.
    pub fn is_bundler_output(&self) -> bool {
        self.hashed >= 8 && !self.unhashed
    }
}

/// How sure a name is to carry a hash.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Hash {
    Strong,
    /// The shape of a Rollup hash, in letters that could be words (`BrkuwUyl`,
    /// `Dcenycev`, `CYCNTPEO`): a hash among hashes, else a name.
    WordLike,
    /// The shape of a Rollup hash, in lower-case words: a name anywhere.
    Word,
    None,
}

/// Whether a file name carries a bundler's content hash. The name's extensions
/// are set aside first (`.js`, and inner ones such as `.min.js.map`,
/// `.ttf.woff2`), then either:
/// - a hex token (split at `.`, `-`, `_`, `~`) of 8 or more digits of one case,
///   with at least one digit and one letter, after the name's first token
///   (webpack `[name].[contenthash]`, Angular, Parcel, mkdocs-material
///   `bundle.<hex>.min.js`, rustdoc `main-<hex16>.js`), or 16 or more as the
///   whole name (webpack's `[contenthash].[ext]` assets); or
/// - the 8 characters before the extension, after a `.` or `-`, in Rollup's
///   base64url alphabet (`A-Z a-z 0-9 _ -`) and random-looking (Vite, Rollup,
///   SvelteKit, esbuild: `Index-Dw2QElZn.js`, `ChatInput.Cga1l-rt.js`,
///   `AudioInput.wmOSJpmI.js`), optionally followed by the one or two digits
///   Rollup adds to tell equal names apart (`Index-Akn07EZk2.js`; then the hash
///   must have digits and both cases).
///
/// Random-looking: a digit and a letter (but not a size like `1024x768` and not
/// all digits, like a date), or letters whose case is not that of words
/// (`wmOSJpmI`, `BkDuYnFs`: yes; `Semibold`, `SemiBold`, `LICENSES`, `regular`: no).
pub fn has_content_hash(file_name: &str) -> bool {
    hash_of(file_name) == Hash::Strong
}

fn hash_of(file_name: &str) -> Hash {
    let stem = without_extensions(file_name);
    if hex_token(stem) {
        Hash::Strong
    } else {
        rollup_hash(stem)
    }
}

/// The name without its last extension and the inner ones bundlers chain before it.
fn without_extensions(file_name: &str) -> &str {
    const INNER: [&str; 12] = [
        "min", "js", "mjs", "cjs", "css", "map", "ttf", "otf", "woff", "eot", "json", "d",
    ];
    let mut stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    while let Some((rest, ext)) = stem.rsplit_once('.') {
        if rest.is_empty() || !INNER.contains(&ext) {
            break;
        }
        stem = rest;
    }
    stem
}

fn hex_token(stem: &str) -> bool {
    let mut tokens = stem.split(['.', '-', '_', '~']);
    let first = tokens.next().unwrap_or("");
    let is_hex = |token: &str, min: usize| {
        let lower = token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let upper = token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'));
        token.len() >= min
            && (lower || upper)
            && token.bytes().any(|b| b.is_ascii_digit())
            && token.bytes().any(|b| b.is_ascii_alphabetic())
    };
    (first.len() == stem.len() && is_hex(first, 16)) || tokens.any(|token| is_hex(token, 8))
}

fn rollup_hash(stem: &str) -> Hash {
    let bytes = stem.as_bytes();
    let digits = bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut found = Hash::None;
    for counter in 0..=digits.min(2) {
        let end = bytes.len() - counter;
        if end <= 8 || !matches!(bytes[end - 9], b'.' | b'-') {
            continue;
        }
        let window = &bytes[end - 8..end];
        let hash = window_hash(window);
        if counter == 0 {
            if hash == Hash::Strong {
                return hash;
            }
            found = hash;
        } else if hash == Hash::Strong
            // Before a counter only a hash with every kind of character counts, so
            // that `solid-900` or `regular12` is not read as a hash and a counter.
            && [u8::is_ascii_digit, u8::is_ascii_lowercase, u8::is_ascii_uppercase]
                .iter()
                .all(|kind| window.iter().any(kind))
        {
            return hash;
        }
    }
    found
}

fn window_hash(window: &[u8]) -> Hash {
    let base64url = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_');
    if !window.iter().all(base64url) {
        return Hash::None;
    }
    let digits = window.iter().filter(|b| b.is_ascii_digit()).count();
    let letters = window.iter().filter(|b| b.is_ascii_alphabetic()).count();
    if digits > 0 {
        // A size (1024x768) is digits around one x; a date is digits only.
        let size = letters == 1
            && window
                .iter()
                .position(|&b| b == b'x')
                .is_some_and(|at| at > 0 && at < window.len() - 1 && digits == window.len() - 1);
        return if letters > 0 && !size {
            Hash::Strong
        } else {
            Hash::None
        };
    }
    // Words joined by - or _ are two letters or more each, in one case style.
    let style = |part: &[u8]| {
        if part.iter().all(u8::is_ascii_lowercase) {
            0
        } else if part.iter().all(u8::is_ascii_uppercase) {
            1
        } else {
            2
        }
    };
    let mut parts = window.split(|&b| b == b'-' || b == b'_');
    let first = parts.next().unwrap_or_default();
    let words = [first]
        .into_iter()
        .chain(parts)
        .all(|part| part.len() >= 2 && word_like(part) && style(part) == style(first));
    if !words {
        Hash::Strong
    } else if window.iter().all(|b| !b.is_ascii_uppercase()) {
        // `licenses`, `raw_data`: lower-case words, even among hashes (a Rollup
        // hash is that only once in a thousand).
        Hash::Word
    } else {
        Hash::WordLike
    }
}

/// `word`, `WORD`, `Word`, `SemiBold`: the shapes of names people write. A piece
/// of a camel-cased name is three letters or more with a vowel, so that the
/// capitals of a hash (`BkDuYnFs`, `mbtFrzxf`) do not pass for word boundaries.
fn word_like(part: &[u8]) -> bool {
    if part.iter().all(u8::is_ascii_lowercase) || part.iter().all(u8::is_ascii_uppercase) {
        return true;
    }
    let piece_like = |piece: &[u8]| {
        piece.len() >= 3
            && piece[1..].iter().all(u8::is_ascii_lowercase)
            && piece.iter().any(|b| {
                matches!(
                    b.to_ascii_lowercase(),
                    b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
                )
            })
    };
    let mut start = 0;
    for at in 1..=part.len() {
        if at == part.len() || part[at].is_ascii_uppercase() {
            if !piece_like(&part[start..at]) {
                return false;
            }
            start = at;
        }
    }
    true
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
            // webpack, jupyterlab
            "1014.073326ef5d98db5e.js",
            "0271fb5e3e1adc0f.woff",
            // mkdocs-material, with its source map
            "bundle.a5f9d56c.min.js",
            "palette.fb2fffe2.min.css.map",
            // rustdoc
            "SourceSerif4-Regular-46f98efaafac5295.ttf.woff2",
            // Vite / Rollup: base64url, maybe no digit, maybe - and _ inside
            "ChatInput.Cga1l-rt.js",
            "ColorPicker.BT_lfayY.js",
            "AudioInput.wmOSJpmI.js",
            "DataFrame.-f9-1zS0.js",
            "zh-TW-vib75kEM.js",
            "KaTeX_Main-Bold.Cx986IdX.woff2",
            "Index-Akn07EZk2.js",
            // esbuild / Angular 17
            "chunk-3NG7LPUU.js",
            // and with - or _ in the hash, or capitals that are not word starts
            "Index-WUTC_uqz.js",
            "KaTeX_Size1-Regular-Dbsnue_I.ttf",
            "gitGraph-4MIJSDKK-D_iwvy_-.js",
            "balloon-4.mbtFrzxf.png",
            "KHR_animation_pointer-BkDuYnFs.js",
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
            "jquery-3.7.1.min.js",
            "FiraSans-Regular.woff2",
            "SourceCodePro-Semibold.ttf.woff2",
            "OpenSans-SemiBold.woff2",
            "favicon-16x16.png",
            "photo-1024x768.jpg",
            "report-20240115.pdf",
            "notes.markdown.html",
            "README.txt",
            "THIRD-PARTY-LICENSES.txt",
            "lib.es2015.promise.d.ts",
            "react-dom@18.3.1.min.js",
            "sphinx_highlight.js",
            "underscore-1.13.1.js",
            "fa-solid-900.woff2",
            "font-regular12.woff",
            "search-index.js",
            "abc12345.png",
            "data-raw_data.csv",
            "Lato-Hairline.woff2",
            "line.CMDBLAJF.js",
        ] {
            assert!(!has_content_hash(no), "{no}");
        }
    }

    #[test]
    fn immutable_directories() {
        let none = Immutable::new(Vec::new());
        assert!(none.contains("_app/immutable/chunks/x.js"));
        assert!(none.contains("base/_next/static/chunks/pages/index.js"));
        assert!(none.contains("_astro/index.css"));
        assert!(!none.contains("my_app/immutable/x.js"));
        assert!(!none.contains("docs/_next/x.js"));
        assert!(!none.contains("about.js"));
    }

    fn tally(names: &[&str]) -> DirTally {
        let mut tally = DirTally::default();
        names.iter().for_each(|name| tally.add(name));
        tally
    }

    #[test]
    fn word_like_hashes_in_a_bundlers_directory() {
        let mut bundler: Vec<String> = (0..8).map(|i| format!("chunk{i}-Dw2QElZn.js")).collect();
        bundler.push("downloader-BrkuwUyl.js".into());
        bundler.push("third-party-licenses.json".into());
        let names: Vec<&str> = bundler.iter().map(String::as_str).collect();
        assert!(tally(&names).is_bundler_output());
        let site = Immutable::new(vec!["assets".into()]);
        assert!(site.contains("assets/downloader-BrkuwUyl.js"));
        assert!(site.contains("assets/pbrDebug-Dcenycev.js"));
        assert!(!has_content_hash("downloader-BrkuwUyl.js"));
        // Lower-case words stay words, even among hashes (a bundler's licence file).
        assert!(!site.contains("assets/third-party-licenses.json"));
        // Elsewhere, such a name is a name.
        assert!(!site.contains("fonts/downloader-BrkuwUyl.js"));
        // One plain file makes the directory a person's, not a bundler's.
        let mut with_logo = names.clone();
        with_logo.push("logo.png");
        assert!(!tally(&with_logo).is_bundler_output());
        // Too few hashed neighbours to tell.
        assert!(!tally(&["a.3f9a1c2e.woff2", "OpenSans-SemiBoldIt.woff2"]).is_bundler_output());
    }
}
