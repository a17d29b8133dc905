"""Which addresses a process and everything it started listen on (Linux /proc)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

LISTEN = "0A"


def process_tree(root: int) -> set[int]:
    """`root` and every process descended from it, alive now."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited while we looked
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])  # after "(comm)": state, ppid
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def socket_inodes(pids: set[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes


def listening(inodes: set[str]) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket among `inodes`."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != LISTEN or inode not in inodes:
                continue
            address, port = local.split(":")
            raw = bytes.fromhex(address)
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # per word LE
            found.add((socket.inet_ntop(family, words), int(port, 16)))
    return found


def listening_in_tree(root: int) -> set[tuple[str, int]]:
    return listening(socket_inodes(process_tree(root)))
