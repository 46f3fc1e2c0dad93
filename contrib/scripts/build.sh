#!/bin/sh
# build.sh - build tlspolicy-milter out of tree: autogen when configure is
# missing, configure with the given arguments, make.
#
#   contrib/scripts/build.sh [BUILDDIR] [configure args...]
# BUILDDIR defaults to ./build under the source tree.  Prints the build
# directory on the last line.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${1:-$srcdir/build}
[ $# -gt 0 ] && shift

if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && ./autogen.sh)
fi
mkdir -p "$builddir"
cd "$builddir"
"$srcdir/configure" "$@"
make -j"$(nproc 2>/dev/null || echo 2)"
echo "built in $builddir"
