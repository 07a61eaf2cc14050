#!/usr/bin/env bash
# Generates a provider from scripts/templates/provider: crates/NAME (the provider, on the kit),
# crates/NAME-sandbox (its look-alike, on sandbox-kit), their conformance and sandbox tests, the
# two [workspace.dependencies] lines, the providers crate's two dependency lines, its one
# registration line and its settings in .env.example. The result compiles and passes its tests untouched (scripts/test-scaffold.sh
# proves it on every `just test`); the README's "Adding a provider" says what is then left.
#
#   scripts/new-provider.sh NAME [WORKSPACE]    (WORKSPACE: default, this checkout)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="${1:-}"
root="${2:-$(cd "$here/.." && pwd)}"
templates="$here/templates/provider"

if ! [[ "$name" =~ ^[a-z][a-z0-9]{1,30}$ ]]; then
  echo "usage: new-provider NAME — 2 to 31 lowercase letters and digits, starting with a letter" >&2
  echo "(NAME is also the routes' id, the storage keys' and the NAME_* settings' prefix)" >&2
  exit 2
fi
for dir in "crates/$name" "crates/$name-sandbox"; do
  if [ -e "$root/$dir" ]; then
    echo "new-provider: $dir already exists" >&2
    exit 1
  fi
done
registry="$root/crates/providers/src/lib.rs"
if grep -q "&$name::FACTORY" "$registry"; then
  echo "new-provider: $name is already registered in crates/providers/src/lib.rs" >&2
  exit 1
fi

display="$(printf '%s' "${name:0:1}" | tr '[:lower:]' '[:upper:]')${name:1}"
upper="$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')"
initial="${display:0:1}"

# Copies a template tree, filling in the placeholders.
render() {
  local from="$1" to="$2"
  (cd "$from" && find . -type f) | while read -r file; do
    mkdir -p "$(dirname "$to/$file")"
    sed -e "s/__NAME__/$upper/g" -e "s/__Name__/$display/g" -e "s/__name__/$name/g" \
      -e "s/__INITIAL__/$initial/g" "$from/$file" > "$to/$file"
  done
}
render "$templates/crate" "$root/crates/$name"
render "$templates/sandbox" "$root/crates/$name-sandbox"

# Inserts `text` after the first line matching `pattern` in `file`.
insert_after() {
  local file="$1" pattern="$2" text="$3"
  python3 - "$file" "$pattern" "$text" <<'PY'
import re, sys
path, pattern, text = sys.argv[1:]
lines = open(path).read().split("\n")
at = next((i for i, l in enumerate(lines) if re.search(pattern, l)), None)
if at is None:
    sys.exit(f"new-provider: no line matching {pattern!r} in {path}")
lines[at + 1:at + 1] = text.split("\n")
open(path, "w").write("\n".join(lines))
PY
}
insert_after "$root/Cargo.toml" '^\[workspace\.dependencies\]' \
  "$name = { path = \"crates/$name\" }
$name-sandbox = { path = \"crates/$name-sandbox\" }"
insert_after "$root/crates/providers/Cargo.toml" '^\[dependencies\]' \
  "$name.workspace = true
$name-sandbox.workspace = true"
# The registration goes last in `all()`, so the provider is offered after the others.
python3 - "$registry" "$name" <<'PY'
import sys
path, name = sys.argv[1:]
text = open(path).read()
start = text.index("pub fn all() -> Vec<Registration> {")
end = text.index("\n    ]\n", start)
line = f"\n        Registration::new(&{name}::FACTORY, {name}_sandbox::sandbox),"
open(path, "w").write(text[:end] + line + text[end:])
PY

# Its settings, beside the other providers' in .env.example.
if [ -f "$root/.env.example" ]; then
  printf '%s\n' "# $display (generated; unset in development → its bundled sandbox):" \
    "# ${upper}_CLIENT_ID=" "# ${upper}_CLIENT_SECRET=" >> "$root/.env.example"
fi

if command -v cargo >/dev/null; then
  (cd "$root" && cargo fmt -p "$name" -p "$name-sandbox" -p providers)
fi
cat <<EOF
Generated crates/$name and crates/$name-sandbox, and registered $display.
  cargo test -p $name                     # conformance + its sandbox: passes as generated
  just run                                # $display is offered, served by its sandbox
Next: the checklist in README.md, "Adding a provider" (and crates/$name/README.md).
EOF
