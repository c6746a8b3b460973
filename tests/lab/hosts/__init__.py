"""Lab test hosts: network namespaces, sshd and link-local "system VMs".

`labctl.py` (one directory up) is the command line; this package holds the parts:

- `model`  reads `topology.yml` into the list of machines that get a namespace, and names things;
- `proc`   small process helpers (pidfiles, network-namespace identity, polite killing);
- `net`    builds and removes the bridge, veth pairs and namespaces with `ip`;
- `ssh`    lab key pair, per-namespace sshd, the client `ssh_config` and `known_hosts`;
- `render` the env file and the Ansible inventory written by `up`.

Only the Python standard library and PyYAML are used.
"""
