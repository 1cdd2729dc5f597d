#!/usr/bin/env bash
# The web page's third-party files, vendored from the npm registry: tus-js-client's browser build (served with the
# page) and axe-core (the browser tests only). Nothing builds or runs with npm; this script is how the copies are
# checked and renewed. It fetches each pinned package with npm, checks the tarball against the pinned integrity
# (npm's dist.integrity, sha512), and compares the files taken from it with the committed copies.
#
#   scripts/vendor-web.sh           check: every committed copy is byte for byte the pinned package's file
#   scripts/vendor-web.sh --update  write the pinned packages' files over the copies (after changing a pin below;
#                                   a new tus-js-client version also renames its file, which index.html names)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEB="gateway/src/main/resources/web"

# package version integrity folder file-in-package=copy-name...
PINS=(
  "tus-js-client 4.3.1 sha512-ZLeYmjrkaU1fUsKbIi8JML52uAocjEZtBx4DKjRrqzrZa0O4MYwT6db+oqePlspV+FxXJAyFBc/L5gwUi2OFsg==
   $WEB dist/tus.min.js=tus-js-client-4.3.1.min.js LICENSE=tus-js-client-4.3.1.LICENSE.txt"
  "axe-core 4.14.1 sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
   system-tests/src/test/resources/axe-core-4.14.1 axe.min.js=axe.min.js LICENSE=LICENSE LICENSE-3RD-PARTY.txt=LICENSE-3RD-PARTY.txt"
)

update=false
[ "${1:-}" = --update ] && update=true
command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for pin in "${PINS[@]}"; do
  read -r package version integrity folder files <<<"$(echo $pin)"
  tarball=$(cd "$work" && npm pack --silent "$package@$version")
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "$package@$version: the registry's tarball is $actual, not the pinned $integrity" >&2
    exit 1
  fi
  mkdir -p "$work/$package"
  tar -xzf "$work/$tarball" -C "$work/$package"
  for mapping in $files; do
    source="$work/$package/package/${mapping%%=*}"
    copy="$ROOT/$folder/${mapping#*=}"
    if $update; then
      mkdir -p "$(dirname "$copy")"
      cp "$source" "$copy"
      echo "wrote $folder/${mapping#*=} from $package@$version"
    elif cmp -s "$source" "$copy"; then
      echo "ok     $folder/${mapping#*=} is $package@$version's ${mapping%%=*}"
    else
      echo "DIFFERS $folder/${mapping#*=} is not $package@$version's ${mapping%%=*}" >&2
      status=1
    fi
  done
done
exit $status
