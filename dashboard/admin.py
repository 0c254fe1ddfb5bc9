"""The management UI: Conductor keys (write-only secrets) and end users (companies)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters
from django.utils.decorators import method_decorator

from dashboard import services
from dashboard.conductor import errors
from dashboard.crypto import UnreadableSecret
from dashboard.models import ApiKey, AuditEntry, CompanyScope, EndUser

SECRET_KEY_PREFIXES = ("sk_conductor_", "sk_test_", "sk_live_")


def validate_secret_key(value: str) -> str:
    """A Conductor secret key, or a ValidationError that does not echo it."""
    value = value.strip()
    if value.startswith("pk_"):
        raise forms.ValidationError(
            "That is a publishable key (pk_…). Enter the secret key, which starts with sk_conductor_."
        )
    if not value.startswith(SECRET_KEY_PREFIXES) or len(value) < 20 or any(c.isspace() for c in value):
        raise forms.ValidationError("Enter a Conductor secret key: it starts with sk_conductor_.")
    return value


class ApiKeyForm(forms.ModelForm):
    secret_key = forms.CharField(
        label="Secret key",
        # render_value=False: the key is never sent back to a browser, not even on a
        # form that failed validation.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        required=False,
        help_text="Stored encrypted and never shown again. On an existing key, leave blank to keep it.",
    )

    class Meta:
        model = ApiKey
        fields = ["name"]

    def clean_secret_key(self) -> str:
        value = self.cleaned_data.get("secret_key", "")
        if not value:
            if self.instance.pk is None:
                raise forms.ValidationError("Enter the Conductor secret key.")
            return ""
        return validate_secret_key(value)

    def save(self, commit: bool = True) -> ApiKey:
        api_key = super().save(commit=False)
        if self.cleaned_data.get("secret_key"):
            api_key.set_secret(self.cleaned_data["secret_key"])
        if commit:
            api_key.save()
        return api_key


def _report_failure(modeladmin, request, subject: str, exc: errors.ConductorError) -> None:
    detail = exc.user_facing_message or exc.message
    suffix = f" (Conductor request {exc.request_id})" if exc.request_id else ""
    modeladmin.message_user(request, f"{subject}: {detail}{suffix}", messages.ERROR)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "secret_hint", "readable", "end_user_count", "verification", "last_verified_at"]
    search_fields = ["name"]
    readonly_fields = [
        "secret_hint", "stored_key", "last_verified_at", "last_verification_ok", "last_verification_message",
        "created_at", "updated_at",
    ]
    fields = ["name", "secret_key", *readonly_fields]
    actions = ["verify_keys", "import_end_users"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(end_user_total=Count("end_users"))

    @method_decorator(sensitive_post_parameters("secret_key"))
    def changeform_view(self, request, *args, **kwargs):
        return super().changeform_view(request, *args, **kwargs)

    @admin.display(description="Readable", boolean=True)
    def readable(self, obj: ApiKey) -> bool | None:
        if not obj.encrypted_secret:
            return None
        try:
            obj.get_secret()
        except UnreadableSecret:
            return False
        return True

    @admin.display(description="Stored key")
    def stored_key(self, obj: ApiKey) -> str:
        if self.readable(obj) is False:
            return ("Cannot be decrypted with the configured ENCRYPTION_KEYS (the key it was saved "
                    "with is missing). Restore that key, or enter the secret key again above.")
        return "Encrypted; readable with the current ENCRYPTION_KEYS." if obj.pk else "—"

    @admin.display(description="End users", ordering="end_user_total")
    def end_user_count(self, obj: ApiKey) -> int:
        return obj.end_user_total

    @admin.display(description="Verified", boolean=True, ordering="last_verification_ok")
    def verification(self, obj: ApiKey) -> bool | None:
        return obj.last_verification_ok

    @admin.action(description="Verify selected keys with Conductor")
    def verify_keys(self, request, queryset):
        for api_key in queryset:
            result = services.verify_api_key(api_key)
            level = messages.SUCCESS if result.ok else messages.ERROR
            self.message_user(request, f"{api_key.name}: {result.message}", level)

    @admin.action(description="Import end users from Conductor")
    def import_end_users(self, request, queryset):
        for api_key in queryset:
            try:
                result = services.import_end_users(api_key)
            except errors.ConductorError as exc:
                _report_failure(self, request, f"{api_key.name}: import failed", exc)
                continue
            self.message_user(
                request,
                f"{api_key.name}: {result.created} end user(s) created, {result.updated} updated.",
                messages.SUCCESS,
            )


@admin.register(EndUser)
class EndUserAdmin(admin.ModelAdmin):
    list_display = [
        "company_name", "conductor_id", "api_key", "is_active", "connection_status",
        "last_checked_at", "dashboard_link",
    ]
    list_filter = ["is_active", "connection_status", "api_key"]
    search_fields = ["company_name", "conductor_id", "email", "source_id"]
    list_select_related = ["api_key"]
    readonly_fields = [
        "connection_status", "last_checked_at", "last_success_at", "last_error",
        "last_error_request_id", "conductor_last_successful_request_at", "created_at", "updated_at",
        "dashboard_link",
    ]
    fieldsets = [
        (None, {"fields": ["company_name", "conductor_id", "api_key", "is_active", "email", "source_id",
                           "dashboard_link"]}),
        ("Connection", {"fields": ["connection_status", "last_checked_at", "last_success_at", "last_error",
                                   "last_error_request_id", "conductor_last_successful_request_at"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    actions = ["check_connections"]

    @admin.display(description="Dashboard")
    def dashboard_link(self, obj: EndUser) -> str:
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">Open company page</a>', reverse("company", args=[obj.conductor_id]))

    @admin.action(description="Check QuickBooks connection")
    def check_connections(self, request, queryset):
        for end_user in queryset.select_related("api_key"):
            services.check_connection(end_user)
            if end_user.connection_status == "connected":
                self.message_user(request, f"{end_user.company_name}: connected.", messages.SUCCESS)
            else:
                suffix = f" (Conductor request {end_user.last_error_request_id})" if end_user.last_error_request_id else ""
                self.message_user(
                    request,
                    f"{end_user.company_name}: {end_user.get_connection_status_display()}: {end_user.last_error}{suffix}",
                    messages.WARNING,
                )


@admin.register(CompanyScope)
class CompanyScopeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company_count"]
    list_select_related = ["user", "group"]
    autocomplete_fields = ["user", "group"]
    filter_horizontal = ["companies"]
    search_fields = ["user__username", "group__name"]

    @admin.display(description="Companies")
    def company_count(self, obj: CompanyScope) -> int:
        return obj.companies.count()


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the dashboard and pruned by a command only."""

    list_display = ["at", "username", "company", "action", "target", "outcome", "conductor_request_id"]
    list_filter = ["action", ("at", admin.DateFieldListFilter), "user", "end_user"]
    search_fields = ["username", "company", "target", "conductor_request_id"]
    date_hierarchy = "at"
    list_select_related = ["user", "end_user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
