"""The form for adding an ERP connection. It shapes input only: the rules are the model's and the service's."""

from __future__ import annotations

from django import forms


class ConnectionForm(forms.Form):
    """A new connection; the password is write-only (never rendered back, not even after an error)."""

    name = forms.SlugField(max_length=64, help_text="How jobs and commands name this connection.")
    title = forms.CharField(max_length=200, required=False)
    base_url = forms.CharField(max_length=500, label="Base URL", help_text="e.g. https://erp.example.com:5434")
    company = forms.CharField(max_length=100, help_text="The company id in /c/<id>/.")
    username = forms.CharField(max_length=200, required=False, label="API user")
    password = forms.CharField(
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; never shown again.",
    )
    verify_tls = forms.BooleanField(required=False, initial=True, label="Verify TLS")
    timeout_seconds = forms.FloatField(min_value=0.1, max_value=600, initial=30.0, label="Timeout (seconds)")
    page_size = forms.IntegerField(min_value=1, max_value=10_000, initial=1000, label="Page size")
