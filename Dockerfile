FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected at build time (hashed, compressed names for whitenoise).
# The demo flag only supplies throwaway keys for this build step.
RUN DASHBOARD_DEMO=1 python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 app && mkdir -p var && chown app var

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
