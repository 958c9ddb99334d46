"""Run a command under the restrictions a rendered systemd unit sets, as far as a test
without systemd as PID 1 can: `python sandbox.py WRITABLE_DIR... -- COMMAND...`, started
inside `unshare --user --map-root-user --mount --ipc --uts` (see `command()`).

What it applies, in the unit's terms: ProtectSystem=strict with ReadWritePaths= (the whole
file tree read-only, recursively, but for the writable dirs), PrivateTmp=yes, CapabilityBoundingSet= and
AmbientCapabilities= (empty), NoNewPrivileges=yes, MemoryDenyWriteExecute=yes (the kernel's
PR_SET_MDWE, kept across execve), UMask=0027, and SystemCallFilter=@system-service
~@privileged with SystemCallErrorNumber=EPERM (the same lists, read from systemd-analyze,
loaded with libseccomp). Not applied: PrivateDevices=, the Protect*/Restrict*
settings of the kernel and namespaces, RestrictAddressFamilies=, PrivateUsers=.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import subprocess
import sys

LIBC = ctypes.CDLL(None, use_errno=True)
SYS_MOUNT_SETATTR = 442  # x86_64
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
MOUNT_ATTR_RDONLY = 0x1
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 24, 38, 65, 1
SCMP_ACT_ALLOW = 0x7FFF0000
UNSHARE = ["unshare", "--user", "--map-root-user", "--mount", "--ipc", "--uts"]


def command(writable: list[str], argv: list[str]) -> list[str]:
    return [*UNSHARE, sys.executable, __file__, *writable, "--", *argv]


def check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


class MountAttr(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("set", "clear", "propagation", "userns_fd")]


REPOSITORY = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def _in_tmp(path: str) -> bool:
    return path.startswith(("/tmp/", "/var/tmp/", "/dev/shm/"))


def read_only_but(writable: list[str]) -> None:
    """ProtectSystem=strict, PrivateTmp=yes (fresh /tmp, /var/tmp, /dev/shm), ReadWritePaths=."""
    check(LIBC.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "private mounts")
    held = [os.open(path, os.O_PATH) for path in writable]  # may be hidden by the new /tmp
    # The code the units run (this checkout and its venv) stays visible, read-only, even when
    # it lives under /tmp (a CI clone): a deployment's code never does, a test's may.
    kept = [p for p in dict.fromkeys((REPOSITORY, os.path.realpath(sys.prefix))) if _in_tmp(p)]
    kept_fds = [os.open(path, os.O_PATH) for path in kept]
    attr = MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    check(
        LIBC.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, ctypes.byref(attr), 32),
        "read-only /",
    )
    for tmp in (b"/tmp", b"/var/tmp", b"/dev/shm"):  # /dev/shm: PrivateDevices= has its own
        check(LIBC.mount(b"tmpfs", tmp, b"tmpfs", 0, b"mode=1777"), f"private {tmp!r}")
    for path, fd in zip(kept, kept_fds, strict=True):
        os.makedirs(path, exist_ok=True)
        check(LIBC.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None), f"keep {path}")  # fmt: skip
        os.close(fd)
    for path, fd in zip(writable, held, strict=True):
        os.makedirs(path, exist_ok=True)
        raw, source = path.encode(), f"/proc/self/fd/{fd}".encode()
        check(LIBC.mount(source, raw, None, MS_BIND | MS_REC, None), f"bind {path}")
        check(LIBC.mount(None, raw, None, MS_REMOUNT | MS_BIND, None), f"writable {path}")
        os.close(fd)


def drop_capabilities() -> None:
    for capability in range(64):
        if LIBC.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            assert ctypes.get_errno() == errno.EINVAL, capability  # past the last one
    check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")


def syscall_groups() -> dict[str, list[str]]:
    text = subprocess.run(
        ["systemd-analyze", "syscall-filter", "--no-pager"], capture_output=True, text=True
    ).stdout
    groups: dict[str, list[str]] = {}
    for line in text.splitlines():
        if re.match(r"@[a-z-]+$", line):
            current = groups.setdefault(line, [])
        elif line.startswith("    ") and not line.strip().startswith("#") and groups:
            current.append(line.strip())
    return groups


def expand(name: str, groups: dict[str, list[str]]) -> set[str]:
    if not name.startswith("@"):
        return {name}
    return set().union(*(expand(member, groups) for member in groups[name]))


def filter_system_calls() -> None:
    groups = syscall_groups()
    allowed = expand("@system-service", groups) - expand("@privileged", groups)
    seccomp = ctypes.CDLL("libseccomp.so.2")
    seccomp.seccomp_init.restype = ctypes.c_void_p
    context = ctypes.c_void_p(seccomp.seccomp_init(0x00050000 | errno.EPERM))  # ERRNO(EPERM)
    for name in sorted(allowed):
        number = seccomp.seccomp_syscall_resolve_name(name.encode())
        if number >= 0:  # a name of another architecture
            check(seccomp.seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 0), name)
    check(-seccomp.seccomp_load(context), "load the system call filter")


def main(argv: list[str]) -> None:
    split = argv.index("--")
    read_only_but(argv[:split])
    os.umask(0o027)
    check(LIBC.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0), "deny write+execute")
    drop_capabilities()
    filter_system_calls()
    program = argv[split + 1 :]
    os.execvp(program[0], program)


if __name__ == "__main__":
    main(sys.argv[1:])
