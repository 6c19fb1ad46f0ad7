/*
 * pci_hotplug: the guest side of ACPI PCI hot plug without an AML
 * interpreter, doing by hand what the DSDT's methods do for an OS:
 * it enables the hotplug GPE, waits for GPE0_STS, reads the INSERTED
 * register, finds the new function in that slot (the fixture sysfs device
 * 10ee:7011, hot-added over QMP), sees its BARs unassigned, assigns BAR0
 * itself and uses it; then waits for the eject request (REMOVING), writes
 * the slot's bit to EJECT as _EJ0 would, and sees the slot empty.
 * Registers: docs/pci-assignment.md, lib/devices/pci/acpi-pci-hotplug.ts.
 * Needs: a host that device_adds the fixture after "READY" and device_dels
 * it after "WAITING".
 */
#include "pci_config.h"

#define VENDOR 0x10EE
#define DEVICE 0x7011

#define GPE0_STS 0x620
#define GPE0_EN 0x622
#define GPE_PCI_HOTPLUG (1u << 1)
#define PCIHP_INSERTED 0x630
#define PCIHP_REMOVING 0x634
#define PCIHP_EJECT 0x638
#define PCIHP_HOTPLUG 0x63C

#define BAR0_AT 0xE0800000u

/* Polls for the hotplug GPE (an OS takes it as an SCI) and acknowledges it (write 1 to clear). */
static void wait_hotplug_gpe(void)
{
    while (!(inw(GPE0_STS) & GPE_PCI_HOTPLUG))
        asm volatile("pause");
    outw(GPE0_STS, GPE_PCI_HOTPLUG);
    report(!(inw(GPE0_STS) & GPE_PCI_HOTPLUG), "GPE0_STS hotplug bit cleared by writing 1");
}

static int lowest_bit(u32 v)
{
    for (int i = 0; i < 32; i++)
        if (v & (1u << i))
            return i;
    return -1;
}

int main(void)
{
    report(inl(PCIHP_HOTPLUG) == 0xFFFFFFFEu, "HOTPLUG: every slot but the host bridge's (0x%x)", inl(PCIHP_HOTPLUG));
    report(inl(PCIHP_INSERTED) == 0 && inl(PCIHP_REMOVING) == 0, "nothing pending at boot");
    report(pci_find(VENDOR, DEVICE) < 0, "no 10ee:7011 before device_add");
    outw(GPE0_EN, GPE_PCI_HOTPLUG);
    report(inw(GPE0_EN) == GPE_PCI_HOTPLUG, "GPE0_EN holds the hotplug bit");
    report_info("READY for device_add");

    wait_hotplug_gpe();
    u32 inserted = inl(PCIHP_INSERTED), removing = inl(PCIHP_REMOVING);
    int slot = lowest_bit(inserted);
    report(slot > 0 && inserted == (1u << slot) && removing == 0, "INSERTED names one slot (0x%x), REMOVING none (0x%x)", inserted, removing);
    report(inl(PCIHP_INSERTED) == 0, "INSERTED is cleared by the read");
    if (slot <= 0)
        return 1;
    report_info("hot-added 00:%02x.0 %08x", slot, cfg_read32(slot, 0, 0));
    report(cfg_read32(slot, 0, 0) == ((u32)DEVICE << 16 | VENDOR), "the slot holds 10ee:7011");
    report(cfg_read32(slot, 0, 0x10) == 0 && (cfg_read16(slot, 0, 4) & 3) == 0, "BAR0 unassigned, decoding off: the OS assigns the BARs");

    cfg_write32(slot, 0, 0x10, 0xFFFFFFFFu);
    u32 size_mask = cfg_read32(slot, 0, 0x10);
    report(size_mask == 0xFFFFF000u, "BAR0 sizes as 4 KiB of 32-bit memory (0x%x)", size_mask);
    cfg_write32(slot, 0, 0x10, BAR0_AT);
    cfg_write16(slot, 0, 4, 2); /* memory decoding */
    report(mmio_read32(BAR0_AT) == 0x11223344u, "BAR0 at the guest's address reads the fixture (0x%x)", mmio_read32(BAR0_AT));
    mmio_write32(BAR0_AT + 0x10, 0xFEEDF00Du);
    report(mmio_read32(BAR0_AT + 0x10) == 0xFEEDF00Du, "BAR0 write reads back");
    report_info("WAITING for device_del");

    wait_hotplug_gpe();
    removing = inl(PCIHP_REMOVING);
    report(removing == (1u << slot) && inl(PCIHP_INSERTED) == 0, "REMOVING names the slot (0x%x)", removing);
    report(cfg_read32(slot, 0, 0) == ((u32)DEVICE << 16 | VENDOR), "the device stays until the OS ejects it");
    outl(PCIHP_EJECT, 1u << slot);
    report(cfg_read32(slot, 0, 0) == 0xFFFFFFFFu, "after EJECT the slot is empty (master abort)");
    report(inl(PCIHP_EJECT) == 0, "EJECT reads as 0");
    return report_summary() ? 1 : 0;
}
