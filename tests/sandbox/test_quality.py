"""GET /quality: the OA's sending quality (48 hours and 7 days), set with the config knobs."""

from __future__ import annotations

import pytest


def test_a_new_oa_answers_high_in_zalo_s_envelope(zalo):
    assert zalo.get("/quality") == {
        "error": 0,
        "message": "Success",
        "data": {"oaCurrentQuality": "HIGH", "oa7dayQuality": "HIGH"},
    }


def test_the_knobs_set_each_figure_in_any_case(zalo):
    response = zalo.knob("config", {"oa_current_quality": "low", "oa_7day_quality": "Medium"})
    assert response.status_code == 200
    assert response.json()["oa_current_quality"] == "LOW"
    assert zalo.inspect("config")["oa_7day_quality"] == "MEDIUM"
    assert zalo.get("/quality")["data"] == {"oaCurrentQuality": "LOW", "oa7dayQuality": "MEDIUM"}


def test_undefined_is_a_level_and_null_leaves_the_figure_out(zalo):
    zalo.knob("config", {"oa_current_quality": "UNDEFINED", "oa_7day_quality": None})
    assert zalo.get("/quality")["data"] == {"oaCurrentQuality": "UNDEFINED"}
    zalo.knob("config", {"oa_current_quality": None})
    assert zalo.get("/quality")["data"] == {}


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_a_bad_access_token_is_124(zalo, token):
    zalo.knob("config", {"oa_current_quality": "LOW"})
    assert zalo.get("/quality", token=token) == {
        "error": -124,
        "message": "Access token invalid",
        "data": None,
    }


def test_an_expired_access_token_is_124(zalo):
    zalo.server.expire_access_tokens()
    assert zalo.get("/quality")["error"] == -124


def test_the_app_s_appsecret_proof_is_checked_here_too(zalo):
    zalo.knob("config", {"require_appsecret_proof": True})
    assert zalo.get("/quality")["error"] == -1241


@pytest.mark.parametrize(
    "knobs",
    [
        {"oa_current_quality": "GOOD"},
        {"oa_current_quality": ""},
        {"oa_7day_quality": 3},
        {"oa_7day_quality": True},
        {"oa_7day_quality": ["HIGH"]},
    ],
)
def test_a_bad_quality_knob_is_refused_and_changes_nothing(zalo, knobs):
    response = zalo.knob("config", knobs)
    assert response.status_code == 400
    assert "HIGH, MEDIUM, LOW, UNDEFINED" in response.json()["message"]
    assert zalo.get("/quality")["data"] == {"oaCurrentQuality": "HIGH", "oa7dayQuality": "HIGH"}


def test_reset_keeps_the_quality_the_config_set(zalo):
    # Like daily_quota, the quality is configuration, not use: a reset does not undo it.
    zalo.knob("config", {"oa_current_quality": "MEDIUM"})
    zalo.knob("reset", {})
    assert zalo.get("/quality")["data"]["oaCurrentQuality"] == "MEDIUM"
