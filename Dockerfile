# groupcover: the GraphQL API server, built from pyproject.toml (no dev extras, no tests).
#
#   docker build -t groupcover .
#   docker run -p 8000:8000 \
#     -e GROUPCOVER_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" \
#     -e GROUPCOVER_DATABASE_URL=postgresql+psycopg://groupcover@db:5432/groupcover \
#     groupcover
#
# On start it applies the migrations, then serves on port $PORT (8000 unless set, e.g.
# `-e PORT=9000 -p 9000:9000`; the health check follows it). It runs in production mode and
# refuses to start without GROUPCOVER_SECRET_KEY (at least 32 bytes).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/groupcover
WORKDIR /src
# Only what the package is built from; .dockerignore keeps everything else out too.
COPY pyproject.toml README.md ./
COPY api/ api/
COPY authz/ authz/
COPY domain/ domain/
COPY migrations/ migrations/
COPY schema/ schema/
RUN /opt/groupcover/bin/pip install . \
 && /opt/groupcover/bin/groupcover --help > /dev/null

FROM python:3.11-slim
# The default database is a SQLite file in /data (mount a volume there to keep it);
# set GROUPCOVER_DATABASE_URL to a postgresql+psycopg:// URL in production, and
# GROUPCOVER_SMTP_URL: without it (or GROUPCOVER_MAIL_FOLDER) the server refuses to start.
ENV PATH=/opt/groupcover/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GROUPCOVER_ENV=production \
    GROUPCOVER_DATABASE_URL=sqlite+aiosqlite:////data/groupcover.db \
    PORT=8000
RUN groupadd --system --gid 10001 groupcover \
 && useradd --system --uid 10001 --gid groupcover --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin groupcover \
 && mkdir /data \
 && chown groupcover:groupcover /data
# The virtualenv links to /usr/local/bin/python, the same in both stages.
COPY --from=build /opt/groupcover /opt/groupcover
WORKDIR /data
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['PORT'], timeout=2)"]
# `exec` makes the server PID 1, so `docker stop` (SIGTERM) shuts it down gracefully.
CMD ["sh", "-c", "groupcover migrate && exec groupcover serve --host 0.0.0.0 --port \"$PORT\""]
