# accord-bot: slim, non-root, with time zone data; runs `accord-bot run`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ACCORD_DB=/data/accord.db

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
# Slack's HTTP mode listens here (SLACK_PORT); Discord and Socket Mode need no port.
EXPOSE 3000
ENTRYPOINT ["accord-bot"]
CMD ["run"]
