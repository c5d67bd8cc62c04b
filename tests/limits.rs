//! A site of any shape loads, or is refused at start naming the limit it is
//! over: the mappings the kernel allows, names multiplied by links, depth. Never
//! an abort, never a load that grows without bound.

mod common;

use std::os::unix::fs::symlink;

use common::{Server, TempDir};

/// More files beyond --max-memory than the kernel allows mappings (one each):
/// refused, naming vm.max_map_count and the --max-memory that fits; with it, the
/// site serves. (It aborted: "memory allocation of 88 bytes failed", exit 134.)
#[test]
fn more_files_than_mappings_are_refused_naming_the_memory_that_fits() {
    let root = TempDir::new("mappings");
    for i in 0..70_000 {
        root.write(&format!("d{}/f{i}.txt", i % 100), format!("file {i:>8}"));
    }
    let dir = root.path().to_str().unwrap();
    let stderr = common::refuses(
        &["--max-memory", "1K", dir],
        &["do not fit in --max-memory (1.0 KiB)", "vm.max_map_count"],
    );
    let fits = stderr
        .split("raise --max-memory to at least ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no --max-memory to use in {stderr}"));
    let server = Server::start(root.path(), &["--max-memory", fits]);
    assert_eq!(
        server.get("/d7/f69907.txt").text(),
        format!("file {:>8}", 69_907)
    );
}

/// Links between directories multiply names: bounded, with a clear error.
#[test]
fn links_that_multiply_names_are_refused() {
    let root = TempDir::new("alias-bomb");
    for i in 0..50 {
        root.write(&format!("a/f{i}"), "x");
    }
    std::fs::create_dir(root.path().join("b")).unwrap();
    std::fs::create_dir(root.path().join("c")).unwrap();
    for i in 0..50 {
        symlink(root.path().join("a"), root.path().join(format!("b/a{i}"))).unwrap();
        symlink(root.path().join("b"), root.path().join(format!("c/b{i}"))).unwrap();
    }
    common::refuses(
        &[root.path().to_str().unwrap()],
        &["more than 100000 names under links to directories"],
    );
    // One level of links (2,550 names) is a site like any other.
    std::fs::remove_dir_all(root.path().join("c")).unwrap();
    let server = Server::start(root.path(), &[]);
    assert_eq!(server.get("/b/a49/f49").text(), "x");
}

/// A tree deeper than the limit is refused naming where; one at the limit loads.
#[test]
fn trees_deeper_than_the_limit_are_refused() {
    let root = TempDir::new("deep-tree");
    let deep = |levels: usize| vec!["d"; levels].join("/");
    root.write(&format!("{}/leaf.txt", deep(128)), "leaf");
    let server = Server::start(root.path(), &[]);
    assert_eq!(
        server.get(&format!("/{}/leaf.txt", deep(128))).text(),
        "leaf"
    );
    drop(server);
    root.write(&format!("{}/leaf.txt", deep(129)), "leaf");
    common::refuses(
        &[root.path().to_str().unwrap()],
        &["is more than 128 directories deep"],
    );
}
