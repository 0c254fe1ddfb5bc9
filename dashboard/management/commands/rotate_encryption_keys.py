from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dashboard.crypto import UnreadableSecret, reencrypt
from dashboard.models import ApiKey


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored Conductor key with the first of ENCRYPTION_KEYS. Rotate by "
        "putting a new key first in ENCRYPTION_KEYS, running this, then removing the old key."
    )

    def handle(self, *args, **options):
        unreadable = []
        with transaction.atomic():
            for api_key in ApiKey.objects.select_for_update():
                try:
                    api_key.encrypted_secret = reencrypt(api_key.encrypted_secret)
                except UnreadableSecret:
                    unreadable.append(api_key.name)
                    continue
                api_key.save(update_fields=["encrypted_secret", "updated_at"])
        if unreadable:
            raise CommandError(
                f"Re-encrypted the others, but these keys cannot be decrypted with any of ENCRYPTION_KEYS: "
                f"{', '.join(unreadable)}. Restore the key they were saved with, or enter them again in admin."
            )
        self.stdout.write(self.style.SUCCESS("Every stored key is now encrypted with the first ENCRYPTION_KEYS key."))
