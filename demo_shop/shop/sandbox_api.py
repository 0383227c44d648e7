"""The sandbox's own inspection and helper endpoints (``/_sandbox/...``), seen from the demo.

Only the demo uses these: real Zalo has no such paths, so every caller first asks
:meth:`SandboxAPI.detect` whether the configured API base URL is the sandbox at all.
"""

from __future__ import annotations

import requests

TIMEOUT = 5.0


class SandboxUnreachable(RuntimeError):
    """Nothing answers at the configured API base URL."""


class SandboxAPI:
    def __init__(self, base_url: str, *, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def detect(cls, base_url: str) -> SandboxAPI | None:
        """The sandbox at ``base_url``, or None when another server (real Zalo) answers there.

        Raises SandboxUnreachable when nothing answers: "the sandbox is not running" must
        not be mistaken for "this is real Zalo".
        """
        sandbox = cls(base_url)
        try:
            sandbox.tracking_counts()
        except requests.ConnectionError as exc:
            raise SandboxUnreachable(
                f"Nothing answers at {sandbox.base_url}. Start the sandbox first: "
                "python manage.py zns_sandbox"
            ) from exc
        except (requests.HTTPError, ValueError, KeyError, TypeError):
            return None
        return sandbox

    def tracking_counts(self) -> dict[str, int]:
        """How many times the sandbox accepted each tracking_id (GET /_sandbox/tracking)."""
        response = requests.get(f"{self.base_url}/_sandbox/tracking", timeout=self.timeout)
        response.raise_for_status()
        counts = response.json()["counts"]
        return {str(tracking_id): int(count) for tracking_id, count in counts.items()}

    def mint_token_pair(self) -> dict[str, str]:
        """A fresh OA token pair, as Zalo's API Explorer would hand out."""
        response = requests.post(f"{self.base_url}/_sandbox/tokens/mint", timeout=self.timeout)
        response.raise_for_status()
        return response.json()
