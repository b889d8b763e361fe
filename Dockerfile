# syntax=docker/dockerfile:1
# mentor-bot: one image for every service in docker-compose.yml (migrate, web, scheduler).
#
# The base image is pinned to a patch release of Python on Debian bookworm. For fully
# reproducible builds, pin its digest too (docker buildx imagetools inspect python:3.11.11-slim-bookworm)
# and let a bot such as Renovate update it.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# ---- build: a wheel of the bot and a virtualenv with it and its dependencies
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
# Dependencies first (read from pyproject.toml), so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
 && /opt/venv/bin/pip install --quiet -r requirements.txt
COPY bot ./bot
COPY migrations ./migrations
RUN /opt/venv/bin/pip install --quiet --no-deps . \
 && /opt/venv/bin/python -m compileall -q /opt/venv/lib

# ---- runtime: the virtualenv only, run by an unprivileged user
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="mentor-bot" \
      org.opencontainers.image.description="A Slack bot that runs reverse-mentoring programmes" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    MENTOR_LOG_FORMAT=json \
    PORT=3000
RUN groupadd --system --gid 10001 mentor \
 && useradd --system --uid 10001 --gid mentor --no-create-home --home-dir /app mentor \
 && mkdir /app && chown mentor:mentor /app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
EXPOSE 3000
# Every service (web, scheduler, Socket Mode) answers /healthz on $PORT; compose checks /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=2)"]
ENTRYPOINT ["mentor-bot"]
CMD ["serve"]
