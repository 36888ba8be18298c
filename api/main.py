"""The ASGI application as uvicorn imports it, configured from the environment."""

from api.app import create_app
from api.settings import load_settings

app = create_app(load_settings())
