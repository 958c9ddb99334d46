"""The Pod Security Standards' "baseline" and "restricted" profiles as a checker of pod
specs, written from the specification (kubernetes.io/docs/concepts/security/
pod-security-standards/, policy version v1.34): `violations(pod_spec)` lists, in words,
every control the pod fails; an empty list is a pod admission would accept under
`pod-security.kubernetes.io/enforce: restricted`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Baseline: capabilities a container may add; safe sysctls; SELinux types.
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
SELINUX_TYPES = {
    None,
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
}
# Restricted: the only volume types; the only capability a container may add.
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}  # fmt: skip
RESTRICTED_CAPABILITIES = {"NET_BIND_SERVICE"}


def containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(key) or []


def violations(pod: dict[str, Any]) -> list[str]:
    return [*_baseline(pod), *_restricted(pod)]


def _baseline(pod: dict[str, Any]) -> Iterator[str]:
    pod_context = pod.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            yield f"host namespaces: {field}"
    if (pod_context.get("windowsOptions") or {}).get("hostProcess"):
        yield "HostProcess pod"
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume:
            yield f"hostPath volume {volume['name']}"
    for sysctl in pod_context.get("sysctls") or []:
        if sysctl["name"] not in SAFE_SYSCTLS:
            yield f"unsafe sysctl {sysctl['name']}"
    yield from _selinux("pod", pod_context)
    if (pod_context.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield "pod seccompProfile Unconfined"
    if (pod_context.get("appArmorProfile") or {}).get("type") == "Unconfined":
        yield "pod appArmorProfile Unconfined"
    for container in containers(pod):
        yield from _baseline_container(container)


def _baseline_container(container: dict[str, Any]) -> Iterator[str]:
    name, context = container["name"], container.get("securityContext") or {}
    if context.get("privileged"):
        yield f"{name}: privileged"
    if (context.get("windowsOptions") or {}).get("hostProcess"):
        yield f"{name}: HostProcess"
    added = set((context.get("capabilities") or {}).get("add") or [])
    if added - BASELINE_CAPABILITIES:
        yield f"{name}: adds capabilities {sorted(added - BASELINE_CAPABILITIES)}"
    for port in container.get("ports") or []:
        if port.get("hostPort"):
            yield f"{name}: hostPort {port['hostPort']}"
    if context.get("procMount", "Default") != "Default":
        yield f"{name}: procMount {context['procMount']}"
    yield from _selinux(name, context)
    if (context.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield f"{name}: seccompProfile Unconfined"
    if (context.get("appArmorProfile") or {}).get("type") == "Unconfined":
        yield f"{name}: appArmorProfile Unconfined"


def _selinux(where: str, context: dict[str, Any]) -> Iterator[str]:
    options = context.get("seLinuxOptions") or {}
    if options.get("type") not in SELINUX_TYPES or options.get("user") or options.get("role"):
        yield f"{where}: seLinuxOptions {options}"


def _restricted(pod: dict[str, Any]) -> Iterator[str]:
    pod_context = pod.get("securityContext") or {}
    for volume in pod.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            yield f"volume {volume['name']}: type {sorted(kinds)}"
    if pod_context.get("runAsUser") == 0:
        yield "pod runAsUser 0"
    pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
    for container in containers(pod):
        name, context = container["name"], container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            yield f"{name}: allowPrivilegeEscalation is not false"
        if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
            yield f"{name}: runAsNonRoot is not true"
        if context.get("runAsUser") == 0:
            yield f"{name}: runAsUser 0"
        seccomp = (context.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield f"{name}: seccompProfile {seccomp}"
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            yield f"{name}: capabilities do not drop ALL"
        added = set(capabilities.get("add") or [])
        if added - RESTRICTED_CAPABILITIES:
            yield f"{name}: adds capabilities {sorted(added - RESTRICTED_CAPABILITIES)}"
