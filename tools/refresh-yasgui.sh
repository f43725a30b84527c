#!/bin/sh
# Refresh the SPARQL editor's YASGUI build from npm (the pinned version below), into the package's static files.
# Usage: tools/refresh-yasgui.sh [VERSION]     (needs npm; run from the repository root; review and commit the result)
set -eu
VERSION="${1:-4.6.2}"
TARGET="service/cyberframe/web/site/static/vendor/yasgui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "@zazuko/yasgui@$VERSION" >/dev/null && tar xzf zazuko-yasgui-"$VERSION".tgz)
INTEGRITY="$(cd "$WORK" && npm view "@zazuko/yasgui@$VERSION" dist.integrity)"
mkdir -p "$TARGET"
# The built files, without their source-map comments (no .map is shipped, so browsers ask for none).
sed '/^\/\/# sourceMappingURL=/d' "$WORK/package/build/yasgui.min.js" > "$TARGET/yasgui.min.js"
sed 's#/\*\# sourceMappingURL=[^*]*\*/##' "$WORK/package/build/yasgui.min.css" > "$TARGET/yasgui.min.css"
LICENSE="$(cd "$WORK" && node -p "require('./package/package.json').license")"
cat > "$TARGET/LICENSE" <<LICENSE_TEXT
@zazuko/yasgui $VERSION (https://github.com/rdfjs/Yasgui, packages/yasgui), from the npm registry:
$INTEGRITY
License: $LICENSE (package.json of the package; authors: Triply, Zazuko GmbH and the Yasgui contributors)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
USE OR OTHER DEALINGS IN THE SOFTWARE.
LICENSE_TEXT
echo "$VERSION" > "$TARGET/VERSION"
echo "YASGUI $VERSION in $TARGET"
