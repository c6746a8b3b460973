"""The world's journal in process: which changes are recorded, and that a reload gives back the same state."""

import json

import pytest

from cssim.store import Store
from cssim.world import World


def _state():
    return {
        "schema": 1, "cloudstack_version": "4.20.1.0", "boot": 1, "settings": {"global": {}, "zone": {}},
        "routers": {"r1": {"id": "r1", "state": "Running", "tags": [], "args": {"a": 1}},
                    "r2": {"id": "r2", "state": "Running", "tags": [], "args": {}}},
        "jobs": {},
    }


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path, _state())
    w.save()
    return w


def _journal(world):
    text = world.store.journal.read_text()
    return [json.loads(line) for line in text.splitlines()]


def _reloaded(world):
    return json.loads(json.dumps(World.load(world.store.dir).state))


def _plain(world):
    return json.loads(json.dumps(world.state))


def test_each_kind_of_change_is_journaled_as_its_unit(world):
    routers = world.state["routers"]
    routers["r1"]["state"] = "Stopping"
    routers["r1"]["tags"].append({"key": "k"})
    routers["r1"]["args"].setdefault("b", []).append(2)
    routers["r1"]["args"].pop("a")
    world.state["settings"]["zone"]["z1"] = {"x": "1"}
    world.state["boot"] += 1
    world.save_if_dirty()
    [line] = _journal(world)
    assert sorted(op[1] for op in line["ops"]) == [["boot"], ["routers", "r1"], ["settings"]]
    assert _reloaded(world) == _plain(world)
    assert _plain(world)["routers"]["r1"] == {
        "id": "r1", "state": "Stopping", "tags": [{"key": "k"}], "args": {"b": [2]}}


def test_a_dict_changed_after_it_was_inserted_is_saved_as_it_ends(world):
    job = {"jobid": "j1", "status": 0, "args": {}}
    world.state["jobs"]["j1"] = job
    job["status"] = 1  # the caller keeps its reference, as JobManager.submit does
    job["args"]["done"] = True
    world.save_if_dirty()
    assert _reloaded(world)["jobs"]["j1"] == {"jobid": "j1", "status": 1, "args": {"done": True}}
    world.state["jobs"]["j1"]["args"]["later"] = 1  # now a tracked container: still seen
    world.save_if_dirty()
    assert _reloaded(world)["jobs"]["j1"]["args"] == {"done": True, "later": 1}


def test_removals_are_journaled(world):
    del world.state["routers"]["r2"]
    world.state["jobs"]["j9"] = {"jobid": "j9"}
    world.save_if_dirty()
    world.state["jobs"].pop("j9")
    world.save_if_dirty()
    assert [sorted((op[0], op[1][1]) for op in line["ops"]) for line in _journal(world)] == [
        [("del", "r2"), ("set", "j9")], [("del", "j9")]]
    reloaded = _reloaded(world)
    assert "r2" not in reloaded["routers"] and reloaded["jobs"] == {}


def test_writing_the_same_value_records_nothing(world):
    world.state["routers"]["r1"]["state"] = "Running"
    world.state["boot"] = 1
    world.save_if_dirty()
    assert world.store.journal.read_bytes() == b""


def test_replacing_a_collection_and_compacting(world):
    world.state["routers"] = {"r3": {"id": "r3", "tags": []}}
    world.state["routers"]["r3"]["tags"].append("x")
    world.save_if_dirty()
    assert _reloaded(world)["routers"] == {"r3": {"id": "r3", "tags": ["x"]}}
    world.save()
    assert world.store.journal.read_bytes() == b""
    assert json.loads(world.store.snapshot.read_text())["routers"] == {"r3": {"id": "r3", "tags": ["x"]}}


def test_a_damaged_line_before_the_last_is_an_error(world):
    world.state["boot"] = 5
    world.save_if_dirty()
    world.store.close()
    with open(world.store.journal, "ab") as fh:
        fh.write(b"{not json\n" + b'{"ops":[["set",["boot"],6]]}\n')
    with pytest.raises(ValueError, match="line 2 is not JSON"):
        Store(world.store.dir).load()
