"""bench/bench_web.py with a tiny size, so it cannot rot (CI's slow stage).

No timing is asserted: the figures belong in bench/README.md.
"""

from __future__ import annotations

import pytest

from tests.test_bench_smoke import bench

pytestmark = pytest.mark.slow


def test_web_bench_times_every_page() -> None:
    figures = bench("bench_web", "--n", "300", "--repeat", "3")
    assert figures["web.sqlite.n"] == "300"
    for page in (
        "cases_page",
        "cases_filtered",
        "search_name",
        "search_number",
        "search_text",
        "case_page",
        "api_case",
    ):
        assert float(figures[f"web.sqlite.{page}_p95"]) > 0, page
