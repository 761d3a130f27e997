from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection as db
from django.test import override_settings

from compliance_monitor.erp import connections, crypto
from compliance_monitor.erp.models import Connection

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "pa55-Hunter2-secret"


def make(name: str = "acme", **fields: object) -> Connection:
    values = {"base_url": "https://erp.example.com:5434", "company": "acme", "username": "api", "password": PASSWORD}
    return connections.create_connection(now=NOW, name=name, **{**values, **fields})


def raw_password_column(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT password_encrypted FROM erp_connection WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_the_password_is_encrypted_at_rest_and_decrypts_with_the_key(db: None) -> None:
    connection = make()

    stored = raw_password_column(connection.pk)
    assert PASSWORD not in stored and stored
    assert Fernet(settings.CM_ENCRYPTION_KEY[0].encode()).decrypt(stored.encode()).decode() == PASSWORD
    assert Connection.objects.get(pk=connection.pk).password == PASSWORD


def test_the_password_is_in_no_repr_str_or_erp_config_repr(db: None) -> None:
    connection = make()
    config = connection.to_erp_config()

    assert config.password == PASSWORD and config.url == "https://erp.example.com:5434" and config.company == "acme"
    for text in (repr(connection), str(connection), repr(config), str(connection.__dict__)):
        assert PASSWORD not in text


def test_without_a_configured_key_sqlite_generates_one_0600_in_the_data_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")  # on either profile
    with override_settings(CM_ENCRYPTION_KEY=[], DATA_DIR=tmp_path):
        token = crypto.encrypt(PASSWORD)
        key_file = tmp_path / crypto.KEY_FILE_NAME
        first_key = key_file.read_text()

        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert crypto.decrypt(crypto.encrypt("again")) == "again" and key_file.read_text() == first_key
        assert crypto.decrypt(token) == PASSWORD
        assert [p.name for p in tmp_path.iterdir()] == [crypto.KEY_FILE_NAME]  # no temporary file left behind


def test_outside_sqlite_a_missing_key_is_an_error_naming_cm_encryption_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    with override_settings(CM_ENCRYPTION_KEY=[]), pytest.raises(ImproperlyConfigured, match="CM_ENCRYPTION_KEY"):
        crypto.encrypt(PASSWORD)


def test_a_key_that_is_not_a_fernet_key_is_refused_without_showing_it() -> None:
    with override_settings(CM_ENCRYPTION_KEY=["not-a-key-42"]), pytest.raises(ImproperlyConfigured) as error:
        crypto.encrypt(PASSWORD)
    assert "CM_ENCRYPTION_KEY" in str(error.value) and "not-a-key-42" not in str(error.value)


def test_a_wrong_key_is_a_clear_error_naming_the_connection_and_not_the_secret(db: None) -> None:
    connection = make()
    other_key = Fernet.generate_key().decode()

    with override_settings(CM_ENCRYPTION_KEY=[other_key]), pytest.raises(crypto.UndecryptableSecretError) as error:
        _ = Connection.objects.get(pk=connection.pk).password
    message = str(error.value)
    assert "'acme'" in message and "CM_ENCRYPTION_KEY" in message
    assert PASSWORD not in message and other_key not in message


def test_keys_rotate_the_new_one_encrypts_and_the_old_one_still_decrypts(db: None) -> None:
    connection = make()
    old_key, new_key = settings.CM_ENCRYPTION_KEY[0], Fernet.generate_key().decode()

    with override_settings(CM_ENCRYPTION_KEY=[new_key, old_key]):
        assert Connection.objects.get(pk=connection.pk).password == PASSWORD
        connection.password = "rotated"
        connection.save()
    assert Fernet(new_key.encode()).decrypt(raw_password_column(connection.pk).encode()) == b"rotated"


@pytest.mark.parametrize(
    ("url", "problem"),
    [("erp.example.com", "http"), ("ftp://erp.example.com", "http"), ("https://api:pw@erp.example.com", "no user")],
)
def test_the_base_url_must_be_an_http_or_https_url_without_credentials(db: None, url: str, problem: str) -> None:
    with pytest.raises(ValidationError) as error:
        make(base_url=url)
    assert problem in " ".join(error.value.message_dict["base_url"])


def test_a_duplicate_name_is_refused(db: None) -> None:
    make()
    with pytest.raises(connections.ConnectionExistsError, match="'acme' exists already"):
        make()


def test_the_demo_connection_exists_after_migrate_when_nothing_else_is_configured(db: None) -> None:
    demo = Connection.objects.get(name="demo")

    assert demo.is_demo and demo.company == "demo" and not demo.has_password
    assert connections.ensure_connections(now=NOW) == []  # already there


def test_the_demo_is_not_recreated_once_other_connections_exist(db: None) -> None:
    make()
    Connection.objects.filter(name="demo").delete()

    assert connections.ensure_connections(now=NOW) == []
    assert not Connection.objects.filter(name="demo").exists()


ERP_ENV = {
    "CM_ERP_URL": "https://erp.example.com:5434",
    "CM_ERP_COMPANY": "firma",
    "CM_ERP_USER": "api",
    "CM_ERP_PASSWORD": PASSWORD,
}


def test_cm_erp_settings_create_and_then_update_the_default_connection(db: None) -> None:
    with override_settings(**ERP_ENV):
        (created,) = connections.ensure_connections(now=NOW)
        assert connections.ensure_connections(now=NOW) == []  # unchanged: not saved again
    with override_settings(**{**ERP_ENV, "CM_ERP_COMPANY": "firma2", "CM_ERP_PASSWORD": "new-one"}):
        (updated,) = connections.ensure_connections(now=NOW)

    assert created.name == updated.name == "default" and created.pk == updated.pk
    default = Connection.objects.get(name="default")
    assert default.company == "firma2" and default.password == "new-one" and not default.is_demo
    assert default.to_erp_config().url == "https://erp.example.com:5434"
