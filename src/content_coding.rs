//! The content codings mote serves from precompressed sibling files.
//!
//! Its own module (as tower-http's `content_encoding.rs`) because both the loader,
//! which finds `app.js.br` beside `app.js`, and the HTTP layer, which negotiates
//! `Accept-Encoding`, speak of it; neither imports the other for it.

use http::HeaderValue;

/// A content coding of a representation: the file itself or a sibling made at build time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentCoding {
    /// The file as it is; no `Content-Encoding` header.
    Identity,
    /// `app.js.br`
    Brotli,
    /// `app.js.zst`
    Zstd,
    /// `app.js.gz`
    Gzip,
}

impl ContentCoding {
    /// The codings with sibling files, in the server's order of preference when the
    /// client rates several equally (smallest output first).
    pub const ALL_CODED: [ContentCoding; 3] = [
        ContentCoding::Brotli,
        ContentCoding::Zstd,
        ContentCoding::Gzip,
    ];

    /// The sibling file's suffix: `app.js` -> `app.js.br`.
    pub fn extension(self) -> &'static str {
        match self {
            ContentCoding::Identity => "",
            ContentCoding::Brotli => ".br",
            ContentCoding::Zstd => ".zst",
            ContentCoding::Gzip => ".gz",
        }
    }

    /// The token in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            ContentCoding::Identity => "identity",
            ContentCoding::Brotli => "br",
            ContentCoding::Zstd => "zstd",
            ContentCoding::Gzip => "gzip",
        }
    }

    /// The `Content-Encoding` value, `None` for identity (no header is sent).
    pub fn header_value(self) -> Option<HeaderValue> {
        match self {
            ContentCoding::Identity => None,
            coded => Some(HeaderValue::from_static(coded.token())),
        }
    }
}
