# Læringsbot's container image: a slim official Python image, the package installed by
# deploy/install.sh (the same script CI runs in a fresh prefix), running as a user of its own.
#
#   docker build -t laeringsbot .
#   docker run --rm --env-file .env laeringsbot laeringsbot migrate   # once per deploy
#   docker run -d --env-file .env -p 3000:3000 laeringsbot            # laeringsbot serve
#
# compose.yaml runs both, with PostgreSQL and a TLS proxy in front (README.md, "Deploying").
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the install reads, so an edit to the tests does not rebuild the image.
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY dialogs /src/dialogs
COPY manifest /src/manifest
COPY deploy/install.sh /src/deploy/install.sh
RUN PREFIX=/opt/laeringsbot sh /src/deploy/install.sh && rm -rf /src

# Not root: a system user whose home is the working directory (a .env there is read; an
# SQLite file there would be kept, though the image is meant for PostgreSQL).
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/laeringsbot --create-home laeringsbot
USER laeringsbot
WORKDIR /var/lib/laeringsbot

ENV PATH=/opt/laeringsbot/venv/bin:$PATH \
    DIALOGS_DIR=/opt/laeringsbot/dialogs \
    BOT_HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json
EXPOSE 3000

# /livez: the process answers (whether it is ready for traffic is /readyz, for the proxy).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/livez', timeout=2)"]

# SIGTERM: the bot stops taking requests, finishes what is under way and hands its lanes back.
STOPSIGNAL SIGTERM
CMD ["laeringsbot", "serve"]
