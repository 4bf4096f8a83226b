# Chorus: slim, non-root, `chorus serve`. Configure with CHORUS_* variables (see README).
# Runtime dependencies exactly as requirements.lock pins them (hashes checked), in a venv.
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /opt/chorus \
    && /opt/chorus/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY workers ./workers
RUN /opt/chorus/bin/pip install --no-cache-dir --no-deps --no-build-isolation .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/chorus/bin:$PATH \
    CHORUS_DATABASE_URL=sqlite+aiosqlite:////data/chorus.db
COPY --from=build /opt/chorus /opt/chorus
# The PDF report (WeasyPrint): Pango, HarfBuzz and fonts with Thai.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core fonts-thai-tlwg \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /data --create-home chorus
USER chorus
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
ENTRYPOINT ["chorus"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
