"""Pagination over CloudStack's list answers (pure logic on recorded answer shapes)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.pagination import items_of, paginate


def pages_of(total, object_name="host", declare_count=True):
    calls = []

    def fetch(page, size):
        calls.append((page, size))
        start = (page - 1) * size
        batch = [{"id": i} for i in range(start, min(total, start + size))]
        if not batch:
            return {}
        response = {object_name: batch}
        if declare_count:
            response["count"] = total
        return response

    return fetch, calls


@pytest.mark.parametrize("total,size,pages", [(0, 500, 1), (1, 500, 1), (500, 500, 2), (1201, 500, 3), (7, 3, 3)])
def test_reads_every_item_once(total, size, pages):
    fetch, calls = pages_of(total)
    items, fetched = paginate(fetch, pagesize=size)
    assert [i["id"] for i in items] == list(range(total))
    assert fetched == len(calls)
    # stops at count: an exact multiple costs at most one extra page, only when count is absent
    assert fetched <= pages


def test_stops_at_count_without_an_extra_page():
    fetch, calls = pages_of(1000)
    paginate(fetch, pagesize=500)
    assert calls == [(1, 500), (2, 500)]


def test_without_count_it_reads_until_a_short_page():
    fetch, calls = pages_of(1000, declare_count=False)
    items, _pages = paginate(fetch, pagesize=500)
    assert len(items) == 1000 and len(calls) == 3


def test_empty_answer_is_an_empty_list():
    assert items_of({}) == [] and items_of(None) == []
    assert items_of({"count": 1, "zone": [{"id": "z"}]}) == [{"id": "z"}]


@pytest.mark.parametrize("size", [0, 501])
def test_page_size_bounds(size):
    with pytest.raises(ValueError):
        paginate(lambda p, s: {}, pagesize=size)
