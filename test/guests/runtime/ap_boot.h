/* Starting application processors: a real-mode trampoline copied below 1 MiB
 * takes each AP through protected mode to long mode on the BSP's page tables,
 * GDT and IDT, onto its own stack, and calls the guest's entry. */
#ifndef AP_BOOT_H
#define AP_BOOT_H
#include "guest.h"

/* Where the trampoline runs: a startup IPI with vector AP_SIPI_VECTOR starts an AP at CS:IP = 0x0800:0000. */
#define AP_TRAMPOLINE_BASE 0x8000
#define AP_SIPI_VECTOR (AP_TRAMPOLINE_BASE >> 12)
#define AP_MAX 64
#define AP_STACK_SIZE 16384

/* Copies the trampoline into place; every AP started afterwards calls entry(slot),
 * slot = 0, 1, ... in the order the APs arrive. */
void ap_boot_prepare(void (*entry)(unsigned slot));
#endif
