"""The one simulator launcher (cssim.launcher.PrivateSimulator): start, restart, close, and a failed start."""

import pytest

from cssim.launcher import PrivateSimulator


def test_temporary_state_lives_until_close():
    with PrivateSimulator() as sim:
        state_dir = sim.state_dir
        assert sim.endpoint.startswith("http://127.0.0.1:") and sim.endpoint.endswith("/client/api")
        assert sim.control.health()["boot"] == 1
        pid = sim.proc.pid
        sim.restart()
        health = sim.control.health()
        assert health["boot"] == 2 and health["pid"] != pid
        assert (state_dir / "state.json").exists()
    assert not sim.running() and not state_dir.exists()


def test_a_given_state_dir_is_kept(tmp_path):
    sim = PrivateSimulator(state_dir=tmp_path / "s", start=False)
    assert not sim.running()
    sim.start()
    sim.close()
    assert (tmp_path / "s" / "state.json").exists() and not (tmp_path / "s" / "cssim.pid").exists()


def test_a_failed_start_says_why(tmp_path):
    with pytest.raises(RuntimeError, match="simulator did not start") as failure:
        PrivateSimulator(topology=tmp_path / "missing.yml", state_dir=tmp_path / "s")
    assert "missing.yml" in str(failure.value)  # the simulator's own error, from its log
