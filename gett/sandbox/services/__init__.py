"""The sandbox's rules: what Gett accepts and how its state changes.

Request bodies arrive here already parsed from JSON but otherwise untrusted; every rule that
Gett enforces (or that we assume it enforces) is checked here and reported as a `Problem`.
One module per part of the API; everything is importable from `gett.sandbox.services`.
"""

from gett.sandbox.services.catalog import (
    accepted_catalogset,
    catalog_notify,
    catalogset_seed,
    ingestion_create,
    ingestion_run,
)
from gett.sandbox.services.faults import (
    FAULTABLE_ENDPOINTS,
    fault_arm,
    fault_clear,
    fault_list,
    fault_take,
)
from gett.sandbox.services.onboarding import (
    onboarding_activate,
    onboarding_advance,
    onboarding_cancel,
    onboarding_get,
    onboarding_register,
)
from gett.sandbox.services.orders import order_create, order_get, order_status_update
from gett.sandbox.services.stores import (
    ADDRESS_FIELDS,
    store_get,
    store_list,
    store_provision,
    store_status_update,
    store_update,
)
from gett.sandbox.services.testorders import test_order_get, test_order_run, test_order_start

__all__ = [
    "ADDRESS_FIELDS",
    "FAULTABLE_ENDPOINTS",
    "accepted_catalogset",
    "catalog_notify",
    "catalogset_seed",
    "fault_arm",
    "fault_clear",
    "fault_list",
    "fault_take",
    "ingestion_create",
    "ingestion_run",
    "onboarding_activate",
    "onboarding_advance",
    "onboarding_cancel",
    "onboarding_get",
    "onboarding_register",
    "order_create",
    "order_get",
    "order_status_update",
    "store_get",
    "store_list",
    "store_provision",
    "store_status_update",
    "store_update",
    "test_order_get",
    "test_order_run",
    "test_order_start",
]
