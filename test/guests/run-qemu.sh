#!/usr/bin/env bash
# Runs every guest (or the ones named) on QEMU TCG as a reference, with
# "qemu-quirks=1" so the checks where QEMU departs from the Intel SDM print
# KNOWN-QEMU-DEVIATION instead of failing. tsvisor never gets that flag.
# Usage: test/guests/run-qemu.sh [guest...]   (build first: node scripts/build-guests.mjs)
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/../../dist/guests}"
guests=("$@")
[ ${#guests[@]} -eq 0 ] && guests=(hello exceptions paging pio cpuid_msr modes demo bench_alu bench_mem bench_pio)
failed=0
for g in "${guests[@]}"; do
  extra=""
  qemu_extra=()
  case "$g" in
    pio) extra="ram_mb=128" ;;
    # The RTC on the virtual clock, as tsvisor's always is.
    platform) extra="ram_mb=128"; qemu_extra=(-icount shift=0,sleep=off -rtc base=2006-06-17T16:01:21,clock=vm) ;;
    bench_*) extra="iters=100000" ;;
  esac
  raw="$(mktemp)"
  timeout 120 qemu-system-x86_64 -accel tcg -nographic -no-reboot -display none -m 128 \
    -device isa-debug-exit,iobase=0xf4,iosize=0x4 -device pc-testdev \
    "${qemu_extra[@]}" -kernel "$out/$g.elf" -append "qemu-quirks=1 $extra" </dev/null >"$raw" 2>&1
  status=$?
  log="$(tr -d '\r' <"$raw")"
  rm -f "$raw"
  summary="$(grep -o 'SUMMARY: .*' <<<"$log" | tail -1)"
  deviations="$(grep -c '^KNOWN-QEMU-DEVIATION' <<<"$log")"
  if [ "$status" -eq 1 ] && grep -q 'SUMMARY: [0-9]* tests, 0 failures' <<<"$log"; then
    echo "ok    $g: $summary, $deviations known QEMU deviation(s)"
  else
    failed=1
    echo "FAIL  $g: status $status, ${summary:-no summary}"
    grep -E '^(FAIL|KNOWN)' <<<"$log" | sed 's/^/      /'
  fi
done
exit $failed
