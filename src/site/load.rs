//! Loading what the walk found: each file's bytes (copied, or mapped above the
//! preload limit), its ETag, type, caching and siblings; the rule files; each
//! node's own `_headers` rules.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderValue;

use super::walk::{walk, Found};
use super::{
    at, human_bytes, mapped, mime, rules, Entry, GeneratedFile, Immutable, LastModified, LoadError,
    LoadStats, Node, Resource, Site, SiteOptions, Variant,
};
use crate::content_coding::ContentCoding;

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
        let walked = walk(&root, options, &mut stats)?;
        let files = walked.files;
        let immutable = Immutable::new(walked.bundler_dirs);

        let (mut nodes, resources) =
            load_nodes(&root, &files, walked.dirs, &immutable, options, &mut stats)?;
        stats.files = resources.len();
        add_generated(&root, &mut nodes, &options.generated)?;
        if options.clean_urls {
            add_clean_urls(&mut nodes, &resources);
        }
        stats.elapsed = started.elapsed();
        // Whether the site answers a path itself: a file, or a directory (its
        // index, or the redirect to its trailing slash).
        let answers = |path: &str| match nodes.get(path.trim_matches('/')).map(|e| &e.node) {
            Some(Node::File(_)) => !path.ends_with('/'),
            Some(Node::Dir { .. }) => true,
            None => false,
        };
        let header_rules = read_rules(&root, "_headers", &options.headers_file, |text, name| {
            rules::parse_headers(text, name)
        })?;
        let redirects = read_rules(
            &root,
            "_redirects",
            &options.redirects_file,
            |text, name| rules::parse_redirects(text, name, answers),
        )?;
        let path_rules = match_own_paths(&mut nodes, &header_rules);
        Ok(Site {
            not_found: not_found_pages(&resources),
            nodes,
            path_rules,
            stats,
            header_rules,
            redirects,
        })
    }
}

/// The site's map, by key.
type Nodes = HashMap<Box<str>, Entry>;

/// The files (with their siblings as variants) and directories as nodes, and the
/// files by key (for the directories' indexes and the 404 page). Copies or maps
/// each file's bytes once, within the mapping budget; unreadable files are
/// skipped with a warning.
fn load_nodes<'f>(
    root: &Path,
    files: &'f [Found],
    dirs: Vec<String>,
    immutable: &Immutable,
    options: &SiteOptions,
    stats: &mut LoadStats,
) -> Result<(Nodes, HashMap<&'f str, Arc<Resource>>), LoadError> {
    let by_rel: HashMap<&str, &Found> = files.iter().map(|f| (f.rel.as_str(), f)).collect();
    // `x.gz` beside `x` is a variant of `x`, not a resource of its own.
    let is_sibling = |rel: &str| {
        ContentCoding::ALL_CODED.iter().any(|e| {
            rel.strip_suffix(e.extension())
                .is_some_and(|base| by_rel.contains_key(base))
        })
    };
    let mut nodes: Nodes = HashMap::with_capacity(files.len() + dirs.len());
    let mut resources: HashMap<&str, Arc<Resource>> = HashMap::new();
    let copy = copies(files, options);
    check_mappings(root, files, &copy, options)?;
    let arena = arena_for(files, &copy);
    let mut loader = Loader {
        copy,
        arena,
        options,
        stats,
        by_inode: HashMap::new(),
    };
    let mut reported = Instant::now();
    for (n, file) in files.iter().filter(|f| !is_sibling(&f.rel)).enumerate() {
        if let Some(progress) = options.progress {
            if n % 256 == 0 && reported.elapsed() >= Duration::from_secs(1) {
                reported = Instant::now();
                progress(n, loader.stats.memory_bytes + loader.stats.mapped_bytes);
            }
        }
        let resource = match loader.resource(file, &by_rel, immutable) {
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
        let index = resources.get(index_key(&dir).as_str()).cloned();
        nodes.insert(dir.into(), Entry::new(Node::Dir { index }));
    }
    Ok((nodes, resources))
}

/// The files made at start, each at a key no file or directory of ROOT has.
fn add_generated(
    root: &Path,
    nodes: &mut Nodes,
    generated: &[GeneratedFile],
) -> Result<(), LoadError> {
    for file in generated {
        if nodes.contains_key(file.key.as_str()) {
            let why = format!(
                "{} /{}: the site has a file or directory there already; choose another path",
                file.origin, file.key
            );
            return Err(LoadError::limit(&root.join(&file.key), why));
        }
        let etag = content_etag(&file.content);
        let variant = variant_of(ContentCoding::Identity, file.content.clone(), etag);
        let name = file.key.rsplit('/').next().unwrap_or(&file.key);
        let resource = Resource {
            encodings: vec![ContentCoding::Identity],
            variants: vec![variant],
            content_type: HeaderValue::from_static(mime::content_type(name)),
            cache_control: HeaderValue::from_static("no-cache"),
            last_modified: None,
        };
        nodes.insert(
            file.key.as_str().into(),
            Entry::new(Node::File(Arc::new(resource))),
        );
    }
    Ok(())
}

/// A strong ETag from a 128-bit hash of the bytes, quoted.
fn content_etag(content: &[u8]) -> HeaderValue {
    let hash = xxhash_rust::xxh3::xxh3_128(content);
    HeaderValue::try_from(format!("\"{hash:032x}\"")).expect("hex is a valid header value")
}

/// A variant of these bytes, with its length formatted once.
fn variant_of(encoding: ContentCoding, content: Bytes, etag: HeaderValue) -> Variant {
    let len = content.len() as u64;
    Variant {
        encoding,
        content,
        len,
        etag,
        content_length: HeaderValue::from(len),
    }
}

/// Clean URLs: `about` serves `about.html` where no file or directory `about`
/// exists (as Netlify, Cloudflare Pages and Vercel do for the `.html` files that
/// Next.js's export, Nuxt or Hugo write). The same resource, so ETag, Range and
/// the precompressed siblings come along; `index.html` is already its directory's.
fn add_clean_urls(nodes: &mut Nodes, resources: &HashMap<&str, Arc<Resource>>) {
    for (rel, resource) in resources {
        let Some(clean) = rel.strip_suffix(".html") else {
            continue;
        };
        let is_index = clean == "index" || clean.ends_with("/index");
        if !is_index && !clean.is_empty() && !clean.ends_with('/') && !nodes.contains_key(clean) {
            nodes.insert(clean.into(), Entry::new(Node::File(resource.clone())));
        }
    }
}

/// Every directory's `404.html`, with the directory's key (`""` for ROOT).
fn not_found_pages(resources: &HashMap<&str, Arc<Resource>>) -> Vec<(Box<str>, Arc<Resource>)> {
    resources
        .iter()
        .filter_map(|(rel, resource)| {
            let dir = match *rel {
                "404.html" => "",
                rel => rel.strip_suffix("/404.html")?,
            };
            Some((dir.into(), resource.clone()))
        })
        .collect()
}

/// Matches every node's own path against the `_headers` rules once, and gives
/// each node the index of its result; paths matching the same rules share one.
fn match_own_paths(nodes: &mut Nodes, header_rules: &[rules::HeaderRule]) -> Vec<rules::PathRules> {
    let mut path_rules = vec![rules::PathRules::NONE];
    if header_rules.is_empty() {
        return path_rules;
    }
    // Keyed by what was matched, and by the guard of a directory's index file.
    let mut seen: HashMap<(Vec<usize>, Option<usize>), u32> =
        HashMap::from([((Vec::new(), None), 0)]);
    for (key, entry) in nodes.iter_mut() {
        let directory = matches!(entry.node, Node::Dir { .. });
        let matched = rules::matching(header_rules, &rules::rule_path(key, directory));
        // A directory serves its index: who may not read the index file may not
        // read it through the directory either.
        let index_guard = match entry.node {
            Node::Dir { index: Some(_) } => {
                let index = rules::rule_path(&index_key(key), false);
                rules::first_guard(header_rules, &rules::matching(header_rules, &index))
            }
            _ => None,
        };
        let facts = (matched, index_guard);
        entry.rules = match seen.get(&facts) {
            Some(&index) => index,
            None => {
                let index = path_rules.len() as u32;
                let mut rules = rules::PathRules::of(header_rules, &facts.0);
                rules.guard_also(index_guard);
                path_rules.push(rules);
                seen.insert(facts, index);
                index
            }
        };
    }
    path_rules
}

/// The key of a directory's index file (`""` -> `index.html`).
fn index_key(dir: &str) -> String {
    if dir.is_empty() {
        "index.html".to_string()
    } else {
        format!("{dir}/index.html")
    }
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
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if given.is_none() && e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(at(&path)(e)),
    };
    let invalid = |line: usize, why: String| LoadError {
        path: path.clone(),
        error: io::Error::new(io::ErrorKind::InvalidData, format!("line {line}: {why}")),
    };
    let text = rule_text(&bytes).map_err(|(line, why)| invalid(line, why))?;
    parse(text, name).map_err(|e| invalid(e.line, e.why))
}

/// A rule file's text: UTF-8, with a byte-order mark (editors on Windows write
/// one) left out. Else the line of the first byte that is not UTF-8.
fn rule_text(bytes: &[u8]) -> Result<&str, (usize, String)> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        (
            line,
            format!(
                "byte 0x{:02x} is not UTF-8 (save the file as UTF-8)",
                bytes[e.valid_up_to()]
            ),
        )
    })
}

/// The files mapped (not copied) at most, when the kernel does not say: each
/// mapping is one of the process's memory areas, which Linux bounds at
/// `vm.max_map_count` (65,530 by default); half is left for the allocator, the
/// threads' stacks and the runtime.
pub const MAX_MAPPINGS: usize = 32_765;

/// Half of `vm.max_map_count`, or [`MAX_MAPPINGS`].
fn mapping_budget() -> usize {
    fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok())
        .map_or(MAX_MAPPINGS, |count| count / 2)
}

/// Refuses a site that would need more mappings than the kernel allows (one per
/// distinct file not copied into memory), naming the flag that fixes it: a
/// mapping that fails at load is skipped, but past the limit even the
/// allocator's next mapping fails, and the process aborts.
fn check_mappings(
    root: &Path,
    files: &[Found],
    copy: &HashSet<(u64, u64)>,
    options: &SiteOptions,
) -> Result<(), LoadError> {
    let budget = mapping_budget();
    let mut seen = HashSet::new();
    let (mut copied_bytes, mut large, mut small_mapped) = (0u64, 0usize, Vec::new());
    for file in files {
        let inode = (file.meta.dev(), file.meta.ino());
        if file.meta.len() == 0 || !seen.insert(inode) {
            continue;
        }
        match (
            copy.contains(&inode),
            file.meta.len() > options.preload_limit,
        ) {
            (true, _) => copied_bytes += file.meta.len(),
            (false, true) => large += 1,
            (false, false) => small_mapped.push(file.meta.len()),
        }
    }
    let mapped = large + small_mapped.len();
    if mapped <= budget {
        return Ok(());
    }
    let why = if large > budget {
        format!(
            "{large} files are larger than --preload-limit ({}) and each would be mapped; this kernel allows {budget} mappings (half of vm.max_map_count): raise --preload-limit",
            human_bytes(options.preload_limit)
        )
    } else {
        small_mapped.sort_unstable();
        let more: u64 = small_mapped[..mapped - budget].iter().sum();
        format!(
            "{mapped} files do not fit in --max-memory ({}) and each would be mapped; this kernel allows {budget} mappings (half of vm.max_map_count): raise --max-memory to at least {}",
            human_bytes(options.max_memory),
            flag_size(copied_bytes + more)
        )
    };
    Err(LoadError::limit(root, why))
}

/// `bytes` as a size the flags take, rounded up: `473K`, `12M`, `2G`.
fn flag_size(bytes: u64) -> String {
    let (unit, shift) = match bytes {
        b if b > 1 << 30 => ("G", 30),
        b if b > 1 << 20 => ("M", 20),
        _ => ("K", 10),
    };
    format!("{}{unit}", bytes.div_ceil(1 << shift))
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
    /// Where the copies of large files go (the heap where there is none).
    arena: Option<mapped::Arena>,
}

/// The memory file for the copied files of [`mapped::SEND_FROM_FILE`] bytes or
/// more, each once; none if there are none or the kernel has no memfd.
fn arena_for(files: &[Found], copy: &HashSet<(u64, u64)>) -> Option<mapped::Arena> {
    let mut seen = HashSet::new();
    let capacity: u64 = files
        .iter()
        .filter(|f| f.meta.len() >= mapped::SEND_FROM_FILE as u64)
        .map(|f| (f.meta.len(), (f.meta.dev(), f.meta.ino())))
        .filter(|&(_, inode)| copy.contains(&inode) && seen.insert(inode))
        .map(|(len, _)| len)
        .sum();
    if capacity == 0 {
        return None;
    }
    mapped::Arena::new(usize::try_from(capacity).ok()?).ok()
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
        immutable: &Immutable,
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
        } else if immutable.contains(&file.rel) {
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
                let etag = content_etag(&content);
                self.by_inode.insert(inode, (content.clone(), etag.clone()));
                (content, etag)
            }
        };
        Ok(variant_of(encoding, content, etag))
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
        let copied = len == 0 || self.copy.contains(&(meta.dev(), meta.ino()));
        if let Some(arena) = self.arena.as_mut().filter(|_| copied) {
            if len >= mapped::SEND_FROM_FILE as u64 {
                let bytes = arena.copy(&opened, len as usize)?;
                self.stats.memory_bytes += len;
                return Ok(bytes);
            }
        }
        if copied {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_timestamps_are_not_validators() {
        assert_eq!(flag_size(1), "1K");
        assert_eq!(flag_size(484_147), "473K");
        assert_eq!(flag_size((12 << 20) - 5), "12M");
        assert_eq!(flag_size((3 << 30) + 1), "4G");
        assert!(last_modified(UNIX_EPOCH + Duration::from_secs(1)).is_none());
        assert!(last_modified(UNIX_EPOCH).is_none());
        let real = last_modified(UNIX_EPOCH + Duration::from_secs(1_700_000_000)).unwrap();
        assert_eq!(real.header, "Tue, 14 Nov 2023 22:13:20 GMT");
    }
}
