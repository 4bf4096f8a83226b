# Chorus: slim, non-root, `chorus serve`. Configure with CHORUS_* variables (see README).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY workers ./workers
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CHORUS_DATABASE_URL=sqlite+aiosqlite:////data/chorus.db
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --home-dir /data --create-home chorus
USER chorus
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
ENTRYPOINT ["chorus"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
