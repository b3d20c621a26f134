"""The reporter vault's cryptography (issue #4 §4): Fernet tokens, key rotation, the derived
development key, and receipt codes that are unguessable and stored only as a hash."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from cases import vault


@pytest.fixture
def keys(settings):
    """Set the vault's keys for one test; the cached Fernet is rebuilt before and after."""

    def use(*values: str) -> None:
        settings.OVERSIGHT_VAULT_KEYS = list(values)
        vault._fernet.cache_clear()

    yield use
    vault._fernet.cache_clear()


def test_a_value_is_stored_as_a_token_that_opens_to_it():
    token = vault.encrypt("王小明 13800138000")

    assert token != "王小明 13800138000" and "13800138000" not in token
    assert vault.decrypt(token) == "王小明 13800138000"
    # the same value twice gives two different tokens: equal identities cannot be matched
    assert vault.encrypt("王小明") != vault.encrypt("王小明")


def test_an_empty_field_stays_empty():
    assert vault.encrypt("") == "" and vault.decrypt("") == ""


def test_a_token_no_current_key_opens_is_a_vault_error(keys):
    # given a token made with a key that is later removed
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token = vault.encrypt("李四")

    # when only the new key is configured
    keys(new)

    # then the token cannot be opened
    with pytest.raises(vault.VaultError):
        vault.decrypt(token)


def test_during_a_rotation_old_tokens_still_open_and_new_ones_use_the_new_key(keys):
    # given a token made with the old key
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token = vault.encrypt("李四")

    # when the new key is put first and the old one kept
    keys(new, old)

    # then the old token opens, and new tokens open with the new key alone
    assert vault.decrypt(token) == "李四"
    fresh = vault.encrypt("王五")
    keys(new)
    assert vault.decrypt(fresh) == "王五"


def test_without_a_key_a_derived_one_is_used_with_a_warning(keys, caplog):
    # given no key configured (development)
    keys()

    # when the vault is used
    with caplog.at_level(logging.WARNING, logger="cases.vault"):
        token = vault.encrypt("张三")

    # then it works, and says loudly that a real key is needed
    assert vault.decrypt(token) == "张三"
    assert "OVERSIGHT_VAULT_KEY" in caplog.text
    assert "张三" not in caplog.text


def test_a_receipt_is_twenty_unambiguous_characters_in_groups():
    receipts = {vault.new_receipt() for _ in range(500)}

    # every code is different, grouped XXXX-XXXX-XXXX-XXXX-XXXX, at least 16 characters
    assert len(receipts) == 500
    for code in receipts:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4, 4]
        assert set("".join(groups)) <= set(vault.RECEIPT_ALPHABET)
        assert len(vault.normalise_receipt(code)) >= 16
        assert vault.is_receipt(code)
    # and the alphabet has nothing a villager could misread
    assert not set("01OILU") & set(vault.RECEIPT_ALPHABET)


def test_a_receipt_is_found_however_it_is_typed_and_its_hash_does_not_reveal_it():
    code = vault.new_receipt()
    typed = " " + code.lower().replace("-", " ") + " "

    assert vault.receipt_hash(typed) == vault.receipt_hash(code)
    digest = vault.receipt_hash(code)
    assert len(digest) == 64 and vault.normalise_receipt(code) not in digest.upper()


@pytest.mark.parametrize(
    "typed", ["", "ABCD", "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23", "ABCD-EFGH-JKMN-PQRS-TVW0", "门牌号"]
)
def test_codes_of_the_wrong_shape_are_not_receipts(typed):
    assert not vault.is_receipt(typed)
