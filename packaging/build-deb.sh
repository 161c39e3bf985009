#!/bin/sh
# Build the Debian binary package from this source tree: copy the tree into a
# scratch directory, put packaging/debian in place as debian/, run
# "dpkg-buildpackage -us -uc -b" there, and copy the results to OUTDIR
# (default: the current directory).  The paths of the .deb files are printed
# on standard output, one a line; the build's own output goes to standard error.
#
# It copies the tree rather than building "make dist"'s tarball: that needs a
# configured build directory, and dh_autoreconf regenerates everything the
# tarball would add.  Which files: in a git checkout, the tracked files (as
# they are in the working tree, so no in-tree build products come along); in
# a release tree (no .git), everything except distcheck's _build and _inst.
# Environment: DEB_BUILD_OPTIONS is passed on (e.g. "nocheck parallel=2").
set -eu

usage() { echo "usage: $0 [OUTDIR]" >&2; exit 2; }
[ $# -le 1 ] || usage
case ${1-} in -*) usage ;; esac

srcdir=$(cd "$(dirname "$0")/.." && pwd)
outdir=$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)
[ -f "$srcdir/packaging/debian/changelog" ] || { echo "$0: $srcdir has no packaging/debian" >&2; exit 1; }

version=$(dpkg-parsechangelog -l "$srcdir/packaging/debian/changelog" -S Version)
upstream=${version%-*}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/portaudit-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
tree="$scratch/portaudit-$upstream"
mkdir "$tree"

if command -v git >/dev/null 2>&1 &&
	top=$(git -C "$srcdir" rev-parse --show-toplevel 2>/dev/null) && [ "$top" = "$srcdir" ]; then
	echo "build-deb: copying the files git tracks in $srcdir" >&2
	git -C "$srcdir" ls-files -z | tar -C "$srcdir" --null -T - -cf - | tar -C "$tree" -xf -
else
	echo "build-deb: copying the release tree $srcdir" >&2
	tar -C "$srcdir" --exclude=./_build --exclude=./_inst --exclude=./.git --exclude=./debian \
		-cf - . | tar -C "$tree" -xf -
fi
# A distcheck tree is read-only, and so is its copy until told otherwise.
chmod -R u+w "$tree"
rm -rf "$tree/debian"
cp -R "$srcdir/packaging/debian" "$tree/debian"
chmod +x "$tree/debian/rules"

# Run from a make recipe (make check runs tests/packaging/deb.sh), the caller's
# MAKEFLAGS carries its command-line variables, TEST_LOGS among them: the
# package's own make would then run the caller's whole test list, this build
# included, again and again.
if ! (cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	dpkg-buildpackage -us -uc -b) >&2; then
	echo "build-deb: dpkg-buildpackage failed in $tree" >&2
	exit 1
fi

found=
for f in "$scratch"/*.deb "$scratch"/*.ddeb "$scratch"/*.changes "$scratch"/*.buildinfo; do
	[ -e "$f" ] || continue
	cp "$f" "$outdir/"
	case $f in *.deb) echo "$outdir/$(basename "$f")"; found=1 ;; esac
done
[ -n "$found" ] || { echo "build-deb: dpkg-buildpackage made no .deb" >&2; exit 1; }
