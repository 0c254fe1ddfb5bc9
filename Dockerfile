# Production image: Python 3.13 slim, runtime dependencies only, static files collected
# at build, a non-root user, the shared gunicorn config, a health check.

FROM python:3.13-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
# requirements.txt is the runtime alone; the development tools live in their own file.
RUN python -m venv /venv && /venv/bin/pip install -r requirements.txt
COPY . .
# The demo flag only supplies throwaway keys for this build step; nothing is kept.
RUN DASHBOARD_DEMO=1 /venv/bin/python manage.py collectstatic --noinput

FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH PORT=8000
# WeasyPrint draws the PDFs (statements, invoices) with Pango, and needs a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build /app /app
RUN mkdir -p /app/var && chown app /app/var && chmod +x /app/docker-entrypoint.sh
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
