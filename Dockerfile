# hrvault API server. Point it at PostgreSQL with HRVAULT_DATABASE_URL (owner role, runs
# `hrvault migrate`) and HRVAULT_APP_DATABASE_URL (the unprivileged hrvault_app role).
# It refuses to start without its master key: HRVAULT_MASTER_KEY from a secret store, or
# a key file mounted at HRVAULT_MASTER_KEY_FILE, owned by the hrvault user, mode 0600.
# In production it serves HTTPS only: mount a certificate and key and set HRVAULT_TLS_CERT
# and HRVAULT_TLS_KEY, or name the TLS-terminating proxies in HRVAULT_TRUSTED_PROXIES.
# Documents (sealed; unreadable without the key store) are kept in HRVAULT_FILES_DIR:
# mount a persistent volume there, writable by the hrvault user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HRVAULT_ENV=production \
    HRVAULT_HOST=0.0.0.0 \
    HRVAULT_PORT=8000

RUN groupadd --system hrvault && useradd --system --gid hrvault --home-dir /app hrvault

WORKDIR /app
COPY pyproject.toml README.md schema.graphql ./
COPY hrvault ./hrvault
RUN pip install --no-compile . && rm -rf /root/.cache

USER hrvault
EXPOSE 8000
# The probe stays on the loopback, where the certificate's name cannot match anyway.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os,ssl,sys,urllib.request as u; s='https' if os.environ.get('HRVAULT_TLS_CERT') else 'http'; sys.exit(u.urlopen(s+'://127.0.0.1:8000/readyz', timeout=2, context=ssl._create_unverified_context()).status != 200)"

ENTRYPOINT ["hrvault"]
CMD ["serve"]
