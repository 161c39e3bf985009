/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sockets_read() on the live root when netlink sock_diag is unavailable: a
 * seccomp filter makes one system call fail the way a sandbox, an old kernel
 * or a missing module would, and the reader must fall back to /proc/net, say
 * why in a note, and return what procfs returns.  Also the bound-inactive probe:
 * when its socket cannot be made, the answer is "cannot tell", unless the dump
 * showed bound-inactive sockets anyway.
 *
 * Each case runs in a child process (a seccomp filter cannot be removed) in a
 * network namespace of its own with a few sockets, so that both reads see the
 * same sockets.  Skipped when no namespace can be created (not root).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/sockets.h"

#if defined(__x86_64__)
#define ARCH_NR AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH_NR AUDIT_ARCH_AARCH64
#endif

#define EXIT_SKIP 77

/* Fail in the child: say why on stderr, exit 1 (the parent asserts 0). */
#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond);         \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

/* Which call fails, and how. */
struct fault {
	long nr;       /* system call number, or -1 for none */
	bool match_arg0;
	uint32_t arg0; /* e.g. the socket family */
	int error;
};

#ifdef ARCH_NR
static void install(const struct fault *f)
{
	const uint32_t ret_errno = SECCOMP_RET_ERRNO | ((uint32_t)f->error & SECCOMP_RET_DATA);
	/* The low half of the 64-bit argument. */
	const uint32_t arg0 = offsetof(struct seccomp_data, args[0]) +
			      (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0);
	struct sock_filter prog[10];
	struct sock_fprog fprog = { .filter = prog };
	size_t n = 0;

	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
	/* nr (and arg0 if asked) match: the error; anything else: allowed. */
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)f->nr, 0,
						 f->match_arg0 ? 3 : 1);
	if (f->match_arg0) {
		prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg0);
		prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, f->arg0, 0, 1);
	}
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret_errno);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	fprog.len = (unsigned short)n;

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS: %m");
	CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == 0, "PR_SET_SECCOMP: %m");
}
#endif

static int tcp_socket(const char *addr, uint16_t port, bool do_listen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0, "socket: %m");
	CHECK(inet_pton(AF_INET, addr, &sa.sin_addr) == 1, "%s", addr);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s:%u: %m", addr, port);
	if (do_listen)
		CHECK(listen(fd, 16) == 0, "listen: %m");
	return fd;
}

static int udp_socket(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0, "socket: %m");
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind udp %u: %m", port);
	return fd;
}

/* Whether the running kernel is at least major.minor. */
static bool kernel_at_least(unsigned major, unsigned minor)
{
	struct utsname u;
	unsigned a = 0, b = 0;

	CHECK(uname(&u) == 0, "uname: %m");
	CHECK(sscanf(u.release, "%u.%u", &a, &b) == 2, "kernel release '%s'", u.release);
	return a > major || (a == major && b >= minor);
}

static void check_note(const struct diag *d, size_t i, const char *want)
{
	char b[1024];

	CHECK(i < d->n, "note %zu of %zu", i, d->n);
	diag_format(&d->entries[i], b, sizeof(b));
	CHECK(strcmp(b, want) == 0, "note '%s', want '%s'", b, want);
}

/* What a case sets up and expects. */
struct expect {
	bool bound_socket;       /* make a bound-inactive socket before the fault */
	bool bound_inactive;     /* the automatic read's ->bound_inactive */
	const char *note;        /* the automatic read's only note, or NULL for none */
	const char *forced_note; /* the forced netlink read fails with this note, or NULL */
	int forced_error;        /* and this error */
};

/*
 * The child: a fresh netns with two listeners, a UDP socket and maybe a
 * bound-inactive socket; then the fault; then the checks.
 */
static void child(const struct fault *f, const struct expect *e)
{
	struct root *r = NULL;
	struct sockets s, p;
	struct diag notes;
	int k;

	if (unshare(CLONE_NEWNET) < 0)
		exit(EXIT_SKIP);
	tcp_socket("127.0.0.1", 5000, true);
	tcp_socket("0.0.0.0", 5001, true);
	if (e->bound_socket)
		tcp_socket("127.0.0.1", 7000, false);
	udp_socket(5300);
	CHECK(root_new("/", &r) == 0, "root_new");
#ifdef ARCH_NR
	if (f->nr >= 0)
		install(f);
#endif

	diag_init(&notes, 0);
	k = sockets_read(r, NULL, &notes, &s);
	CHECK(k == 0, "sockets_read: %s", strerror(-k));
	if (e->note) {
		CHECK(notes.total == 1, "%zu notes", notes.total);
		check_note(&notes, 0, e->note);
	} else
		CHECK(notes.total == 0, "%zu notes", notes.total);
	CHECK(s.bound_inactive == e->bound_inactive, "bound_inactive %d", s.bound_inactive);
	diag_done(&notes);

	diag_init(&notes, 0);
	k = sockets_read_backend(r, SOCKETS_PROCFS, NULL, &notes, &p);
	CHECK(k == 0, "procfs: %s", strerror(-k));
	CHECK(notes.total == 0, "%zu notes from procfs", notes.total);
	diag_done(&notes);
	/* procfs cannot see the bound-inactive socket; everything else is the same. */
	CHECK(p.listeners.n == 2, "%zu listeners from procfs", p.listeners.n);
	CHECK(s.listeners.n == p.listeners.n + (s.bound_inactive && e->bound_socket),
	      "%zu listeners, procfs %zu", s.listeners.n, p.listeners.n);
	for (size_t i = 0; i < p.listeners.n; i++) {
		bool found = false;

		for (size_t j = 0; j < s.listeners.n; j++)
			found |= s.listeners.v[j].lport == p.listeners.v[i].lport &&
				 s.listeners.v[j].inode == p.listeners.v[i].inode &&
				 s.listeners.v[j].state == SOCKREC_LISTEN;
		CHECK(found, "listener on port %u missing", p.listeners.v[i].lport);
	}
	CHECK(s.udp.n == 1 && p.udp.n == 1 && s.udp.v[0].inode == p.udp.v[0].inode,
	      "udp %zu / %zu", s.udp.n, p.udp.n);
	CHECK(s.n_tcp_other == 0 && p.n_tcp_other == 0, "other TCP %llu / %llu",
	      (unsigned long long)s.n_tcp_other, (unsigned long long)p.n_tcp_other);
	sockets_done(&p);

	diag_init(&notes, 0);
	k = sockets_read_backend(r, SOCKETS_NETLINK, NULL, &notes, &p);
	if (e->forced_note) {
		CHECK(k == e->forced_error, "forced netlink: %d (%s)", k, strerror(-k));
		CHECK(notes.total == 1, "%zu notes", notes.total);
		check_note(&notes, 0, e->forced_note);
		CHECK(s.backend == SOCKETS_PROCFS, "backend %s",
		      sockets_backend_to_string(s.backend));
		CHECK(!s.bound_inactive, "bound_inactive from procfs");
	} else {
		CHECK(k == 0, "forced netlink: %s", strerror(-k));
		CHECK(s.backend == SOCKETS_NETLINK, "backend %s",
		      sockets_backend_to_string(s.backend));
		CHECK(p.listeners.n == s.listeners.n && p.bound_inactive == s.bound_inactive,
		      "two netlink reads differ");
		sockets_done(&p);
	}
	diag_done(&notes);
	sockets_done(&s);
	root_free(r);
	exit(0);
}

static void run(const struct fault *f, const struct expect *e)
{
	pid_t pid;
	int status;

#ifndef ARCH_NR
	if (f->nr >= 0)
		skip();
#endif
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(f, e);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == EXIT_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static const struct fault no_fault = { .nr = -1 };

static void test_no_fault(void **state)
{
	if (kernel_at_least(6, 8)) {
		/* TCP_BOUND_INACTIVE: the probe is seen (and left out) even alone. */
		run(&no_fault, &(struct expect){ .bound_socket = true, .bound_inactive = true });
		run(&no_fault, &(struct expect){ .bound_inactive = true });
	} else
		run(&no_fault,
		    &(struct expect){
			    .bound_socket = true,
			    .note = "netlink sock_diag: this kernel cannot list TCP sockets that are bound but not listening (needs TCP_BOUND_INACTIVE, Linux 6.8+)",
		    });
}

static void test_no_netlink_socket(void **state)
{
	const struct fault f = { SYS_socket, true, AF_NETLINK, EPROTONOSUPPORT };

	run(&f, &(struct expect){
			.bound_socket = true,
			.note = "netlink sock_diag: opening a NETLINK_SOCK_DIAG socket failed: Protocol not supported, reading /proc/net instead",
			.forced_note = "netlink sock_diag: opening a NETLINK_SOCK_DIAG socket failed: Protocol not supported",
			.forced_error = -EPROTONOSUPPORT,
		});
}

static void test_bind_refused(void **state)
{
	const struct fault f = { SYS_bind, false, 0, EACCES };

	run(&f, &(struct expect){
			.note = "netlink sock_diag: binding the netlink socket failed: Permission denied, reading /proc/net instead",
			.forced_note = "netlink sock_diag: binding the netlink socket failed: Permission denied",
			.forced_error = -EACCES,
		});
}

static void test_send_refused(void **state)
{
	const struct fault f = { SYS_sendto, false, 0, EPERM };

	run(&f, &(struct expect){
			.bound_socket = true,
			.note = "netlink sock_diag: dumping TCP listeners failed: Operation not permitted, reading /proc/net instead",
			.forced_note = "netlink sock_diag: dumping TCP listeners failed: Operation not permitted",
			.forced_error = -EPERM,
		});
}

static void test_probe_refused(void **state)
{
	const struct fault f = { SYS_socket, true, AF_INET, EACCES };

	if (!kernel_at_least(6, 8))
		skip();
	/* A bound-inactive socket in the dump proves the kernel can list them... */
	run(&f, &(struct expect){ .bound_socket = true, .bound_inactive = true });
	/* ...and without one, and without a probe, nobody can tell. */
	run(&f, &(struct expect){
			.note = "netlink sock_diag: cannot tell whether this kernel lists TCP sockets that are bound but not listening: probe socket: Permission denied",
		});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_fault),
		cmocka_unit_test(test_no_netlink_socket),
		cmocka_unit_test(test_bind_refused),
		cmocka_unit_test(test_send_refused),
		cmocka_unit_test(test_probe_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
