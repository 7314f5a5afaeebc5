"""Menu benchmark: build, validate, serialize and publish a large CatalogSet.

    make bench          (DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python -m bench.menu)

In a fresh database it generates one merchant and store per size (default 500 and 5,000
items on sale) and menu profile, every item with 3 modifier groups of 3 options each:

* shared (ARCHITECTURE's "5,000-item menu"): groups are shared as in real menus, one group per
  10 items (5,000 items: 500 groups, 1,500 option items, 6,500 items in the CatalogSet);
* unique (stress): every item has its own groups and options (5,000 items: 15,000 groups and
  45,000 option items, 50,000 items in the CatalogSet).

Then, per size and profile:

* build (`catalog_build`) and validate (`catalog_validate`): time, queries, peak memory;
* serialize (`catalogset_canonical_json`) against a plain `json.dumps` of the same dict;
* publish (`catalog_publish`, end to end: build, validate, hash, upload, version row, outbox
  row) to a local S3-compatible server: moto's ThreadedMotoServer over HTTP, in a child process
  so that its threads and heap do not weigh on the process measured (S3 is remote in production).

Times are the median of `--repeats` runs. Peak memory comes from a separate tracemalloc run
(tracing slows the code down, so it is never timed). The targets of ARCHITECTURE ("build and
validate under 2 s with queries independent of the menu size; published to S3 under 3 s") are
printed as met or not; `bench/results/` keeps a JSON copy (gitignored).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import platform
import random
import statistics
import sys
import threading
import time
import tracemalloc
import uuid
from contextlib import ExitStack, contextmanager
from datetime import time as dtime
from pathlib import Path
from unittest import mock

PROFILES = ("shared", "unique")
BUILD_VALIDATE_TARGET_S = 2.0
PUBLISH_TARGET_S = 3.0
RESULTS_DIR = Path(__file__).resolve().parent / "results"


# --- the menu ------------------------------------------------------------------------------------


def menu_generate(
    *,
    merchant,
    items: int,
    profile: str = "shared",
    groups_per_item: int = 3,
    options_per_group: int = 3,
):
    """A valid menu of `items` items on sale with `groups_per_item` groups each (see PROFILES).

    Bulk inserts; returns the catalog. Deterministic (seeded) prices and limits.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}")
    from catalogs.models import (
        AvailabilityWindow,
        Catalog,
        Item,
        ItemModifierGroup,
        ModifierGroup,
        ModifierOption,
        Section,
        SectionItem,
    )

    rng = random.Random(items)
    batch = 2000
    catalog = Catalog.objects.create(merchant=merchant, name="All day", description="Everything")
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(catalog=catalog, weekday=day, start=dtime(10), end=dtime(23))
        for day in range(7)
    )
    sections = Section.objects.bulk_create(
        Section(merchant=merchant, catalog=catalog, name=f"Section {n + 1}", position=n)
        for n in range(max(1, items // 100))
    )
    products = Item.objects.bulk_create(
        (
            Item(
                merchant=merchant,
                name=f"Item {n + 1:05d}",
                description=f"Freshly made item number {n + 1}, with a short description.",
                price=rng.randrange(150, 3000),
            )
            for n in range(items)
        ),
        batch_size=batch,
    )
    SectionItem.objects.bulk_create(
        (
            SectionItem(section=sections[n % len(sections)], item=item, position=n)
            for n, item in enumerate(products)
        ),
        batch_size=batch,
    )
    if profile == "unique":
        group_count = items * groups_per_item
    else:  # about one group per 10 items, in whole sets of groups_per_item
        group_count = max(1, items // 10 // groups_per_item) * groups_per_item
    groups = ModifierGroup.objects.bulk_create(
        (
            ModifierGroup(
                merchant=merchant,
                name=f"Choice {g + 1}",
                # Every third group is a required single choice (an item's first group is
                # always one); the others are optional with up to two picks.
                min_selections=1 if g % groups_per_item == 0 else 0,
                max_selections=1 if g % groups_per_item == 0 else min(2, options_per_group),
            )
            for g in range(group_count)
        ),
        batch_size=batch,
    )
    # Item i takes groups i*k .. i*k+k-1 (mod the pool): distinct, the first one required.
    ItemModifierGroup.objects.bulk_create(
        (
            ItemModifierGroup(
                item=item, group=groups[(i * groups_per_item + g) % group_count], position=g
            )
            for i, item in enumerate(products)
            for g in range(groups_per_item)
        ),
        batch_size=batch,
    )
    options = Item.objects.bulk_create(
        (
            Item(merchant=merchant, name=f"Option {o + 1}", price=rng.choice((0, 50, 100)))
            for _group in groups
            for o in range(options_per_group)
        ),
        batch_size=batch,
    )
    ModifierOption.objects.bulk_create(
        (
            ModifierOption(group=group, item=options[g * options_per_group + o], position=o)
            for g, group in enumerate(groups)
            for o in range(options_per_group)
        ),
        batch_size=batch,
    )
    return catalog


# --- measuring -----------------------------------------------------------------------------------


@contextmanager
def _queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        yield captured


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _measure_size(*, items: int, profile: str, repeats: int, publish: bool) -> dict:
    from django.db.models import F

    from catalogs.models import Item, Trigger
    from catalogs.publishing.builder import (
        catalog_build,
        catalog_validate,
        catalogset_canonical_json,
    )
    from catalogs.publishing.services import catalog_publish
    from stores.models import Merchant, Store

    merchant = Merchant.objects.create(name=f"Bench {profile} {items} {uuid.uuid4().hex[:6]}")
    store = Store.objects.create(
        merchant=merchant, name=f"Bench store {items}", timezone="Europe/London", currency="GBP"
    )
    started = time.perf_counter()
    menu_generate(merchant=merchant, items=items, profile=profile)
    generated_s = time.perf_counter() - started

    build, validate, canonical, plain = [], [], [], []
    document = None
    build_queries = validate_queries = 0
    problems, body = [], b""
    for _ in range(repeats):
        document = None  # as in a publish, no earlier document stays alive
        with _queries() as queries:
            t0 = time.perf_counter()
            document = catalog_build(store=store)
            t1 = time.perf_counter()
        build_queries = len(queries.captured_queries)
        with _queries() as queries:
            t2 = time.perf_counter()
            problems = catalog_validate(store=store, document=document)
            t3 = time.perf_counter()
        validate_queries = len(queries.captured_queries)
        body = catalogset_canonical_json(document)
        t4 = time.perf_counter()
        entities = {
            key: len(document.get(key, {})) for key in ("sections", "items", "modifierGroups")
        }
        json.dumps(document)
        t5 = time.perf_counter()
        build.append(t1 - t0)
        validate.append(t3 - t2)
        canonical.append(t4 - t3)
        plain.append(t5 - t4)

    document = None
    tracemalloc.start()
    memory_document = catalog_build(store=store)
    catalog_validate(store=store, document=memory_document)
    catalogset_canonical_json(memory_document)
    peak_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del memory_document

    result = {
        "profile": profile,
        "items": items,
        "entities": entities,
        "generate_s": generated_s,
        "build_s": _median(build),
        "validate_s": _median(validate),
        "build_validate_s": _median([b + v for b, v in zip(build, validate, strict=True)]),
        "build_queries": build_queries,
        "validate_queries": validate_queries,
        "problems": [f"{p.code}: {p.message}" for p in problems[:5]],
        "serialize_s": _median(canonical),
        "json_dumps_s": _median(plain),
        "serialize_ratio": _median(canonical) / _median(plain),
        "document_bytes": len(body),
        "peak_memory_bytes": peak_bytes,
        "publish_s": None,
        "publish_queries": None,
    }
    if publish:
        times, queries_count = [], 0
        for attempt in range(repeats):
            if attempt:  # a changed menu, so every publish uploads a new version
                first = Item.objects.filter(merchant=merchant).first()
                assert first is not None  # the bench menu has items
                Item.objects.filter(pk=first.pk).update(price=F("price") + 1)
            with _queries() as queries:
                t0 = time.perf_counter()
                version = catalog_publish(store_id=store.pk, trigger=Trigger.REPUBLISH)
                times.append(time.perf_counter() - t0)
            queries_count = len(queries.captured_queries)
            if version is None:
                raise RuntimeError(f"the {items}-item menu was not published: {result['problems']}")
        result["publish_s"] = _median(times)
        result["publish_queries"] = queries_count
        assert version is not None  # repeats >= 1, and each attempt published
        result["published_url"] = version.url
    return result


def _moto_serve(ports) -> None:
    """In a child process: moto's S3-compatible server until the process is terminated."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    ports.put(server.get_host_and_port())
    threading.Event().wait()


@contextmanager
def s3_bucket():
    """A local S3-compatible server with a bucket, and the settings that point at it."""
    import boto3
    from django.test import override_settings

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=_moto_serve, args=(ports,), daemon=True)
    server.start()
    try:
        host, port = ports.get(timeout=60)
        endpoint = f"http://{host}:{port}"
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret"}
        name = f"bench-{uuid.uuid4().hex[:10]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(
            Bucket=name
        )
        with override_settings(
            CATALOG_STORAGE_BUCKET=name,
            CATALOG_STORAGE_ENDPOINT_URL=endpoint,
            CATALOG_STORAGE_REGION="us-east-1",
            CATALOG_STORAGE_ACCESS_KEY_ID=keys["aws_access_key_id"],
            CATALOG_STORAGE_SECRET_ACCESS_KEY=keys["aws_secret_access_key"],
            CATALOG_STORAGE_ADDRESSING_STYLE="path",
            CATALOG_STORAGE_PUBLIC_BASE_URL=f"{endpoint}/{name}",
        ):
            yield endpoint
    finally:
        server.terminate()
        server.join(timeout=10)


def run(
    *,
    sizes: list[int],
    profiles: tuple[str, ...] = PROFILES,
    repeats: int = 3,
    s3: bool = True,
    publish: bool = True,
) -> dict:
    """Measure every profile and size in the current database. `s3=False` publishes to the
    configured storage instead (local files unless a bucket is set); `publish=False` skips it."""
    from django.conf import settings
    from django.db import connection

    with ExitStack() as stack:
        # Telling Gett is the outbox's job, after the publish: not part of the measurement.
        stack.enter_context(
            mock.patch("gett.tasks.outbox_deliver_task.apply_async", lambda *a, **k: None)
        )
        # No debounced publishes from the services either (the generator uses none anyway).
        stack.enter_context(
            mock.patch("catalogs.tasks.catalog_publish_task.apply_async", lambda *a, **k: None)
        )
        storage = "local files"
        if publish and s3:
            endpoint = stack.enter_context(s3_bucket())
            storage = f"S3 (moto at {endpoint})"
        elif publish and settings.CATALOG_STORAGE_BUCKET:
            storage = f"S3 bucket {settings.CATALOG_STORAGE_BUCKET}"
        measured = [
            _measure_size(items=n, profile=profile, repeats=repeats, publish=publish)
            for profile in profiles
            for n in sizes
        ]

    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "database": connection.vendor,
        "storage": storage if publish else "not published",
        "repeats": repeats,
        "sizes": measured,
        "targets": [
            target
            for profile in profiles
            for target in _targets([m for m in measured if m["profile"] == profile])
        ],
    }


def _targets(measured: list[dict]) -> list[dict]:
    if not measured:
        return []
    largest, smallest = measured[-1], measured[0]
    counts = ", ".join(f"{m['items']:,}" for m in measured)
    profile = f"{largest['profile']}: "
    targets = [
        {
            "name": f"{profile}build + validate of {largest['items']:,} items under "
            f"{BUILD_VALIDATE_TARGET_S:g} s",
            "value": f"{largest['build_validate_s']:.2f} s",
            "met": largest["build_validate_s"] < BUILD_VALIDATE_TARGET_S,
        },
        {
            "name": f"{profile}build + validate queries independent of size ({counts} items)",
            "value": " / ".join(str(m["build_queries"] + m["validate_queries"]) for m in measured),
            "met": len({m["build_queries"] + m["validate_queries"] for m in measured}) == 1,
        },
    ]
    if largest["publish_s"] is not None:
        targets.append(
            {
                "name": f"{profile}publish of {largest['items']:,} items end to end under "
                f"{PUBLISH_TARGET_S:g} s",
                "value": f"{largest['publish_s']:.2f} s",
                "met": largest["publish_s"] < PUBLISH_TARGET_S,
            }
        )
        targets.append(
            {
                "name": f"{profile}publish queries independent of size ({counts} items)",
                "value": f"{smallest['publish_queries']} / {largest['publish_queries']}",
                "met": len({m["publish_queries"] for m in measured}) == 1,
            }
        )
    return targets


# --- output --------------------------------------------------------------------------------------


def report(results: dict, out=sys.stdout) -> None:
    def line(text: str = "") -> None:
        out.write(text + "\n")

    line("Menu benchmark: CatalogSet build, validate, serialize, publish")
    line(
        f"  {results['when']} · Python {results['python']} · {results['machine']} · "
        f"{results['database']} · publish to {results['storage']} · "
        f"median of {results['repeats']}"
    )
    line("  every item on sale has 3 modifier groups of 3 options; shared: one group per 10 items,")
    line("  unique: each item its own groups and options. entities: in the CatalogSet.")
    line()
    header = (
        f"{'profile':<8}{'items':>6} {'entities':>22} {'build':>8} {'validate':>9} {'b+v':>8} "
        f"{'queries':>8} {'serialize':>10} {'json.dumps':>11} {'ratio':>6} "
        f"{'publish':>8} {'pub.q':>6} {'peak MB':>8} {'JSON MB':>8}"
    )
    line(header)
    line("-" * len(header))
    for m in results["sizes"]:
        e = m["entities"]
        entities = f"{e['items']:,}i {e['modifierGroups']:,}g {e['sections']}s"
        publish = f"{m['publish_s'] * 1000:.0f}ms" if m["publish_s"] is not None else "-"
        line(
            f"{m['profile']:<8}{m['items']:>6,} {entities:>22} {m['build_s'] * 1000:>6.0f}ms "
            f"{m['validate_s'] * 1000:>7.0f}ms {m['build_validate_s'] * 1000:>6.0f}ms "
            f"{m['build_queries']:>4}+{m['validate_queries']:<3} "
            f"{m['serialize_s'] * 1000:>8.0f}ms {m['json_dumps_s'] * 1000:>9.0f}ms "
            f"{m['serialize_ratio']:>5.2f}x {publish:>8} "
            f"{m['publish_queries'] if m['publish_queries'] is not None else '-':>6} "
            f"{m['peak_memory_bytes'] / 2**20:>8.1f} {m['document_bytes'] / 2**20:>8.2f}"
        )
        if m["problems"]:
            line(f"        invalid menu: {'; '.join(m['problems'])}")
    line()
    line("  serialize = canonical JSON (sorted keys, compact, UTF-8 bytes); ratio = serialize /")
    line("  plain json.dumps of the same dict. peak MB: tracemalloc over build+validate+serialize.")
    line()
    line("ARCHITECTURE targets")
    for target in results["targets"]:
        mark = "MET    " if target["met"] else "NOT MET"
        line(f"  [{mark}] {target['name']}: {target['value']}")


def _write_results(results: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"menu-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.menu", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--sizes", default="500,5000", help="Comma-separated item counts (default 500,5000)."
    )
    parser.add_argument(
        "--profiles", default=",".join(PROFILES), help="Comma-separated: shared, unique."
    )
    parser.add_argument("--repeats", type=int, default=3, help="Runs per measurement (median).")
    parser.add_argument("--no-s3", action="store_true", help="Publish to local files instead.")
    parser.add_argument(
        "--strict", action="store_true", help="Exit with status 1 when a target is not met."
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    profiles = tuple(p.strip() for p in args.profiles.split(",") if p.strip())
    if unknown := set(profiles) - set(PROFILES):
        parser.error(f"unknown profile(s): {', '.join(sorted(unknown))}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings

    started = time.perf_counter()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with ExitStack() as stack:
            if args.no_s3:
                import tempfile

                media = stack.enter_context(tempfile.TemporaryDirectory(prefix="gett-bench-"))
                stack.enter_context(override_settings(MEDIA_ROOT=media, CATALOG_STORAGE_BUCKET=""))
            results = run(sizes=sizes, profiles=profiles, repeats=args.repeats, s3=not args.no_s3)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report(results)
    path = _write_results(results)
    print(f"\n  {time.perf_counter() - started:.0f} s in all; results also in {path}")
    missed = not all(target["met"] for target in results["targets"])
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
