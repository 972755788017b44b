"""Print this instance's identity, public key and inbox address: what the administrator of a peer needs."""

from django.conf import settings
from django.core.management.base import BaseCommand

from liuguan.outflow import keys
from liuguan.outflow.services.outbox import inbox_url


class Command(BaseCommand):
    help = (
        "Print this instance's federation identity (LIUGUAN_INSTANCE_ID), its public key (Ed25519, or SM2 with "
        "LIUGUAN_SIGNATURE=sm2; the key file is made on first use) and its inbox address (from LIUGUAN_PUBLIC_URL). "
        "Give these to each peer's administrator."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"instance    {keys.instance_id()}")
        self.stdout.write(f"public key  {keys.public_key_b64()}")
        if settings.LIUGUAN_PUBLIC_URL:
            self.stdout.write(f"inbox       {inbox_url(settings.LIUGUAN_PUBLIC_URL)}")
        else:
            self.stdout.write("inbox       <LIUGUAN_PUBLIC_URL>/federation/inbox (LIUGUAN_PUBLIC_URL is not set)")
        self.stdout.write(f"key file    {keys.key_file()}")
