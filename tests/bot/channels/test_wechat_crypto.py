"""wechat_crypto against Tencent's official sample vector, plus round trips and every
way a push can be forged."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml.ElementTree import fromstring

from bot.channels.wechat.crypto import (
    MessageCrypto,
    check_msg_signature,
    check_signature,
    check_timestamp,
    sha1_signature,
)
from bot.channels.wechat.errors import (
    ForeignAppId,
    InvalidSignature,
    MalformedMessage,
    ReplayedRequest,
)
from bot.channels.wechat.xml import parse_message
from tests.bot.channels.conftest import AES_KEY, APP_ID, TOKEN

# From Tencent's WXBizMsgCrypt Sample.py (Official Account message encryption sample).
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)


@pytest.fixture
def crypto() -> MessageCrypto:
    return MessageCrypto(TOKEN, AES_KEY, APP_ID)


def test_official_sample_msg_signature_verifies() -> None:
    check_msg_signature(TOKEN, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT)


def test_official_sample_decrypts_to_the_text_message(crypto: MessageCrypto) -> None:
    msg = parse_message(crypto.decrypt(SAMPLE_ENCRYPT))

    assert msg.msg_type == "text"
    assert msg.content == "abcdteT"
    assert msg.msg_id == "6054768590064713728"
    assert msg.to_user == "gh_10f6c3c3ac5a"
    assert msg.from_user == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert msg.create_time == 1409735668


def test_official_sample_with_one_character_changed_is_refused() -> None:
    tampered = (
        SAMPLE_ENCRYPT[:10] + ("A" if SAMPLE_ENCRYPT[10] != "A" else "B") + SAMPLE_ENCRYPT[11:]
    )
    with pytest.raises(InvalidSignature):
        check_msg_signature(TOKEN, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE, tampered)


def test_plain_signature_is_sha1_of_the_sorted_parts() -> None:
    # wechatpy's own test vector for the callback signature.
    assert sha1_signature("789", "456", "123") == "f7c3bc1d808e04732adf679965ccc34ca7ae3441"
    check_signature("789", "f7c3bc1d808e04732adf679965ccc34ca7ae3441", "456", "123")


@pytest.mark.parametrize(
    "signature", ["", "0" * 40, "f7c3bc1d808e04732adf679965ccc34ca7ae344", "x"]
)
def test_wrong_plain_signature_is_refused(signature: str) -> None:
    with pytest.raises(InvalidSignature):
        check_signature("789", signature, "456", "123")


def test_signature_does_not_verify_with_another_token() -> None:
    with pytest.raises(InvalidSignature):
        check_msg_signature(
            "other", SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT
        )


@pytest.mark.parametrize("offset", [0, 1, -1, 299, -299, 300, -300])
def test_timestamp_within_five_minutes_is_accepted(offset: int) -> None:
    check_timestamp(str(1_700_000_000 + offset), now=1_700_000_000.0)


@pytest.mark.parametrize("offset", [301, -301, 3600, -86400])
def test_timestamp_more_than_five_minutes_off_is_a_replay(offset: int) -> None:
    with pytest.raises(ReplayedRequest):
        check_timestamp(str(1_700_000_000 + offset), now=1_700_000_000.0)


@pytest.mark.parametrize("value", ["", "abc", "1.5e9", None])
def test_non_integer_timestamp_is_refused(value: str | None) -> None:
    with pytest.raises(ReplayedRequest):
        check_timestamp(value, now=1_700_000_000.0)  # type: ignore[arg-type]


def test_round_trip_keeps_chinese_and_emoji(crypto: MessageCrypto) -> None:
    xml = "<xml><Content><![CDATA[碳排放 👍🏽 ok]]></Content></xml>"
    assert crypto.decrypt(crypto.encrypt(xml)) == xml


@pytest.mark.parametrize("size", [0, 1, 25, 26, 27, 57, 58, 1000])
def test_round_trip_at_padding_boundaries(crypto: MessageCrypto, size: int) -> None:
    # 16 random + 4 length + xml + 18-byte appid: sizes 26 and 58 fill whole 32-byte
    # blocks, where PKCS7 adds a full block of padding.
    xml = "x" * size
    assert crypto.decrypt(crypto.encrypt(xml)) == xml


def test_encryption_is_randomised(crypto: MessageCrypto) -> None:
    assert crypto.encrypt("<xml/>") != crypto.encrypt("<xml/>")


def test_message_for_another_appid_is_refused(crypto: MessageCrypto) -> None:
    other = MessageCrypto(TOKEN, AES_KEY, "wx0000000000000000")
    with pytest.raises(ForeignAppId):
        crypto.decrypt(other.encrypt("<xml/>"))


def test_appid_prefix_is_not_enough(crypto: MessageCrypto) -> None:
    longer = MessageCrypto(TOKEN, AES_KEY, APP_ID + "x")
    with pytest.raises(ForeignAppId):
        crypto.decrypt(longer.encrypt("<xml/>"))


def _raw_encrypt(plain: bytes) -> str:
    key = base64.b64decode(AES_KEY + "=")
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


@pytest.mark.parametrize(
    "encrypt",
    [
        "not base64!",
        "",
        base64.b64encode(b"short").decode(),  # not a whole block
        _raw_encrypt(b"\x00" * 32),  # padding byte 0
        _raw_encrypt(b"\x00" * 31 + b"\x21"),  # padding byte 33 > block
        _raw_encrypt(b"\x00" * 30 + b"\x01\x02"),  # inconsistent padding bytes
        _raw_encrypt(
            b"r" * 16 + struct.pack(">I", 10_000) + b"<xml/>" + b"\x06" * 6
        ),  # length lies
        _raw_encrypt(b"r" * 16 + b"\x00\x00" + b"\x0e" * 14),  # too short for the length
    ],
)
def test_hostile_ciphertext_is_malformed_not_a_crash(crypto: MessageCrypto, encrypt: str) -> None:
    with pytest.raises(MalformedMessage):
        crypto.decrypt(encrypt)


def test_encrypt_reply_envelope_is_signed(crypto: MessageCrypto) -> None:
    envelope = crypto.encrypt_reply(
        "<xml><Content>hi</Content></xml>", nonce="42", timestamp="1700000000"
    )
    fields = {child.tag: child.text for child in fromstring(envelope)}
    assert set(fields) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    check_msg_signature(TOKEN, fields["MsgSignature"], "1700000000", "42", fields["Encrypt"])
    assert crypto.decrypt(fields["Encrypt"]) == "<xml><Content>hi</Content></xml>"


@pytest.mark.parametrize("key", ["short", AES_KEY + "A", "!" * 43])
def test_bad_encoding_aes_key_is_a_configuration_error(key: str) -> None:
    with pytest.raises(ValueError):
        MessageCrypto(TOKEN, key, APP_ID)
