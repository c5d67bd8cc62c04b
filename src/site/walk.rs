//! The walk of ROOT: every regular file and directory under it, links resolved
//! and confined to it, dotfiles (but `.well-known`) left out unless asked.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::hashed::DirTally;
use super::{at, LoadError, LoadStats, SiteOptions};

/// The most names (files and directories, each name a link gives counted) a
/// site may have: names cost memory and load time whether or not they are
/// distinct files, and a few links between directories multiply them.
pub const MAX_NAMES: usize = 500_000;
/// The most names under directories reached through a link to a directory (a
/// directory served under a second name): each such link repeats a whole tree,
/// and a few of them nested multiply it (19 directories with 36 links made a
/// million names).
pub const MAX_LINKED_NAMES: usize = 100_000;
/// The deepest a directory may be below ROOT.
pub const MAX_DEPTH: usize = 128;

/// A regular file found by the walk.
pub(super) struct Found {
    pub rel: String,
    pub real: PathBuf,
    pub meta: fs::Metadata,
}

/// What the walk found.
pub(super) struct Walked {
    pub files: Vec<Found>,
    pub dirs: Vec<String>,
    /// The directories that are a bundler's output (see [`DirTally`]).
    pub bundler_dirs: Vec<String>,
}

/// Every regular file and directory under `root`, symlinks resolved and confined.
pub(super) fn walk(
    root: &Path,
    options: &SiteOptions,
    stats: &mut LoadStats,
) -> Result<Walked, LoadError> {
    let mut walker = Walker {
        root,
        dotfiles: options.dotfiles,
        progress: options.progress,
        reported: Instant::now(),
        in_links: 0,
        linked_names: 0,
        stats,
        files: Vec::new(),
        dirs: Vec::new(),
        ancestors: Vec::new(),
        tallies: Vec::new(),
        bundler_dirs: Vec::new(),
    };
    walker.dir(root.to_path_buf(), String::new())?;
    Ok(Walked {
        files: walker.files,
        dirs: walker.dirs,
        bundler_dirs: walker.bundler_dirs,
    })
}

struct Walker<'a> {
    root: &'a Path,
    dotfiles: bool,
    /// [`SiteOptions::progress`], and when it was last called.
    progress: Option<fn(usize, u64)>,
    reported: Instant,
    /// How many links to directories the walk is inside now, and the names it
    /// found inside any.
    in_links: usize,
    linked_names: usize,
    stats: &'a mut LoadStats,
    files: Vec<Found>,
    dirs: Vec<String>,
    /// Real paths of the directories being walked, root first: a link to one of
    /// them is a loop. (Other links to the same directory are aliases, served
    /// under each name.)
    ancestors: Vec<PathBuf>,
    /// The names of the files in each directory being walked, by kind of hash.
    tallies: Vec<DirTally>,
    bundler_dirs: Vec<String>,
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
        self.check_limits(&rel_dir, entries.len())?;
        self.dirs.push(rel_dir.clone());
        self.ancestors.push(real_dir);
        self.tallies.push(DirTally::default());
        for entry in entries {
            self.entry(&entry, &rel_dir)?;
        }
        self.ancestors.pop();
        if self
            .tallies
            .pop()
            .is_some_and(|tally| tally.is_bundler_output())
        {
            self.bundler_dirs.push(rel_dir);
        }
        Ok(())
    }

    /// Refuses to go deeper than [`MAX_DEPTH`] or past [`MAX_NAMES`] and
    /// [`MAX_LINKED_NAMES`], `count` names being about to be added in `rel_dir`.
    fn check_limits(&mut self, rel_dir: &str, count: usize) -> Result<(), LoadError> {
        if self.ancestors.len() > MAX_DEPTH {
            return Err(LoadError::limit(
                self.root,
                format!("{rel_dir} is more than {MAX_DEPTH} directories deep"),
            ));
        }
        if self.files.len() + self.dirs.len() + count > MAX_NAMES {
            return Err(LoadError::limit(
                self.root,
                format!(
                    "more than {MAX_NAMES} names (files and directories, each link counted) by {rel_dir:?}"
                ),
            ));
        }
        if self.in_links > 0 {
            self.linked_names += count;
            if self.linked_names > MAX_LINKED_NAMES {
                return Err(LoadError::limit(
                    self.root,
                    format!(
                        "more than {MAX_LINKED_NAMES} names under links to directories (by {rel_dir:?}): links that repeat whole trees"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One entry of a directory: skipped (a rule file, a dotfile, a bad link, an
    /// unreadable one), recorded (a file) or walked (a directory).
    fn entry(&mut self, entry: &fs::DirEntry, rel_dir: &str) -> Result<(), LoadError> {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            self.warn(format!("skipping {}: name is not UTF-8", path.display()));
            return Ok(());
        };
        // The rule files configure the site; they are never part of it.
        if rel_dir.is_empty() && (name == "_headers" || name == "_redirects") {
            return Ok(());
        }
        if is_hidden(rel_dir, &name) && !self.dotfiles {
            self.stats.skipped_dotfiles += 1;
            return Ok(());
        }
        let rel = if rel_dir.is_empty() {
            name
        } else {
            format!("{rel_dir}/{name}")
        };
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        let found = match is_link {
            false => entry.metadata().map(|meta| Some((path.clone(), meta))),
            true => match self.link_target(&path) {
                Ok(target) => fs::metadata(&target).map(|meta| Some((target, meta))),
                Err(why) => {
                    self.warn(format!("skipping {}: {why}", path.display()));
                    self.stats.skipped_links += 1;
                    Ok(None)
                }
            },
        };
        let (real, meta) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(()),
            Err(error) => {
                self.stats.skip_unreadable(&path, &error);
                return Ok(());
            }
        };
        if meta.is_dir() {
            if self.ancestors.contains(&real) {
                self.warn(format!(
                    "skipping {rel}: link to a directory that contains it"
                ));
                self.stats.skipped_links += 1;
                return Ok(());
            }
            self.in_links += usize::from(is_link);
            let walked = self.dir(real, rel);
            self.in_links -= usize::from(is_link);
            walked?;
        } else if meta.is_file() {
            if let Some(tally) = self.tallies.last_mut() {
                tally.add(rel.rsplit('/').next().unwrap_or(&rel));
            }
            self.files.push(Found { rel, real, meta });
            self.report();
        }
        // Sockets, FIFOs and devices are not content.
        Ok(())
    }

    /// The files found so far, once a second after the first.
    fn report(&mut self) {
        let Some(progress) = self.progress else {
            return;
        };
        if self.files.len() % 256 == 0 && self.reported.elapsed() >= Duration::from_secs(1) {
            self.reported = Instant::now();
            progress(self.files.len(), 0);
        }
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
pub(super) fn is_hidden(parent: &str, name: &str) -> bool {
    name.starts_with('.') && !(parent.is_empty() && name == ".well-known")
}
