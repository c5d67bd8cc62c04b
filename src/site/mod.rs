//! Loading ROOT once, at start, into a map of ready-to-serve resources.
//!
//! The web root is baked into the image and never changes while mote runs, so every
//! fact about a file that does not depend on the request is computed here: its bytes
//! (up to the preload limit), a strong ETag from a hash of its content, its
//! Content-Type, Cache-Control and Content-Length header values, and its precompressed
//! siblings. The security policy is applied here too: nothing outside ROOT (symlinks are
//! resolved now), no dotfiles unless asked. A request can only reach what is in the map.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::HeaderValue;

use crate::content_coding::ContentCoding;

mod generated;
mod hashed;
mod load;
mod mapped;
pub mod mime;
pub mod rules;
mod walk;

pub use generated::{env_js, GeneratedFile, ENV_PREFIX};
pub use hashed::{has_content_hash, DirTally, Immutable};
pub use load::MAX_MAPPINGS;
pub(crate) use mapped::{file_behind, SEND_FROM_FILE};
pub use walk::{MAX_DEPTH, MAX_LINKED_NAMES, MAX_NAMES};

/// The loader's slice of the configuration: what to load and the caching policy
/// baked into each resource's headers.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// Files up to this many bytes are copied into memory; larger ones are mapped
    /// (see [`Variant::content`]).
    pub preload_limit: u64,
    /// The most bytes copied into memory in all: beyond it files are mapped, the
    /// smallest kept in memory first. Mapped pages are the page cache's (shared,
    /// reclaimable), so this bounds mote's own (anonymous) memory for the site.
    pub max_memory: u64,
    /// Serve files and directories whose names start with `.`.
    pub dotfiles: bool,
    /// `/about` serves `about.html` when nothing else is called `about`.
    pub clean_urls: bool,
    /// Files made at start (`--env-js`), served `no-cache` beside ROOT's.
    pub generated: Vec<GeneratedFile>,
    /// `Cache-Control` by kind of file.
    pub cache: CachePolicy,
    /// The `_headers` file; `None`: `ROOT/_headers` if there is one.
    pub headers_file: Option<PathBuf>,
    /// The `_redirects` file; `None`: `ROOT/_redirects` if there is one.
    pub redirects_file: Option<PathBuf>,
    /// Called about once a second while a load takes longer than a second,
    /// with the files found or loaded so far and their bytes, so that a slow
    /// start can be watched.
    pub progress: Option<fn(files: usize, bytes: u64)>,
}

/// `Cache-Control` values by kind of file.
#[derive(Debug, Clone)]
pub struct CachePolicy {
    /// HTML pages: revalidated on every use by default (`no-cache`).
    pub html: HeaderValue,
    /// Files that never change under their name (see [`Immutable`]).
    pub hashed: HeaderValue,
    /// Everything else.
    pub other: HeaderValue,
}

impl Default for SiteOptions {
    /// The same values as the `mote` binary's defaults.
    fn default() -> Self {
        SiteOptions {
            preload_limit: 4 << 20,
            max_memory: 512 << 20,
            dotfiles: false,
            clean_urls: true,
            generated: Vec::new(),
            cache: CachePolicy::default(),
            headers_file: None,
            redirects_file: None,
            progress: None,
        }
    }
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            html: HeaderValue::from_static("no-cache"),
            hashed: HeaderValue::from_static("public, max-age=31536000, immutable"),
            other: HeaderValue::from_static("public, max-age=3600"),
        }
    }
}

/// The whole web root, by URL path.
pub struct Site {
    /// Keys are decoded relative paths with `/` separators and no leading slash:
    /// `"index.html"`, `"docs/a.css"`, and for directories `"docs"` (the root is `""`).
    nodes: HashMap<Box<str>, Entry>,
    /// The distinct results of matching `_headers` against the nodes' own paths;
    /// [`Entry::rules`] points into it (0: no rules).
    path_rules: Vec<rules::PathRules>,
    /// The `404.html` pages, with the key of their directory (see [`Site::not_found_page`]).
    not_found: Vec<(Box<str>, Arc<Resource>)>,
    /// What the walk found, for the start-up line.
    pub stats: LoadStats,
    /// `_headers`, in file order.
    pub header_rules: Vec<rules::HeaderRule>,
    /// `_redirects`, in file order.
    pub redirects: Vec<rules::Redirect>,
}

/// A node and where its `_headers` rules are.
struct Entry {
    node: Node,
    /// The rules of the node's own path (`/key` for a file, `/key/` for a
    /// directory), an index into `Site::path_rules`.
    rules: u32,
}

/// What a path names: a file, or a directory (served through its index).
pub enum Node {
    /// A regular file (or a link to one inside ROOT).
    File(Arc<Resource>),
    /// A directory; `/dir` redirects to `/dir/`, which serves the index.
    Dir {
        /// `dir/index.html`, when there is one.
        index: Option<Arc<Resource>>,
    },
}

/// One servable file with its precomputed headers.
pub struct Resource {
    /// The file as it is, then its precompressed siblings (smaller ones only), in
    /// the server's order of preference.
    pub variants: Vec<Variant>,
    /// `variants[i].encoding`, as negotiation wants them.
    pub encodings: Vec<ContentCoding>,
    /// By extension (see [`mime`]).
    pub content_type: HeaderValue,
    /// By kind of file (see [`CachePolicy`]).
    pub cache_control: HeaderValue,
    /// Only for a real modification time: images built by Nix date every file at
    /// 1970-01-01T00:00:01, and a validator that old is a lie, so none is sent.
    pub last_modified: Option<LastModified>,
}

impl Resource {
    /// The file as it is (no content coding).
    pub fn identity(&self) -> &Variant {
        &self.variants[0]
    }
}

/// A real modification time, for `Last-Modified` and `If-(Un)Modified-Since`.
pub struct LastModified {
    /// Whole seconds, as HTTP dates carry.
    pub time: SystemTime,
    /// The same, formatted once as an HTTP date.
    pub header: HeaderValue,
}

/// One representation of a resource: the file itself or a precompressed sibling.
pub struct Variant {
    /// Identity for the file itself, else the sibling's coding.
    pub encoding: ContentCoding,
    /// Its bytes: a copy in memory (files up to the preload limit) or a read-only
    /// mapping of the file made at load (larger files). Either way a response is
    /// a slice of it; names that are links to one file share one copy.
    pub content: Bytes,
    /// Its length in bytes.
    pub len: u64,
    /// Strong ETag from a 128-bit hash of the bytes, quoted.
    pub etag: HeaderValue,
    /// `len`, formatted once.
    pub content_length: HeaderValue,
}

/// What loading found; its `Display` is the start-up line's summary.
#[derive(Default, Debug)]
pub struct LoadStats {
    /// Resources (precompressed siblings not counted).
    pub files: usize,
    /// Bytes copied into memory, siblings included.
    pub memory_bytes: u64,
    /// Files above the preload limit, mapped rather than copied.
    pub mapped_files: usize,
    /// Their bytes (page cache, shared with the file system, not mote's own memory).
    pub mapped_bytes: u64,
    /// Names that are further links to a file already loaded (one copy serves all).
    pub shared_names: usize,
    /// Precompressed siblings kept (smaller than their original).
    pub encoded_variants: usize,
    /// Names starting with `.` not served (no `--dotfiles`).
    pub skipped_dotfiles: usize,
    /// Links skipped: leaving ROOT, broken, to a dotfile, or a loop.
    pub skipped_links: usize,
    /// Files and directories inside ROOT that could not be read.
    pub skipped_unreadable: usize,
    /// Time the walk and load took.
    pub elapsed: Duration,
    /// One line per thing skipped (a link out of ROOT, a name that is not UTF-8),
    /// for the binary to print on stderr.
    pub warnings: Vec<String>,
}

impl LoadStats {
    /// An unreadable file or directory inside ROOT: skipped, with a warning naming
    /// it, and counted.
    fn skip_unreadable(&mut self, path: &Path, error: &dyn fmt::Display) {
        self.warnings
            .push(format!("skipping {}: {error}", path.display()));
        self.skipped_unreadable += 1;
    }
}

impl fmt::Display for LoadStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files ({} in memory, {} mapped: {}), {} precompressed variants, loaded in {} ms",
            self.files,
            human_bytes(self.memory_bytes),
            self.mapped_files,
            human_bytes(self.mapped_bytes),
            self.encoded_variants,
            self.elapsed.as_millis(),
        )?;
        if self.shared_names > 0 {
            write!(f, "; {} names share a file loaded once", self.shared_names)?;
        }
        if self.skipped_dotfiles > 0 {
            write!(
                f,
                "; skipped {} dotfiles (--dotfiles serves them)",
                self.skipped_dotfiles
            )?;
        }
        if self.skipped_links > 0 {
            write!(f, "; skipped {} links out of ROOT", self.skipped_links)?;
        }
        if self.skipped_unreadable > 0 {
            write!(f, "; skipped {} unreadable", self.skipped_unreadable)?;
        }
        Ok(())
    }
}

/// Why ROOT could not be loaded.
#[derive(Debug)]
pub struct LoadError {
    /// The path that could not be read.
    pub path: PathBuf,
    /// Why.
    pub error: io::Error,
}

impl LoadError {
    /// ROOT is over one of the loader's limits (names, depth, mappings).
    pub(crate) fn limit(path: &Path, why: String) -> LoadError {
        LoadError {
            path: path.to_path_buf(),
            error: io::Error::new(io::ErrorKind::InvalidInput, why),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error.kind() {
            // A rule file that does not parse: "/web/_headers line 3: ...".
            io::ErrorKind::InvalidData => write!(f, "{} {}", self.path.display(), self.error),
            // Over a limit: "/web: more than ...".
            io::ErrorKind::InvalidInput => write!(f, "{}: {}", self.path.display(), self.error),
            _ => write!(f, "cannot read {}: {}", self.path.display(), self.error),
        }
    }
}

impl std::error::Error for LoadError {}

fn at(path: &Path) -> impl FnOnce(io::Error) -> LoadError + '_ {
    move |error| LoadError {
        path: path.to_path_buf(),
        error,
    }
}

impl Site {
    /// The node at a decoded relative path (`""` is the root directory).
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path).map(|entry| &entry.node)
    }

    /// The node at a decoded relative path, with the `_headers` rules of its own
    /// path: `/key` for a file, `/key/` (`/` for the root) for a directory, and
    /// their number among the site's distinct rule sets (`0..rule_sets()`; nodes
    /// whose paths match the same rules share one).
    #[inline]
    pub fn get_with_rules(&self, path: &str) -> Option<(&Node, &rules::PathRules, usize)> {
        let entry = self.nodes.get(path)?;
        let id = entry.rules as usize;
        Some((&entry.node, &self.path_rules[id], id))
    }

    /// The page for a miss at `key`: the `404.html` of the nearest directory at or
    /// above it that has one, ROOT's last (as Cloudflare Pages looks for it).
    pub fn not_found_page(&self, key: &str) -> Option<&Arc<Resource>> {
        if self.not_found.is_empty() {
            return None;
        }
        let mut dir = key;
        loop {
            if let Some((_, page)) = self.not_found.iter().find(|(d, _)| **d == *dir) {
                return Some(page);
            }
            if dir.is_empty() {
                return None;
            }
            dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }

    /// How many distinct rule sets the nodes' own paths have (1 without `_headers`).
    pub fn rule_sets(&self) -> usize {
        self.path_rules.len()
    }
}

impl Entry {
    fn new(node: Node) -> Entry {
        Entry { node, rules: 0 }
    }
}

/// `1536` -> `1.5 KiB`, in integer arithmetic (float formatting costs 9 KB of binary).
pub(crate) fn human_bytes(n: u64) -> String {
    let (unit, shift) = match n {
        n if n >= 1 << 30 => ("GiB", 30),
        n if n >= 1 << 20 => ("MiB", 20),
        n if n >= 1 << 10 => ("KiB", 10),
        n => return format!("{n} B"),
    };
    let tenths = (n * 10 + (1 << shift) / 2) >> shift;
    format!("{}.{} {unit}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 << 20), "10.0 MiB");
        assert_eq!(human_bytes((3 << 30) + (1 << 29)), "3.5 GiB");
    }
}
