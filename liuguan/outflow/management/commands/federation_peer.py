"""Configure peer instances from the command line (the same services as the administration page)."""

from django.core.management.base import BaseCommand, CommandError

from liuguan.core.audit import SYSTEM
from liuguan.core.errors import InvalidInput, NotFound
from liuguan.outflow.selectors_federation import peer_get, peer_list
from liuguan.outflow.services.peers import peer_deactivate, peer_save, split_list


class Command(BaseCommand):
    help = (
        "Peers of this instance. --list; --add CODE --name N --url U --public-key K --areas 50[,4401] "
        "[--grant person.basic]; --update CODE with the options to change; --deactivate CODE."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--list", action="store_true", help="list the peers")
        action.add_argument("--add", metavar="CODE", help="add a peer with this identity (such as CN-50)")
        action.add_argument("--update", metavar="CODE", help="change a peer; options not given keep their value")
        action.add_argument("--deactivate", metavar="CODE", help="switch a peer off")
        parser.add_argument("--name")
        parser.add_argument("--url", help="the peer's address, such as https://lg.cq.example")
        parser.add_argument("--public-key", help="the peer's public key (its manage.py federation_identity)")
        parser.add_argument("--areas", help="division-code prefixes it serves, separated by commas")
        parser.add_argument("--grant", action="append", help="a grant to the peer, such as person.basic (repeatable)")
        parser.add_argument("--no-grants", action="store_true", help="with --update: take all grants away")
        parser.add_argument("--activate", action="store_true", help="with --update: switch the peer on again")

    def handle(self, *args, **o):
        if o["list"]:
            for peer in peer_list():
                state = "active" if peer.active else "off"
                grants = ",".join(peer.grants) or "-"
                self.stdout.write(f"{peer.code}\t{state}\t{peer.url}\tareas={peer.areas}\tgrants={grants}\t{peer.name}")
            return
        try:
            if o["deactivate"]:
                peer = peer_deactivate(actor=SYSTEM, code=o["deactivate"], source="cli")
                self.stdout.write(f"{peer.code} is switched off")
                return
            if o["add"]:
                if any(peer.code == o["add"] for peer in peer_list()):
                    raise CommandError(f"Peer {o['add']} exists: change it with --update")
                values = {"code": o["add"], "name": o["name"], "url": o["url"], "public_key": o["public_key"]}
                values |= {"areas": o["areas"], "grants": o["grant"] or []}
                active = True
            else:
                current = peer_get(o["update"])
                values = {
                    "code": current.code,
                    "name": o["name"] or current.name,
                    "url": o["url"] or current.url,
                    "public_key": o["public_key"] or current.public_key,
                    "areas": o["areas"] or current.areas,
                    "grants": [] if o["no_grants"] else (split_list(o["grant"] or []) or current.grants),
                }
                active = True if o["activate"] else None
            peer = peer_save(actor=SYSTEM, active=active, source="cli", **values)
        except NotFound:
            raise CommandError(f"No peer {o['update'] or o['deactivate']}")
        except InvalidInput as exc:
            raise CommandError("\n".join(f"{p.field}: {p.message}" for p in exc.problems))
        self.stdout.write(f"{peer.code} saved: {peer.url} areas={peer.areas} grants={','.join(peer.grants) or '-'}")
