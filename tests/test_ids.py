"""The one id parser every door reads ids with (server/ids.py)."""

from __future__ import annotations

import pytest

from server.clock import utcnow
from server.ids import MAX_ID, MAX_SERIAL_ID, id_for_time, parse_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        ("0", 0),
        ("007", 7),  # leading zeros spell the same number
        ("1234567890123456789", 1234567890123456789),  # 19 digits
        (str(MAX_ID), MAX_ID),
        ("0" * 18 + "1", 1),  # 19 characters, all digits
    ],
)
def test_ascii_digits_up_to_max_id_are_ids(raw: str, expected: int) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        str(MAX_ID + 1),  # 19 digits, one past the largest id
        "9" * 19,
        "1" + "0" * 19,  # 20 digits
        "0" * 19 + "1",  # 20 characters, even if the number is small
        "1" * 100_000,  # never converted at all
        "²",  # a digit to str.isdigit(), not to int()
        "¹²³",
        "١٢",  # Arabic-Indic digits: int() would read 12
        "１２",  # fullwidth digits: int() would read 12 too
        "-1",
        "+1",
        " 1",
        "1 ",
        "1_000",  # int() allows underscores
        "0x10",
        "1e3",
        "1.0",
        "1\x00",
    ],
)
def test_anything_else_is_no_id(raw: str | None) -> None:
    assert parse_id(raw) is None


def test_rows_numbered_by_32_bit_serials_take_a_lower_bound() -> None:
    assert parse_id(str(MAX_SERIAL_ID), most=MAX_SERIAL_ID) == MAX_SERIAL_ID
    assert parse_id(str(MAX_SERIAL_ID + 1), most=MAX_SERIAL_ID) is None
    assert parse_id(str(MAX_SERIAL_ID + 1)) == MAX_SERIAL_ID + 1


def test_every_id_porch_makes_reads_back() -> None:
    made = id_for_time(utcnow())
    assert parse_id(str(made)) == made


def test_a_local_post_address_names_a_post_only_with_an_id_porch_could_make() -> None:
    from server.urls import Urls

    urls = Urls("https://porch.example")
    assert urls.post_id_of("https://porch.example/users/ana/statuses/12") == 12
    assert urls.post_id_of("https://porch.example/@ana/12") == 12
    # Arabic-Indic digits match \d, and int() reads them as 12.
    assert urls.post_id_of("https://porch.example/users/ana/statuses/١٢") is None
    assert urls.post_id_of("https://porch.example/@ana/١٢") is None
    assert urls.post_id_of(f"https://porch.example/@ana/{2**63}") is None
