# rnnviz in a container: one Streamlit process on port 8501, runs kept in /data (RNNVIZ_DATA_DIR).
# For a class, run several of these behind a proxy with sticky sessions: deploy/compose.yaml
# (HAProxy) or deploy/k8s/rnnviz.yaml (Kubernetes), both described in the README.
#
#   docker build -t rnnviz .
#   docker run --rm -p 8501:8501 -v rnnviz-data:/data rnnviz
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RNNVIZ_DATA_DIR=/data

WORKDIR /app

# torch first, from PyTorch's CPU index: PyPI's torch==2.13.0 for Linux pulls several GB of CUDA
# packages this app never uses. requirements.txt's `torch==2.13.0` is then already satisfied
# (2.13.0+cpu is version 2.13.0), and pip installs the rest of the locked set from PyPI.
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 10001 rnnviz \
 && mkdir -p /data && chown rnnviz /data
USER 10001
VOLUME ["/data"]
EXPOSE 8501

HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2)"]

CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
