from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "compliance_monitor.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"
