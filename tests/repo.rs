//! The repository agrees with itself: README's option table is config.rs's
//! OPTIONS, and the standard library's Cargo.lock committed for the Nix build
//! (nix/std-Cargo.lock) is the pinned toolchain's.

use std::path::Path;
use std::process::Command;

use mote::config::OPTIONS;

const README: &str = include_str!("../README.md");

/// The rows of README's "## Options" table, split into cells.
fn option_rows() -> Vec<Vec<String>> {
    let section = README
        .split("\n## Options\n")
        .nth(1)
        .expect("README has an Options section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            line.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

/// Whether a flags cell (`` `-l, --listen ADDR:PORT` ``) names `--long`.
fn names_flag(cell: &str, long: &str) -> bool {
    let flag = format!("--{long}");
    cell.split(|c: char| c == '`' || c == ',' || c.is_whitespace())
        .any(|word| word == flag)
}

#[test]
fn readme_lists_exactly_the_options_with_their_variables_and_defaults() {
    let rows = option_rows();
    assert!(rows.len() >= OPTIONS.len(), "{rows:?}");
    for opt in OPTIONS {
        let row = rows
            .iter()
            .find(|row| names_flag(&row[0], opt.long))
            .unwrap_or_else(|| panic!("README's option table has no row for --{}", opt.long));
        assert!(
            row[1].contains(&format!("`{}`", opt.env())),
            "--{}: README says {:?}, the variable is {}",
            opt.long,
            row[1],
            opt.env()
        );
        match opt.default {
            Some(default) => assert_eq!(row[2], format!("`{default}`"), "--{}", opt.long),
            None => assert!(
                !row[2].starts_with('`'),
                "--{} has no default: {:?}",
                opt.long,
                row[2]
            ),
        }
    }
    for row in &rows {
        let known =
            OPTIONS.iter().any(|opt| names_flag(&row[0], opt.long)) || names_flag(&row[0], "help");
        assert!(
            known,
            "README lists an option mote does not have: {}",
            row[0]
        );
    }
}

#[test]
fn std_lock_for_nix_matches_the_pinned_toolchain() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    // rustup's rustc resolves rust-toolchain.toml from the working directory.
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(repo)
        .output()
        .expect("rustc --print sysroot");
    let sysroot = String::from_utf8(output.stdout).unwrap();
    let toolchain_lock = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/Cargo.lock");
    let Ok(expected) = std::fs::read_to_string(&toolchain_lock) else {
        panic!(
            "{} is missing: the pinned toolchain needs rust-src (rust-toolchain.toml lists it)",
            toolchain_lock.display()
        );
    };
    let committed = std::fs::read_to_string(repo.join("nix/std-Cargo.lock")).unwrap();
    assert!(
        committed == expected,
        "nix/std-Cargo.lock differs from {}: copy it over after changing the toolchain",
        toolchain_lock.display()
    );
}
