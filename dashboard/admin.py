"""The management UI: Conductor keys (write-only secrets), companies, scopes and the audit trail."""

import hmac

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters

from dashboard import api_tokens, connections, onboarding
from dashboard.crypto import UnreadableSecret
from dashboard.customer_index.models import CompanySync, SyncWorker
from dashboard.customer_index.state import ago, sync_summary, worker_summary
from dashboard.customer_index.tasks import sync_soon
from dashboard.dates import date_text, moment_text
from dashboard.failures import DuplicateSourceIdError
from dashboard.identifiers import publishable_key_problem, secret_key_problem
from dashboard.models import (
    ApiKey,
    ApiToken,
    AuditEntry,
    Company,
    CompanyScope,
    ConnectionCheck,
    ConnectionStatus,
    CustomerNote,
)
from dashboard.problems import LOOKUP_FAILURES, LookupFailure, for_admins


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
        value = str(self.cleaned_data.get("publishable_key", "")).strip()
        problem = publishable_key_problem(value) if value else None
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_secret_key(self) -> str:
        value = str(self.cleaned_data.get("secret_key", ""))
        if not value:
            if self.instance.pk is None:
                raise forms.ValidationError("Enter the Conductor secret key.")
            return ""
        value = value.strip()
        problem = secret_key_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        for other in ApiKey.objects.exclude(pk=self.instance.pk):
            try:
                stored = other.get_secret()
            except UnreadableSecret:
                continue
            if hmac.compare_digest(stored, value):
                raise forms.ValidationError(f"This key is already stored, as “{other.name}”: use that one.")
        # Verified before it is stored: a key Conductor refuses is never saved, so never
        # offered for a company. One Conductor cannot answer for now is saved, unverified.
        self.verification = onboarding.verify_secret(value)
        if self.verification.refused:
            raise forms.ValidationError(
                "Conductor refused this key. Check that it was copied whole, from the Conductor project "
                "these companies belong to."
            )
        return value

    def save(self, commit: bool = True) -> ApiKey:
        api_key: ApiKey = super().save(commit=False)
        if self.cleaned_data.get("secret_key"):
            api_key.set_secret(self.cleaned_data["secret_key"])
            onboarding.remember_verification(api_key, self.verification)
        if self.cleaned_data.get("publishable_key"):
            api_key.set_publishable_key(self.cleaned_data["publishable_key"])
        if commit:
            api_key.save()
        return api_key


def _report_failure(modeladmin: admin.ModelAdmin, request: HttpRequest, subject: str, exc: LookupFailure) -> None:
    modeladmin.message_user(request, f"{subject}: {for_admins(exc)}", messages.ERROR)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "secret_hint", "readable", "company_count", "verification", "last_verified_at"]
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
    actions = ["verify_keys", "import_companies"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(company_total=Count("companies"))

    @method_decorator(sensitive_post_parameters("secret_key", "publishable_key"))
    def changeform_view(self, request, *args, **kwargs):
        return super().changeform_view(request, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ApiKeyForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        verification = getattr(form, "verification", None)
        if verification is not None and not verification.ok:
            self.message_user(
                request, f"{obj.name} is saved but not verified. {verification.message}", messages.WARNING
            )

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

    @admin.display(description="Companies", ordering="company_total")
    def company_count(self, obj: ApiKey) -> int:
        return int(getattr(obj, "company_total", 0))

    @admin.display(description="Verified", boolean=True, ordering="last_verification_ok")
    def verification(self, obj: ApiKey) -> bool | None:
        return obj.last_verification_ok

    @admin.action(description="Verify selected keys with Conductor")
    def verify_keys(self, request, queryset):
        for api_key in queryset:
            result = onboarding.verify_api_key(api_key)
            level = messages.SUCCESS if result.ok else messages.ERROR
            self.message_user(request, f"{api_key.name}: {result.message}", level)

    @admin.action(description="Import its companies (end users) from Conductor")
    def import_companies(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            try:
                result = onboarding.import_companies(api_key)
            except LOOKUP_FAILURES as exc:
                _report_failure(self, request, f"{api_key.name}: import failed", exc)
                continue
            self.message_user(
                request,
                f"{api_key.name}: {result.created} compan{'y' if result.created == 1 else 'ies'} created, {result.updated} updated.",
                messages.SUCCESS,
            )


class ConnectionCheckInline(admin.TabularInline):
    model = ConnectionCheck
    fields = ("checked_at", "status", "message", "conductor_request_id")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "connection history (latest first)"

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def keys_offered() -> QuerySet[ApiKey]:
    """The keys a company may be given: never one Conductor refused (a key not verified
    yet is offered: it may work)."""
    return ApiKey.objects.exclude(last_verification_ok=False)


class CreateCompanyForm(forms.Form):
    api_key = forms.ModelChoiceField(keys_offered(), label="API key")
    name = forms.CharField(label="Company name", max_length=255)
    source_id = forms.CharField(max_length=255, help_text="Your own id for this company (unique per key).")
    email = forms.EmailField(help_text="Who at the company sets QuickBooks up.")


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    # Short columns, so every one fits a laptop screen: the key is a filter, the
    # connection a status and a date, the last check "5 minutes ago".
    list_display = [
        "name",
        "conductor_id",
        "is_active",
        "connection_in_short",
        "last_checked",
        "dashboard_link",
    ]
    list_filter = ["is_active", "connection_status", "api_key"]
    search_fields = ["name", "conductor_id", "email", "source_id"]
    list_select_related = ["api_key"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "api_key":
            kwargs["queryset"] = keys_offered()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
        "customer_index",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
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
        ("Customer index", {"fields": ["customer_index"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [ConnectionCheckInline]
    actions = ["check_connections", "sync_now", "create_setup_links", "delete_in_conductor"]
    change_list_template = "admin/dashboard/company/change_list.html"

    class Media:
        js = ["js/app.js"]  # copy buttons

    def get_urls(self):
        return [
            path(
                "create-in-conductor/",
                self.admin_site.admin_view(self.create_in_conductor),
                name="dashboard_company_create_in_conductor",
            ),
            path(
                "<path:object_id>/setup-link/",
                self.admin_site.admin_view(self.setup_link_view),
                name="dashboard_company_setup_link",
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
                company = onboarding.create_company(
                    form.cleaned_data["api_key"],
                    name=form.cleaned_data["name"],
                    source_id=form.cleaned_data["source_id"],
                    email=form.cleaned_data["email"],
                )
            except DuplicateSourceIdError as exc:
                form.add_error("source_id", exc.message)
            except LOOKUP_FAILURES as exc:
                form.add_error(None, f"Conductor did not create it: {for_admins(exc)}")
            else:
                self.message_user(
                    request,
                    f"{company.name} created in Conductor as {company.conductor_id}. "
                    "Next: “Create a setup link” below, and send it to the person at the QuickBooks computer.",
                    messages.SUCCESS,
                )
                return redirect("admin:dashboard_company_change", company.pk)
        ctx = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Add a company in Conductor",
        }
        return TemplateResponse(request, "admin/dashboard/company/create_in_conductor.html", ctx)

    @admin.display(description="Connection", ordering="connection_status")
    def connection(self, obj: Company) -> str:
        label = obj.get_connection_status_display()
        if since := obj.no_answer_since():
            label = f"QuickBooks offline: no answer since {moment_text(since.at)} ({since.basis})"
        return label

    @admin.display(description="Connection", ordering="connection_status")
    def connection_in_short(self, obj: Company) -> str:
        if since := obj.no_answer_since():
            return f"Offline since {date_text(timezone.localtime(since.at))}"
        return obj.get_connection_status_display()

    @admin.display(description="Last checked", ordering="last_checked_at")
    def last_checked(self, obj: Company) -> str:
        if obj.last_checked_at is None:
            return "Never"
        return format_html(
            '<span title="{}">{}</span>',
            moment_text(obj.last_checked_at),
            naturaltime(obj.last_checked_at),
        )

    @admin.display(description="Setup link")
    def setup_link(self, obj: Company) -> str:
        if not obj.pk:
            return "—"
        # A submit button of the change form, sent to the setup-link view instead (the
        # form carries the CSRF token); it creates the link and comes back here.
        button = format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post" formnovalidate>{}</button>',
            reverse("admin:dashboard_company_setup_link", args=[obj.pk]),
            "Create a new setup link" if obj.setup_link_url else "Create a setup link",
        )
        if not obj.setup_link_url:
            return format_html("None yet. {}", button)
        expired = obj.setup_link_expires_at and obj.setup_link_expires_at <= timezone.now()
        when = moment_text(obj.setup_link_expires_at) if obj.setup_link_expires_at else "?"
        if expired:
            return format_html("<strong>Expired</strong> at {}. {}", when, button)
        return format_html(
            '<code>{}</code> <button type="button" class="copy-button" data-copy="{}">Copy</button>'
            "<br>Expires {}. Send it to the person at the QuickBooks computer. {}",
            obj.setup_link_url,
            obj.setup_link_url,
            when,
            button,
        )

    def setup_link_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        """The change page's "Create a setup link" button."""
        company = self.get_object(request, object_id)
        if company is None or request.method != "POST" or not self.has_change_permission(request, company):
            raise PermissionDenied
        self._create_setup_link(request, company)
        return redirect("admin:dashboard_company_change", company.pk)

    @admin.display(description="Dashboard")
    def dashboard_link(self, obj: Company) -> str:
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">Open company page</a>', reverse("company", args=[obj.conductor_id]))

    @admin.display(description="Customer index")
    def customer_index(self, obj: Company) -> str:
        return f"{sync_summary(CompanySync.objects.filter(company=obj).first())} {worker_summary()}"

    @admin.action(description="Sync the customer index now")
    def sync_now(self, request, queryset):
        for company in queryset.filter(is_active=True):
            sync_soon(company)
        self.message_user(
            request,
            "Asked the sync worker to bring these companies' local copy in step (the sync_worker command runs it).",
            messages.SUCCESS,
        )

    @admin.action(description="Check QuickBooks connection")
    def check_connections(self, request, queryset):
        for company in queryset.select_related("api_key"):
            connections.check_connection(company)
            if company.connection_status == ConnectionStatus.CONNECTED:
                self.message_user(request, f"{company.name}: connected.", messages.SUCCESS)
            else:
                suffix = (
                    f" (Conductor request {company.last_error_request_id})" if company.last_error_request_id else ""
                )
                self.message_user(
                    request,
                    f"{company.name}: {self.connection(company)}: {company.last_error}{suffix}",
                    messages.WARNING,
                )

    @admin.action(description="Create a setup link")
    def create_setup_links(self, request, queryset):
        for company in queryset.select_related("api_key"):
            self._create_setup_link(request, company)

    def _create_setup_link(self, request: HttpRequest, company: Company) -> None:
        try:
            session = onboarding.create_setup_link(company)
        except LOOKUP_FAILURES as exc:
            _report_failure(self, request, f"{company.name}: no setup link", exc)
            return
        expires = moment_text(session.expires_at) if session.expires_at else "?"
        self.message_user(
            request,
            format_html(
                "{}: setup link (expires {}): <code>{}</code> "
                '<button type="button" class="copy-button" data-copy="{}">Copy</button>',
                company.name,
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
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/dashboard/company/delete_in_conductor.html", ctx)
        for company in queryset.select_related("api_key"):
            name = company.name
            try:
                onboarding.delete_company_in_conductor(company)
            except LOOKUP_FAILURES as exc:
                _report_failure(self, request, f"{name}: not deleted", exc)
                continue
            self.message_user(request, f"{name}: deleted in Conductor and here.", messages.SUCCESS)


@admin.register(CompanyScope)
class CompanyScopeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company_count"]
    list_select_related = ["user", "group"]
    # Plain selects, not the asynchronous autocomplete: Enter pressed there before its
    # list had filtered saved the scope for whoever was first ("admin"). A native select
    # picks what was typed, and support teams are tens of people, not thousands.
    filter_horizontal = ["companies"]
    search_fields = ["user__username", "group__name"]

    @admin.display(description="Companies")
    def company_count(self, obj: CompanyScope) -> int:
        return obj.companies.count()


class WrittenByTheDashboard(admin.ModelAdmin):
    """Rows the dashboard itself writes: admin shows them, nobody adds or edits one."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(WrittenByTheDashboard):
    """Read-only: the trail is written by the dashboard and pruned by a command only."""

    list_display = ["when", "username", "company_name", "action", "target", "outcome", "conductor_request_id"]
    list_filter = ["action", ("at", admin.DateFieldListFilter), "user", "company"]
    search_fields = ["username", "company_name", "target", "conductor_request_id", "client_address"]
    date_hierarchy = "at"
    list_select_related = ["user", "company"]

    @admin.display(description="When", ordering="at")
    def when(self, obj: AuditEntry) -> str:
        return moment_text(obj.at)

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Keys for the lookup API: issued here (the key shown once), revoked here, never shown again."""

    list_display = ["name", "user", "key_hint", "created_at", "last_used_at", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "key_hint"]
    actions = ["revoke"]

    class Media:
        js = ["js/app.js"]  # the copy button beside a new key

    @admin.display(description="State")
    def state(self, obj: ApiToken) -> str:
        return f"revoked {moment_text(obj.revoked_at)}" if obj.revoked_at else "active"

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return [] if obj is None else ["user", "key_hint", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key = api_tokens.give_key(obj)
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            format_html(
                "The key for {}, shown this once (only its fingerprint is kept): <code>{}</code> "
                '<button type="button" class="copy-button" data-copy="{}">Copy</button>',
                obj.name,
                key,
                key,
            ),
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_tokens.revoke(token)
        self.message_user(request, f"{queryset.count()} key(s) revoked: calls with them are refused from now on.")

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # revoked, not deleted: the audit trail names who used which


@admin.register(CustomerNote)
class CustomerNoteAdmin(WrittenByTheDashboard):
    """Read-only: every note support wrote, edited versions and deletions included."""

    list_display = ["customer_name", "company", "text", "promise_amount", "promise_date", "author_name", "state"]
    list_filter = ["company", ("promise_date", admin.EmptyFieldListFilter)]
    search_fields = ["customer_name", "text", "author_name"]
    list_select_related = ["company"]

    @admin.display(description="State")
    def state(self, obj: CustomerNote) -> str:
        if obj.deleted_at:
            return f"deleted by {obj.deleted_by_name}, {moment_text(obj.deleted_at)}"
        if obj.replaced_by_id:
            return "replaced by an edit"
        return "current"

    def has_delete_permission(self, request: HttpRequest, obj: CustomerNote | None = None) -> bool:
        return False


@admin.register(SyncWorker)
class SyncWorkerAdmin(WrittenByTheDashboard):
    """Read-only: each sync worker writes its own row while it runs."""

    list_display = ["__str__", "running", "last_seen", "started_at", "stopped_at", "last_error"]

    @admin.display(description="Running", boolean=True)
    def running(self, obj: SyncWorker) -> bool:
        return obj.is_alive(timezone.now())

    @admin.display(description="Last seen", ordering="last_seen_at")
    def last_seen(self, obj: SyncWorker) -> str:
        return ago(obj.last_seen_at)
