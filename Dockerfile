# accord-bot: slim, non-root, with time zone data; runs `accord-bot run`.
# BASE lets a machine without a registry build on a local image of the same layout
# (see "The container" in the README); everywhere else the default is used.
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ACCORD_DB=/data/accord.db \
    ACCORD_HTTP_HOST=0.0.0.0 \
    ACCORD_HTTP_PORT=8080 \
    ACCORD_LOG_FORMAT=json

RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 accord \
    && mkdir -p /data && chown accord:accord /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY briefings ./briefings
COPY bot ./bot
COPY config ./config
RUN pip install . && rm -rf /app/build

USER accord
VOLUME ["/data"]
# 8080: /healthz, /readyz, /metrics. 3000: Slack's HTTP mode (SLACK_PORT); Discord and
# Socket Mode need no port.
EXPOSE 8080 3000
# Ready means every adapter connected and authenticated, the scheduler on time and the
# store answering (a 503 fails the check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ACCORD_HTTP_PORT', '8080') + '/readyz', timeout=4)"]
# `docker stop` sends SIGTERM: posts in flight get 8 s, the rest are finished at the next start.
STOPSIGNAL SIGTERM
ENTRYPOINT ["accord-bot"]
CMD ["run"]
