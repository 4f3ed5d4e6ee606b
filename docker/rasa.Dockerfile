# The Rasa engine's image (Python 3.10, rasa==3.6.21, pydantic 1). Only bot/ lives here.
# The content must be compiled first (rathaus content build), so bot/generated/ (training data and
# answers in generated/data, the content index and the retrieval's content vectors: the component
# refuses to start without them) exists in the build context.
# Build from the repository root:  docker build -f docker/rasa.Dockerfile -t rathaus-rasa .
FROM python:3.10-slim-bookworm

RUN useradd --create-home --uid 10001 rasa
WORKDIR /bot
COPY bot/requirements.txt ./requirements.txt
RUN pip install --no-cache-dir "pip<24.1" && pip install --no-cache-dir -r requirements.txt
COPY bot/ ./
# The same log redaction as the gateway's, in every Python process of this image (bot/pylib/sitecustomize.py).
COPY common/redact.py ./pylib/rathaus_redact.py
ENV PYTHONPATH=/bot/pylib
# The action server keeps idle connections longer than Rasa's client (15 s); see bot/runner.py.
ENV SANIC_KEEP_ALIVE_TIMEOUT=30
RUN chown -R rasa /bot
USER rasa
RUN rasa train --domain domain --data data generated/data --out models --fixed-model-name rathaus
EXPOSE 5005 5055
# The HTTP API (trackers with citizens' texts) needs RATHAUS_RASA_TOKEN; the REST webhook stays open.
CMD ["sh", "-c", "exec rasa run --enable-api --auth-token \"${RATHAUS_RASA_TOKEN:?set RATHAUS_RASA_TOKEN}\" --port 5005 --model models/rathaus.tar.gz --endpoints endpoints.redis.yml"]
