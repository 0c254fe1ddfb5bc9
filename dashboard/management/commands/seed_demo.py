import json
import os
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboard import connections, notes, onboarding
from dashboard.models import ApiKey, Company, CustomerNote
from dashboard.problems import LOOKUP_FAILURES, for_admins

# The demo's two logins, kept beside the demo database so a restart prints the same ones.
LOGINS_FILE = Path(settings.BASE_DIR) / "var" / "demo-logins.json"
DEMO_USERS = ("admin", "support")
# The customer the demo's note and promise are written on: the contract's example.
DEMO_NOTE_COMPANY, DEMO_NOTE_CUSTOMER = "end_usr_demoBakery01", "80000001-1234567890"


class Command(BaseCommand):
    help = (
        "Demo only: an admin and a support login, the fake Conductor's key (verified), its "
        "companies imported and their connections checked. Needs the fake Conductor running. "
        "With --logins, only prints the two logins (what `make demo` shows once it serves)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="Only print the demo's two logins.")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="Where the dashboard is served.")

    def handle(self, *args, **options):
        if not settings.DEMO_CONDUCTOR_SECRET_KEY:
            raise CommandError("seed_demo is for the demo only: run it with DASHBOARD_DEMO=1.")
        if options["logins"]:
            self._print_logins(options["url"])
            return
        self._ensure_users()
        api_key = ApiKey.objects.filter(name="demo").first() or ApiKey(name="demo")
        api_key.set_secret(settings.DEMO_CONDUCTOR_SECRET_KEY)
        api_key.set_publishable_key(settings.DEMO_CONDUCTOR_PUBLISHABLE_KEY)  # so the demo can make setup links
        api_key.save()
        verified = onboarding.verify_api_key(api_key)
        if not verified.ok:
            raise CommandError(f"The fake Conductor did not accept the demo key: {verified.message} Is it running?")
        try:
            result = onboarding.import_companies(api_key)
        except LOOKUP_FAILURES as exc:
            raise CommandError(f"Could not reach the fake Conductor: {for_admins(exc)}. Is it running?") from None
        for company in Company.objects.filter(api_key=api_key):
            connections.check_connection(company)
        self._seed_notes(api_key)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: key verified, {result.created} companies created, {result.updated} updated."
            )
        )

    def _seed_notes(self, api_key: ApiKey) -> None:
        """A note with a promise to pay on the contract's example customer, so the demo
        shows what support writes during a call (once: a restart adds nothing)."""
        company = Company.objects.filter(api_key=api_key, conductor_id=DEMO_NOTE_COMPANY).first()
        if company is None or CustomerNote.objects.filter(company=company).exists():
            return
        try:
            customer = company.conductor().retrieve_customer(DEMO_NOTE_CUSTOMER)
        except LOOKUP_FAILURES:
            return  # a demo without its note is still a demo
        support = get_user_model().objects.get(username="support")
        notes.add(
            support,
            company,
            customer.id,
            customer.full_name,
            "Called about the open invoice; will pay by card on Friday.",
            Decimal("1000.00"),
            timezone.localdate() + timedelta(days=3),
        )

    def _ensure_users(self) -> dict[str, str]:
        """The two users, with the passwords saved beside the database when they still
        open it (a restart of the same demo), else new ones (a new database)."""
        User = get_user_model()
        saved = _saved_logins()
        logins: dict[str, str] = {}
        for username in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            password = saved.get(username)
            if user is None or not password or not user.check_password(password):
                password = secrets.token_urlsafe(9)
                user = user or User(username=username)
                user.set_password(password)
            if username == "admin":
                user.email = user.email or "admin@example.com"
                user.is_staff = user.is_superuser = True
            user.save()
            if username == "support":
                user.groups.add(Group.objects.get(name="Support"))
            logins[username] = password
        LOGINS_FILE.parent.mkdir(parents=True, exist_ok=True)
        # Only the owner may read it: these sign in to the demo.
        descriptor = os.open(LOGINS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(logins, file)
        return logins

    def _print_logins(self, url: str) -> None:
        logins = _saved_logins()
        if not logins:
            raise CommandError("No demo logins yet: run `manage.py seed_demo` first.")
        rule = "=" * 64
        lines = [
            rule,
            f"  The demo dashboard is ready: {url}",
            f"    support login:  support / {logins.get('support', '?')}",
            f"    admin login:    admin / {logins.get('admin', '?')}   (admin at {url.rstrip('/')}/admin/)",
            "  The same logins work after a restart. Ctrl+C stops the demo.",
            rule,
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))


def _saved_logins() -> dict[str, str]:
    try:
        data = json.loads(LOGINS_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if k in DEMO_USERS and isinstance(v, str)} if isinstance(data, dict) else {}
