"""TargetConfig: how to reach one gateway, checked when built."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TargetConfig:
    """How to reach one gateway. Secrets are kept out of repr()."""

    name: str
    host: str
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    serial: str | None = None
    cache_ttl: float = 15.0
    busy_budget: float = 0.05
    verify_tls: bool = False
    enlighten_login_url: str | None = None
    enlighten_token_url: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("target name must not be empty")
        if not self.host:
            raise ValueError(f"target {self.name!r}: host must not be empty")
        if self.cache_ttl <= 0:
            raise ValueError(f"target {self.name!r}: cache_ttl must be > 0, got {self.cache_ttl}")
        if not 0 < self.busy_budget <= 1:
            raise ValueError(
                f"target {self.name!r}: busy_budget must be in (0, 1], got {self.busy_budget}"
            )
        if self.timeout <= 0:
            raise ValueError(f"target {self.name!r}: timeout must be > 0, got {self.timeout}")
