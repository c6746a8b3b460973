"""Small filter helpers shared by list handlers.

MySQL's default collation compares case-insensitively, so CloudStack's EQ and LIKE filters do too.
"""


def eq(value, wanted):
    if wanted is None:
        return True
    if value is None:
        return False
    return str(value).lower() == str(wanted).lower()


def like(values, needle):
    """True when ``needle`` occurs in any of ``values`` (SQL LIKE '%needle%')."""
    if needle is None:
        return True
    needle = needle.lower()
    return any(v is not None and needle in str(v).lower() for v in values)


def select(rows, *predicates):
    return [row for row in rows if all(pred(row) for pred in predicates)]


def ids_filter(p, key="id", list_key="ids"):
    wanted = set()
    if p.get(key):
        wanted.add(p[key])
    if p.get(list_key):
        wanted.update(p[list_key])
    return (lambda row: row["id"] in wanted) if wanted else (lambda row: True)


def no_tags(p):
    """Resource tags: the lab world has none, so any tag filter matches nothing."""
    return (lambda row: False) if p.get("tags") else (lambda row: True)


HYPERVISORS = {h.lower(): h for h in (
    "XenServer", "KVM", "VMware", "Hyperv", "VirtualBox", "Parralels", "BareMetal", "Simulator", "Ovm", "Ovm3",
    "LXC", "Custom", "External")}


def hypervisor_filter(name):
    """HypervisorType.getType: unknown names become None, and then CloudStack applies no filter."""
    if name is None:
        return lambda row: True
    known = HYPERVISORS.get(name.lower())
    if known is None:
        return lambda row: True
    return lambda row: eq(row.get("hypervisor") or row.get("hypervisortype"), known)
