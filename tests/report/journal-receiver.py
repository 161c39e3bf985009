#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for journald's native socket, for tests/report/journal.sh.

usage: journal-receiver.py SOCKET OUTPUT [TIMEOUT]

Binds an AF_UNIX datagram socket at SOCKET and decodes every datagram in the
native journal protocol (systemd's "Native Journal Protocol" document):
"KEY=VALUE\\n" fields, and the binary form "KEY\\n" + 64-bit little-endian size
+ data + "\\n" for values holding newlines.  A client may instead pass a
sealed memfd holding the entry with SCM_RIGHTS (entries too large for one
datagram); its content is decoded the same way.

OUTPUT gets one line per field, "N KEY=VALUE" with N the 1-based entry number
and backslashes and newlines in VALUE escaped as \\\\ and \\n, plus ".via=inline"
or ".via=fd" and ".binary=KEY" for each field sent in the binary form.  Stops
after an entry with a PORTAUDIT_FINDINGS field (the summary report_journal()
sends last), or when nothing arrives for TIMEOUT seconds (default 20): then it
exits 1.  A malformed datagram makes it exit 2.
"""
import array
import os
import socket
import struct
import sys

MAX_DATAGRAM = 64 * 1024 * 1024


def decode(data):
    """Return [(key, value, binary)] of one entry; raise ValueError when malformed."""
    fields = []
    pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise ValueError("field without a final newline at byte %d" % pos)
        line = data[pos:nl]
        eq = line.find(b"=")
        if eq > 0:
            fields.append((line[:eq], line[eq + 1:], False))
            pos = nl + 1
            continue
        if eq == 0 or not line:
            raise ValueError("empty field name at byte %d" % pos)
        start = nl + 1 + 8
        if start > len(data):
            raise ValueError("binary field %r without its size" % line)
        (size,) = struct.unpack_from("<Q", data, nl + 1)
        end = start + size
        if end + 1 > len(data) or data[end:end + 1] != b"\n":
            raise ValueError("binary field %r of %d bytes is cut" % (line, size))
        fields.append((line, data[start:end], True))
        pos = end + 1
    return fields


def read_fd(fd):
    chunks = []
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def escape(value):
    text = value.decode("utf-8", "backslashreplace")
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def main():
    path, output = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(timeout)
    fd_size = array.array("i").itemsize
    n = 0
    with open(output, "w", encoding="utf-8") as out:
        while True:
            try:
                data, ancdata, flags, _ = sock.recvmsg(MAX_DATAGRAM, socket.CMSG_SPACE(4 * fd_size))
            except socket.timeout:
                print("journal-receiver: nothing for %gs, giving up" % timeout, file=sys.stderr)
                return 1
            if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                print("journal-receiver: datagram cut", file=sys.stderr)
                return 2
            fds = array.array("i")
            for level, kind, cdata in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[:len(cdata) - (len(cdata) % fd_size)])
            via = "inline"
            if fds:
                via = "fd"
                data = read_fd(fds[0])
                for extra in fds[1:]:
                    os.close(extra)
            try:
                fields = decode(data)
            except ValueError as e:
                print("journal-receiver: %s" % e, file=sys.stderr)
                return 2
            n += 1
            out.write("%d .via=%s\n" % (n, via))
            for key, value, binary in fields:
                k = key.decode("ascii", "backslashreplace")
                if binary:
                    out.write("%d .binary=%s\n" % (n, k))
                out.write("%d %s=%s\n" % (n, k, escape(value)))
            out.flush()
            if any(key == b"PORTAUDIT_FINDINGS" for key, _, _ in fields):
                return 0


if __name__ == "__main__":
    sys.exit(main())
