"""Security settings as production sees them (a fresh interpreter per case)."""

import ast

from tests.portal.test_settings import PRODUCTION, _settings


def test_production_logins_go_through_the_lockout_kept_in_redis():
    value = _settings(
        {**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/0"},
        "(s.AUTHENTICATION_BACKENDS[0], s.AXES_HANDLER, s.MIDDLEWARE[-1])",
    )

    assert ast.literal_eval(value) == (
        "axes.backends.AxesStandaloneBackend",
        "axes.handlers.cache.AxesCacheHandler",
        "axes.middleware.AxesMiddleware",
    )


def test_without_redis_the_lockout_is_kept_in_the_database():
    value = _settings(PRODUCTION, "s.AXES_HANDLER")

    assert value == "axes.handlers.database.AxesDatabaseHandler"


def test_the_browsable_api_and_open_docs_are_for_development_only():
    production = _settings(
        PRODUCTION,
        "(s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'], "
        "s.SPECTACULAR_SETTINGS['SERVE_PERMISSIONS'])",
    )
    development = _settings(
        {"DEBUG": "true"},
        "(len(s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES']), "
        "s.SPECTACULAR_SETTINGS['SERVE_PERMISSIONS'])",
    )

    assert ast.literal_eval(production) == (
        ["rest_framework.renderers.JSONRenderer"],
        ["rest_framework.permissions.IsAuthenticated"],
    )
    assert ast.literal_eval(development) == (2, ["rest_framework.permissions.AllowAny"])
