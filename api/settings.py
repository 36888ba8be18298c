"""Settings, read from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from strawberry.http.websocket_origin import normalize_origin

from api.mailer import MailSettings
from api.parties import x12_parties
from api.webhooks import WebhookSettings
from domain.documents.kinds import Retention
from domain.exports.x12 import Parties
from domain.policies.limits import DEFAULT_CHILD_MAX_AGE, DEFAULT_RETRO_DAYS, PolicyLimits
from domain.webhooks.addresses import AddressRules
from domain.webhooks.delivery import RetryPolicy
from domain.workflow.scripts import ScriptLimits
from schema.core.limits import QueryLimits

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///groupcover.db"
DEFAULT_EXPORTS_DIR = "exports"
SECRET_FILE = Path(".groupcover-secret")
# HS256 needs a key of at least 256 bits (RFC 7518, 3.2); PyJWT only warns about shorter ones.
MIN_SECRET_BYTES = 32


# The claims that carry roles and grants, named as in the server's own tokens (api/tokens.py).
GRANT_CLAIMS = ("roles", "groups", "dags", "lobs", "person")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class SocketLimits:
    """What one principal may hold open on WebSockets in one process (see api.sockets)."""

    max_sockets: int = 10
    """Open, signed-in sockets per principal; one more is closed with 4429."""
    max_subscriptions: int = 100
    """Operations running at once per principal over all its sockets; one more is refused."""
    check_seconds: float = 5.0
    """How often open sockets' credentials are checked: an expired token, or an API key
    revoked or expired, closes its socket (4401) within this many seconds."""


@dataclass(frozen=True)
class MetricsSettings:
    """Whether and where /metrics is served (see api.metrics)."""

    mode: str = "off"
    """`off`; `token`: /metrics on the API's port for a bearer token; `port`: on its own port."""
    token: str = ""
    port: int = 0

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


class SettingsError(RuntimeError):
    """The environment does not describe a runnable server."""


@dataclass(frozen=True)
class OidcSettings:
    """A company's identity provider whose tokens (RS256, ES256) sign in beside our own."""

    issuer: str
    audience: str
    jwks_url: str
    claims: tuple[tuple[str, str], ...] = tuple((name, name) for name in GRANT_CLAIMS)
    """Our claim name, and the identity provider's claim that carries it."""


@dataclass(frozen=True)
class Settings:
    """How this process runs: its database, the key that signs tokens, its mode."""

    database_url: str
    secret_key: str
    env: str
    policy_limits: PolicyLimits = field(default_factory=PolicyLimits)
    query_limits: QueryLimits = field(default_factory=QueryLimits)
    max_body_bytes: int = 1_000_000
    """The largest request body /graphql reads; a larger one gets 413."""
    max_file_bytes: int = 20_000_000
    """The largest multipart request (a file upload, e.g. an enrolment file); larger: 413."""
    intake_background_rows: int = 1000
    """An enrolment file of more rows is applied by a background job, its progress on its
    node (GROUPCOVER_INTAKE_BACKGROUND_ROWS); a smaller one in the request."""
    rate_per_minute: int = 600
    """Requests one principal may make a minute in one process; more get 429. 0: no limit."""
    statement_timeout_ms: int = 10_000
    """The longest one SQL statement may run on PostgreSQL. 0: no limit."""
    session_database_url: str = ""
    """A PostgreSQL URL that reaches the server itself, or a pool in session mode, for what
    needs a database session of its own: the subscriptions' LISTEN and the job queue
    (procrastinate's LISTEN) (GROUPCOVER_SESSION_DATABASE_URL). Empty: the database URL. Set it
    when GROUPCOVER_DATABASE_URL goes through PgBouncer in transaction mode."""
    prepared_statements: bool = True
    """Let psycopg prepare a statement it sends often (GROUPCOVER_PREPARED_STATEMENTS); false
    behind PgBouncer in transaction mode before 1.21, which cannot carry them."""
    pool_size: int = 16
    """Database connections one server process keeps open on PostgreSQL: about the requests it
    runs at once under load (GROUPCOVER_POOL_SIZE); `groupcover worker` keeps its
    `--concurrency`. SQLAlchemy opens 10 more for a burst and closes them after."""
    cors_origins: tuple[str, ...] = ()
    """The origins whose pages may call the API from a browser (CORS, WebSocket handshakes)."""
    oidc: OidcSettings | None = None
    """Single sign-on: the identity provider whose tokens are accepted, if any."""
    compiled_reads: bool = True
    """Answer a covered query by its compiled plan (schema.core.compiled), not field by field
    (GROUPCOVER_COMPILED_READS); the answers are the same."""
    trusted_documents_only: bool = False
    """Run only trusted documents (`groupcover documents add`), sent by hash or in full."""
    socket_limits: SocketLimits = field(default_factory=SocketLimits)
    script_limits: ScriptLimits = field(default_factory=ScriptLimits)
    auth_failures_per_minute: int = 20
    """Failed sign-ins one client address may make a minute in one process; then 429. 0: any."""
    unknown_key_seconds: int = 10
    """How long an API key found unknown is answered 401 without asking the database."""
    header_timeout_seconds: int = 10
    """How long a connection may take to send a request's headers before it is closed."""
    keep_alive_seconds: int = 5
    """How long an idle kept-alive connection stays open (uvicorn's timeout_keep_alive)."""
    max_connections: int = 1000
    """Connections and requests one process holds at once; more get 503 (uvicorn's
    limit_concurrency). 0: no limit."""
    max_header_bytes: int = 16_384
    """The most bytes of a request head (line and headers) a connection may send before the
    head is whole; past it the request gets 400 (api.connections)."""
    mail: MailSettings = field(default_factory=MailSettings)
    retention: Retention = field(default_factory=Retention)
    """Days each kind of document is kept (`GROUPCOVER_RETENTION_DAYS_<KIND>`)."""
    exports_dir: str = DEFAULT_EXPORTS_DIR
    """The folder export files are written to and downloaded from (GROUPCOVER_EXPORTS_DIR);
    with several workers and servers, one folder they all share."""
    x12_parties: Parties = field(default_factory=Parties)
    """Who the 834 files we export are from and to (see api.parties)."""
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    metrics: MetricsSettings = field(default_factory=lambda: MetricsSettings())
    log_format: str = "text"
    """`json`: one JSON line per request (production's default); `text`: plain lines."""
    otlp_endpoint: str = ""
    """Where spans go by OTLP (OTEL_EXPORTER_OTLP_ENDPOINT); empty: no tracing."""

    @property
    def listen_url(self) -> str:
        """The URL of what needs a session of its own (`session_database_url`)."""
        return self.session_database_url or self.database_url

    @property
    def production(self) -> bool:
        return self.env == "production"


def database_engine(settings: Settings, **options: Any) -> AsyncEngine:
    """An engine of the settings' database, with psycopg's prepared statements as they say
    (and `options` for domain.database.create_engine)."""
    from domain.database import create_engine

    return create_engine(
        settings.database_url, prepared_statements=settings.prepared_statements, **options
    )


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings; in production a secret key must be given, never generated."""
    environ = dict(os.environ if environ is None else environ)
    env = environ.get("GROUPCOVER_ENV", "development")
    if env not in ("development", "production"):
        raise SettingsError(f"GROUPCOVER_ENV must be 'development' or 'production', not {env!r}.")
    secret = environ.get("GROUPCOVER_SECRET_KEY", "")
    source = "GROUPCOVER_SECRET_KEY"
    if not secret:
        if env == "production":
            raise SettingsError("GROUPCOVER_SECRET_KEY must be set in production.")
        secret, source = _development_secret(), str(SECRET_FILE)
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"{source} must hold a key of at least {MIN_SECRET_BYTES} bytes; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    database_url = environ.get("GROUPCOVER_DATABASE_URL", DEFAULT_DATABASE_URL)
    return Settings(
        database_url=database_url,
        session_database_url=_session_database_url(environ, database_url),
        prepared_statements=_flag(environ, "GROUPCOVER_PREPARED_STATEMENTS", default=True),
        secret_key=secret,
        env=env,
        policy_limits=PolicyLimits(
            child_max_age=_whole_number(environ, "GROUPCOVER_CHILD_MAX_AGE", DEFAULT_CHILD_MAX_AGE),
            retro_days=_whole_number(environ, "GROUPCOVER_RETRO_DAYS", DEFAULT_RETRO_DAYS),
        ),
        cors_origins=_origins(environ.get("GROUPCOVER_CORS_ORIGINS", "")),
        oidc=_oidc(environ),
        trusted_documents_only=_flag(environ, "GROUPCOVER_TRUSTED_DOCUMENTS_ONLY"),
        compiled_reads=_flag(environ, "GROUPCOVER_COMPILED_READS", default=True),
        mail=_mail(environ),
        retention=Retention(
            {
                kind: _whole_number(environ, f"GROUPCOVER_RETENTION_DAYS_{kind}", days, 1, 36_525)
                for kind, days in Retention().days.items()
            }
        ),
        exports_dir=environ.get("GROUPCOVER_EXPORTS_DIR", DEFAULT_EXPORTS_DIR),
        x12_parties=x12_parties(environ, SettingsError),
        webhooks=_webhooks(environ, production=env == "production"),
        metrics=_metrics(environ),
        log_format=_choice(
            environ,
            "GROUPCOVER_LOG_FORMAT",
            ("json", "text"),
            "json" if env == "production" else "text",
        ),
        otlp_endpoint=environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip(),
        **_limits(environ),
    )


def _session_database_url(environ: dict[str, str], database_url: str) -> str:
    """GROUPCOVER_SESSION_DATABASE_URL: PostgreSQL, beside a PostgreSQL database URL."""
    url = environ.get("GROUPCOVER_SESSION_DATABASE_URL", "").strip()
    if url and not (url.startswith("postgresql") and database_url.startswith("postgresql")):
        raise SettingsError(
            "GROUPCOVER_SESSION_DATABASE_URL is for PostgreSQL behind a pooler: it must be a "
            "postgresql URL, and so must GROUPCOVER_DATABASE_URL."
        )
    return url


def _mail(environ: dict[str, str]) -> MailSettings:
    """Where mail goes: an smtp:// or smtps:// server, else a folder of .eml files."""
    url = environ.get("GROUPCOVER_SMTP_URL", "").strip() or None
    if url is not None and urlsplit(url).scheme not in ("smtp", "smtps"):
        raise SettingsError(
            "GROUPCOVER_SMTP_URL must be smtp://user:password@host:port or smtps://."
        )
    folder = environ.get("GROUPCOVER_MAIL_FOLDER", "").strip()
    return MailSettings(
        smtp_url=url,
        folder=Path(folder or MailSettings.folder),
        folder_chosen=bool(folder),
        sender=environ.get("GROUPCOVER_MAIL_FROM", "").strip() or MailSettings.sender,
    )


def require_mail_server(settings: Settings) -> None:
    """Refuse, in production, to write letters and e-mail to the development folder unasked."""
    mail = settings.mail
    if settings.production and mail.smtp_url is None and not mail.folder_chosen:
        # Nobody reads mail-outbox/ on a server: members and account teams would never get
        # their letters, and nothing would say so.
        raise SettingsError(
            "GROUPCOVER_SMTP_URL must be set in production: without it, letters and e-mail "
            f"are written as files to {mail.folder}/ and never sent. Set GROUPCOVER_MAIL_FOLDER "
            "to write them to a folder on purpose."
        )


def _webhooks(environ: dict[str, str], *, production: bool) -> WebhookSettings:
    """How webhooks are sent: private addresses are refused unless allowed (by default they
    are, outside production, for receivers on the developer's machine)."""
    allow = environ.get("GROUPCOVER_WEBHOOKS_ALLOW_PRIVATE", "").strip()
    return WebhookSettings(
        rules=AddressRules(
            https_only=production,
            allow_private=_flag(environ, "GROUPCOVER_WEBHOOKS_ALLOW_PRIVATE")
            if allow
            else not production,
        ),
        retry=RetryPolicy(
            max_attempts=_whole_number(environ, "GROUPCOVER_WEBHOOKS_MAX_ATTEMPTS", 8, 1, 50),
            backoff_seconds=_whole_number(
                environ, "GROUPCOVER_WEBHOOKS_BACKOFF_MS", 2000, 0, 3_600_000
            )
            / 1000,
        ),
        timeout_seconds=_whole_number(environ, "GROUPCOVER_WEBHOOKS_TIMEOUT_SECONDS", 5, 1, 60),
        poll_seconds=_whole_number(environ, "GROUPCOVER_WEBHOOKS_POLL_MS", 250, 10, 60_000) / 1000,
    )


def _metrics(environ: dict[str, str]) -> MetricsSettings:
    """Metrics off, behind a bearer token on the API's port, or on a port of their own."""
    mode = _choice(environ, "GROUPCOVER_METRICS", ("off", "token", "port"), "off")
    token = environ.get("GROUPCOVER_METRICS_TOKEN", "").strip()
    if mode == "token" and len(token.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"GROUPCOVER_METRICS=token needs GROUPCOVER_METRICS_TOKEN of at least "
            f"{MIN_SECRET_BYTES} bytes."
        )
    port = _whole_number(environ, "GROUPCOVER_METRICS_PORT", 0, 1, 65_535)
    if mode == "port" and not port:
        raise SettingsError("GROUPCOVER_METRICS=port needs GROUPCOVER_METRICS_PORT.")
    return MetricsSettings(mode=mode, token=token if mode == "token" else "", port=port)


def _choice(environ: dict[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    """Read a setting that is one of a few words."""
    text = environ.get(name, "").strip().lower() or default
    if text not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {text!r}.")
    return text


def _origins(text: str) -> tuple[str, ...]:
    """Read a comma-separated list of origins, each as a browser sends it in `Origin`."""
    origins = []
    for given in filter(None, (part.strip() for part in text.split(","))):
        origin = normalize_origin(given)
        # An origin is a scheme, a host and a port: a path would never match what browsers send.
        if origin is None or not origin.startswith(("http://", "https://")) or _has_more(given):
            raise SettingsError(
                "GROUPCOVER_CORS_ORIGINS must list origins such as https://portal.example.com "
                f"(a scheme, a host and an optional port, no path), not {given!r}."
            )
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


def _oidc(environ: dict[str, str]) -> OidcSettings | None:
    """The identity provider: issuer, audience and key set all given, or none of them."""
    names = ("GROUPCOVER_OIDC_ISSUER", "GROUPCOVER_OIDC_AUDIENCE", "GROUPCOVER_OIDC_JWKS_URL")
    issuer, audience, jwks_url = (environ.get(name, "").strip() for name in names)
    if not (issuer or audience or jwks_url):
        if environ.get("GROUPCOVER_OIDC_CLAIMS", "").strip():
            raise SettingsError("GROUPCOVER_OIDC_CLAIMS needs GROUPCOVER_OIDC_ISSUER and the rest.")
        return None
    missing = [
        name for name, value in zip(names, (issuer, audience, jwks_url), strict=True) if not value
    ]
    if missing:
        raise SettingsError(f"Single sign-on needs {', '.join(missing)} as well.")
    if issuer == "groupcover":  # the server's own tokens' issuer (api/tokens.py)
        raise SettingsError("GROUPCOVER_OIDC_ISSUER must not be 'groupcover', our own issuer.")
    parts = urlsplit(jwks_url)
    # Keys fetched over plain HTTP could be swapped on the way: anyone could sign in.
    if not parts.hostname or not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    ):
        raise SettingsError(
            "GROUPCOVER_OIDC_JWKS_URL must be an https:// URL (http:// only on localhost), "
            f"not {jwks_url!r}."
        )
    claims = _claims(environ.get("GROUPCOVER_OIDC_CLAIMS", ""))
    return OidcSettings(issuer=issuer, audience=audience, jwks_url=jwks_url, claims=claims)


def _claims(text: str) -> tuple[tuple[str, str], ...]:
    """Read `ours=theirs,...`: which identity provider claim carries each of ours."""
    mapping = {name: name for name in GRANT_CLAIMS}
    given: set[str] = set()
    for pair in filter(None, (part.strip() for part in text.split(","))):
        ours, equals, theirs = (part.strip() for part in pair.partition("="))
        if ours not in mapping or not equals or not theirs or ours in given:
            raise SettingsError(
                "GROUPCOVER_OIDC_CLAIMS must be pairs such as roles=realm_roles,groups=grp, "
                f"each of {', '.join(GRANT_CLAIMS)} at most once, not {pair!r}."
            )
        mapping[ours] = theirs
        given.add(ours)
    return tuple(mapping.items())


def _has_more(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.path not in ("", "/") or parts.query or parts.fragment or parts.username)


def _limits(environ: dict[str, str]) -> dict[str, Any]:
    """The request limits, each from its variable or its default."""
    query = QueryLimits()
    return {
        "query_limits": QueryLimits(
            max_depth=_whole_number(environ, "GROUPCOVER_MAX_DEPTH", query.max_depth, 1, 100),
            max_aliases=_whole_number(
                environ, "GROUPCOVER_MAX_ALIASES", query.max_aliases, 1, 1000
            ),
            max_tokens=_whole_number(
                environ, "GROUPCOVER_MAX_TOKENS", query.max_tokens, 100, 100_000
            ),
            max_directives=_whole_number(
                environ, "GROUPCOVER_MAX_DIRECTIVES", query.max_directives, 0, 1000
            ),
            max_cost=_whole_number(
                environ, "GROUPCOVER_MAX_COST", query.max_cost, 1, 1_000_000_000
            ),
        ),
        "max_body_bytes": _whole_number(
            environ, "GROUPCOVER_MAX_BODY_BYTES", 1_000_000, 1000, 100_000_000
        ),
        "max_file_bytes": _whole_number(
            environ, "GROUPCOVER_MAX_FILE_BYTES", 20_000_000, 1000, 1_000_000_000
        ),
        "intake_background_rows": _whole_number(
            environ, "GROUPCOVER_INTAKE_BACKGROUND_ROWS", 1000, 1, 10_000_000
        ),
        "rate_per_minute": _whole_number(environ, "GROUPCOVER_RATE_PER_MINUTE", 600, 0, 1_000_000),
        "statement_timeout_ms": _whole_number(
            environ, "GROUPCOVER_STATEMENT_TIMEOUT_MS", 10_000, 0, 3_600_000
        ),
        "pool_size": _whole_number(environ, "GROUPCOVER_POOL_SIZE", 16, 1, 1000),
        "socket_limits": SocketLimits(
            max_sockets=_whole_number(environ, "GROUPCOVER_MAX_SOCKETS_PER_PRINCIPAL", 10, 1, 1000),
            max_subscriptions=_whole_number(
                environ, "GROUPCOVER_MAX_SUBSCRIPTIONS_PER_PRINCIPAL", 100, 1, 10_000
            ),
            check_seconds=_whole_number(environ, "GROUPCOVER_SOCKET_CHECK_SECONDS", 5, 1, 300),
        ),
        "script_limits": ScriptLimits(
            max_steps=_whole_number(
                environ, "GROUPCOVER_SCRIPT_MAX_STEPS", 100_000, 100, 100_000_000
            ),
            max_seconds=_whole_number(environ, "GROUPCOVER_SCRIPT_MAX_MS", 2000, 10, 600_000)
            / 1000,
        ),
        **_connection_limits(environ),
    }


def _connection_limits(environ: dict[str, str]) -> dict[str, int]:
    """What one client may hold of a server process: connections, time, failed sign-ins."""
    limits = {
        "auth_failures_per_minute": ("GROUPCOVER_AUTH_FAILURES_PER_MINUTE", 20, 0, 100_000),
        "unknown_key_seconds": ("GROUPCOVER_UNKNOWN_KEY_SECONDS", 10, 0, 3600),
        "header_timeout_seconds": ("GROUPCOVER_HEADER_TIMEOUT_SECONDS", 10, 1, 600),
        "keep_alive_seconds": ("GROUPCOVER_KEEP_ALIVE_SECONDS", 5, 1, 600),
        "max_connections": ("GROUPCOVER_MAX_CONNECTIONS", 1000, 0, 1_000_000),
        "max_header_bytes": ("GROUPCOVER_MAX_HEADER_BYTES", 16_384, 1024, 1_000_000),
    }
    return {
        name: _whole_number(environ, variable, default, low, high)
        for name, (variable, default, low, high) in limits.items()
    }


def _flag(environ: dict[str, str], name: str, *, default: bool = False) -> bool:
    """Read a setting that is `true` or `false` (unset: `default`)."""
    text = environ.get(name, "").strip().lower()
    if text not in ("", "true", "false"):
        raise SettingsError(f"{name} must be 'true' or 'false', not {text!r}.")
    return default if text == "" else text == "true"


def _whole_number(
    environ: dict[str, str], name: str, default: int, low: int = 0, high: int = 150
) -> int:
    """Read a setting that must be a whole number from `low` to `high`."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {text!r}.")
    return int(text)


def _development_secret() -> str:
    """Generate a signing key once and keep it beside the development database."""
    try:
        # Created readable by its owner only from the start, and never overwritten.
        fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return SECRET_FILE.read_text().strip()
