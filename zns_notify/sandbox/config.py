"""The sandbox's identity and behaviour knobs, with validation for runtime changes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from zns_notify.sandbox import defaults
from zns_notify.sandbox.journeys import LIFETIME_DAYS
from zns_notify.sandbox.quality import KNOBS as QUALITY_KNOBS
from zns_notify.sandbox.quality import quality_knob
from zns_notify.sandbox.validation import normalize_phone

# Knobs POST /_sandbox/config may change while the server runs (identity is fixed).
MUTABLE = frozenset(
    {
        "webhook_url",
        "receipt_delay",
        "receipt_ratio",
        "webhook_ratio",
        "daily_quota",
        "admin_phones",
        "unreachable_phones",
        "dev_daily_quota",
        "monthly_promotion_quota",
        "night_window",
        "require_appsecret_proof",
        "esms_brandnames",
        "sms_blocked_phones",
        "journey_templates",
        *QUALITY_KNOBS,
    }
)
MAX_RECEIPT_DELAY = 3600.0


@dataclass(frozen=True)
class SandboxConfig:
    app_id: str = defaults.DEMO_APP_ID
    app_secret: str = defaults.DEMO_APP_SECRET
    oa_secret_key: str = defaults.DEMO_OA_SECRET_KEY
    oa_id: str = defaults.DEMO_OA_ID
    oa_name: str = defaults.DEMO_OA_NAME
    webhook_url: str | None = None
    receipt_delay: float = defaults.RECEIPT_DELAY
    receipt_ratio: float = defaults.RECEIPT_RATIO
    # Share of delivered messages whose user_received_message webhook is posted; the others
    # show as delivered only in GET /message/status (for the reconciler).
    webhook_ratio: float = defaults.WEBHOOK_RATIO
    daily_quota: int = defaults.DAILY_QUOTA
    admin_phones: tuple[str, ...] = defaults.ADMIN_PHONES
    unreachable_phones: dict[str, int] = field(
        default_factory=lambda: dict(defaults.UNREACHABLE_PHONES)
    )
    dev_daily_quota: int = defaults.DEV_DAILY_QUOTA
    monthly_promotion_quota: int = defaults.MONTHLY_PROMOTION_QUOTA
    # [start_hour, end_hour) in Vietnam time during which PROMOTION templates get -133
    # (22:00-06:00 per zns-api.md §6); None (the default) = no night ban, since §3 doubts
    # it is still live.
    night_window: tuple[int, int] | None = None
    require_appsecret_proof: bool = False  # -1241 unless the appsecret_proof header is right
    # The SMS mode (sandbox/sms.py): eSMS account keys, registered brandnames, blocked phones.
    esms_api_key: str = defaults.DEMO_ESMS_API_KEY
    esms_secret_key: str = defaults.DEMO_ESMS_SECRET_KEY
    esms_brandnames: tuple[str, ...] = defaults.DEMO_BRANDNAMES
    sms_blocked_phones: tuple[str, ...] = defaults.SMS_BLOCKED_PHONES
    # ZNS Journey: token type -> the template ids declared for it (others get -1491).
    journey_templates: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(defaults.JOURNEY_TEMPLATES)
    )
    # GET /quality (sandbox/quality.py): HIGH, MEDIUM, LOW, UNDEFINED, or None: left out.
    oa_current_quality: str | None = defaults.OA_QUALITY
    oa_7day_quality: str | None = defaults.OA_QUALITY
    seed: int | None = None

    def __post_init__(self) -> None:
        # Normalize through the same checks as runtime updates, so both paths agree.
        checked = validate({k: getattr(self, k) for k in MUTABLE})
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def public(self) -> dict[str, Any]:
        """Everything but the secrets, for GET /_sandbox/config."""
        data = asdict(self)
        del data["app_secret"], data["oa_secret_key"], data["esms_secret_key"]
        data["admin_phones"] = list(self.admin_phones)
        data["esms_brandnames"] = list(self.esms_brandnames)
        data["sms_blocked_phones"] = list(self.sms_blocked_phones)
        data["night_window"] = list(self.night_window) if self.night_window else None
        data["journey_templates"] = {k: list(v) for k, v in self.journey_templates.items()}
        return data

    def updated(self, changes: dict[str, Any]) -> SandboxConfig:
        unknown = set(changes) - MUTABLE
        if unknown:
            raise ValueError(f"not a runtime setting: {', '.join(sorted(unknown))}")
        return replace(self, **validate(changes))


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Checked and normalized copies of the mutable knobs in ``values`` (ValueError if bad)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "webhook_url":
            if value is not None and not (
                isinstance(value, str) and value.startswith(("http://", "https://"))
            ):
                raise ValueError("webhook_url must be an http(s) URL or null")
            out[name] = value or None
        elif name == "receipt_delay":
            out[name] = _number(name, value, 0, MAX_RECEIPT_DELAY)
        elif name in ("receipt_ratio", "webhook_ratio"):
            out[name] = _number(name, value, 0, 1)
        elif name in ("daily_quota", "dev_daily_quota", "monthly_promotion_quota"):
            out[name] = int(_number(name, value, 0, 10**9))
        elif name == "night_window":
            out[name] = _night_window(value)
        elif name in QUALITY_KNOBS:
            out[name] = quality_knob(name, value)
        elif name == "require_appsecret_proof":
            if not isinstance(value, bool):
                raise ValueError("require_appsecret_proof must be true or false")
            out[name] = value
        elif name == "admin_phones":
            if not isinstance(value, (list, tuple)) or not all(normalize_phone(p) for p in value):
                raise ValueError("admin_phones must be a list of phone numbers")
            out[name] = tuple(normalize_phone(p) for p in value)
        elif name == "unreachable_phones":
            out[name] = _unreachable(value)
        elif name == "sms_blocked_phones":
            if not isinstance(value, (list, tuple)) or not all(normalize_phone(p) for p in value):
                raise ValueError("sms_blocked_phones must be a list of phone numbers")
            out[name] = tuple(normalize_phone(p) for p in value)
        elif name == "esms_brandnames":
            # eSMS brandnames are sender names of at most 11 characters (carrier rule).
            if not isinstance(value, (list, tuple)) or not all(
                isinstance(b, str) and 0 < len(b) <= 11 for b in value
            ):
                raise ValueError("esms_brandnames must be a list of names of 1-11 characters")
            out[name] = tuple(value)
        elif name == "journey_templates":
            out[name] = _journey_templates(value)
    return out


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number between {low} and {high}")
    return float(value)


def _unreachable(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValueError("unreachable_phones must map phone numbers to negative error codes")
    out: dict[str, int] = {}
    for phone, code in value.items():
        normalized = normalize_phone(phone)
        if not normalized or isinstance(code, bool) or not isinstance(code, int) or code >= 0:
            raise ValueError(f"unreachable_phones entry {phone!r}: {code!r} is not valid")
        out[normalized] = code
    return out


def _journey_templates(value: Any) -> dict[str, tuple[str, ...]]:
    # Replaced whole, like unreachable_phones: a type left out has no template declared.
    if not isinstance(value, dict) or not all(
        token_type in LIFETIME_DAYS
        and isinstance(ids, (list, tuple))
        and all(isinstance(i, str) and i for i in ids)
        for token_type, ids in value.items()
    ):
        raise ValueError(
            "journey_templates must map token types ("
            + ", ".join(LIFETIME_DAYS)
            + ") to lists of template ids"
        )
    return {token_type: tuple(ids) for token_type, ids in value.items()}


def _night_window(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None

    def hour(h: Any) -> bool:
        return isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 24

    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(hour(h) for h in value)
        or value[0] == value[1]
    ):
        raise ValueError(
            "night_window must be null or [start_hour, end_hour], hours 0-24, not equal"
        )
    return (value[0], value[1])
