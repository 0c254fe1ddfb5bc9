"""The management UI: Conductor keys (write-only secrets) and end users (companies)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters
from django.utils.decorators import method_decorator

from dashboard import services
from dashboard.conductor import errors
from dashboard.crypto import UnreadableSecret
from dashboard.identifiers import PUBLISHABLE_KEY_PREFIXES, SECRET_KEY_PREFIXES
from dashboard.models import ApiKey, AuditEntry, CompanyScope, ConnectionCheck, ConnectionStatus, EndUser


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

    publishable_key = forms.CharField(
        label="Publishable key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        required=False,
        help_text="Optional (pk_conductor_…): needed only to create setup links. Stored encrypted; "
        "leave blank to keep the current one.",
    )

    class Meta:
        model = ApiKey
        fields = ["name"]

    def clean_publishable_key(self) -> str:
        value = self.cleaned_data.get("publishable_key", "").strip()
        if value and (
            not value.startswith(PUBLISHABLE_KEY_PREFIXES) or len(value) < 20 or any(c.isspace() for c in value)
        ):
            raise forms.ValidationError("Enter a Conductor publishable key: it starts with pk_conductor_.")
        return value

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
        if self.cleaned_data.get("publishable_key"):
            api_key.set_publishable_key(self.cleaned_data["publishable_key"])
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
        "secret_hint",
        "stored_key",
        "publishable_key_hint",
        "last_verified_at",
        "last_verification_ok",
        "last_verification_message",
        "created_at",
        "updated_at",
    ]
    fields = ["name", "secret_key", "publishable_key", *readonly_fields]
    actions = ["verify_keys", "import_end_users"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(end_user_total=Count("end_users"))

    @method_decorator(sensitive_post_parameters("secret_key", "publishable_key"))
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
            return (
                "Cannot be decrypted with the configured ENCRYPTION_KEYS (the key it was saved "
                "with is missing). Restore that key, or enter the secret key again above."
            )
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


class ConnectionCheckInline(admin.TabularInline):
    model = ConnectionCheck
    fields = ["checked_at", "status", "message", "conductor_request_id"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "connection history (latest first)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CreateCompanyForm(forms.Form):
    api_key = forms.ModelChoiceField(ApiKey.objects.all(), label="API key")
    company_name = forms.CharField(max_length=255)
    source_id = forms.CharField(max_length=255, help_text="Your own id for this company (unique per key).")
    email = forms.EmailField(help_text="Who at the company sets QuickBooks up.")


@admin.register(EndUser)
class EndUserAdmin(admin.ModelAdmin):
    list_display = [
        "company_name",
        "conductor_id",
        "api_key",
        "is_active",
        "connection",
        "last_checked_at",
        "dashboard_link",
    ]
    list_filter = ["is_active", "connection_status", "api_key"]
    search_fields = ["company_name", "conductor_id", "email", "source_id"]
    list_select_related = ["api_key"]
    readonly_fields = [
        "connection",
        "last_checked_at",
        "last_success_at",
        "last_error",
        "last_error_request_id",
        "conductor_last_successful_request_at",
        "setup_link",
        "created_at",
        "updated_at",
        "dashboard_link",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "company_name",
                    "conductor_id",
                    "api_key",
                    "is_active",
                    "email",
                    "source_id",
                    "dashboard_link",
                ]
            },
        ),
        (
            "Connection",
            {
                "fields": [
                    "connection",
                    "last_checked_at",
                    "last_success_at",
                    "last_error",
                    "last_error_request_id",
                    "conductor_last_successful_request_at",
                    "setup_link",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [ConnectionCheckInline]
    actions = ["check_connections", "create_setup_links", "delete_in_conductor"]
    change_list_template = "admin/dashboard/enduser/change_list.html"

    class Media:
        js = ["js/app.js"]  # copy buttons

    def get_urls(self):
        return [
            path(
                "create-in-conductor/",
                self.admin_site.admin_view(self.create_in_conductor),
                name="dashboard_enduser_create_in_conductor",
            ),
            *super().get_urls(),
        ]

    def create_in_conductor(self, request):
        """Add a company: create the end user in Conductor under a chosen key, then here."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CreateCompanyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                end_user = services.create_company(
                    form.cleaned_data["api_key"],
                    company_name=form.cleaned_data["company_name"],
                    source_id=form.cleaned_data["source_id"],
                    email=form.cleaned_data["email"],
                )
            except services.DuplicateSourceId as exc:
                form.add_error("source_id", exc.message)
            except errors.ConductorError as exc:
                suffix = f" (Conductor request {exc.request_id})" if exc.request_id else ""
                form.add_error(None, f"Conductor did not create it: {exc.user_facing_message or exc.message}{suffix}")
            else:
                self.message_user(
                    request,
                    f"{end_user.company_name} created in Conductor as {end_user.conductor_id}. "
                    "Next: create a setup link and send it to the QuickBooks user.",
                    messages.SUCCESS,
                )
                return redirect("admin:dashboard_enduser_change", end_user.pk)
        ctx = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Add a company in Conductor",
        }
        return TemplateResponse(request, "admin/dashboard/enduser/create_in_conductor.html", ctx)

    @admin.display(description="Connection", ordering="connection_status")
    def connection(self, obj: EndUser) -> str:
        label = obj.get_connection_status_display()
        if obj.connection_status == ConnectionStatus.OFFLINE and obj.offline_since:
            label = f"QuickBooks offline since {timezone.localtime(obj.offline_since):%Y-%m-%d %H:%M}"
        return label

    @admin.display(description="Setup link")
    def setup_link(self, obj: EndUser) -> str:
        if not obj.setup_link_url:
            return "None yet (action: Create a setup link)"
        expired = obj.setup_link_expires_at and obj.setup_link_expires_at <= timezone.now()
        when = f"{timezone.localtime(obj.setup_link_expires_at):%Y-%m-%d %H:%M}" if obj.setup_link_expires_at else "?"
        if expired:
            return format_html("<strong>Expired</strong> at {}. Create a new one.", when)
        return format_html(
            '<code>{}</code> <button type="button" class="copy-button" data-copy="{}">Copy</button>'
            "<br>Expires {}. Send it to the person at the QuickBooks computer.",
            obj.setup_link_url,
            obj.setup_link_url,
            when,
        )

    @admin.display(description="Dashboard")
    def dashboard_link(self, obj: EndUser) -> str:
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">Open company page</a>', reverse("company", args=[obj.conductor_id]))

    @admin.action(description="Check QuickBooks connection")
    def check_connections(self, request, queryset):
        for end_user in queryset.select_related("api_key"):
            services.check_connection(end_user)
            if end_user.connection_status == ConnectionStatus.CONNECTED:
                self.message_user(request, f"{end_user.company_name}: connected.", messages.SUCCESS)
            else:
                suffix = (
                    f" (Conductor request {end_user.last_error_request_id})" if end_user.last_error_request_id else ""
                )
                self.message_user(
                    request,
                    f"{end_user.company_name}: {self.connection(end_user)}: {end_user.last_error}{suffix}",
                    messages.WARNING,
                )

    @admin.action(description="Create a setup link")
    def create_setup_links(self, request, queryset):
        for end_user in queryset.select_related("api_key"):
            try:
                session = services.create_setup_link(end_user)
            except errors.ConductorError as exc:
                _report_failure(self, request, f"{end_user.company_name}: no setup link", exc)
                continue
            expires = f"{timezone.localtime(session.expires_at):%Y-%m-%d %H:%M}" if session.expires_at else "?"
            self.message_user(
                request,
                format_html(
                    "{}: setup link (expires {}): <code>{}</code> "
                    '<button type="button" class="copy-button" data-copy="{}">Copy</button>',
                    end_user.company_name,
                    expires,
                    session.auth_flow_url,
                    session.auth_flow_url,
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Delete in Conductor (asks first)")
    def delete_in_conductor(self, request, queryset):
        """Deleting an end user in Conductor cannot be undone: a confirmation page first."""
        if request.POST.get("confirmed") != "yes":
            ctx = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "companies": queryset,
                "action": "delete_in_conductor",
                "title": "Delete in Conductor?",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/dashboard/enduser/delete_in_conductor.html", ctx)
        for end_user in queryset.select_related("api_key"):
            name = end_user.company_name
            try:
                services.delete_company_in_conductor(end_user)
            except errors.ConductorError as exc:
                _report_failure(self, request, f"{name}: not deleted", exc)
                continue
            self.message_user(request, f"{name}: deleted in Conductor and here.", messages.SUCCESS)


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
