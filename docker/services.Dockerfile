# The services' image: gateway, subtitle service and CLI (Python 3.11, pydantic 2).
# Build from the repository root:  docker build -f docker/services.Dockerfile -t rathaus-services .
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 rathaus
WORKDIR /app
COPY pyproject.toml README.md ./
COPY rathaus ./rathaus
COPY content ./content
COPY asr ./asr
COPY channels ./channels
COPY common ./common
COPY bot ./bot
RUN pip install --no-cache-dir --config-settings editable_mode=compat -e . \
    && chown -R rathaus /app

USER rathaus
ENV RATHAUS_CACHE=/home/rathaus/.cache/rathaus
# Assemble and verify the default Whisper model at build time, so containers start without downloads.
RUN rathaus subtitles model
EXPOSE 8080 8765
CMD ["rathaus", "gateway", "serve", "--host", "0.0.0.0", "--port", "8080"]
