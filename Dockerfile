# The fake and its contract kit as a container: `docker run -p 8080:8080 sendcloud-mock`,
# `docker run --network host sendcloud-mock sendcloud-contracts run --base-url http://127.0.0.1:8080`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mock_server ./mock_server
COPY schemas ./schemas
COPY fixtures ./fixtures
COPY examples ./examples
COPY contracts ./contracts
# pip and setuptools only build the venv: they leave it before it is copied (about 22 MB less).
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir '.[contracts,postgres]' \
    && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools

FROM python:3.11-slim
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 10001 sendcloud
USER 10001
WORKDIR /home/sendcloud
# serve binds, and the HEALTHCHECK asks, SENDCLOUD_MOCK_HOST:SENDCLOUD_MOCK_PORT: `-e SENDCLOUD_MOCK_PORT=9000` moves both.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SENDCLOUD_MOCK_HOST=0.0.0.0 \
    SENDCLOUD_MOCK_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["sendcloud-mock", "health"]
CMD ["sendcloud-mock", "serve"]
