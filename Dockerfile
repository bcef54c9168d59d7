# The fake as a container: `docker run -p 8080:8080 sendcloud-mock`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mock_server ./mock_server
COPY schemas ./schemas
COPY fixtures ./fixtures
COPY examples ./examples
COPY contracts ./contracts
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 10001 sendcloud
USER 10001
WORKDIR /home/sendcloud
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SENDCLOUD_MOCK_HOST=0.0.0.0 \
    SENDCLOUD_MOCK_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["sendcloud-mock", "health"]
CMD ["sendcloud-mock", "serve", "--host", "0.0.0.0", "--port", "8080"]
