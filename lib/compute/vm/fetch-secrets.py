#!/usr/bin/env python3
# Usage: fetch-secrets SERVICE VAULT_NAME IDENTITY_RESOURCE_ID SECRETS_LIST ENV_FILE
import json, os, sys, tempfile, urllib.error, urllib.parse, urllib.request

service, vault, identity, secrets_list, env_file = sys.argv[1:6]
prefix = os.environ.get("SLOTENV_PREFIX", "")
imds = os.environ.get("IMDS_ENDPOINT", "http://169.254.169.254")
base = os.environ.get("VAULT_URL", "https://%s.vault.azure.net" % vault)


def fail(message, status=1):
    print("fetch-secrets: %s: %s" % (service, message), file=sys.stderr)
    sys.exit(status)


def get(url, headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return json.load(r)


query = urllib.parse.urlencode({"api-version": "2018-02-01", "resource": "https://vault.azure.net", "msi_res_id": identity})
try:
    token = get("%s/metadata/identity/oauth2/token?%s" % (imds, query), {"Metadata": "true"})["access_token"]
except (urllib.error.URLError, KeyError, ValueError) as e:
    fail("no token from the managed identity (%s)" % e)

lines = []
with open(prefix + secrets_list) as f:
    for entry in f.read().splitlines():
        if not entry.strip():
            continue
        variable, name = entry.split()
        try:
            value = get("%s/secrets/%s?api-version=7.4" % (base, name), {"Authorization": "Bearer " + token})["value"]
        except urllib.error.HTTPError as e:
            fail("secret %s (for %s): HTTP %d from the vault" % (name, variable, e.code))
        except (urllib.error.URLError, KeyError, ValueError) as e:
            fail("secret %s (for %s): %s" % (name, variable, e))
        if "\n" in value or "\r" in value:
            fail("secret %s (for %s) has more than one line; an environment variable holds one" % (name, variable), 65)
        lines.append('%s="%s"' % (variable, value.replace("\\", "\\\\").replace('"', '\\"')))

target = prefix + env_file
os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target))
with os.fdopen(fd, "w") as out:
    out.write("\n".join(lines) + "\n")
os.chmod(tmp, 0o600)
os.replace(tmp, target)
print("fetch-secrets: %s: %d secret(s) in place" % (service, len(lines)))
