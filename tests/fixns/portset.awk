# Set arithmetic on port lists in the kernel's syntax for
# net.ipv4.ip_local_reserved_ports ("1,5-9"), kept apart from portaudit's own
# portset code so that the tests do not check portaudit against itself.
#
#   awk -v op=OP -v a=LIST [-v b=LIST] -f portset.awk </dev/null
#
# op: norm (a), union, minus, inter (a, b): print the result as the kernel
# prints it; subset: print the ports of a missing from b, exit 1 when there are
# any; eq: exit 1 unless a and b hold the same ports.  A list that is not in
# plain decimal syntax (the kernel's and portaudit's output never is) exits 2.

function parse(text, set,    n, i, item, ends, lo, hi, p) {
	gsub(/[ \t\n]+$/, "", text)
	if (text == "")
		return
	n = split(text, item, ",")
	for (i = 1; i <= n; i++) {
		if (item[i] !~ /^[0-9]+(-[0-9]+)?$/) {
			printf "portset.awk: bad list item '%s' in '%s'\n", item[i], text > "/dev/stderr"
			exit 2
		}
		split(item[i], ends, "-")
		lo = ends[1] + 0
		hi = (ends[2] == "" ? lo : ends[2] + 0)
		if (lo > hi || hi > 65535) {
			printf "portset.awk: bad range '%s'\n", item[i] > "/dev/stderr"
			exit 2
		}
		for (p = lo; p <= hi; p++)
			set[p] = 1
		if (lo < min)
			min = lo
		if (hi > max)
			max = hi
	}
}

function format(set,    p, out, start) {
	out = ""
	start = -1
	for (p = min; p <= max + 1; p++) {
		if ((p in set) && start < 0)
			start = p
		else if (!(p in set) && start >= 0) {
			out = out (out == "" ? "" : ",") start (p - 1 > start ? "-" (p - 1) : "")
			start = -1
		}
	}
	return out
}

BEGIN {
	min = 65536
	max = -1
	parse(a, A)
	parse(b, B)
	if (op == "norm") {
		print format(A)
	} else if (op == "union") {
		for (p in B)
			A[p] = 1
		print format(A)
	} else if (op == "minus") {
		for (p in B)
			delete A[p]
		print format(A)
	} else if (op == "inter") {
		for (p in A)
			if (!(p in B))
				delete A[p]
		print format(A)
	} else if (op == "subset") {
		for (p in B)
			delete A[p]
		out = format(A)
		print out
		exit out != ""
	} else if (op == "eq") {
		for (p in A)
			if (!(p in B))
				exit 1
		for (p in B)
			if (!(p in A))
				exit 1
		exit 0
	} else {
		printf "portset.awk: unknown op '%s'\n", op > "/dev/stderr"
		exit 2
	}
}
