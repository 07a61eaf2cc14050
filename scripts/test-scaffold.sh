#!/usr/bin/env bash
# Proves `just new-provider` keeps its promise: in a throwaway copy of this workspace, generate a
# provider and check that it compiles, passes its conformance suite and its sandbox test, stays
# lint-clean and within the providers' size limit, and that the providers crate registers it —
# all untouched. The copy shares this checkout's target directory, so only the copied crates and
# the new ones are built.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t vs-scaffold.XXXXXX)"
trap 'rm -rf "$work"' EXIT

(cd "$root" && git ls-files -co --exclude-standard -z -- Cargo.toml Cargo.lock crates apps tests scripts \
  | tar --null -T - -cf -) | (cd "$work" && tar -xf -)
for extra in rust-toolchain.toml rust-toolchain .cargo; do
  [ -e "$root/$extra" ] && cp -r "$root/$extra" "$work/"
done

bash "$work/scripts/new-provider.sh" acme "$work" >/dev/null
# Refused: an invalid name, and the same name twice.
if bash "$work/scripts/new-provider.sh" Acme-1 "$work" 2>/dev/null; then
  echo "test-scaffold: an invalid name was accepted" >&2; exit 1
fi
if bash "$work/scripts/new-provider.sh" acme "$work" 2>/dev/null; then
  echo "test-scaffold: a second acme was generated" >&2; exit 1
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cd "$work"
cargo fmt --check -p acme -p acme-sandbox -p providers
cargo clippy --offline -q -p acme -p acme-sandbox -p providers --all-targets -- -D warnings
cargo test --offline -q -p acme -p providers
echo "test-scaffold: a generated provider compiles, passes conformance and its sandbox test, and is registered"
