//! Loading ROOT once, at start, into a map of ready-to-serve resources.
//!
//! The web root is baked into the image and never changes while mote runs, so every
//! fact about a file that does not depend on the request is computed here: its bytes
//! (up to the preload limit), a strong ETag from a hash of its content, its
//! Content-Type, Cache-Control and Content-Length header values, and its precompressed
//! siblings. The security policy is applied here too: nothing outside ROOT (symlinks are
//! resolved now), no dotfiles unless asked. A request can only reach what is in the map.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderValue;

use crate::content_coding::ContentCoding;

mod mapped;
pub mod mime;
pub mod rules;

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
    /// `Cache-Control` by kind of file.
    pub cache: CachePolicy,
    /// The `_headers` file; `None`: `ROOT/_headers` if there is one.
    pub headers_file: Option<PathBuf>,
    /// The `_redirects` file; `None`: `ROOT/_redirects` if there is one.
    pub redirects_file: Option<PathBuf>,
}

/// `Cache-Control` values by kind of file.
#[derive(Debug, Clone)]
pub struct CachePolicy {
    /// HTML pages: revalidated on every use by default (`no-cache`).
    pub html: HeaderValue,
    /// Names that carry a content hash (see [`has_content_hash`]).
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
            cache: CachePolicy::default(),
            headers_file: None,
            redirects_file: None,
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
    /// ROOT/404.html, the body of every 404 when present.
    pub not_found: Option<Arc<Resource>>,
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

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error.kind() {
            // A rule file that does not parse: "/web/_headers line 3: ...".
            io::ErrorKind::InvalidData => write!(f, "{} {}", self.path.display(), self.error),
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

/// A regular file found by the walk.
struct Found {
    rel: String,
    real: PathBuf,
    meta: fs::Metadata,
}

impl Site {
    /// Walks `root` and loads it. Fails if ROOT is missing, not a directory or unreadable.
    pub fn load(root: &Path, options: &SiteOptions) -> Result<Site, LoadError> {
        let started = Instant::now();
        let root = fs::canonicalize(root).map_err(at(root))?;
        if !root.is_dir() {
            return Err(LoadError {
                path: root,
                error: io::Error::other("not a directory"),
            });
        }
        let mut stats = LoadStats::default();
        let (files, dirs) = walk(&root, options.dotfiles, &mut stats)?;

        let by_rel: HashMap<&str, &Found> = files.iter().map(|f| (f.rel.as_str(), f)).collect();
        // `x.gz` beside `x` is a variant of `x`, not a resource of its own.
        let is_sibling = |rel: &str| {
            ContentCoding::ALL_CODED.iter().any(|e| {
                rel.strip_suffix(e.extension())
                    .is_some_and(|base| by_rel.contains_key(base))
            })
        };

        let mut nodes: HashMap<Box<str>, Entry> = HashMap::with_capacity(files.len() + dirs.len());
        let mut resources: HashMap<&str, Arc<Resource>> = HashMap::new();
        let mut loader = Loader {
            copy: copies(&files, options),
            options,
            stats: &mut stats,
            by_inode: HashMap::new(),
        };
        for file in files.iter().filter(|f| !is_sibling(&f.rel)) {
            let resource = match loader.resource(file, &by_rel) {
                Ok(resource) => Arc::new(resource),
                // An unreadable file is skipped with a warning, not fatal.
                Err(e) => {
                    loader.stats.skip_unreadable(&e.path, &e.error);
                    continue;
                }
            };
            resources.insert(&file.rel, resource.clone());
            nodes.insert(file.rel.as_str().into(), Entry::new(Node::File(resource)));
        }
        for dir in dirs {
            let index_key = if dir.is_empty() {
                "index.html".to_string()
            } else {
                format!("{dir}/index.html")
            };
            let index = resources.get(index_key.as_str()).cloned();
            nodes.insert(dir.into(), Entry::new(Node::Dir { index }));
        }
        stats.files = resources.len();
        stats.elapsed = started.elapsed();
        let is_file = |path: &str| {
            matches!(
                nodes.get(path.trim_start_matches('/')),
                Some(Entry {
                    node: Node::File(_),
                    ..
                })
            )
        };
        let header_rules = read_rules(&root, "_headers", &options.headers_file, |text, name| {
            rules::parse_headers(text, name)
        })?;
        let redirects = read_rules(
            &root,
            "_redirects",
            &options.redirects_file,
            |text, name| rules::parse_redirects(text, name, is_file),
        )?;
        let path_rules = match_own_paths(&mut nodes, &header_rules);
        Ok(Site {
            not_found: resources.get("404.html").cloned(),
            nodes,
            path_rules,
            stats,
            header_rules,
            redirects,
        })
    }

    /// The node at a decoded relative path (`""` is the root directory).
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path).map(|entry| &entry.node)
    }

    /// The node at a decoded relative path, with the `_headers` rules of its own
    /// path: `/key` for a file, `/key/` (`/` for the root) for a directory, and
    /// their number among the site's distinct rule sets (`0..rule_sets()`; nodes
    /// whose paths match the same rules share one).
    pub fn get_with_rules(&self, path: &str) -> Option<(&Node, &rules::PathRules, usize)> {
        let entry = self.nodes.get(path)?;
        let id = entry.rules as usize;
        Some((&entry.node, &self.path_rules[id], id))
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

/// Matches every node's own path against the `_headers` rules once, and gives
/// each node the index of its result; paths matching the same rules share one.
fn match_own_paths(
    nodes: &mut HashMap<Box<str>, Entry>,
    header_rules: &[rules::HeaderRule],
) -> Vec<rules::PathRules> {
    let mut path_rules = vec![rules::PathRules::NONE];
    if header_rules.is_empty() {
        return path_rules;
    }
    let mut seen: HashMap<Vec<usize>, u32> = HashMap::from([(Vec::new(), 0)]);
    for (key, entry) in nodes.iter_mut() {
        let path = rules::rule_path(key, matches!(entry.node, Node::Dir { .. }));
        let matched = rules::matching(header_rules, &path);
        entry.rules = match seen.get(&matched) {
            Some(&index) => index,
            None => {
                let index = path_rules.len() as u32;
                path_rules.push(rules::PathRules::of(header_rules, &matched));
                seen.insert(matched, index);
                index
            }
        };
    }
    path_rules
}

/// Reads and parses a rule file: `given`, else `ROOT/<name>` if it exists, else
/// no rules. A syntax error is an InvalidData error naming the line.
fn read_rules<T>(
    root: &Path,
    name: &str,
    given: &Option<PathBuf>,
    parse: impl FnOnce(&str, &str) -> Result<Vec<T>, rules::RuleError>,
) -> Result<Vec<T>, LoadError> {
    let path = given.clone().unwrap_or_else(|| root.join(name));
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if given.is_none() && e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(at(&path)(e)),
    };
    parse(&text, name).map_err(|e| LoadError {
        path: path.clone(),
        error: io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line {}: {}", e.line, e.why),
        ),
    })
}

/// Every regular file and directory under `root`, symlinks resolved and confined.
fn walk(
    root: &Path,
    dotfiles: bool,
    stats: &mut LoadStats,
) -> Result<(Vec<Found>, Vec<String>), LoadError> {
    let mut walker = Walker {
        root,
        dotfiles,
        stats,
        files: Vec::new(),
        dirs: Vec::new(),
        ancestors: Vec::new(),
    };
    walker.dir(root.to_path_buf(), String::new())?;
    Ok((walker.files, walker.dirs))
}

struct Walker<'a> {
    root: &'a Path,
    dotfiles: bool,
    stats: &'a mut LoadStats,
    files: Vec<Found>,
    dirs: Vec<String>,
    /// Real paths of the directories being walked, root first: a link to one of
    /// them is a loop. (Other links to the same directory are aliases, served
    /// under each name.)
    ancestors: Vec<PathBuf>,
}

impl Walker<'_> {
    fn dir(&mut self, real_dir: PathBuf, rel_dir: String) -> Result<(), LoadError> {
        let listed =
            fs::read_dir(&real_dir).and_then(|entries| entries.collect::<Result<Vec<_>, _>>());
        let mut entries = match listed {
            Ok(entries) => entries,
            // ROOT itself must be readable; a directory inside it that is not is
            // skipped, with a warning, rather than refusing to serve the rest.
            Err(error) if !rel_dir.is_empty() => {
                self.stats.skip_unreadable(&real_dir, &error);
                return Ok(());
            }
            Err(error) => return Err(at(&real_dir)(error)),
        };
        entries.sort_by_key(|e| e.file_name());
        self.dirs.push(rel_dir.clone());
        self.ancestors.push(real_dir);
        for entry in entries {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                self.warn(format!("skipping {}: name is not UTF-8", path.display()));
                continue;
            };
            // The rule files configure the site; they are never part of it.
            if rel_dir.is_empty() && (name == "_headers" || name == "_redirects") {
                continue;
            }
            if is_hidden(&rel_dir, &name) && !self.dotfiles {
                self.stats.skipped_dotfiles += 1;
                continue;
            }
            let rel = if rel_dir.is_empty() {
                name
            } else {
                format!("{rel_dir}/{name}")
            };
            let found = entry.file_type().and_then(|file_type| {
                if !file_type.is_symlink() {
                    return entry.metadata().map(|meta| Some((path.clone(), meta)));
                }
                match self.link_target(&path) {
                    Ok(target) => fs::metadata(&target).map(|meta| Some((target, meta))),
                    Err(why) => {
                        self.warn(format!("skipping {}: {why}", path.display()));
                        self.stats.skipped_links += 1;
                        Ok(None)
                    }
                }
            });
            let (real, meta) = match found {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(error) => {
                    self.stats.skip_unreadable(&path, &error);
                    continue;
                }
            };
            if meta.is_dir() {
                if self.ancestors.contains(&real) {
                    self.warn(format!(
                        "skipping {rel}: link to a directory that contains it"
                    ));
                    self.stats.skipped_links += 1;
                    continue;
                }
                self.dir(real, rel)?;
            } else if meta.is_file() {
                self.files.push(Found { rel, real, meta });
            }
            // Sockets, FIFOs and devices are not content.
        }
        self.ancestors.pop();
        Ok(())
    }

    fn warn(&mut self, line: String) {
        self.stats.warnings.push(line);
    }

    /// Where a link leads, if it may be followed: inside ROOT, and not to a
    /// dotfile when dotfiles are not served (a link must not unhide one).
    fn link_target(&self, link: &Path) -> Result<PathBuf, &'static str> {
        let target = fs::canonicalize(link).map_err(|_| "broken link")?;
        let inside = target
            .strip_prefix(self.root)
            .map_err(|_| "link points outside ROOT")?;
        let mut parent = String::new();
        let hidden = inside.components().any(|c| {
            let name = c.as_os_str().to_str().unwrap_or(".");
            let hidden = is_hidden(&parent, name);
            parent = if parent.is_empty() {
                name.to_string()
            } else {
                format!("{parent}/{name}")
            };
            hidden
        });
        if hidden && !self.dotfiles {
            return Err("link points to a dotfile");
        }
        Ok(target)
    }
}

/// Whether `name` in the directory `parent` (a site key) is a dotfile that is not
/// served without `--dotfiles`. ROOT's `.well-known` (RFC 8615: security.txt,
/// acme-challenge, assetlinks.json, apple-app-site-association) is served; names
/// starting with `.` inside it are still hidden.
fn is_hidden(parent: &str, name: &str) -> bool {
    name.starts_with('.') && !(parent.is_empty() && name == ".well-known")
}

/// Loads resources, one copy of the bytes per file whatever the number of names
/// (links) that lead to it.
struct Loader<'a> {
    options: &'a SiteOptions,
    stats: &'a mut LoadStats,
    /// (device, inode) -> the bytes and ETag of a file already loaded.
    by_inode: HashMap<(u64, u64), (Bytes, HeaderValue)>,
    /// The files (by device, inode) copied into memory; the rest are mapped.
    copy: HashSet<(u64, u64)>,
}

/// Which files are copied into memory: those up to the preload limit, smallest
/// first, while the total stays within `max_memory` (each file once, whatever
/// the number of its names). Empty files are always "copied" (nothing to map).
fn copies(files: &[Found], options: &SiteOptions) -> HashSet<(u64, u64)> {
    let mut candidates: Vec<(u64, (u64, u64))> = files
        .iter()
        .filter(|f| f.meta.len() <= options.preload_limit)
        .map(|f| (f.meta.len(), (f.meta.dev(), f.meta.ino())))
        .collect();
    candidates.sort_unstable();
    candidates.dedup_by_key(|(_, inode)| *inode);
    let mut total = 0u64;
    candidates
        .into_iter()
        .take_while(|&(len, _)| {
            total += len;
            len == 0 || total <= options.max_memory
        })
        .map(|(_, inode)| inode)
        .collect()
}

impl Loader<'_> {
    fn resource(
        &mut self,
        file: &Found,
        by_rel: &HashMap<&str, &Found>,
    ) -> Result<Resource, LoadError> {
        let identity = self.variant(ContentCoding::Identity, file)?;
        let mut variants = vec![identity];
        for coding in ContentCoding::ALL_CODED {
            let sibling = format!("{}{}", file.rel, coding.extension());
            if let Some(found) = by_rel.get(sibling.as_str()) {
                // A sibling that does not save bytes costs the client a decode for nothing.
                if found.meta.len() < variants[0].len {
                    match self.variant(coding, found) {
                        Ok(variant) => {
                            variants.push(variant);
                            self.stats.encoded_variants += 1;
                        }
                        // The file itself is still served, uncompressed.
                        Err(e) => self.stats.skip_unreadable(&e.path, &e.error),
                    }
                }
            }
        }
        let file_name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
        let content_type = mime::content_type(file_name);
        let cache = &self.options.cache;
        let cache_control = if mime::is_html(content_type) {
            &cache.html
        } else if has_content_hash(file_name) {
            &cache.hashed
        } else {
            &cache.other
        };
        Ok(Resource {
            encodings: variants.iter().map(|v| v.encoding).collect(),
            variants,
            content_type: HeaderValue::from_static(content_type),
            cache_control: cache_control.clone(),
            last_modified: file.meta.modified().ok().and_then(last_modified),
        })
    }

    fn variant(&mut self, encoding: ContentCoding, file: &Found) -> Result<Variant, LoadError> {
        let inode = (file.meta.dev(), file.meta.ino());
        let (content, etag) = match self.by_inode.get(&inode) {
            Some(loaded) => {
                self.stats.shared_names += 1;
                loaded.clone()
            }
            None => {
                let content = self.content(file).map_err(at(&file.real))?;
                let hash = xxhash_rust::xxh3::xxh3_128(&content);
                let etag = HeaderValue::try_from(format!("\"{hash:032x}\""))
                    .expect("hex is a valid header value");
                self.by_inode.insert(inode, (content.clone(), etag.clone()));
                (content, etag)
            }
        };
        let len = content.len() as u64;
        Ok(Variant {
            encoding,
            content,
            len,
            etag,
            content_length: HeaderValue::from(len),
        })
    }

    /// The file's bytes: copied up to the preload limit, mapped above it. Opened
    /// without following a link (the walk resolved links already), and refused if
    /// it is no longer the file the walk found.
    fn content(&mut self, file: &Found) -> io::Result<Bytes> {
        let mut opened = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&file.real)?;
        let meta = opened.metadata()?;
        if (meta.dev(), meta.ino()) != (file.meta.dev(), file.meta.ino()) || !meta.is_file() {
            return Err(io::Error::other(
                "the file changed while ROOT was being loaded",
            ));
        }
        let len = meta.len();
        if len == 0 || self.copy.contains(&(meta.dev(), meta.ino())) {
            let mut bytes = Vec::with_capacity(len as usize);
            opened.read_to_end(&mut bytes)?;
            self.stats.memory_bytes += bytes.len() as u64;
            Ok(Bytes::from(bytes))
        } else {
            let len = usize::try_from(len).map_err(io::Error::other)?;
            let mapping = mapped::Mapping::new(&opened, len)?;
            self.stats.mapped_files += 1;
            self.stats.mapped_bytes += len as u64;
            Ok(Bytes::from_owner(mapping))
        }
    }
}

/// Modification times before 1990 are build artefacts (Nix: 1 s after the epoch;
/// reproducible builds: 0), not facts about the content.
fn last_modified(mtime: SystemTime) -> Option<LastModified> {
    let secs = mtime.duration_since(UNIX_EPOCH).ok()?.as_secs();
    if secs < 631_152_000 {
        return None;
    }
    let time = UNIX_EPOCH + Duration::from_secs(secs);
    let header = HeaderValue::try_from(httpdate::fmt_http_date(time)).ok()?;
    Some(LastModified { time, header })
}

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

/// `1536` -> `1.5 KiB`, in integer arithmetic (float formatting costs 9 KB of binary).
fn human_bytes(n: u64) -> String {
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

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 << 20), "10.0 MiB");
        assert_eq!(human_bytes((3 << 30) + (1 << 29)), "3.5 GiB");
    }

    #[test]
    fn build_timestamps_are_not_validators() {
        assert!(last_modified(UNIX_EPOCH + Duration::from_secs(1)).is_none());
        assert!(last_modified(UNIX_EPOCH).is_none());
        let real = last_modified(UNIX_EPOCH + Duration::from_secs(1_700_000_000)).unwrap();
        assert_eq!(real.header, "Tue, 14 Nov 2023 22:13:20 GMT");
    }
}
