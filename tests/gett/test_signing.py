import json
import time
from pathlib import Path

import pytest
from django.test import RequestFactory

from gett import signing

VECTOR = json.loads(
    (
        Path(__file__).resolve().parents[1] / "payloads" / "webhook-signature.test-vector.json"
    ).read_text()
)
BODY = VECTOR["rawBody"].encode()
SECRET = VECTOR["secret"]
SIGNATURE = VECTOR["headers"]["Signature"]
TIMESTAMP = VECTOR["headers"]["Timestamp"]
NOW = int(TIMESTAMP)


def verify(body=BODY, *, signature=SIGNATURE, timestamp=TIMESTAMP, secrets=(SECRET,), now=NOW):
    return signing.verify(
        body, signature=signature, timestamp=timestamp, secrets=secrets, tolerance=300, now=now
    )


def test_sign_matches_test_vector():
    assert signing.sign(BODY, SECRET) == VECTOR["expectedSignature"]


def test_test_vector_verifies():
    assert verify() is True


def test_tampered_body_fails():
    assert verify(BODY.replace(b'"quantity":1', b'"quantity":9')) is False


def test_trailing_whitespace_in_body_fails():
    assert verify(BODY + b"\n") is False


@pytest.mark.parametrize("offset", [301, -301])
def test_timestamp_more_than_300_seconds_away_fails(offset):
    assert verify(now=NOW + offset) is False


@pytest.mark.parametrize("offset", [300, -300])
def test_timestamp_exactly_300_seconds_away_passes(offset):
    assert verify(now=NOW + offset) is True


@pytest.mark.parametrize("field", ["signature", "timestamp"])
@pytest.mark.parametrize("value", [None, ""])
def test_missing_header_fails(field, value):
    assert verify(**{field: value}) is False


@pytest.mark.parametrize("timestamp", ["abc", "1778264400.0", "-1778264400", "1e9", "１２３", "²"])
def test_non_digit_timestamp_fails(timestamp):
    assert verify(timestamp=timestamp) is False


def test_signature_is_compared_case_insensitively_after_strip():
    assert verify(signature=f"  {SIGNATURE.upper()}\n") is True


def test_non_ascii_signature_fails_without_error():
    assert verify(signature="é" * 64) is False


def test_second_secret_is_accepted_during_rotation():
    assert verify(secrets=["whsec_new_not_yet_used", SECRET]) is True


def test_unknown_secret_is_rejected():
    assert verify(secrets=["whsec_someone_else"]) is False


def test_no_configured_secrets_rejects_everything():
    assert verify(secrets=[]) is False


def test_signed_headers_round_trip_through_verify():
    body = b'{"orderId":"o-1"}'

    headers = signing.signed_headers(body, "whsec_test_current", timestamp=NOW)

    assert headers == {
        "Signature": signing.sign(body, "whsec_test_current"),
        "Timestamp": str(NOW),
        "API-Version": "2026-01-30",
        "Content-Type": "application/json",
    }
    assert signing.verify(
        body,
        signature=headers["Signature"],
        timestamp=headers["Timestamp"],
        secrets=["whsec_test_current"],
        now=NOW,
    )


def test_signed_headers_default_to_current_time():
    body = b"{}"

    headers = signing.signed_headers(body, "whsec_test_current")

    assert signing.verify(
        body,
        signature=headers["Signature"],
        timestamp=headers["Timestamp"],
        secrets=["whsec_test_current"],
    )


def _webhook_request(body: bytes, headers: dict[str, str]):
    return RequestFactory().post(
        "/gett/webhooks/validate-order",
        data=body,
        content_type=headers.pop("Content-Type"),
        headers=headers,
    )


@pytest.mark.parametrize("secret", ["whsec_test_current", "whsec_test_previous"])
def test_verify_request_accepts_body_signed_with_configured_secret(secret):
    request = _webhook_request(BODY, signing.signed_headers(BODY, secret))

    assert signing.verify_request(request) is True


def test_verify_request_rejects_unknown_secret():
    request = _webhook_request(BODY, signing.signed_headers(BODY, SECRET))

    assert signing.verify_request(request) is False


def test_verify_request_rejects_stale_timestamp(settings):
    settings.GETT_WEBHOOK_TOLERANCE_SECONDS = 300
    request = _webhook_request(
        BODY, signing.signed_headers(BODY, "whsec_test_current", timestamp=int(time.time()) - 301)
    )

    assert signing.verify_request(request) is False


def test_verify_request_rejects_missing_headers():
    request = RequestFactory().post(
        "/gett/webhooks/validate-order", data=BODY, content_type="application/json"
    )

    assert signing.verify_request(request) is False


def test_timestamp_too_long_for_an_int_fails_without_error():
    # int() refuses strings over 4,300 digits (ValueError): such a header must read as stale.
    assert verify(timestamp="9" * 5000) is False


def test_signature_with_a_lone_surrogate_fails_without_error():
    assert verify(signature="\ud800" * 64) is False


def test_secret_that_is_not_text_is_skipped_not_an_error():
    assert verify(secrets=["\udcff", SECRET]) is True
    assert verify(secrets=["\ud800"]) is False
