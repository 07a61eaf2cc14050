//! The provider kit's promise, kept: a provider after HubSpot is at most 150 lines of `src/`
//! (default rustfmt, comments included), its sandbox in its own crate.

use std::path::Path;

const LIMIT: usize = 150;

fn lines_under(dir: &Path) -> usize {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .map(|entry| entry.expect("a directory entry").path())
        .map(|path| match path.is_dir() {
            true => lines_under(&path),
            false if path.extension().is_some_and(|e| e == "rs") => std::fs::read_to_string(&path)
                .expect("readable")
                .lines()
                .count(),
            false => 0,
        })
        .sum()
}

#[test]
fn notion_and_airtable_are_each_at_most_150_lines() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for provider in ["notion", "airtable"] {
        let lines = lines_under(&crates.join(provider).join("src"));
        assert!(
            lines <= LIMIT,
            "crates/{provider}/src has {lines} lines (> {LIMIT})"
        );
        assert!(
            lines > 50,
            "crates/{provider}/src has only {lines} lines: moved?"
        );
    }
}
