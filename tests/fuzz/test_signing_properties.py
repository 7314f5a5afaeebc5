"""Properties of the webhook signature check (`gett.signing.verify`).

Whatever arrives — any bytes, any header text, any configured secrets, any clock — `verify`
answers True or False and never raises (an exception at the edge would be a 500), and it answers
True only for a body signed with one of the secrets and a timestamp within the tolerance.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gett import signing
from tests.fuzz.conftest import fuzz_settings

pytestmark = pytest.mark.fuzz

NOW = 1_780_000_000
TOLERANCE = 300

# Any text at all, lone surrogates included (WSGI headers cannot carry them; other callers can).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
digits = st.text("0123456789", min_size=1, max_size=30)
header_text = st.one_of(
    st.none(),
    any_text,
    digits,
    st.integers(min_value=0, max_value=10**25).map(str),
    st.just("9" * 5000),
    st.sampled_from(
        ["", " ", "1e9", "-1", "0x10", "１２３", "²", "1780000000.5", "\x00", "\ud800" * 64]
    ),
)
secrets = st.lists(
    st.one_of(any_text, st.sampled_from(["whsec_a", "whsec_b", "", "\udcff", "\ud800"])), max_size=4
)


@fuzz_settings
@given(body=st.binary(max_size=2000), signature=header_text, timestamp=header_text, keys=secrets)
def test_verify_never_raises_and_rejects_unsigned_bodies(body, signature, timestamp, keys):
    result = signing.verify(
        body, signature=signature, timestamp=timestamp, secrets=keys, tolerance=TOLERANCE, now=NOW
    )
    assert result in (True, False)
    encodable = [k for k in keys if k and not any("\ud800" <= c <= "\udfff" for c in k)]
    genuine = {hmac.new(k.encode(), body, hashlib.sha256).hexdigest() for k in encodable}
    if result:
        assert (signature or "").strip().lower() in genuine


@fuzz_settings
@given(
    body=st.binary(max_size=2000),
    secret=st.text(st.characters(codec="utf-8"), min_size=1, max_size=60),
    others=st.lists(st.text(st.characters(codec="utf-8"), min_size=1, max_size=20), max_size=3),
    skew=st.integers(min_value=-10 * TOLERANCE, max_value=10 * TOLERANCE),
    position=st.integers(min_value=0, max_value=3),
)
def test_a_signed_body_passes_exactly_within_the_tolerance(body, secret, others, skew, position):
    headers = signing.signed_headers(body, secret, timestamp=NOW + skew)
    keys = [*others]
    keys.insert(min(position, len(keys)), secret)  # rotation: any position among the secrets

    result = signing.verify(
        body,
        signature=headers["Signature"],
        timestamp=headers["Timestamp"],
        secrets=keys,
        tolerance=TOLERANCE,
        now=NOW,
    )

    assert result is (abs(skew) <= TOLERANCE)


@fuzz_settings
@given(
    body=st.binary(min_size=1, max_size=500),
    index=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_any_change_to_the_body_fails(body, index, flip):
    secret = "whsec_a"
    headers = signing.signed_headers(body, secret, timestamp=NOW)
    position = index % len(body)
    tampered = body[:position] + bytes([body[position] ^ flip]) + body[position + 1 :]

    assert not signing.verify(
        tampered,
        signature=headers["Signature"],
        timestamp=headers["Timestamp"],
        secrets=[secret],
        now=NOW,
    )


@fuzz_settings
@given(body=st.binary(max_size=200), secret=st.sampled_from(["whsec_a", "whsec_b"]))
def test_a_signature_for_another_secret_fails(body, secret):
    other = "whsec_b" if secret == "whsec_a" else "whsec_a"
    signature = signing.sign(body, other)
    assume(signature != signing.sign(body, secret))

    assert not signing.verify(
        body, signature=signature, timestamp=str(NOW), secrets=[secret], now=NOW
    )
