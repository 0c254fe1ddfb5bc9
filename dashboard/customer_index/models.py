"""The local copy's own records: a row per customer or job of every company (its complete
record, and what finding needs), the transactions support reads, how far each company is
in step with QuickBooks (and who is syncing it), and the sync workers as last seen. The
older tables keep the names they had before the copy was an app of its own."""

from datetime import datetime, timedelta

from django.db import models

from dashboard.customer_index.compact_json import CompactJSON


class IndexedCustomer(models.Model):
    """One customer or job of a company, as the local copy holds it: its complete record,
    and what finding and listing need drawn from it. Kept in step by sync.py; searched by
    search.py; read by the pages through copy.py."""

    company = models.ForeignKey("dashboard.Company", on_delete=models.CASCADE, related_name="indexed_customers")
    customer_id = models.CharField(max_length=40)  # QuickBooks ListID
    name = models.CharField(max_length=255)
    full_name = models.CharField(max_length=1000)
    sublevel = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(null=True)
    job_status = models.CharField(max_length=40, blank=True)
    company_name = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=100, blank=True)  # the main phone, as a result row shows it
    email = models.CharField(max_length=1000, blank=True)  # the main email, as a result row shows it
    balance = models.DecimalField(max_digits=24, decimal_places=8, null=True)
    total_balance = models.DecimalField(max_digits=24, decimal_places=8, null=True)
    # Lower-case text of every searchable field: names, contacts, emails, account
    # number, addresses. Indexed by trigrams (FTS5 on SQLite, pg_trgm on PostgreSQL).
    search_text = models.TextField()
    # Every phone and fax number as digits only, space-separated, so "(555) 301-4525",
    # "5553014525" and "301-4525" all find "+1-555-301-4525".
    phone_digits = models.TextField(blank=True)
    updated_at = models.DateTimeField(null=True)  # QuickBooks' updatedAt
    seen_at = models.DateTimeField()  # when a sync (or a live check) last read it
    # QuickBooks' JSON as received, the card number cut to its last four digits; parsed
    # by records.parse_customer, the parser of live records. Null in rows stored before
    # the copy held records (the next full read fills it).
    record = models.JSONField(null=True, encoder=CompactJSON)
    # When a live check last confirmed this customer's (and its jobs') transactions.
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dashboard_indexedcustomer"  # made before the index was an app of its own
        verbose_name = "indexed customer"
        constraints = [
            models.UniqueConstraint(fields=["company", "customer_id"], name="one_index_row_per_customer"),
        ]
        indexes = [models.Index(fields=["company", "full_name"], name="index_by_full_name")]

    def __str__(self) -> str:
        return self.full_name


class CopiedTransaction(models.Model):
    """One invoice, payment, credit memo or sales receipt of a company, as the local copy
    holds it: every open one whatever its age, and every one dated within the history
    window (MIRROR_HISTORY_DAYS). Kept in step by sync.py."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        PAYMENT = "receive_payment", "Payment"
        CREDIT_MEMO = "credit_memo", "Credit memo"
        SALES_RECEIPT = "sales_receipt", "Sales receipt"

    company = models.ForeignKey("dashboard.Company", on_delete=models.CASCADE, related_name="copied_transactions")
    transaction_id = models.CharField(max_length=40)  # QuickBooks TxnID, unique across kinds
    kind = models.CharField(max_length=20, choices=Kind.choices)
    customer_id = models.CharField(max_length=40, blank=True)  # the customer or job it was made for
    ref_number = models.CharField(max_length=100, blank=True)
    transaction_date = models.DateField(null=True)
    # Open: an invoice with a balance left, a credit memo with credit left, a payment with
    # money not yet applied (a voided one has its amounts at zero, so it is not open).
    is_open = models.BooleanField(default=False)
    updated_at = models.DateTimeField(null=True)  # QuickBooks' updatedAt
    seen_at = models.DateTimeField()
    # QuickBooks' JSON as received, with line items and linked transactions, the card
    # number cut to its last four digits; parsed by the parsers of live transactions.
    record = models.JSONField(encoder=CompactJSON)

    class Meta:
        verbose_name = "copied transaction"
        constraints = [
            models.UniqueConstraint(fields=["company", "transaction_id"], name="one_copy_per_transaction"),
        ]
        indexes = [
            models.Index(fields=["company", "customer_id", "kind"], name="copied_by_customer"),
            models.Index(fields=["company", "ref_number"], name="copied_by_ref_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ref_number or self.transaction_id}"


class CompanySyncQuerySet(models.QuerySet["CompanySync"]):
    def ready(self) -> "CompanySyncQuerySet":
        """The companies whose index is searchable, as CompanySync.ready says of one."""
        return self.filter(last_full_sync_at__isnull=False)


class CompanySync(models.Model):
    """How far a company's index is in step with QuickBooks, and who is syncing it."""

    company = models.OneToOneField("dashboard.Company", on_delete=models.CASCADE, related_name="sync")
    # A full read in progress: when it started and the last full name it stored (it
    # resumes after that name; QuickBooks cursors expire within seconds).
    full_read_started_at = models.DateTimeField(null=True, blank=True)
    full_read_after = models.CharField(max_length=1000, blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    # The latest QuickBooks updatedAt stored: incremental reads ask from a little before it.
    updated_high_water = models.DateTimeField(null=True, blank=True)
    deletions_checked_at = models.DateTimeField(null=True, blank=True)
    in_step_at = models.DateTimeField(null=True, blank=True)  # the last sync that finished
    customers = models.PositiveIntegerField(default=0)
    last_pages = models.PositiveIntegerField(default=0)
    last_changed = models.PositiveIntegerField(default=0)
    last_deleted = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # The transactions: per kind, when its first full read finished ({"invoice": iso, …};
    # a kind not there is read in full next, so a stopped first read resumes with the
    # kinds it had not finished), the latest updatedAt stored, when deletions were last
    # learned, and how many are held.
    transaction_kinds_read = models.JSONField(default=dict, blank=True)
    transactions_high_water = models.DateTimeField(null=True, blank=True)
    transaction_deletions_checked_at = models.DateTimeField(null=True, blank=True)
    transactions = models.PositiveIntegerField(default=0)
    # The start of the last transaction sync that finished: what the copy's transactions
    # are "as of" (a change after it may not be in them yet).
    transactions_as_of = models.DateTimeField(null=True, blank=True)
    # When a person last opened a page of this company: the interval follows attention.
    looked_at = models.DateTimeField(null=True, blank=True)
    # What a statement prints of the company itself ("remit to": name, address for
    # customers, phone, email, website), read from QuickBooks at most once a day.
    company_file = models.JSONField(null=True, blank=True)
    company_file_read_at = models.DateTimeField(null=True, blank=True)
    # One syncer per company at a time, on any machine: a lease taken by an atomic update.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    objects = CompanySyncQuerySet.as_manager()

    class Meta:
        db_table = "dashboard_companysync"  # made before the index was an app of its own
        verbose_name = "customer index sync"

    def __str__(self) -> str:
        return f"Sync of {self.company}"

    @property
    def ready(self) -> bool:
        """Searchable: one full read has completed (the one definition; see ready())."""
        return self.last_full_sync_at is not None


class SyncWorkerQuerySet(models.QuerySet["SyncWorker"]):
    def last_seen(self) -> "SyncWorker | None":
        """The worker seen most recently, on any machine."""
        return self.order_by("-last_seen_at").first()


class SyncWorker(models.Model):
    """A sync worker process as last seen: it says so here while it runs, so the home page
    and admin can tell when none is (a worker that died leaves the index out of step)."""

    # A worker says it is alive this often; one not heard from for STALE_AFTER is gone.
    HEARTBEAT_SECONDS = 30
    STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)  # a graceful stop
    last_error = models.CharField(max_length=500, blank=True)  # the last database error it outlived

    objects = SyncWorkerQuerySet.as_manager()

    class Meta:
        db_table = "dashboard_syncworker"  # made before the index was an app of its own
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"Sync worker {self.host}:{self.pid}"

    def is_alive(self, now: datetime) -> bool:
        return self.stopped_at is None and now - self.last_seen_at < self.STALE_AFTER
