"""HTTP Signatures: the draft-cavage test vectors, Porch-to-Porch round trips, tampering,
and RFC 9421 as Mastodon 4.4+ sends it."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.signatures import (
    HttpSignatureAuth,
    IncomingRequest,
    KeyPair,
    SignatureError,
    check_request,
    http_date,
    parse_signature,
    sign_string,
    signature_header,
    signing_string,
    verify_signature,
)

# draft-cavage-http-signatures-12, Appendix C (the key and request are unchanged since -05).
TEST_PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""
TEST_PRIVATE_PEM = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""
VECTOR_REQUEST = IncomingRequest(
    method="POST",
    path="/foo",
    query="param=value&pet=dog",
    headers={
        "Host": "example.com",
        "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
        "Content-Type": "application/json",
        "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        "Content-Length": "18",
    },
    body=b'{"hello": "world"}',
)
VECTOR_NOW = datetime(2014, 1, 5, 21, 32, 10, tzinfo=UTC)
DEFAULT_SIGNATURE = (  # C.1, headers="date"
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7"
    "q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
BASIC_SIGNATURE = (  # C.2, headers="(request-target) host date"
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe"
    "8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
# C.3, as drafts -05 to -10 print it. Draft -12 (as other libraries' tests quote it) adds
# (created) and (expires) to the header list but keeps this signature, which covers neither.
ALL_HEADERS_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEU"
    "HFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)
BASIC = ("(request-target)", "host", "date")
ALL_HEADERS = (*BASIC, "content-type", "digest", "content-length")

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KEY_ID = "https://porch.example/users/ada#main-key"
INBOX = "https://remote.example/inbox"
NOTE = b'{"type": "Create", "object": {"type": "Note", "content": "Hello"}}'


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="module")
def other_keys() -> KeyPair:
    return KeyPair.generate()


def signed(keys: KeyPair, method: str, url: str, at: datetime = NOW, **kwargs) -> httpx.Request:
    """An httpx request run through HttpSignatureAuth, as a client would send it."""
    auth = HttpSignatureAuth(KEY_ID, keys.private_pem, now=lambda: at)
    return next(auth.auth_flow(httpx.Request(method, url, **kwargs)))


def received(request: httpx.Request) -> IncomingRequest:
    """The same request as Porch's inbox sees it."""
    path, _, query = request.url.raw_path.decode("ascii").partition("?")
    return IncomingRequest(request.method, path, query, request.headers, request.content)


def posted(keys: KeyPair, at: datetime = NOW, url: str = INBOX) -> IncomingRequest:
    """A Note posted to an inbox and signed at the given moment, as the inbox receives it."""
    return received(signed(keys, "POST", url, at=at, content=NOTE))


def without(request: IncomingRequest, name: str) -> IncomingRequest:
    return replace(request, headers={k: v for k, v in request.headers.items() if k != name})


def with_headers(request: IncomingRequest, **headers: str) -> IncomingRequest:
    changed = {name.replace("_", "-").lower(): value for name, value in headers.items()}
    return replace(request, headers={**request.headers, **changed})


def hand_signed(
    request: IncomingRequest,
    covered: tuple[str, ...],
    private_pem: str = TEST_PRIVATE_PEM,
    algorithm: str = "rsa-sha256",
    **params: str,
) -> IncomingRequest:
    """The request with a Signature header built by hand, for shapes Porch never sends."""
    text = signing_string(request, covered, params=params)
    header = signature_header("Test", covered, sign_string(private_pem, text), algorithm)
    extra = "".join(f",{name}={value}" for name, value in params.items())
    return with_headers(request, signature=header + extra)


def check(request: IncomingRequest, public_pem: str, now: datetime = NOW) -> None:
    verify_signature(request, parse_signature(request), public_pem, now)


def refused(request: IncomingRequest, public_pem: str, now: datetime = NOW) -> str:
    with pytest.raises(SignatureError) as caught:
        check(request, public_pem, now)
    return str(caught.value)


# -- draft-cavage-http-signatures Appendix C ---------------------------------------------


@pytest.mark.parametrize(
    ("covered", "published"),
    [
        (("date",), DEFAULT_SIGNATURE),
        (BASIC, BASIC_SIGNATURE),
        (ALL_HEADERS, ALL_HEADERS_SIGNATURE),
    ],
    ids=["default", "basic", "all-headers"],
)
def test_given_appendix_c_request_when_signed_then_signature_is_the_published_one(
    covered: tuple[str, ...], published: str
) -> None:
    text = signing_string(VECTOR_REQUEST, covered)
    assert sign_string(TEST_PRIVATE_PEM, text) == published


def test_given_basic_test_signing_string_then_it_is_the_published_one() -> None:
    assert signing_string(VECTOR_REQUEST, BASIC) == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT"
    )


def test_given_all_headers_test_when_verified_near_its_date_then_accepted() -> None:
    header = signature_header("Test", ALL_HEADERS, ALL_HEADERS_SIGNATURE)
    check(with_headers(VECTOR_REQUEST, Signature=header), TEST_PUBLIC_PEM, VECTOR_NOW)


def test_given_basic_test_when_verified_then_refused_because_a_post_must_sign_its_digest() -> None:
    # The published signature is good (checked below with cryptography alone), but
    # Mastodon's rules want a POST's body bound by a signed Digest.
    header = signature_header("Test", BASIC, BASIC_SIGNATURE)
    message = refused(with_headers(VECTOR_REQUEST, Signature=header), TEST_PUBLIC_PEM, VECTOR_NOW)
    assert "Digest" in message
    public_key = serialization.load_pem_public_key(TEST_PUBLIC_PEM.encode())
    assert isinstance(public_key, rsa.RSAPublicKey)
    text = signing_string(VECTOR_REQUEST, BASIC).encode()
    public_key.verify(base64.b64decode(BASIC_SIGNATURE), text, padding.PKCS1v15(), hashes.SHA256())


def test_given_the_published_digest_then_it_is_the_sha256_of_the_body() -> None:
    digest = base64.b64encode(hashlib.sha256(VECTOR_REQUEST.body).digest()).decode()
    assert VECTOR_REQUEST.headers["digest"] == f"SHA-256={digest}"


# -- signing with httpx and verifying what arrives ------------------------------------------


def test_given_a_get_with_query_when_signed_then_it_verifies(keys: KeyPair) -> None:
    request = signed(
        keys,
        "GET",
        "https://remote.example/users/bo?page=2&x=%41",
        headers={"Accept": "application/activity+json"},
    )
    assert request.headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert 'headers="(request-target) host date accept"' in request.headers["Signature"]
    assert "Digest" not in request.headers
    check(received(request), keys.public_pem)


def test_given_a_post_with_body_when_signed_then_it_verifies_with_mastodons_header_set(
    keys: KeyPair,
) -> None:
    request = signed(
        keys,
        "POST",
        INBOX,
        content=NOTE,
        headers={"Content-Type": "application/activity+json"},
    )
    digest = base64.b64encode(hashlib.sha256(NOTE).digest()).decode()
    assert request.headers["Digest"] == f"SHA-256={digest}"
    assert request.headers["Signature"].startswith(
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest content-type",signature="'
    )
    check(received(request), keys.public_pem)


def test_given_an_empty_post_when_signed_then_digest_is_still_signed(keys: KeyPair) -> None:
    request = signed(keys, "POST", INBOX)
    assert "digest" in parse_signature(received(request)).covered
    check(received(request), keys.public_pem)


def test_given_a_non_default_port_when_sent_then_the_host_on_the_wire_is_signed(
    keys: KeyPair,
) -> None:
    seen: list[httpx.Request] = []

    def inbox(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        check(received(request), keys.public_pem)
        return httpx.Response(202)

    auth = HttpSignatureAuth(KEY_ID, keys.private_pem, now=lambda: NOW)
    with httpx.Client(transport=httpx.MockTransport(inbox), auth=auth) as client:
        assert client.post("https://remote.example:8443/inbox", content=NOTE).status_code == 202
        assert client.get("https://remote.example:443/users/bo").status_code == 202
    assert seen[0].headers["Host"] == "remote.example:8443"
    assert seen[1].headers["Host"] == "remote.example"


async def test_given_an_async_client_when_posting_then_the_inbox_accepts(keys: KeyPair) -> None:
    def inbox(request: httpx.Request) -> httpx.Response:
        check(received(request), keys.public_pem)
        return httpx.Response(202)

    auth = HttpSignatureAuth(KEY_ID, keys.private_pem, now=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.MockTransport(inbox), auth=auth) as client:
        response = await client.post(INBOX, json={"type": "Follow"})
    assert response.status_code == 202


def test_given_one_auth_when_the_clock_moves_then_each_request_is_signed_afresh(
    keys: KeyPair,
) -> None:
    moments = iter([NOW, NOW + timedelta(minutes=3)])
    auth = HttpSignatureAuth(KEY_ID, keys.private_pem, now=lambda: next(moments))
    first = next(auth.auth_flow(httpx.Request("POST", INBOX, content=NOTE)))
    second = next(auth.auth_flow(httpx.Request("POST", INBOX, content=NOTE)))
    assert first.headers["Date"] != second.headers["Date"]
    assert first.headers["Signature"] != second.headers["Signature"]
    check(received(second), keys.public_pem, NOW + timedelta(minutes=3))


def test_given_a_datetime_then_http_date_is_an_imf_fixdate() -> None:
    assert http_date(datetime(2018, 11, 1, 9, 2, 46, tzinfo=UTC)) == "Thu, 01 Nov 2018 09:02:46 GMT"


# -- tampering and refusals ---------------------------------------------------------------


@pytest.fixture
def inbox_post(keys: KeyPair) -> IncomingRequest:
    return received(
        signed(
            keys,
            "POST",
            INBOX,
            content=NOTE,
            headers={"Content-Type": "application/activity+json"},
        )
    )


def test_given_a_changed_body_then_refused_with_the_computed_digest(
    inbox_post: IncomingRequest, keys: KeyPair
) -> None:
    message = refused(replace(inbox_post, body=NOTE.replace(b"Hello", b"Spam!")), keys.public_pem)
    computed = base64.b64encode(hashlib.sha256(NOTE.replace(b"Hello", b"Spam!")).digest()).decode()
    assert computed in message


def test_given_a_changed_path_then_refused(inbox_post: IncomingRequest, keys: KeyPair) -> None:
    assert "does not match" in refused(
        replace(inbox_post, path="/users/ada/inbox"), keys.public_pem
    )


def test_given_a_changed_date_then_refused(inbox_post: IncomingRequest, keys: KeyPair) -> None:
    later = with_headers(inbox_post, Date=http_date(NOW + timedelta(minutes=1)))
    assert "does not match" in refused(later, keys.public_pem)


def test_given_a_date_two_hours_old_then_refused(keys: KeyPair) -> None:
    request = posted(keys, at=NOW - timedelta(hours=2))
    assert "time window" in refused(request, keys.public_pem)


def test_given_a_date_two_hours_ahead_then_refused(keys: KeyPair) -> None:
    request = posted(keys, at=NOW + timedelta(hours=2))
    assert "future" in refused(request, keys.public_pem)


@pytest.mark.parametrize("offset", [timedelta(minutes=59), -timedelta(minutes=64)])
def test_given_a_date_within_mastodons_skew_then_accepted(keys: KeyPair, offset: timedelta) -> None:
    check(
        posted(keys, at=NOW + offset),
        keys.public_pem,
    )


def test_given_a_stale_request_then_check_request_refuses_it_before_any_key_fetch(
    keys: KeyPair,
) -> None:
    stale = posted(keys, at=NOW - timedelta(hours=2))
    with pytest.raises(SignatureError, match="time window"):
        check_request(stale, parse_signature(stale), NOW)


def test_given_an_unparseable_date_then_refused(inbox_post: IncomingRequest, keys: KeyPair) -> None:
    assert "Date" in refused(with_headers(inbox_post, Date="yesterday-ish"), keys.public_pem)


def test_given_no_signature_header_then_refused(inbox_post: IncomingRequest) -> None:
    unsigned = without(inbox_post, "signature")
    with pytest.raises(SignatureError, match="no Signature header"):
        parse_signature(unsigned)


def test_given_a_post_without_digest_coverage_then_refused(keys: KeyPair) -> None:
    request = posted(keys)
    assert "Digest" in refused(hand_signed(request, BASIC, keys.private_pem), keys.public_pem)


def test_given_a_get_without_host_coverage_then_refused(keys: KeyPair) -> None:
    request = received(signed(keys, "GET", "https://remote.example/users/bo"))
    covered = ("(request-target)", "date")
    assert "Host" in refused(hand_signed(request, covered, keys.private_pem), keys.public_pem)


def test_given_an_unknown_algorithm_then_refused(
    inbox_post: IncomingRequest, keys: KeyPair
) -> None:
    header = inbox_post.headers["signature"].replace("rsa-sha256", "rsa-sha512")
    assert "algorithm" in refused(with_headers(inbox_post, signature=header), keys.public_pem)


def test_given_garbage_base64_then_refused(inbox_post: IncomingRequest, keys: KeyPair) -> None:
    header = re.sub(
        r'signature="[^"]*"', 'signature="not*base64!"', inbox_post.headers["signature"]
    )
    assert "base64" in refused(with_headers(inbox_post, signature=header), keys.public_pem)


def test_given_the_wrong_key_then_refused(inbox_post: IncomingRequest, other_keys: KeyPair) -> None:
    assert "does not match" in refused(inbox_post, other_keys.public_pem)


@pytest.mark.parametrize(
    "public_pem", ["not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_given_an_unusable_public_key_then_refused(
    inbox_post: IncomingRequest, public_pem: str
) -> None:
    assert "key" in refused(inbox_post, public_pem)


def test_given_an_ec_public_key_then_refused(inbox_post: IncomingRequest) -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert "RSA" in refused(inbox_post, ec_pem.decode())


@pytest.mark.parametrize("name", ["signature", "SIGNATURE", "Signature"])
def test_given_any_header_name_case_then_accepted(
    inbox_post: IncomingRequest, keys: KeyPair, name: str
) -> None:
    headers = {k.title(): v for k, v in inbox_post.headers.items() if k != "signature"}
    headers[name] = inbox_post.headers["signature"]
    check(replace(inbox_post, headers=headers), keys.public_pem)


def test_given_node_http_signatures_prefix_then_accepted(
    inbox_post: IncomingRequest, keys: KeyPair
) -> None:
    check(
        with_headers(inbox_post, signature="Signature " + inbox_post.headers["signature"]),
        keys.public_pem,
    )


def test_given_hs2019_as_gotosocial_sends_then_accepted(keys: KeyPair) -> None:
    request = posted(keys, url=INBOX + "?x=1")
    covered = ("(request-target)", "host", "date", "digest")
    check(hand_signed(request, covered, keys.private_pem, "hs2019"), keys.public_pem)


def test_given_hs2019_with_created_and_no_date_then_accepted(keys: KeyPair) -> None:
    request = posted(keys)
    request = without(request, "date")
    created = str(int(NOW.timestamp()))
    covered = ("(request-target)", "(created)", "host", "digest")
    check(
        hand_signed(request, covered, keys.private_pem, "hs2019", created=created), keys.public_pem
    )


def test_given_an_expired_expires_then_refused(keys: KeyPair) -> None:
    request = posted(keys)
    created, expires = NOW - timedelta(hours=3), NOW - timedelta(hours=2)
    covered = ("(request-target)", "(created)", "(expires)", "host", "digest")
    stale = hand_signed(
        request,
        covered,
        keys.private_pem,
        "hs2019",
        created=str(int(created.timestamp())),
        expires=str(int(expires.timestamp())),
    )
    assert "time window" in refused(stale, keys.public_pem)


def test_given_created_with_rsa_sha256_then_refused_as_mastodon_does(keys: KeyPair) -> None:
    request = posted(keys)
    covered = ("(request-target)", "(created)", "host", "digest")
    created = str(int(NOW.timestamp()))
    assert "hs2019" in refused(
        hand_signed(request, covered, keys.private_pem, created=created), keys.public_pem
    )


def test_given_a_target_signed_without_its_query_then_accepted_as_old_mastodon(
    keys: KeyPair,
) -> None:
    request = received(signed(keys, "GET", "https://remote.example/users/bo/outbox?page=true"))
    text = signing_string(request, BASIC, include_query=False)
    header = signature_header(KEY_ID, BASIC, sign_string(keys.private_pem, text))
    check(with_headers(request, signature=header), keys.public_pem)


def test_given_a_digest_without_sha256_then_refused(
    inbox_post: IncomingRequest, keys: KeyPair
) -> None:
    digest = base64.b64encode(hashlib.sha512(NOTE).digest()).decode()
    assert "SHA-256" in refused(
        with_headers(inbox_post, digest=f"SHA-512={digest}"), keys.public_pem
    )


def test_given_a_huge_signature_header_then_refused(
    inbox_post: IncomingRequest, keys: KeyPair
) -> None:
    huge = inbox_post.headers["signature"] + ',x="' + "a" * 100_000 + '"'
    assert "too long" in refused(with_headers(inbox_post, signature=huge), keys.public_pem)


@settings(max_examples=300, database=None, deadline=None)
@given(header=st.text(max_size=300), input_header=st.none() | st.text(max_size=300))
def test_given_any_header_text_then_only_signature_error_escapes(
    header: str, input_header: str | None
) -> None:
    headers = {"host": "porch.example", "date": http_date(NOW), "signature": header}
    if input_header is not None:
        headers["signature-input"] = input_header
    request = IncomingRequest("POST", "/inbox", "", headers, b"{}")
    with contextlib.suppress(SignatureError):
        check(request, TEST_PUBLIC_PEM)


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


NEAR_NOW = st.integers(int(NOW.timestamp()) - 4000, int(NOW.timestamp()) + 4000)
WHENEVER = NEAR_NOW | st.integers(-(10**13), 10**13)
TIMESTAMPS = WHENEVER.map(str) | st.text(max_size=8)
CAVAGE_PARAMS = st.fixed_dictionaries(
    {
        "keyId": st.text(max_size=20),
        "signature": st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode())
        | st.text(max_size=20),
    },
    optional={
        "algorithm": st.sampled_from(["rsa-sha256", "hs2019", "RSA-SHA256", "ed25519", ""]),
        "headers": st.sampled_from(
            [
                "(request-target) host date digest",
                "(request-target) (created) (expires) host digest",
            ]
        )
        | st.lists(
            st.sampled_from(
                ["(request-target)", "(created)", "(expires)", "host", "date", "digest", "x-no"]
            ),
            max_size=6,
        ).map(" ".join),
        "created": TIMESTAMPS,
        "expires": TIMESTAMPS,
    },
)
COMPONENTS = st.sampled_from(
    [
        '"@method"',
        '"@target-uri"',
        '"@authority"',
        '"@path"',
        '"@query"',
        '"@status"',
        '"host"',
        '"content-digest"',
        '"content-digest";key="sha-256"',
        '"@query-param";name="a"',
        '"nope"',
    ]
)


@settings(max_examples=200, database=None, deadline=None)
@given(params=CAVAGE_PARAMS, body=st.binary(max_size=20), method=st.sampled_from(["GET", "POST"]))
def test_given_any_cavage_parameters_then_only_signature_error_escapes(
    params: dict[str, str], body: bytes, method: str
) -> None:
    header = ",".join(f"{name}={quoted(value)}" for name, value in params.items())
    headers = {
        "host": "porch.example",
        "date": http_date(NOW),
        "signature": header,
        "digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
    }
    with contextlib.suppress(SignatureError):
        check(IncomingRequest(method, "/inbox", "a=1", headers, body), TEST_PUBLIC_PEM)


@settings(max_examples=200, database=None, deadline=None)
@given(
    components=st.lists(COMPONENTS, max_size=5)
    | st.lists(COMPONENTS, max_size=2).map(
        lambda extra: ['"@method"', '"@target-uri"', '"content-digest"', *extra]
    ),
    created=WHENEVER,
    expires=st.none() | WHENEVER,
    alg=st.sampled_from(["", ';alg="rsa-v1_5-sha256"', ';alg="ed25519"', ";alg=1"]),
    signature=st.binary(max_size=300),
    host=st.sampled_from(["porch.example", "porch.example:8080", "bad host", "[::1]", ""]),
)
def test_given_any_rfc9421_input_then_only_signature_error_escapes(
    components: list[str], created: int, expires: int | None, alg: str, signature: bytes, host: str
) -> None:
    extra = alg + ("" if expires is None else f";expires={expires}")
    headers = {
        "host": host,
        "content-digest": "sha-256=:"
        + base64.b64encode(hashlib.sha256(b"{}").digest()).decode()
        + ":",
        "signature-input": f'sig=({" ".join(components)});created={created};keyid="k"{extra}',
        "signature": f"sig=:{base64.b64encode(signature).decode()}:",
    }
    with contextlib.suppress(SignatureError):
        check(IncomingRequest("POST", "/inbox", "a=1", headers, b"{}"), TEST_PUBLIC_PEM)


# -- RFC 9421 -------------------------------------------------------------------------------


def rfc9421_signed(
    keys: KeyPair,
    request: httpx.Request,
    covered: tuple[str, ...] = ("@method", "@target-uri"),
    algorithm: type[algorithms.HTTPSignatureAlgorithm] = algorithms.RSA_V1_5_SHA256,
) -> IncomingRequest:
    resolver = MappingKeyResolver(public_keys={}, private_keys={KEY_ID: keys.private_pem.encode()})
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver)
    body = request.content if request.method == "POST" else None
    signer.sign(request, key_id=KEY_ID, created=NOW, covered_component_ids=covered, body=body)
    return received(request)


def test_given_an_rfc9421_post_with_content_digest_then_it_verifies(keys: KeyPair) -> None:
    request = rfc9421_signed(
        keys, httpx.Request("POST", "https://porch.example/inbox", content=NOTE)
    )
    parsed = parse_signature(request)
    assert (parsed.scheme, parsed.key_id, parsed.created) == (
        "rfc9421",
        KEY_ID,
        int(NOW.timestamp()),
    )
    assert "content-digest" in parsed.covered
    verify_signature(request, parsed, keys.public_pem, NOW + timedelta(minutes=2))


def test_given_an_rfc9421_get_with_authority_and_path_then_it_verifies(keys: KeyPair) -> None:
    httpx_request = httpx.Request("GET", "http://porch.example:8080/users/ada?page=1")
    request = rfc9421_signed(keys, httpx_request, ("@method", "@authority", "@path", "@query"))
    check(request, keys.public_pem)


def test_given_an_rfc9421_tampered_body_then_refused(keys: KeyPair) -> None:
    request = rfc9421_signed(
        keys, httpx.Request("POST", "https://porch.example/inbox", content=NOTE)
    )
    message = refused(replace(request, body=b'{"type": "Delete"}'), keys.public_pem)
    assert base64.b64encode(hashlib.sha256(b'{"type": "Delete"}').digest()).decode() in message


def test_given_an_rfc9421_signature_without_created_then_refused(keys: KeyPair) -> None:
    request = rfc9421_signed(
        keys, httpx.Request("POST", "https://porch.example/inbox", content=NOTE)
    )
    without = re.sub(r";created=\d+", "", request.headers["signature-input"])
    assert "created" in refused(with_headers(request, signature_input=without), keys.public_pem)


def test_given_an_rfc9421_post_without_content_digest_coverage_then_refused(keys: KeyPair) -> None:
    httpx_request = httpx.Request("POST", "https://porch.example/inbox", content=NOTE)
    resolver = MappingKeyResolver(public_keys={}, private_keys={KEY_ID: keys.private_pem.encode()})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=resolver
    )
    signer.sign(
        httpx_request, key_id=KEY_ID, created=NOW, covered_component_ids=("@method", "@target-uri")
    )
    assert "Content-Digest" in refused(received(httpx_request), keys.public_pem)


def test_given_an_rfc9421_rsa_pss_signature_then_refused(keys: KeyPair) -> None:
    httpx_request = httpx.Request("GET", "https://porch.example/users/ada")
    request = rfc9421_signed(keys, httpx_request, algorithm=algorithms.RSA_PSS_SHA512)
    assert "algorithm" in refused(request, keys.public_pem)


def test_given_an_rfc9421_signature_by_another_key_then_refused(
    keys: KeyPair, other_keys: KeyPair
) -> None:
    request = rfc9421_signed(keys, httpx.Request("GET", "https://porch.example/users/ada"))
    assert "does not match" in refused(request, other_keys.public_pem)


def test_given_two_rfc9421_labels_then_refused(keys: KeyPair) -> None:
    request = rfc9421_signed(keys, httpx.Request("GET", "https://porch.example/users/ada"))
    doubled = with_headers(
        request,
        signature_input=request.headers["signature-input"]
        + ", "
        + request.headers["signature-input"].replace("pyhms", "two"),
        signature=request.headers["signature"]
        + ", "
        + request.headers["signature"].replace("pyhms", "two"),
    )
    assert "one signature label" in refused(doubled, keys.public_pem)
