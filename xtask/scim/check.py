"""Runs scim2-tester's checks against a SCIM 2.0 service provider.

Usage: check.py BASE_URL TOKEN

BASE_URL is the service provider's root (https://HOST/scim/v2) and TOKEN a bearer token
from `entrada scim token create`. Prints one JSON line per check
({"title", "status", "reason", "resourceType", "tags"}) and then one line of totals
({"totals": {...}}). Exits 0 when the checks ran (whatever their outcome: the caller
decides which outcomes it accepts), 2 when they could not run at all.
"""

import json
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: check.py BASE_URL TOKEN", file=sys.stderr)
        return 2
    base_url, token = sys.argv[1].rstrip("/") + "/", sys.argv[2]
    http = httpx2.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
    )
    client = SyncSCIMClient(http)
    client.discover()
    results = check_server(client, raise_exceptions=False)
    totals: dict[str, int] = {}
    for result in results:
        status = result.status.name
        totals[status] = totals.get(status, 0) + 1
        print(
            json.dumps(
                {
                    "title": result.title,
                    "status": status,
                    "reason": result.reason,
                    "resourceType": result.resource_type,
                    "tags": sorted(result.tags),
                }
            ),
            flush=True,
        )
    print(json.dumps({"totals": totals}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
