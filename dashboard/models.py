"""Conductor API keys (encrypted at rest), the companies reached with them (each one
QuickBooks company file, a Conductor "end user"), scopes, the audit trail and recent views."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.validators import RegexValidator
from django.db import connection, models, transaction
from django.utils import timezone

from dashboard import crypto
from dashboard.caching.company_limit import company_slot
from dashboard.conductor.client import ConductorClient
from dashboard.dates import moment_text
from dashboard.failures import KeyUnreadableError
from dashboard.identifiers import CONDUCTOR_ID_HELP, CONDUCTOR_ID_PATTERN, mask_secret_key

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class ApiKey(models.Model):
    """A Conductor secret key. Written once, stored encrypted, shown only masked."""

    name = models.CharField(max_length=100, unique=True)
    encrypted_secret = models.TextField(editable=False)
    secret_hint = models.CharField(
        "secret key", max_length=40, editable=False, help_text="Masked; the key itself is never shown."
    )
    # Optional: only needed to create setup links (auth sessions). Stored like the secret.
    encrypted_publishable_key = models.TextField(blank=True, editable=False)
    publishable_key_hint = models.CharField(
        "publishable key", max_length=40, blank=True, editable=False, help_text="Masked."
    )
    last_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_verification_ok = models.BooleanField(null=True, editable=False)
    last_verification_message = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.secret_hint})"

    def set_secret(self, secret_key: str) -> None:
        self.encrypted_secret = crypto.encrypt(secret_key)
        self.secret_hint = mask_secret_key(secret_key)

    def get_secret(self) -> str:
        """The plaintext key, for the Conductor client only. Raises crypto.UnreadableSecret."""
        return crypto.decrypt(self.encrypted_secret)

    def conductor_secret(self) -> str:
        """The plaintext key, for calls to Conductor: a key that cannot be decrypted is a
        failure pages and admin explain (KeyUnreadableError)."""
        try:
            return self.get_secret()
        except crypto.UnreadableSecret as exc:
            raise KeyUnreadableError(str(exc)) from None

    def set_publishable_key(self, publishable_key: str) -> None:
        self.encrypted_publishable_key = crypto.encrypt(publishable_key)
        self.publishable_key_hint = mask_secret_key(publishable_key)

    def get_publishable_key(self) -> str | None:
        return crypto.decrypt(self.encrypted_publishable_key) if self.encrypted_publishable_key else None


class ConnectionStatus(models.TextChoices):
    NEVER_CHECKED = "never_checked", "Never checked"
    CONNECTED = "connected", "Connected"
    SETUP_UNFINISHED = "setup_unfinished", "Setup unfinished"
    OFFLINE = "offline", "QuickBooks offline"
    ERROR = "error", "Error"


class CompanyQuerySet(models.QuerySet["Company"]):
    def active(self) -> "CompanyQuerySet":
        """Companies staff may look up (inactive ones are hidden from the dashboard)."""
        return self.filter(is_active=True)

    def visible_to(self, user: "User | AnonymousUser") -> "CompanyQuerySet":
        """The active companies this user may look up (a scoped user sees only theirs)."""
        companies = self.active()
        if user.is_superuser:
            return companies
        scopes = CompanyScope.objects.filter(models.Q(user=user) | models.Q(group__in=user.groups.all()))
        if not scopes.exists():
            return companies
        return companies.filter(scopes__in=scopes).distinct()


conductor_id_validator = RegexValidator(CONDUCTOR_ID_PATTERN, CONDUCTOR_ID_HELP)


class Company(models.Model):
    """One QuickBooks Desktop company file connected through Conductor (there, an "end user")."""

    conductor_id = models.CharField(
        "Conductor end-user id", max_length=80, unique=True, validators=[conductor_id_validator]
    )
    name = models.CharField("company name", max_length=255)
    email = models.CharField(max_length=255, blank=True)
    source_id = models.CharField(max_length=255, blank=True)
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="companies")
    is_active = models.BooleanField(default=True, help_text="Inactive companies are hidden from staff.")

    connection_status = models.CharField(
        max_length=20, choices=ConnectionStatus, default=ConnectionStatus.NEVER_CHECKED, editable=False
    )
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=1000, blank=True, editable=False)
    last_error_request_id = models.CharField(max_length=100, blank=True, editable=False)
    # When the current run of failed checks began (cleared by a successful one).
    offline_since = models.DateTimeField(null=True, blank=True, editable=False)
    # The latest setup link created for the person at the QuickBooks computer.
    setup_link_url = models.URLField(max_length=1000, blank=True, editable=False)
    setup_link_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What Conductor itself last reported (imported with the end user).
    conductor_last_successful_request_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "company"
        verbose_name_plural = "companies"
        permissions = [("view_customers", "Can look up QuickBooks customers in the dashboard")]

    def __str__(self) -> str:
        return f"{self.name} ({self.conductor_id})"

    def conductor(self, *, background: bool = False) -> ConductorClient:
        """Conductor for this company: its key and end user bound. A person's lookups take
        one of the company's places for each call (the adaptive limit); background work
        (the index's sync) holds back for people in its own way and takes none."""
        secret = self.api_key.conductor_secret()
        if background:
            return ConductorClient(secret, self.conductor_id)
        return ConductorClient(secret, self.conductor_id, slot=lambda kind: company_slot(self.conductor_id, kind))

    def no_answer_since(self) -> "NoAnswerSince | None":
        """For an offline company, the earliest moment QuickBooks is known to have stopped
        answering, and which fact says so."""
        if self.connection_status != ConnectionStatus.OFFLINE:
            return None
        # Silence began when QuickBooks last answered anyone (Conductor's record, or our
        # own last good check): usually well before our first failed check.
        answered = [t for t in (self.conductor_last_successful_request_at, self.last_success_at) if t]
        if answered:
            return NoAnswerSince(max(answered), "last successful request")
        if self.offline_since:
            return NoAnswerSince(self.offline_since, "first failed check")
        return None


@dataclass(frozen=True)
class NoAnswerSince:
    at: datetime
    basis: str  # which fact: "last successful request" or "first failed check"


class ConnectionCheck(models.Model):
    """One connection check of a company, kept as a short history."""

    KEEP_PER_COMPANY = 50

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=ConnectionStatus)
    message = models.CharField(max_length=1000, blank=True)
    conductor_request_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["company", "checked_at"], name="check_by_company")]

    def __str__(self) -> str:
        return f"{self.company.name} {self.get_status_display()} at {moment_text(self.checked_at)}"


class RecentView(models.Model):
    """A customer page a user opened, for the "recently viewed" list on the home page."""

    KEEP_PER_USER = 20

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="recent_views")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer_id = models.CharField(max_length=36)
    customer_name = models.CharField(max_length=255)
    viewed_at = models.DateTimeField()

    class Meta:
        ordering = ["-viewed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "company", "customer_id"], name="recent_view_once_per_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.user} viewed {self.customer_name}"

    # A customer reopened within this many seconds is not written again: a page view
    # should not cost a database write every time (the list shows minutes, not seconds).
    RECORD_AGAIN_AFTER = 60

    @classmethod
    def record(cls, user: "User", company: Company, customer_id: str, customer_name: str) -> None:
        """Remember the view (most recent first) and forget all but the latest few."""
        marker = f"dash:recent:{user.pk}:{company.pk}:{customer_id}"
        if not cache.add(marker, 1, timeout=cls.RECORD_AGAIN_AFTER):
            return
        # One upsert and one trim (not a read, then a write, then a read to trim): a
        # first view of a customer pays for this on every page.
        view = RecentView(user=user, company=company, customer_id=customer_id, customer_name=customer_name[:255])
        view.viewed_at = timezone.now()
        with transaction.atomic():
            RecentView.objects.bulk_create(
                [view],
                update_conflicts=True,
                unique_fields=["user", "company", "customer_id"],
                update_fields=["customer_name", "viewed_at"],
            )
            # In SQL: the ORM's delete() of the same costs twenty times as much, and
            # nothing refers to these rows.
            table = connection.ops.quote_name(cls._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {table} WHERE user_id = %s AND id NOT IN"
                    f" (SELECT id FROM {table} WHERE user_id = %s ORDER BY viewed_at DESC LIMIT %s)",
                    [user.pk, user.pk, cls.KEEP_PER_USER],
                )


class CompanyScope(models.Model):
    """Limits a user, or every member of a group, to the companies listed.

    Someone with no scope (through themselves or any group) sees every active company;
    someone with one or more sees only the union of their scopes' companies.
    Superusers are never limited."""

    user = models.OneToOneField(
        "auth.User", null=True, blank=True, on_delete=models.CASCADE, related_name="company_scope"
    )
    group = models.OneToOneField(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="company_scope"
    )
    companies = models.ManyToManyField(Company, blank=True, related_name="scopes")

    class Meta:
        verbose_name = "company scope"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True) | models.Q(user__isnull=True, group__isnull=False)
                ),
                name="company_scope_for_a_user_or_a_group",
            ),
        ]

    def __str__(self) -> str:
        return f"Scope of {self.user or self.group}"


class AuditAction(models.TextChoices):
    VIEW = "view", "Customer viewed"
    REFRESH = "refresh", "Customer refreshed"
    SEARCH = "search", "Company searched"
    SEARCH_ALL = "search_all", "All companies searched"
    JUMP = "jump", "Jump to customer"
    ACTIVITY = "activity", "Account activity viewed"
    DOCUMENT = "document", "Transaction viewed"
    CHECK = "check", "Customer checked with QuickBooks"
    DENIED = "denied", "Access refused"
    CALL = "call", "Incoming call looked up"
    NOTE_ADDED = "note_added", "Note added"
    NOTE_EDITED = "note_edited", "Note edited"
    NOTE_DELETED = "note_deleted", "Note deleted"
    EMAIL = "email", "Document emailed"
    API = "api", "Looked up through the API"


class AuditEntry(models.Model):
    """Who looked at what, when, and how it went. Written by the views, never edited."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)  # kept if the user is deleted
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    company_name = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction)
    target = models.CharField("customer id or query", max_length=300, blank=True)
    outcome = models.CharField(max_length=60)  # ok, stale, or the error's name
    conductor_request_id = models.CharField(max_length=100, blank=True)
    # Where the request came from (dashboard/sign_in.client_address): kept for refusals.
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        indexes = [
            models.Index(fields=["user", "at"], name="audit_by_user"),
            models.Index(fields=["company", "at"], name="audit_by_company"),
        ]

    def __str__(self) -> str:
        return f"{moment_text(self.at)} {self.username} {self.action} {self.target}"


class CustomerNoteQuerySet(models.QuerySet["CustomerNote"]):
    def current(self) -> "CustomerNoteQuerySet":
        """The notes as they stand: not replaced by an edit, not deleted."""
        return self.filter(replaced_by__isnull=True, deleted_at__isnull=True)


class CustomerNote(models.Model):
    """What support wrote about a customer during a call, with an optional promise to pay.

    The dashboard's own: never written to QuickBooks. Nothing is erased: an edit is a new
    row and the old one points at it (`replaced_by`); a deletion only marks the row."""

    MAX_LENGTH = 2000

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer_id = models.CharField(max_length=40)
    customer_name = models.CharField(max_length=1000)  # the full name when written: a search lists it
    text = models.TextField(max_length=MAX_LENGTH)
    promise_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    promise_date = models.DateField(null=True, blank=True)
    author = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=150)  # kept if the user is deleted
    written_at = models.DateTimeField(default=timezone.now)  # first written: an edit keeps it
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by_name = models.CharField(max_length=150, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by_name = models.CharField(max_length=150, blank=True)

    objects = CustomerNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-written_at", "-pk"]
        indexes = [
            models.Index(fields=["company", "customer_id"], name="note_by_customer"),
            models.Index(fields=["company", "promise_date"], name="note_by_promise_date"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name}: {self.text[:60]}"

    @property
    def has_promise(self) -> bool:
        return self.promise_amount is not None and self.promise_date is not None


class DocumentEmail(models.Model):
    """A statement or document emailed to a customer: asked for on a page, sent by the
    task worker (dashboard/mail.py); the customer page lists the latest."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer_id = models.CharField(max_length=40)  # whose page lists it
    kind = models.CharField(max_length=20)  # statement | invoice | credit_memo | sales_receipt
    transaction_id = models.CharField(max_length=40, blank=True)  # blank for a statement
    title = models.CharField(max_length=200)  # "Statement", "Invoice 1028": filled in when sent
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    message = models.TextField(max_length=2000, blank=True)
    sent_by = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    sent_by_name = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)  # in words, for the page

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["company", "customer_id", "requested_at"], name="email_by_customer")]

    def __str__(self) -> str:
        return f"{self.title or self.kind} to {self.to}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A key an integration (a phone system, a helpdesk sidebar) calls the lookup API with.

    It acts as its user: their permission and company scopes. Only its SHA-256 is kept;
    the key itself is shown once, when admin issues it (dashboard/api_tokens.py)."""

    name = models.CharField(max_length=100, help_text="What uses it, e.g. “3CX phone system”.")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=20, editable=False)  # "dsh_Ab3x…": enough to tell keys apart
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_hint})"
