"""libvirt_hook_info in-process against a temporary hook directory."""

import os

from ansible_collections.csops.cloudstack.plugins.modules import libvirt_hook, libvirt_hook_info


def test_plan(run, paths, me):
    run(libvirt_hook, dict(paths, **me))
    custom = paths["custom_dir"]
    for name, mode in (("all_cde.sh", 0o755), ("migrate_abc.py", 0o755), ("all_x.sh", 0o644), ("stop_y", 0o755)):
        with open(os.path.join(custom, name), "w") as handle:
            handle.write("#!/bin/sh\n")
        os.chmod(os.path.join(custom, name), mode)
    info = run(libvirt_hook_info, {"hooks_dir": paths["hooks_dir"]})
    assert info["custom_dir"] == {"path": custom, "exists": True}
    assert info["plan"]["migrate"] == ["migrate_abc.py", "all_cde.sh"]
    assert info["plan"]["start"] == ["all_cde.sh"]
    assert {i["name"]: i["reason"] for i in info["ignored"]} == {"all_x.sh": "not_executable",
                                                                 "stop_y": "unknown_action"}
    assert [s["name"] for s in info["scripts"]] == ["all_cde.sh", "migrate_abc.py"]
    assert len(info["warnings"]) == 2


def test_names_that_are_not_utf8_keep_the_plan(run, paths, me):
    run(libvirt_hook, dict(paths, **me))
    custom = os.fsencode(paths["custom_dir"])
    for name in (b"all_10-caf\xe9.sh", b"all_20-ok.sh", b"st\xffrt_x"):
        path = os.path.join(custom, name)
        with open(path, "w") as handle:
            handle.write("#!/bin/sh\n")
        os.chmod(path, 0o755)
    info = run(libvirt_hook_info, {"hooks_dir": paths["hooks_dir"]})
    assert info["plan"]["start"] == ["all_10-caf\\xe9.sh", "all_20-ok.sh"]
    assert [i["name"] for i in info["ignored"]] == ["st\\xffrt_x"]
    assert info["scripts"][0]["path"] == os.path.join(paths["custom_dir"], "all_10-caf\\xe9.sh")


def test_bad_paths_are_refused(run, paths, one_line):
    one_line(run(libvirt_hook_info, {"hooks_dir": "relative"}), "hooks_dir: must be an absolute path, got 'relative'")
    one_line(run(libvirt_hook_info, {"hooks_dir": paths["hooks_dir"], "custom_dir": "/x\n/y"}),
             "custom_dir: must not contain line breaks", "'/x\\n/y'")


def test_a_custom_dir_that_is_a_file_is_refused(run, paths, one_line):
    with open(paths["log_path"], "w") as handle:
        handle.write("a log, not a directory\n")
    one_line(run(libvirt_hook_info, {"hooks_dir": paths["hooks_dir"], "custom_dir": paths["log_path"]}),
             "custom_dir:", "exists and is not a directory")
