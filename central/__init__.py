"""The central server: terminal API (enroll, config pull, record push, heartbeat, self-test) over FastAPI."""
