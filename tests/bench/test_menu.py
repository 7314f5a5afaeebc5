"""The menu benchmark runs, at a tiny size, so it cannot rot between `make bench` runs."""

import io

import pytest

from bench import menu as bench_menu
from catalogs.models import CatalogVersion

pytestmark = pytest.mark.django_db


def test_menu_benchmark_runs_and_reports_at_a_tiny_size(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CATALOG_STORAGE_BUCKET = ""  # local files: no S3 server in unit tests

    results = bench_menu.run(sizes=[10, 20], repeats=1, s3=False)
    out = io.StringIO()
    bench_menu.report(results, out=out)

    measured = [(m["profile"], m["items"]) for m in results["sizes"]]
    assert measured == [("shared", 10), ("shared", 20), ("unique", 10), ("unique", 20)]
    for m in results["sizes"]:
        assert m["problems"] == []  # the generated menus are valid, so they publish
        assert m["publish_s"] is not None
        assert m["serialize_ratio"] > 0
        assert m["peak_memory_bytes"] > 0
    assert results["sizes"][3]["entities"] == {"sections": 1, "items": 200, "modifierGroups": 60}
    assert CatalogVersion.objects.count() == 4
    # Query counts do not depend on the size, even this small.
    assert all(target["met"] for target in results["targets"] if "queries" in target["name"])
    report = out.getvalue()
    assert "ARCHITECTURE targets" in report
    assert "unique: build + validate of 20 items under 2 s" in report


def test_menu_generator_refuses_an_unknown_profile():
    with pytest.raises(ValueError, match="unknown profile"):
        bench_menu.menu_generate(merchant=None, items=1, profile="huge")
