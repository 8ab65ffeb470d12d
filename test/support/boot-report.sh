#!/bin/sh
# Runs inside a booted test VM (test/support/boot.ts) as ase-boot-report.service: every half second
# it writes the states of every loaded unit to /ase-boot/out/units (atomically), runs the commands
# the test queues as /ase-boot/control/cmd.N (output and exit status to /ase-boot/out/cmd.N.*),
# and on /ase-boot/control/poweroff writes the final states, the journal and cloud-init's status,
# then powers the VM off; on /ase-boot/control/reboot it reboots. Test-only: no VM on Azure runs this.
out=/ase-boot/out
ctl=/ase-boot/control

snapshot() {
  # shellcheck disable=SC2046 # unit names, one word each
  systemctl show -p Id,ActiveState,SubState,Result,NRestarts,ExecMainStatus,MainPID \
    $(systemctl list-units --all --plain --no-legend --no-pager --type=service,path,timer,target,socket | awk '{print $1}')
  echo
  echo "Id=system"
  echo "ActiveState=$(systemctl is-system-running)"
}

while :; do
  snapshot > "$out/.units" 2>&1 && mv "$out/.units" "$out/units"
  for cmd in "$ctl"/cmd.*; do
    [ -e "$cmd" ] || continue
    id=${cmd##*/cmd.}
    sh "$cmd" > "$out/cmd.$id.out" 2>&1
    echo $? > "$out/.cmd.$id.rc" && mv "$out/.cmd.$id.rc" "$out/cmd.$id.rc"
    rm -f "$cmd"
  done
  if [ -e "$ctl/reboot" ]; then
    rm -f "$ctl/reboot"
    exec systemctl reboot --no-block
  fi
  if [ -e "$ctl/poweroff" ]; then
    snapshot > "$out/.units" 2>&1 && mv "$out/.units" "$out/units"
    cloud-init status --long > "$out/cloud-init-status" 2>&1
    cp /var/log/cloud-init.log /var/log/cloud-init-output.log "$out/" 2> /dev/null
    journalctl -b --no-pager -o short-monotonic > "$out/.journal" 2>&1 && mv "$out/.journal" "$out/journal"
    touch "$out/final"
    exec systemctl poweroff --no-block
  fi
  sleep 0.5
done
