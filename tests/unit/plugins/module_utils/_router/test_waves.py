"""Router upgrade waves: planning rules and the check of an upgraded router (pure logic, no API)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._router.waves import (
    check_options, pair_key, plan_waves, router_problem, settled)


def router(name, zone="z1", pod="p1", **extra):
    return dict(id="id-" + name, name=name, zonename=zone, podname=pod, **extra)


def names(waves):
    return [[r["name"] for r in wave] for wave in waves]


def test_canary_then_full_waves_inside_each_zone():
    routers = [router("r-%d" % i) for i in range(1, 8)] + [router("r-9", zone="z2"), router("r-8", zone="z2")]
    waves = plan_waves(routers, wave_size=3, first_wave_size=1, group_by="zone")
    assert names(waves) == [["r-1"], ["r-2", "r-3", "r-4"], ["r-5", "r-6", "r-7"], ["r-8", "r-9"]]


def test_no_grouping_fills_waves_across_zones():
    routers = [router("a", zone="z1"), router("b", zone="z2"), router("c", zone="z3")]
    assert names(plan_waves(routers, wave_size=2, first_wave_size=2, group_by="none")) == [["a", "b"], ["c"]]


def test_pod_grouping_splits_a_zone():
    routers = [router("a", pod="p1"), router("b", pod="p2"), router("c", pod="p1")]
    assert names(plan_waves(routers, wave_size=5, first_wave_size=5, group_by="pod")) == [["a", "c"], ["b"]]


def test_redundant_pair_never_shares_a_wave_and_backup_goes_first():
    routers = [
        router("r-a", isredundantrouter=True, redundantstate="PRIMARY", guestnetworkid="n1"),
        router("r-b", isredundantrouter=True, redundantstate="BACKUP", guestnetworkid="n1"),
        router("r-c"),
        router("r-d", isredundantrouter=True, redundantstate="BACKUP", vpcid="v1", guestnetworkid="t1"),
        router("r-e", isredundantrouter=True, redundantstate="PRIMARY", vpcid="v1", guestnetworkid="t2"),
    ]
    waves = plan_waves(routers, wave_size=10, first_wave_size=10, group_by="zone")
    assert names(waves) == [["r-b", "r-d", "r-c"], ["r-a", "r-e"]]
    for wave in waves:
        keys = [pair_key(r) for r in wave if pair_key(r)]
        assert len(keys) == len(set(keys))


def test_first_wave_size_defaults_to_wave_size():
    routers = [router("r-%d" % i) for i in range(5)]
    assert [len(w) for w in plan_waves(routers, wave_size=2, first_wave_size=None)] == [2, 2, 1]


def test_empty_plan():
    assert plan_waves([], wave_size=3) == []


@pytest.mark.parametrize("kwargs,message", [
    ({"wave_size": 0}, "wave_size must be at least 1, got 0"),
    ({"wave_size": -3}, "wave_size must be at least 1, got -3"),
    ({"wave_size": 2, "first_wave_size": 0}, "first_wave_size must be at least 1, got 0"),
    ({"wave_size": 2, "group_by": "rack"}, "group_by must be one of none, pod, zone, got rack"),
])
def test_plan_refuses_bad_parameters(kwargs, message):
    with pytest.raises(ValidationError) as info:
        plan_waves([router("a")], **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("args,message", [
    ((0, 1, 5, "zone"), "wave_size must be at least 1, got 0"),
    ((5, 0, 5, "zone"), "first_wave_size must be at least 1, got 0"),
    ((5, 1, 0, "zone"), "concurrency must be at least 1, got 0"),
    ((5, 1, -1, "zone"), "concurrency must be at least 1, got -1"),
    ((5, 1, None, "zone"), "concurrency must be at least 1, got None"),
    ((5, 1, 5, "x" * 100), "group_by must be one of none, pod, zone, got 'xxxx"),
])
def test_check_options_names_the_option_and_value(args, message):
    with pytest.raises(ValidationError) as info:
        check_options(*args)
    assert str(info.value).startswith(message)
    assert len(str(info.value)) < 140


def test_check_options_accepts_good_values():
    check_options(5, None, 1, "pod")
    check_options(1, 1, 100, "none")


@pytest.mark.parametrize("current,problem,is_settled", [
    ({"state": "Running", "requiresupgrade": False}, None, True),
    ({"state": "Stopped", "requiresupgrade": False}, "state is Stopped, expected Running", True),
    ({"state": "Starting", "requiresupgrade": False}, "state is Starting, expected Running", False),
    ({"state": "Running", "requiresupgrade": True, "version": "4.19.0"}, "still requires upgrade (version 4.19.0)",
     False),
    (None, "no longer listed by CloudStack", True),
])
def test_router_problem_and_settled(current, problem, is_settled):
    assert router_problem(current) == problem
    assert settled(current) is is_settled
