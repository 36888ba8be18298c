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
# process, so it is frozen out of collection. The young generation is collected every 200,000
# allocations (net of those freed): a collection walks what is young and alive, which mid-way
# through a large answer is most of it, so at 50,000 the nested query met one every 5 requests,
# each about 18 ms (3.7 ms a request); at 200,000, one every 40 (1.3-3 ms a request, in
# process, issue 21). Reference counting frees everything that is not in a cycle, and a request
# leaves few in one (25 objects a nested query: schema.root.MaskedErrors' note), so what the
# higher threshold lets wait for the collector is small.
GC_YOUNG_THRESHOLD = 200_000
gc.collect()
gc.freeze()
gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
