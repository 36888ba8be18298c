"""The ASGI application as uvicorn imports it, configured from the environment."""

import gc

from api.app import create_app
from api.observe import configure_logging
from api.settings import load_settings, require_mail_server

settings = load_settings()
require_mail_server(settings)  # also when uvicorn imports this module itself
configure_logging(settings.log_format)
app = create_app(settings)

# A large answer builds tens of thousands of short-lived objects (rows, GraphQL values). With
# Python's default threshold of 700 allocations the cycle collector ran dozens of times in one
# such request and walked every live object each time, the schema and the models included:
# 110 of the 350 ms of the nested query of bench.load. What start-up built lives as long as the
# process, so it is frozen out of collection; the young generation is collected every 50,000
# allocations instead. Reference counting still frees everything that is not in a cycle.
GC_YOUNG_THRESHOLD = 50_000
gc.collect()
gc.freeze()
gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
