#!/bin/sh
# Usage: cert-expiry NAME=FILE ...
# Logs when each certificate the VM serves with expires, one syslog line per certificate (tag
# ase-cert-expiry, facility user), for the environment's certificate-expiry log alert:
#   NAME expires YYYY-MM-DDTHH:MM:SSZ in N days
# A file that is missing or holds no certificate is logged as a warning naming it. It reads the
# files the VM actually uses (the Key Vault extension's renewals land there), so the alert also
# catches a renewal Key Vault made that never reached the VM. Runs from a timer; always exits 0.
set -u
tag=ase-cert-expiry
now=$(date +%s)
for pair in "$@"; do
  name=${pair%%=*}
  file=${pair#*=}
  if [ ! -r "$file" ]; then
    logger -t "$tag" -p user.warning "$name missing: $file cannot be read"
    continue
  fi
  end=$(openssl x509 -noout -enddate -in "$file" 2>/dev/null | sed -n 's/^notAfter=//p')
  ends=$(date -u -d "$end" +%s 2>/dev/null) || ends=
  if [ -z "$end" ] || [ -z "$ends" ]; then
    logger -t "$tag" -p user.warning "$name unreadable: $file holds no certificate openssl can read"
    continue
  fi
  days=$(( (ends - now) / 86400 ))
  logger -t "$tag" -p user.notice "$name expires $(date -u -d "@$ends" +%Y-%m-%dT%H:%M:%SZ) in $days days"
done
exit 0
