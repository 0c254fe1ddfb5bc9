import sys

from django.core.management.base import BaseCommand, CommandError

from dashboard.identifiers import secret_key_problem
from dashboard.models import ApiKey


class Command(BaseCommand):
    help = (
        "Create or replace a Conductor API key. The secret is read from standard input, "
        "never from the command line (where it would land in shell history and ps)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the key, e.g. 'production'.")

    def handle(self, *args, name, **options):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("The key name must be 1 to 100 characters.")
        if sys.stdin.isatty():
            self.stderr.write("Paste the Conductor secret key and press Enter:")
        secret = sys.stdin.readline().strip()
        if not secret:
            raise CommandError(
                "No secret key on standard input. Pipe it in: "
                "printf '%s' \"$CONDUCTOR_SECRET_KEY\" | python manage.py add_api_key NAME"
            )
        problem = secret_key_problem(secret)
        if problem:
            raise CommandError(problem)
        api_key = ApiKey.objects.filter(name=name).first()
        created = api_key is None
        api_key = api_key or ApiKey(name=name)
        api_key.set_secret(secret)
        api_key.save()
        verb = "Created" if created else "Replaced"
        self.stdout.write(self.style.SUCCESS(f"{verb} API key {api_key}."))
