def pytest_configure(config):
    config.addinivalue_line(
        "markers", "bench_smoke: a benchmark run at a tiny size, so it cannot rot (a few seconds)"
    )
