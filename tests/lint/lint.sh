#!/bin/sh
# Static analysis of src/ and include/portaudit/ with cppcheck and clang-tidy
# (issue 9).  Every warning either is in tests/lint/suppressions with the reason
# it is not a defect, or fails the test.  A finding is keyed by tool, file,
# enclosing function, check and message, never by line, so that edits elsewhere
# in a file do not break the list.  Outputs go to the build tree: the source
# tree may be read-only (distcheck).
# shellcheck disable=SC2154 # abs_top_srcdir and abs_top_builddir come from make
# shellcheck source=tests/lib/tap.sh
. "$abs_top_srcdir/tests/lib/tap.sh"
srcdir=$abs_top_srcdir
lintdir=$srcdir/tests/lint
out=$abs_top_builddir/tests/lint

command -v cppcheck >/dev/null 2>&1 ||
	skip_all "cppcheck is not installed (Debian package cppcheck)"
command -v clang-tidy >/dev/null 2>&1 ||
	skip_all "clang-tidy is not installed (Debian package clang-tidy)"

mkdir -p "$out" || exit 1
tmp=$(mktemp -d "$out/tmp-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

plan 7

# The sources, largest first so that the parallel clang-tidy runs end together.
# shellcheck disable=SC2012
files=$(cd "$srcdir" && ls -S src/*.c)
headers=$(cd "$srcdir" && ls include/portaudit/*.h)
jobs=$(nproc 2>/dev/null || echo 2)
# The library flags of the build, from the Makefile; pkg-config's when run by hand.
: "${LINT_CPPFLAGS=$(pkg-config --cflags yaml-0.1 libsystemd libmnl json-c 2>/dev/null)}"

# 1. A compile database like the build's: the same config.h, include path and
# library flags.
{
	echo '['
	sep=
	for f in $files; do
		printf '%s{"directory":"%s","file":"%s/%s","arguments":["cc","-std=gnu11","-include","%s/config.h","-I%s/include"' \
			"$sep" "$abs_top_builddir" "$srcdir" "$f" "$abs_top_builddir" "$srcdir"
		for flag in $LINT_CPPFLAGS; do
			printf ',"%s"' "$flag"
		done
		printf ',"-c","%s/%s"]}\n' "$srcdir" "$f"
		sep=,
	done
	echo ']'
} >"$out/compile_commands.json"
n_files=$(echo "$files" | wc -w)
n_db=$(grep -c '"file"' "$out/compile_commands.json")
# shellcheck disable=SC1003 # a backslash in single quotes, as meant
case "$srcdir$abs_top_builddir$LINT_CPPFLAGS" in
*'"'* | *'\'*) n_db="a path or flag with a quote or backslash, which this JSON cannot hold" ;;
esac
is "$n_db" "$n_files" "compile database lists the $n_files files of src/"

# FILE LINE: the function (or macro) whose definition encloses LINE of FILE,
# from the last line at column 0 before it that starts a definition.
enclosing() {
	awk -v l="$2" 'NR > l { exit }
		/^(#define +)?[A-Za-z_][A-Za-z0-9_ *(),]*\(/ && !/;[[:space:]]*$/ { f = $0 }
		END {
			gsub(/_[a-z]+_(\([^)]*\))? +/, "", f)  # _printf_(2, 3), _pure_
			sub(/\(.*/, "", f)
			n = split(f, w, /[ *]+/)
			print (n && w[n] != "" ? w[n] : "-")
		}' "$srcdir/$1"
}

# TOOL: "FILE:LINE:COL: SEVERITY: MESSAGE [CHECK]" on stdin to keys on stdout;
# a line that does not parse (a tool error) is a finding too.
keys() {
	while IFS= read -r line; do
		case "$line" in
		*:[0-9]*:[0-9]*': '*' ['*']')
			file=${line%%:*}
			rest=${line#*:}
			lno=${rest%%:*}
			rest=${rest#*: }
			rest=${rest#*: }
			check=${rest##* [}
			check=${check%]}
			msg=${rest% \[*}
			echo "$1 $file $(enclosing "$file" "$lno") $check $msg"
			;;
		*) echo "$1 ? - unparsed $line" ;;
		esac
	done
}

# 2. cppcheck.  Style checks that are taste, not defects, are off here, each
# with its reason:
#   variableScope: the house style declares a function's variables at the top.
#   readdirCalled: readdir_r is deprecated (glibc 2.24); portaudit has one
#     thread and every directory stream is its own.
# shellcheck disable=SC2086 # $files: one argument per file
(
	cd "$srcdir" &&
	cppcheck -j "$jobs" -q --std=c11 --language=c --library=posix --library=gnu \
		--enable=warning,style,performance,portability --inconclusive --inline-suppr \
		-I include --include="$abs_top_builddir/config.h" \
		--suppress=missingIncludeSystem --suppress=variableScope --suppress=readdirCalled \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		$files
) >"$tmp/cppcheck.raw" 2>&1
rc=$?
sed "s|^$srcdir/||" "$tmp/cppcheck.raw" | sort -u >"$out/cppcheck.out"
is "$rc" 0 "cppcheck runs"
keys cppcheck <"$out/cppcheck.out" >"$tmp/found"

# 3. clang-tidy, one process per file; checks and options in clang-tidy.yaml.
# shellcheck disable=SC2016 # the inner shell expands them
echo "$files" | tr ' ' '\n' | xargs -P "$jobs" -I{} sh -c \
	'clang-tidy --quiet --config-file="$1/clang-tidy.yaml" -p "$2" "$3/{}" \
		>"$4/tidy.$(basename {}).out" 2>"$4/tidy.$(basename {}).err"' \
	sh "$lintdir" "$out" "$srcdir" "$tmp"
rc=$?
cat "$tmp"/tidy.*.out | sed "s|^$srcdir/||" >"$out/clang-tidy.out"
is "$rc" 0 "clang-tidy runs on every file"
[ "$rc" -eq 0 ] || cat "$tmp"/tidy.*.err | grep -v 'warnings generated' | sed 's/^/# /'
grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$out/clang-tidy.out" | sort -u |
	keys clang-tidy >>"$tmp/found"
sort -u -o "$tmp/found" "$tmp/found"

# 4. Every suppression has a reason; then what is neither suppressed nor fixed.
bad=$(grep -v '^#' "$lintdir/suppressions" | grep -v '^$' | grep -v ' -- ..........' || true)
is "$bad" "" "every entry of tests/lint/suppressions gives its reason after ' -- '"
grep -v '^#' "$lintdir/suppressions" | grep -v '^$' | sed 's/ -- .*//' | sort -u >"$tmp/known"
# Each new finding, then where the tool reported it.
show() {
	echo "$new" | while read -r tool file func check msg; do
		echo "# new: $tool $file $func $check $msg"
		grep -F "$file:" "$out/$tool.out" | grep -F -- "$msg" | sed 's/^/#   at /'
	done
}
new=$(grep '^cppcheck ' "$tmp/found" | grep -vxF -f "$tmp/known" || true)
ok "$([ -z "$new" ]; echo $?)" "cppcheck: no warning that tests/lint/suppressions does not justify"
[ -z "$new" ] || show
new=$(grep '^clang-tidy ' "$tmp/found" | grep -vxF -f "$tmp/known" || true)
ok "$([ -z "$new" ]; echo $?)" "clang-tidy: no warning that tests/lint/suppressions does not justify"
[ -z "$new" ] || show
stale=$(grep -vxF -f "$tmp/found" "$tmp/known" || true)
[ -z "$stale" ] || echo "$stale" | sed 's/^/# no longer reported, the entry can go: /'
echo "# found: $(grep -c '^cppcheck ' "$tmp/found") by cppcheck, $(grep -c '^clang-tidy ' "$tmp/found") by clang-tidy; $(wc -l <"$tmp/known") entries in tests/lint/suppressions"

# 5. Unbounded string functions and shell-outs: none in the code (comments
# stripped by the preprocessor without expanding anything).
banned='(^|[^A-Za-z0-9_])(strcpy|strcat|stpcpy|sprintf|vsprintf|gets|strtok|system|popen)[[:space:]]*\('
hits=
for f in $files $headers; do
	h=$(cd "$srcdir" && ${CC_FOR_LINT:-gcc} -fpreprocessed -dD -E -P "$f" 2>/dev/null | grep -E "$banned")
	[ -z "$h" ] || hits="$hits$f: $h
"
done
is "$hits" "" "no strcpy, strcat, stpcpy, sprintf, vsprintf, gets, strtok, system or popen"

echo "# cppcheck and clang-tidy took $(($(date +%s) - start)) s with $jobs jobs"
done_testing
